// Which credential `auth: auto` picks, and which ARM audience each cloud gets: pure decisions over
// the environment, files on disk and the inputs.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { firstAudience } from '../../src/azure/arm-audience.ts';
import { pickAzureAuth, profileListsSubscription } from '../../src/azure/auth.ts';
import { audienceScope } from '../../src/inputs/cloud.ts';
import { readSettings } from '../../src/inputs/inputs.ts';
import type { CommonSettings } from '../../src/inputs/settings.ts';

/** A folder holding an executable named `az` (never run here) and a CLI config folder. */
function cliMachine(profile: string | undefined): { path: string; configDir: string } {
  const root = mkdtempSync(join(tmpdir(), 'auth-choice-'));
  const bin = join(root, 'bin');
  const configDir = join(root, 'azure');
  for (const dir of [bin, configDir]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(bin, 'az'), '#!/bin/sh\nexit 1\n');
  chmodSync(join(bin, 'az'), 0o755);
  if (profile !== undefined) writeFileSync(join(configDir, 'azureProfile.json'), profile);
  return { path: bin, configDir };
}

function settings(auth: CommonSettings['auth']): CommonSettings {
  return {
    auth,
    wait: true,
    timeoutMs: 60_000,
    pollInterval: 'auto',
    clientId: '',
    tenantId: '',
    endpoints: {
      name: 'AzureCloud',
      armEndpoint: 'https://management.azure.com',
      authorityHost: 'https://login.microsoftonline.com',
      oidcAudience: 'api://AzureADTokenExchange',
      armAudience: 'https://management.core.windows.net/',
      audience: 'api://AzureADTokenExchange',
      customAuthority: false,
    },
  };
}

const SECRET_ENV = {
  AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001',
  AZURE_TENANT_ID: '00000000-0000-0000-0000-000000000002',
  AZURE_CLIENT_SECRET: 'not-a-real-secret',
};

const envOf =
  (vars: Record<string, string>) =>
  (name: string): string =>
    vars[name] ?? '';

// What the Azure CLI 2.45 writes: a byte order mark, then the profile.
const SIGNED_IN = `\uFEFF${JSON.stringify({
  installationId: 'b3b1c8a2-0000-0000-0000-000000000000',
  subscriptions: [
    {
      id: '00000000-0000-0000-0000-00000000000a',
      name: 'sub',
      state: 'Enabled',
      user: { name: 'app', type: 'servicePrincipal' },
      isDefault: true,
      tenantId: '00000000-0000-0000-0000-000000000002',
      environmentName: 'AzureCloud',
    },
  ],
})}`;
// What any other az command (az version, az cloud set, az logout) leaves behind.
const NO_SIGN_IN = `\uFEFF${JSON.stringify({ installationId: 'b3b1c8a2', subscriptions: [] })}`;

describe('auth: auto and the Azure CLI profile', () => {
  it('does not count a profile without subscriptions as a sign-in: the secret wins', () => {
    const machine = cliMachine(NO_SIGN_IN);
    const env = envOf({ ...SECRET_ENV, PATH: machine.path, AZURE_CONFIG_DIR: machine.configDir });
    const choice = pickAzureAuth(settings('auto'), env);
    assert.equal(choice.kind, 'environment');
  });

  it('counts a profile that lists a subscription, written with a byte order mark', () => {
    const machine = cliMachine(SIGNED_IN);
    const env = envOf({ PATH: machine.path, AZURE_CONFIG_DIR: machine.configDir });
    const choice = pickAzureAuth(settings('auto'), env);
    assert.equal(choice.kind, 'azure-cli');
    assert.match(choice.why, /Azure CLI sign-in/);
  });

  it('prefers a CLI sign-in over variables, in the documented order', () => {
    const machine = cliMachine(SIGNED_IN);
    const env = envOf({ ...SECRET_ENV, PATH: machine.path, AZURE_CONFIG_DIR: machine.configDir });
    assert.equal(pickAzureAuth(settings('auto'), env).kind, 'azure-cli');
  });

  it('ignores a missing, empty or broken profile', () => {
    for (const profile of [undefined, '', '{', '[]', '{"subscriptions": {}}']) {
      const machine = cliMachine(profile);
      assert.equal(profileListsSubscription(join(machine.configDir, 'azureProfile.json')), false);
      const env = envOf({ PATH: machine.path, AZURE_CONFIG_DIR: machine.configDir });
      assert.throws(() => pickAzureAuth(settings('auto'), env), /found no Azure credential/);
    }
  });

  it('needs az on PATH as well as the profile', () => {
    const machine = cliMachine(SIGNED_IN);
    const env = envOf({ PATH: '/nonexistent', AZURE_CONFIG_DIR: machine.configDir });
    assert.throws(() => pickAzureAuth(settings('auto'), env), /found no Azure credential/);
  });
});

describe('ARM token audiences', () => {
  const inputs =
    (values: Record<string, string>) =>
    (name: string): string =>
      values[name] ?? '';
  const endpointsFor = (values: Record<string, string>) =>
    readSettings({
      input: inputs({
        cluster: 'rg/aks',
        'subscription-id': '00000000-0000-0000-0000-00000000000a',
        command: 'true',
        ...values,
      }),
      env: () => '',
    }).endpoints;

  it('uses each known cloud’s documented audience (the CLI’s active_directory_resource_id)', () => {
    const expected = {
      AzureCloud: 'https://management.core.windows.net/',
      AzureUSGovernment: 'https://management.core.usgovcloudapi.net/',
      AzureChinaCloud: 'https://management.core.chinacloudapi.cn/',
    };
    for (const [environment, audience] of Object.entries(expected)) {
      assert.equal(endpointsFor({ environment }).armAudience, audience, environment);
    }
    assert.equal(
      audienceScope('https://management.core.windows.net/'),
      'https://management.core.windows.net//.default',
    );
  });

  it('keeps the cloud audience when arm-endpoint names the cloud’s own ARM', () => {
    const endpoints = endpointsFor({ 'arm-endpoint': 'https://management.azure.com/' });
    assert.equal(endpoints.armAudience, 'https://management.core.windows.net/');
    const gov = endpointsFor({
      environment: 'AzureUSGovernment',
      'arm-endpoint': 'https://management.usgovcloudapi.net',
    });
    assert.equal(gov.armAudience, 'https://management.core.usgovcloudapi.net/');
  });

  it('leaves the audience of a custom arm-endpoint to its metadata', () => {
    const endpoints = endpointsFor({
      'arm-endpoint': 'https://management.local.azurestack.external',
    });
    assert.equal(endpoints.armAudience, undefined);
    // The OIDC audience is another thing entirely, and stays the cloud's.
    assert.equal(endpoints.audience, 'api://AzureADTokenExchange');
  });

  it('reads authentication.audiences[0] from every metadata shape, and nothing else', () => {
    const audience =
      'https://management.adfs.azurestack.local/4de154de-f8a8-4017-af41-df619da68155';
    const one = { authentication: { loginEndpoint: 'https://adfs/adfs', audiences: [audience] } };
    assert.equal(firstAudience(one), audience);
    assert.equal(firstAudience([one]), audience);
    for (const bad of [
      undefined,
      'text',
      {},
      { authentication: {} },
      { authentication: { audiences: [] } },
      { authentication: { audiences: [42] } },
      { authentication: { audiences: ['has a space'] } },
      { authentication: { audiences: ['line\nbreak'] } },
    ]) {
      assert.equal(firstAudience(bad), undefined, JSON.stringify(bad));
    }
  });
});
