// The official Azure SDK for JS (@azure/arm-containerservice) with its default settings, pointed
// at the emulator through its endpoint and credential options only: the emulator must answer it as
// the live service does (its models read the cluster, its poller resolves the abort).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';
import { emulatorPerFile } from '../helpers/emulator.ts';
import { ROOT } from '../../harness/run-action.ts';

const lab = emulatorPerFile();

interface SdkAnswers {
  cluster: Record<string, unknown>;
  ran: { id: string; provisioningState: string; exitCode: number; logs: string };
  read: { id: string; provisioningState: string; exitCode: number; logs: string };
  before: Record<string, unknown>;
  aborted: unknown;
  after: Record<string, unknown>;
  latest: { status: number; body: Record<string, unknown> };
}

function runSdk(args: Record<string, string>): Promise<SdkAnswers> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(ROOT, '__tests__/helpers/sdk-client.ts'), JSON.stringify(args)],
      {
        env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: lab.emu.caPath },
        timeout: 90_000,
      },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`${error.message}\n${stderr}`))
          : resolve(JSON.parse(stdout) as SdkAnswers),
    );
  });
}

/** A flattened or nested model property, whichever shape the SDK version gives. */
function prop(model: Record<string, unknown>, key: string): unknown {
  const properties = model.properties as Record<string, unknown> | undefined;
  return properties?.[key] ?? model[key];
}

it('the official SDK reads the cluster, runs a command, reads its result and aborts', async () => {
  const emu = lab.emu;
  const command = emu.addCluster({ resourceGroup: 'rg-sdk', name: 'sdk-command' });
  const upgrading = emu.addCluster({
    resourceGroup: 'rg-sdk',
    name: 'sdk-abort',
    operation: { name: 'Upgrade', durationSeconds: 600, cancelSeconds: 1 },
  });
  const answers = await runSdk({
    armEndpoint: emu.armEndpoint,
    authorityHost: emu.authorityHost,
    tenantId: emu.tenantId,
    clientId: emu.clientId,
    clientSecret: emu.clientSecret,
    subscriptionId: emu.subscriptionId,
    resourceGroup: 'rg-sdk',
    commandCluster: 'sdk-command',
    abortCluster: 'sdk-abort',
    command: 'echo from the sdk; exit 3',
  });
  // get: the SDK's model reads a live-shaped cluster.
  assert.equal(answers.cluster.name, 'sdk-command');
  assert.equal(prop(answers.cluster, 'provisioningState'), 'Succeeded');
  assert.equal(prop(answers.cluster, 'kubernetesVersion'), '1.31');
  assert.equal(prop(answers.cluster, 'currentKubernetesVersion'), '1.31.7');
  assert.equal((prop(answers.cluster, 'agentPoolProfiles') as unknown[]).length, 1);
  assert.deepEqual(prop(answers.cluster, 'powerState'), { code: 'Running' });
  // beginRunCommandAndWait follows the Location to the result; getCommandResult reads it again.
  for (const result of [answers.ran, answers.read]) {
    assert.match(result.id, /^[0-9a-f]{32}$/);
    assert.equal(prop(result, 'provisioningState'), 'Succeeded');
    assert.equal(prop(result, 'exitCode'), 3);
    assert.equal(prop(result, 'logs'), 'from the sdk\n');
  }
  assert.equal(answers.read.id, answers.ran.id);
  assert.equal(command.commands().length, 1);
  // beginAbortLatestOperationAndWait resolves (its status ends Succeeded, as live), and the
  // cluster reads Canceled.
  assert.equal(prop(answers.before, 'provisioningState'), 'Upgrading');
  assert.equal(answers.aborted, 'resolved');
  assert.equal(prop(answers.after, 'provisioningState'), 'Canceled');
  // operations/latest through the client's pipeline: the upgrade, Canceled.
  assert.equal(answers.latest.status, 200);
  assert.equal(answers.latest.body.status, 'Canceled');
  assert.match(
    String(answers.latest.body.id),
    new RegExp(`/operations/${upgrading.operationId!}$`),
  );
  // Default settings: the SDK asked Entra for the public ARM audience, and the emulator took it.
  const sdkCalls = emu.requests.filter((r) => r.server === 'arm');
  assert.ok(
    sdkCalls.every((r) => r.status < 400),
    JSON.stringify(sdkCalls),
  );
  assert.ok(
    sdkCalls.some((r) => r.kind === 'operationStatus'),
    'the poller followed Azure-AsyncOperation',
  );
});
