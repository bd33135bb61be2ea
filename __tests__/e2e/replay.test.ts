// Replays of answers the live services gave (../shared/recorded, rebuilt in
// __tests__/fixtures/live-exchanges.ts) to the bundle, through the emulator's front door (real
// Entra tokens, real HTTPS). One test per recorded exchange, asserting every output.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { ScriptRule } from '../../emulator/index.ts';
import { runAction, type ActionRun } from '../helpers/action.ts';
import { emulatorPerFile } from '../helpers/emulator.ts';
import { workflowCommands } from '../../harness/workflow-commands.ts';
import {
  ABORT_202,
  COMMAND_RESULTS,
  FAULT_LIST,
  OPERATION_FAILED,
  OPERATION_IN_PROGRESS,
  RUN_COMMAND,
  abort202Rules,
  abort204Rules,
  clusterPath,
  runCommandRules,
  type ClusterRef,
} from '../fixtures/live-exchanges.ts';
import { adminPem, cancelFaultInputs } from '../helpers/e2e.ts';
import { OUTPUTS, type OutputName } from '../../src/inputs/contract.ts';

const lab = emulatorPerFile();

let counter = 0;
/** A cluster of the recordings' subscription; each test has its own name, so its own paths. */
function recordedCluster(location = 'westus2'): ClusterRef {
  return {
    subscriptionId: '00000000-0000-0000-0000-000000000000',
    resourceGroup: 'clitest000001',
    name: `cliakstest00000${++counter}`,
    location,
  };
}

function script(rules: ScriptRule[]) {
  return rules.map((rule) => ({ rule, handle: lab.emu.script(rule) }));
}

/** `operations/{id}` of the cluster answers 200 with this body. */
function scriptOperation(c: ClusterRef, operationId: string, body: unknown) {
  const rule = {
    method: 'GET',
    path: `${clusterPath(c)}/operations/${operationId}`,
    answers: [{ status: 200, body }],
  };
  return { rule, handle: lab.emu.script(rule) };
}

function watchOperation(c: ClusterRef, operationId: string, inputs: Record<string, string>) {
  const all = {
    operation: 'operation-status',
    cluster: clusterPath(c),
    'operation-id': operationId,
  };
  return runAction({ ...all, ...inputs }, lab.emu);
}

// Every output of the contract but the correlation id, which every ARM run sets to a fresh UUID.
const OUTPUT_NAMES = OUTPUTS.filter(
  (name): name is Exclude<OutputName, 'correlation-id'> => name !== 'correlation-id',
);

type PlainOutput = Exclude<(typeof OUTPUT_NAMES)[number], 'result' | 'logs-file'>;

/** What an output is when the exchange does not set it. */
const UNSET = Object.fromEntries(
  OUTPUT_NAMES.filter((name) => name !== 'result' && name !== 'logs-file').map((name) => [
    name,
    '',
  ]),
) as Record<PlainOutput, string>;

/**
 * Every output of the action, each one asserted: the ones named here, and every other one empty
 * (`logs-file` by the content of the file it names).
 */
function assertOutputs(
  run: ActionRun,
  expected: Partial<Record<PlainOutput, string>> & {
    status: string;
    result: unknown;
    logsFile?: string;
  },
): void {
  for (const name of OUTPUT_NAMES) assert.ok(name in run.outputs, `output ${name} is written`);
  const { result, logsFile, ...named } = expected;
  for (const [name, value] of Object.entries({ ...UNSET, ...named }))
    assert.equal(run.outputs[name], value, `output ${name}`);
  assert.deepEqual(JSON.parse(run.outputs.result!), result);
  if (logsFile === undefined) assert.equal(run.outputs['logs-file'], '');
  else assert.equal(readFileSync(run.outputs['logs-file']!, 'utf8'), logsFile);
}

function errors(run: ActionRun): string[] {
  return workflowCommands(run.stdout).filter((line) => /^::(error|warning)/.test(line));
}

describe('replays of recorded live exchanges', { concurrency: true }, () => {
  it('az aks command invoke (2022): 202 empty, Running with only its state, then 200', async () => {
    const c = recordedCluster();
    const { post, result, finalBody } = runCommandRules(lab.emu.armEndpoint, c);
    const [posted, polled] = script([post, result]);
    const run = await runAction(
      { cluster: clusterPath(c), command: 'kubectl get pods -A', 'poll-interval': 'auto' },
      lab.emu,
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assertOutputs(run, {
      status: 'Succeeded',
      'exit-code': '0',
      logs: RUN_COMMAND.logs,
      logsFile: RUN_COMMAND.logs,
      'command-id': RUN_COMMAND.commandId,
      'started-at': RUN_COMMAND.startedAt,
      'finished-at': RUN_COMMAND.finishedAt,
      result: finalBody,
    });
    assert.equal(posted!.handle.served(), 1);
    assert.equal(polled!.handle.served(), 2, 'one Running answer, then the result');
    assert.deepEqual(errors(run), []);
    assert.match(run.stdout, /^poll 1: Running · /m);
    assert.match(run.summary, /<h3>✅ run-command passed: Succeeded, exit code 0<\/h3>/);
  });

  it('az aks operation-abort (2025): 202 with the cluster and signed URLs, InProgress → Succeeded', async () => {
    const c = recordedCluster();
    const { rules, finalStatus } = abort202Rules(c, (path) => lab.emu.signOperationUrl(path));
    const [cluster, posted, status] = script(rules);
    const run = await runAction({ operation: 'abort', cluster: clusterPath(c) }, lab.emu);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assertOutputs(run, {
      status: 'Canceled',
      'operation-id': ABORT_202.operationId,
      'started-at': ABORT_202.startTime,
      'finished-at': ABORT_202.endTime,
      result: finalStatus,
    });
    assert.equal(posted!.handle.served(), 1);
    assert.equal(status!.handle.served(), 2, 'InProgress, then Succeeded');
    assert.equal(cluster!.handle.served(), 2, 'the cluster before the abort and after it');
    // The signed URL is used exactly as given.
    const polls = lab.emu.requests.filter((r) =>
      r.path.includes(`/operations/${ABORT_202.operationId}`),
    );
    assert.equal(polls.length, 2);
    for (const poll of polls)
      assert.match(poll.path, /\?api-version=2016-03-30&t=\d+&c=[\w-]+&s=[\w-]+&h=[\w-]+$/);
    assert.deepEqual(errors(run), []);
    assert.match(run.stdout, /^The cluster is Creating\.$/m);
    assert.match(run.stdout, /^poll 1: InProgress · /m);
    assert.match(run.summary, /<h3>✅ abort passed: Canceled<\/h3>/);
    assert.match(
      run.summary,
      /The creation was aborted; the cluster is Canceled\. Nothing is rolled back\./,
    );
  });

  it('abort answered 204 (official example): the cluster is watched to Canceled', async () => {
    const c = recordedCluster('eastus');
    const [cluster, posted] = script(abort204Rules(c));
    const run = await runAction(
      { operation: 'abort', cluster: clusterPath(c), 'poll-interval': '0.5' },
      lab.emu,
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const final = JSON.parse(run.outputs.result!) as { properties: { provisioningState: string } };
    assertOutputs(run, {
      status: 'Canceled',
      result: final,
    });
    assert.equal(final.properties.provisioningState, 'Canceled');
    assert.equal(posted!.handle.served(), 1);
    assert.equal(cluster!.handle.served(), 3, 'before, Canceling, Canceled');
    assert.match(run.stdout, /^The cluster is Upgrading\.$/m);
    assert.match(run.summary, /The upgrade was aborted; the cluster is Canceled\./);
  });

  it('operation status in progress (official example): 40 %, not waiting', async () => {
    const c = recordedCluster();
    const body = OPERATION_IN_PROGRESS.body(c);
    const read = scriptOperation(c, OPERATION_IN_PROGRESS.operationId, body);
    const run = await watchOperation(c, OPERATION_IN_PROGRESS.operationId, { wait: 'false' });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assertOutputs(run, {
      status: 'InProgress',
      'operation-id': OPERATION_IN_PROGRESS.operationId,
      'started-at': '2023-07-26T12:14:26.3179428Z',
      'percent-complete': '40',
      result: body,
    });
    assert.equal(read.handle.served(), 1);
    assert.match(run.stdout, /is InProgress \(40% complete\); not waiting/);
  });

  it('operation status failed (official example): Failed with its error in reason', async () => {
    const c = recordedCluster();
    const body = OPERATION_FAILED.body(c);
    const read = scriptOperation(c, OPERATION_FAILED.operationId, body);
    const run = await watchOperation(c, OPERATION_FAILED.operationId, {});
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assertOutputs(run, {
      status: 'Failed',
      'operation-id': OPERATION_FAILED.operationId,
      reason: 'ReconcileAgentPoolIdentityError: Reconcile agent pool nodepool1 identity failed',
      'started-at': '2023-07-26T12:14:26.3179428Z',
      'finished-at': '2023-07-26T12:14:50.3179428Z',
      result: body,
    });
    assert.equal(read.handle.served(), 1);
    assert.deepEqual(errors(run), [
      '::error::The operation ended Failed: ReconcileAgentPoolIdentityError: Reconcile agent pool nodepool1 identity failed.',
    ]);
  });

  it('command results in lower case (official examples): succeeded, then failed with no exit code', async () => {
    const c = recordedCluster();
    const path = `${clusterPath(c)}/commandResults/${COMMAND_RESULTS.commandId}`;
    const [read] = script([
      {
        method: 'GET',
        path,
        answers: [
          { status: 200, body: COMMAND_RESULTS.succeeded },
          { status: 200, body: COMMAND_RESULTS.failed },
        ],
      },
    ]);
    const inputs = {
      operation: 'command-result',
      cluster: clusterPath(c),
      'command-id': COMMAND_RESULTS.commandId,
    };
    const ok = await runAction(inputs, lab.emu);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assertOutputs(ok, {
      status: 'Succeeded',
      'exit-code': '0',
      logs: 'namespace dummy created',
      logsFile: 'namespace dummy created',
      'command-id': COMMAND_RESULTS.commandId,
      'started-at': '2021-02-17T00:28:20Z',
      'finished-at': '2021-02-17T00:28:33Z',
      result: COMMAND_RESULTS.succeeded,
    });
    const failed = await runAction(inputs, lab.emu);
    assert.equal(failed.code, 1, failed.stdout + failed.stderr);
    assertOutputs(failed, {
      status: 'Failed',
      logsFile: '',
      'command-id': COMMAND_RESULTS.commandId,
      reason: 'ImagePullBackoff',
      result: COMMAND_RESULTS.failed,
    });
    assert.equal(read!.handle.served(), 2);
    assert.match(failed.stdout, /^::error::The command failed to run: ImagePullBackoff\./m);
  });

  it('Service Fabric fault list (official example): cancels of finished operations pass with a warning', async () => {
    const gw = await lab.gateway();
    for (const entry of FAULT_LIST) {
      gw.addFaultOperation({
        operationId: entry.OperationId,
        type: entry.Type,
        durationSeconds: 0,
        endState: entry.State,
      });
    }
    // The only documented answer to the cancel: 200 with an empty body.
    gw.inject({ path: '/Faults/$/Cancel', times: 2, fault: { status: 200 } });
    const certificate = adminPem(gw);
    const cancel = (operationId: string) =>
      runAction(cancelFaultInputs(gw, operationId, certificate), undefined, {
        env: { NODE_EXTRA_CA_CERTS: lab.emu.caPath },
      });
    for (const entry of [FAULT_LIST[6], FAULT_LIST[3]]) {
      const run = await cancel(entry.OperationId);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assertOutputs(run, {
        status: entry.State,
        'operation-id': entry.OperationId,
        result: entry,
      });
      assert.deepEqual(errors(run), [
        `::warning::The fault operation ended ${entry.State} before the cancel took effect: nothing was cancelled.`,
      ]);
    }
    // The list is read with both filters, as the fault list must always be.
    const lists = gw.requests.filter((r) => r.method === 'GET' && r.path === '/Faults/');
    assert.ok(lists.length >= 2, JSON.stringify(gw.requests.map((r) => r.path)));
    for (const list of lists) {
      assert.equal(list.query.TypeFilter, '65535');
      assert.equal(list.query.StateFilter, '65535');
    }
  });
});
