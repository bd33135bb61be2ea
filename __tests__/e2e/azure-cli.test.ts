// The real Azure CLI (the Debian azure-cli package, 2.45) against the emulator: it registers the
// emulator as a cloud, signs in with a service principal through the AD FS face, runs
// `az aks command invoke` and `az aks show`, and the action then signs in with `auth: azure-cli`
// on that sign-in. Each az call takes seconds, so the CLI is called as few times as the story needs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { emulatorPerFile } from '../helpers/emulator.ts';
import { displayedLog } from '../../harness/workflow-commands.ts';
import { runAction } from '../helpers/action.ts';

function findOnPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return join(dir, program);
    } catch {
      // not here
    }
  }
  return undefined;
}

const AZ = findOnPath('az');
const SKIP_REASON =
  'the Azure CLI (az) is not installed; install the Debian package azure-cli (.ci/run does) to run this test';
if (!AZ) {
  // .ci/run installs the CLI and sets REQUIRE_AZURE_CLI: there, a missing az is a broken set-up.
  if (process.env.REQUIRE_AZURE_CLI) throw new Error(`REQUIRE_AZURE_CLI is set but ${SKIP_REASON}`);
  console.log(`# azure-cli.test.ts skipped: ${SKIP_REASON}`);
}

const lab = emulatorPerFile();
const configDirs: string[] = [];
after(() => configDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

interface AzResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs az with an isolated config folder, trusting only the emulator's CA, telemetry off. */
function az(args: string[], configDir: string, caPath: string): Promise<AzResult> {
  return new Promise((resolve) => {
    execFile(
      AZ!,
      args,
      {
        env: {
          PATH: process.env.PATH,
          HOME: configDir,
          LANG: 'C.UTF-8',
          AZURE_CONFIG_DIR: configDir,
          REQUESTS_CA_BUNDLE: caPath,
          AZURE_CORE_COLLECT_TELEMETRY: 'false',
          AZURE_CORE_NO_COLOR: 'true',
          AZURE_CORE_SURVEY_MESSAGE: 'false',
          // Anything the CLI would send off loopback goes to a closed port instead, and fails.
          HTTPS_PROXY: 'http://127.0.0.1:9',
          HTTP_PROXY: 'http://127.0.0.1:9',
          NO_PROXY: '127.0.0.1,localhost',
        },
        timeout: 120_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function json<T>(result: AzResult, what: string): T {
  assert.equal(result.code, 0, `${what}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

function subscriptionsInProfile(configDir: string): unknown[] {
  const text = readFileSync(join(configDir, 'azureProfile.json'), 'utf8').replace(/^\uFEFF/, '');
  return (JSON.parse(text) as { subscriptions?: unknown[] }).subscriptions ?? [];
}

describe('the real Azure CLI', { skip: AZ ? false : SKIP_REASON }, () => {
  it('signs in to the emulator, runs aks command invoke and aks show, and lends its sign-in to the action', async () => {
    const emu = lab.emu;
    const cluster = emu.addCluster({ resourceGroup: 'rg-cli', name: 'aks-cli' });
    const configDir = mkdtempSync(join(tmpdir(), 'azure-cli-'));
    configDirs.push(configDir);
    const run = (args: string[]) => az(args, configDir, emu.caPath);

    // az cloud register reads the emulator's metadata (api-version 2015-01-01) for the
    // authority and the ARM audience.
    const registered = await run([
      'cloud',
      'register',
      '--name',
      'Emulator',
      '--endpoint-resource-manager',
      emu.armEndpoint,
    ]);
    assert.equal(registered.code, 0, registered.stderr);
    const set = await run(['cloud', 'set', '--name', 'Emulator']);
    assert.equal(set.code, 0, set.stderr);

    // Every az command writes azureProfile.json; with no sign-in in it, auth: auto must take the
    // service principal from the environment (issue 10, defect 4).
    assert.deepEqual(subscriptionsInProfile(configDir), []);
    const beforeLogin = await runAction(
      { cluster: cluster.resourceId, command: 'echo picked the secret' },
      emu,
      { env: { AZURE_CONFIG_DIR: configDir, REQUESTS_CA_BUNDLE: emu.caPath } },
    );
    assert.equal(beforeLogin.code, 0, beforeLogin.stdout);
    assert.match(beforeLogin.stdout, /auth auto picked environment/);

    const accounts = json<{ id: string; tenantId: string; cloudName: string }[]>(
      await run([
        'login',
        '--service-principal',
        '--username',
        emu.clientId,
        '--password',
        emu.clientSecret,
        '--tenant',
        emu.tenantId,
        '--output',
        'json',
      ]),
      'az login',
    );
    assert.deepEqual(
      accounts.map((a) => [a.id, a.cloudName]),
      [[emu.subscriptionId, 'Emulator']],
    );
    assert.ok(
      emu.requests.some((r) => r.kind === 'token' && r.path.startsWith('/adfs/oauth2/token')),
      'the CLI signed in through the AD FS face',
    );

    const result = json<{ exitCode: number; logs: string; provisioningState: string }>(
      await run([
        'aks',
        'command',
        'invoke',
        '--resource-group',
        'rg-cli',
        '--name',
        'aks-cli',
        '--command',
        'echo hello from az; exit 3',
        '--output',
        'json',
      ]),
      'az aks command invoke',
    );
    assert.equal(result.provisioningState, 'Succeeded');
    assert.equal(result.exitCode, 3);
    assert.equal(result.logs, 'hello from az\n');
    assert.deepEqual(
      cluster.commands().map((c) => c.command),
      ['echo picked the secret', 'echo hello from az; exit 3'],
    );

    const shown = json<{ id: string; name: string; provisioningState: string }>(
      await run([
        'aks',
        'show',
        '--resource-group',
        'rg-cli',
        '--name',
        'aks-cli',
        '--output',
        'json',
      ]),
      'az aks show',
    );
    assert.equal(shown.name, 'aks-cli');
    // ARM ids compare without case; the live service spells `resourcegroups` in lower case.
    assert.equal(shown.id.toLowerCase(), cluster.resourceId.toLowerCase());
    assert.equal(shown.provisioningState, 'Succeeded');

    // The action, with no variables to sign in with, on the CLI's sign-in.
    const cliEnv = {
      AZURE_CLIENT_ID: undefined,
      AZURE_TENANT_ID: undefined,
      AZURE_CLIENT_SECRET: undefined,
      AZURE_CONFIG_DIR: configDir,
      REQUESTS_CA_BUNDLE: emu.caPath,
      AZURE_CORE_COLLECT_TELEMETRY: 'false',
    };
    const viaCli = await runAction(
      { cluster: cluster.resourceId, command: 'echo via the CLI sign-in', auth: 'azure-cli' },
      emu,
      { env: cliEnv },
    );
    assert.equal(viaCli.code, 0, viaCli.stdout + viaCli.stderr);
    assert.equal(viaCli.outputs.status, 'Succeeded');
    assert.equal(viaCli.outputs.logs, 'via the CLI sign-in\n');
    assert.match(
      displayedLog(viaCli.stdout),
      /Signing in with the Azure CLI sign-in; auth azure-cli\./,
    );

    // Now that the profile lists the subscription, auth: auto takes the CLI sign-in.
    assert.equal(subscriptionsInProfile(configDir).length, 1);
    const auto = await runAction(
      {
        operation: 'command-result',
        cluster: cluster.resourceId,
        'command-id': viaCli.outputs['command-id']!,
      },
      emu,
      { env: cliEnv },
    );
    assert.equal(auto.code, 0, auto.stdout + auto.stderr);
    assert.match(auto.stdout, /auth auto picked azure-cli/);
    assert.equal(auto.outputs.logs, 'via the CLI sign-in\n');
    // A token the CLI has not cached yet (the AKS server application's, for a cluster with
    // AKS-managed Entra ID) while the CLI does not trust the authority: the step says so.
    const aadCluster = emu.addCluster({
      resourceGroup: 'rg-cli',
      name: 'aks-cli-aad',
      aadManaged: true,
    });
    const untrusted = await runAction(
      { cluster: aadCluster.resourceId, command: 'true', auth: 'azure-cli' },
      emu,
      { env: { ...cliEnv, REQUESTS_CA_BUNDLE: undefined } },
    );
    assert.equal(untrusted.code, 1, untrusted.stdout);
    assert.match(
      untrusted.stdout,
      /Sign-in \(azure-cli\) failed while requesting a token for 6dae42f8-4368-4678-94ff-3960e28e3630\/\.default: the server's certificate is not trusted by the Azure CLI\./,
    );
    assert.match(untrusted.summary, /REQUESTS_CA_BUNDLE/);
    assert.equal(aadCluster.commands().length, 0);

    const refused = emu.requests.filter(
      (r) => r.server === 'arm' && r.status === 401 && r.time >= beforeLogin.startedAt,
    );
    assert.deepEqual(refused, []);
  });
});
