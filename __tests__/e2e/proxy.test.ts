// Behind HTTPS_PROXY: a real proxy (tinyproxy) carries ARM, Entra, the GitHub OIDC token request
// and the Service Fabric gateway (with its client certificate, pins or CA bundle checked on the
// tunnelled socket); NO_PROXY bypasses it; its credentials work and are never printed; a 407 is
// explained as a proxy problem; a TLS-inspecting proxy never receives a gateway request or a
// token. The services have host names that only the proxies resolve (see helpers/proxy.ts).
import assert from 'node:assert/strict';
import { X509Certificate, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type ServiceFabricGateway,
  type ServiceFabricGatewayOptions,
} from '../../emulator/service-fabric.ts';
import { emulatorPerFile } from '../helpers/emulator.ts';
import { runAction, type ActionRun } from '../helpers/action.ts';
import { visibleStdout } from '../../harness/workflow-commands.ts';
import {
  startInspectingProxy,
  startTinyproxy,
  type RealProxy,
  type Tunnel,
} from '../helpers/proxy.ts';
import { cancelFaultInputs, oidcEnv } from '../helpers/e2e.ts';

const ARM_HOST = 'arm.emulator.test';
const LOGIN_HOST = 'login.emulator.test';
const SF_HOST = 'sf.emulator.test';
const PASSWORD = `pw-${randomUUID()}`;
const WRONG_PASSWORD = `wrong-${randomUUID()}`;

const lab = emulatorPerFile({ options: { hostNames: { arm: ARM_HOST, entra: LOGIN_HOST } } });
let proxy: RealProxy;
before(async () => {
  proxy = await startTinyproxy([ARM_HOST, LOGIN_HOST, SF_HOST], {
    user: 'runner',
    password: PASSWORD,
  });
});
after(async () => {
  await proxy.stop();
});

function gateway(options: Omit<ServiceFabricGatewayOptions, 'ca'> = {}) {
  return lab.gateway({ hostName: SF_HOST, ...options });
}

const portOf = (url: string) => Number(new URL(url).port);
const tunnelsTo = (tunnels: Tunnel[], url: string) =>
  tunnels.filter((t) => t.host === new URL(url).hostname && t.port === portOf(url)).length;

/** No trace of the text anywhere people or later steps can read. */
function assertNowhere(run: ActionRun, text: string): void {
  for (const [where, value] of Object.entries({
    // ::add-mask:: registrations are consumed by the runner, never shown.
    stdout: visibleStdout(run.stdout),
    stderr: run.stderr,
    outputs: JSON.stringify(run.outputs),
    summary: run.summary,
  })) {
    assert.ok(!value.includes(text), `the proxy password appears in ${where}`);
  }
}

function proxyUrl(password: string): string {
  const url = new URL(proxy.url);
  url.password = password;
  return url.href;
}

function cancelInputs(gw: ServiceFabricGateway, extra: Record<string, string> = {}) {
  const id = gw.addFaultOperation({
    type: 'PartitionDataLoss',
    durationSeconds: 60,
    rollbackSeconds: 0.5,
  });
  const admin = gw.issueAdminClientCert();
  return {
    id,
    admin,
    inputs: {
      ...cancelFaultInputs(gw, id, `${admin.certPem}\n${admin.keyPem}`),
      timeout: '30s',
      ...extra,
    },
  };
}

describe('through a real proxy (tinyproxy)', () => {
  it('ARM, Entra and the GitHub OIDC token request all go through it; its password is never printed', async () => {
    const c = lab.emu.addCluster({ resourceGroup: 'rg-proxy', name: 'aks-proxy-oidc' });
    const before = lab.emu.requests.length;
    const run = await runAction(
      {
        cluster: c.resourceId,
        command: 'echo through the proxy',
        'client-id': lab.emu.clientId,
        'tenant-id': lab.emu.tenantId,
      },
      lab.emu,
      {
        env: { ...oidcEnv(lab.emu), HTTPS_PROXY: proxyUrl(PASSWORD) },
      },
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /auth auto picked oidc/);
    assert.equal(run.outputs.logs, 'through the proxy\n');
    // The names resolve only inside the proxy: whatever reached the emulator came through it.
    const kinds = new Set(lab.emu.requests.slice(before).map((r) => r.kind));
    for (const kind of ['idtoken', 'token', 'runCommand', 'commandResult'])
      assert.ok(kinds.has(kind), `no ${kind} request reached the emulator`);
    const tunnels = proxy.tunnels();
    assert.ok(tunnelsTo(tunnels, lab.emu.armEndpoint) >= 1, JSON.stringify(tunnels));
    assert.ok(tunnelsTo(tunnels, lab.emu.authorityHost) >= 2, 'OIDC and Entra tunnels');
    assertNowhere(run, PASSWORD);
    assert.match(run.stdout, new RegExp(`^::add-mask::${PASSWORD}$`, 'm'), 'masked for the log');
  });

  it('the Service Fabric gateway goes through it with the client certificate, pinned', async () => {
    const gw = await gateway({ selfSignedServerCert: true });
    const pin = new X509Certificate(gw.serverCertPem).fingerprint256;
    const { admin, inputs } = cancelInputs(gw, { 'server-cert-thumbprint': pin });
    const run = await runAction(inputs, undefined, {
      env: { NODE_EXTRA_CA_CERTS: lab.emu.caPath, HTTPS_PROXY: proxyUrl(PASSWORD) },
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.status, 'Cancelled');
    assert.match(run.stdout, /matches server-cert-thumbprint/);
    assert.ok(tunnelsTo(proxy.tunnels(), gw.url) >= 1);
    const thumbprint = new X509Certificate(admin.certPem).fingerprint.replace(/:/g, '');
    assert.ok(gw.requests.length >= 2);
    for (const request of gw.requests) assert.equal(request.clientCertThumbprint, thumbprint);
    assertNowhere(run, PASSWORD);
  });

  it('the gateway goes through it trusted by ca-certificate', async () => {
    const gw = await gateway();
    const { inputs } = cancelInputs(gw, { 'ca-certificate': lab.emu.ca.certPem });
    const run = await runAction(inputs, undefined, {
      env: { HTTPS_PROXY: proxyUrl(PASSWORD) },
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.status, 'Cancelled');
    assert.ok(tunnelsTo(proxy.tunnels(), gw.url) >= 1);
  });

  it('NO_PROXY bypasses it', async () => {
    const c = lab.emu.addCluster({ resourceGroup: 'rg-proxy', name: 'aks-proxy-bypass' });
    const armTunnels = tunnelsTo(proxy.tunnels(), lab.emu.armEndpoint);
    const run = await runAction(
      { cluster: c.resourceId, command: 'true', timeout: '6s' },
      lab.emu,
      { env: { HTTPS_PROXY: proxyUrl(PASSWORD), NO_PROXY: `localhost,${ARM_HOST}` } },
    );
    assert.equal(run.code, 1);
    // The sign-in went through the proxy; ARM was called directly, where the name is unknown.
    assert.match(run.stdout, /ENOTFOUND/);
    assert.equal(tunnelsTo(proxy.tunnels(), lab.emu.armEndpoint), armTunnels);
    assertNowhere(run, PASSWORD);
  });

  it('a 407 is explained as a proxy problem naming HTTPS_PROXY, without the password', async () => {
    const gw = await gateway();
    const noCredentials = new URL(proxy.url);
    noCredentials.username = '';
    noCredentials.password = '';
    for (const [url, pattern] of [
      [noCredentials.href, /407 Proxy Authentication Required .*it needs a user and password/],
      // tinyproxy answers wrong credentials with 401: the same proxy problem.
      [proxyUrl(WRONG_PASSWORD), /it refused the user and password in the proxy URL/],
    ] as const) {
      const { inputs } = cancelInputs(gw);
      const run = await runAction(inputs, undefined, {
        env: { NODE_EXTRA_CA_CERTS: lab.emu.caPath, HTTPS_PROXY: url },
      });
      assert.equal(run.code, 1, run.stdout);
      assert.equal(run.outputs.status, 'Failed');
      assert.match(run.stdout, /^::error::.*proxy problem/m);
      assert.match(run.stdout, pattern);
      assert.match(run.stdout, /check the user and password in HTTPS_PROXY/);
      assertNowhere(run, WRONG_PASSWORD);
      assertNowhere(run, PASSWORD);
    }
    assert.deepEqual(gw.requests, []);
  });

  it('a 407 on the sign-in is explained as a proxy problem too', async () => {
    const c = lab.emu.addCluster({ resourceGroup: 'rg-proxy', name: 'aks-proxy-407' });
    // ARM on its loopback address (never proxied), so the first call through the proxy is Entra's.
    const armOnLoopback = `https://127.0.0.1:${new URL(lab.emu.armEndpoint).port}`;
    const run = await runAction(
      { cluster: c.resourceId, command: 'true', 'arm-endpoint': armOnLoopback },
      lab.emu,
      { env: { HTTPS_PROXY: proxyUrl(WRONG_PASSWORD) } },
    );
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stdout, /^::error::Sign-in .*refused the user and password in the proxy URL/m);
    assert.match(run.stdout, /check the user and password in HTTPS_PROXY/);
    assertNowhere(run, WRONG_PASSWORD);
  });
});

describe('through a TLS-inspecting proxy the runner trusts', () => {
  let bundle: string;
  const inspector = {
    audience: 'https://management.azure.com',
  };
  let proxyUnderTest: Awaited<ReturnType<typeof startInspectingProxy>>;
  before(async () => {
    proxyUnderTest = await startInspectingProxy({
      intercept: [SF_HOST],
      answer: (request) =>
        request.path.startsWith('/$/GetAadMetadata')
          ? {
              status: 200,
              body: { type: 'aad', metadata: { cluster: inspector.audience, tenant: 'x' } },
            }
          : { status: 200, body: [] },
    });
    // The runner trusts the interceptor's root, as corporate self-hosted runners do.
    const dir = mkdtempSync(join(tmpdir(), 'inspected-'));
    bundle = join(dir, 'roots.pem');
    writeFileSync(bundle, `${lab.emu.ca.certPem}\n${proxyUnderTest.caPem}`);
  });
  after(() => proxyUnderTest.stop());

  const gatewayRequests = () => proxyUnderTest.seen.filter((r) => r.host.startsWith(SF_HOST));

  it('a pinned gateway is refused before any request reaches the interceptor', async () => {
    const gw = await gateway({ selfSignedServerCert: true });
    const pin = new X509Certificate(gw.serverCertPem).fingerprint256;
    const { id, inputs } = cancelInputs(gw, { 'server-cert-thumbprint': pin });
    const run = await runAction(inputs, undefined, {
      env: { NODE_EXTRA_CA_CERTS: bundle, HTTPS_PROXY: proxyUnderTest.url },
    });
    assert.equal(run.code, 1, run.stdout);
    assert.equal(run.outputs.status, 'Failed');
    assert.match(run.stdout, /matches no server-cert-thumbprint; nothing was sent to it/);
    assert.ok(proxyUnderTest.tunnels.some((t) => t.host === SF_HOST));
    assert.deepEqual(gatewayRequests(), []);
    assert.deepEqual(gw.cancelCalls(id), []);
  });

  it('a gateway trusted by ca-certificate is refused before any request reaches the interceptor', async () => {
    const gw = await gateway();
    const { id, inputs } = cancelInputs(gw, { 'ca-certificate': lab.emu.ca.certPem });
    const run = await runAction(inputs, undefined, {
      env: { NODE_EXTRA_CA_CERTS: bundle, HTTPS_PROXY: proxyUnderTest.url },
    });
    assert.equal(run.code, 1, run.stdout);
    assert.equal(run.outputs.status, 'Failed');
    assert.match(run.stdout, /certificate/);
    assert.deepEqual(gatewayRequests(), []);
    assert.deepEqual(gw.cancelCalls(id), []);
  });

  it('an interceptor naming an Azure management audience gets no token', async () => {
    const gw = await gateway({ mode: 'aad' });
    const id = gw.addFaultOperation({ type: 'PartitionDataLoss', durationSeconds: 60 });
    const tokenRequests = () => lab.emu.requests.filter((r) => r.kind === 'token').length;
    const tokensBefore = tokenRequests();
    const run = await runAction(
      {
        operation: 'cancel-fault',
        cluster: gw.url,
        'operation-id': id,
        auth: 'environment',
        timeout: '30s',
      },
      lab.emu,
      { env: { NODE_EXTRA_CA_CERTS: bundle, HTTPS_PROXY: proxyUnderTest.url } },
    );
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stdout, /Azure management or Graph resource/);
    assert.equal(tokenRequests(), tokensBefore, 'no token was requested');
    assert.ok(gatewayRequests().length >= 1, 'the interceptor answered GetAadMetadata');
    for (const request of gatewayRequests()) assert.equal(request.authorization, undefined);
  });
});
