import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ClusterSpec } from '../../emulator/index.ts';
import { emulatorPerFile } from '../helpers/emulator.ts';
import { runAction } from '../helpers/action.ts';
import { workflowCommands } from '../../harness/workflow-commands.ts';

const lab = emulatorPerFile();

/** A cluster in the middle of an upgrade that takes a minute: long enough to be aborted. */
function upgrading(operation: Partial<NonNullable<ClusterSpec['operation']>> = {}) {
  const n = lab.seq();
  const name = `aks-abort-${n}`;
  const handle = lab.emu.addCluster({
    resourceGroup: 'rg-e2e-abort',
    name,
    operation: { durationSeconds: 60, cancelSeconds: 2, ...operation },
  });
  return { ...handle, name };
}

/** ARM calls on the cluster's own paths (the cluster, abort, operations/{id}). */
function requestsFor(name: string, kind: string) {
  return lab.emu.requests.filter(
    (r) =>
      r.kind === kind && r.path.toLowerCase().includes(`/managedclusters/${name.toLowerCase()}`),
  );
}

/** Polls of the location-level status URLs of one operation. */
function statusPolls(operationId: string) {
  return lab.emu.requests.filter(
    (r) =>
      (r.kind === 'operationStatus' || r.kind === 'operationLocation') &&
      r.path.includes(operationId),
  );
}

/** ::error:: and ::warning:: annotations (the ::add-mask:: lines for the tokens are expected). */
function annotations(stdout: string): string[] {
  return workflowCommands(stdout).filter((line) => /^::(error|warning)/.test(line));
}

function abortRun(resourceId: string, inputs: Record<string, string> = {}) {
  return runAction(
    { operation: 'abort', cluster: resourceId, 'poll-interval': '1', ...inputs },
    lab.emu,
  );
}

function pollLines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => /^poll \d+: /.test(line));
}

// Every run waits a couple of seconds for the emulator's cancellation: run them side by side.
describe('abort end to end', { concurrency: true }, () => {
  it('202 as live: status Canceled when the abort status ends Succeeded, id from the URL', async () => {
    const c = upgrading({ abort: 'async' });
    const run = await abortRun(c.resourceId);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    // The abort's status resource ends Succeeded; the cluster's operation ended Canceled.
    assert.equal(run.outputs.status, 'Canceled');
    const abortCalls = requestsFor(c.name, 'abort');
    assert.equal(abortCalls.length, 1);
    assert.equal(abortCalls[0]!.method, 'POST');
    assert.match(abortCalls[0]!.path, /\/abort\?api-version=2024-05-01$/);
    // operation-id is the abort's own id, as its signed Azure-AsyncOperation URL names it.
    const abortId = run.outputs['operation-id']!;
    assert.match(abortId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.notEqual(abortId, c.operationId);
    const polls = statusPolls(abortId);
    assert.ok(polls.length >= 2, `${polls.length} polls`);
    for (const poll of polls) {
      assert.equal(poll.kind, 'operationStatus');
      assert.match(
        poll.path,
        /\/locations\/eastus\/operations\/[^?]+\?api-version=2016-03-30&t=\d+&c=[\w-]+&s=[\w-]+&h=[\w-]+$/,
      );
    }
    assert.match(run.outputs['started-at']!, /^\d{4}-\d\d-\d\dT/);
    assert.match(run.outputs['finished-at']!, /^\d{4}-\d\d-\d\dT/);
    const result = JSON.parse(run.outputs.result!);
    assert.equal(result.status, 'Succeeded');
    assert.notEqual(result.name, abortId, 'the body names the id byte-swapped');
    assert.match(run.stdout, /The cluster is Upgrading \(Kubernetes 1\.31\.7 → 1\.32\)\./);
    assert.match(run.stdout, /Following the abort through its Azure-AsyncOperation URL/);
    const pollLog = pollLines(run.stdout);
    assert.match(pollLog[0]!, /^poll 1: InProgress · .*next poll in/);
    assert.match(pollLog.at(-1)!, /: Succeeded · .* · final$/);
    assert.deepEqual(annotations(run.stdout), []);
    // The summary says in plain words what happened.
    assert.match(
      run.summary,
      /Cluster state before abort<\/th><td>Upgrading \(Kubernetes 1\.31\.7 → 1\.32\)/,
    );
    assert.match(
      run.summary,
      /The upgrade was aborted; the cluster is Canceled\. Nothing is rolled back\./,
    );
    assert.match(run.summary, /abort passed: Canceled/);
    // One read before the abort, one after it to say how the cluster ended.
    assert.equal(requestsFor(c.name, 'cluster').length, 2);
  });

  it('202 whose abort fails: status Failed with the service error, the step fails', async () => {
    const c = upgrading({
      abort: 'failed',
      abortError: {
        code: 'OperationNotAllowed',
        message: 'The upgrade is past its point of no return.',
      },
    });
    const run = await abortRun(c.resourceId);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(run.outputs.status, 'Failed');
    assert.equal(
      run.outputs.reason,
      'OperationNotAllowed: The upgrade is past its point of no return.',
    );
    assert.match(
      run.stdout,
      /^::error::The abort failed: OperationNotAllowed: The upgrade is past its point of no return\.$/m,
    );
    assert.match(run.summary, /abort failed: Failed/);
  });

  it('no version change when the requested version is the running one at its precision', async () => {
    const n = lab.seq();
    const c = lab.emu.addCluster({
      resourceGroup: 'rg-e2e-abort',
      name: `aks-abort-${n}`,
      kubernetesVersion: '1.31',
      currentKubernetesVersion: '1.31.7',
      operation: { name: 'Create', durationSeconds: 60, cancelSeconds: 1 },
    });
    const run = await abortRun(c.resourceId);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.status, 'Canceled');
    assert.match(run.stdout, /^The cluster is Creating\.$/m);
    assert.doesNotMatch(run.stdout + run.summary, /→/);
    assert.match(run.summary, /Cluster state before abort<\/th><td>Creating<\/td>/);
    assert.match(run.summary, /The creation was aborted; the cluster is Canceled\./);
  });

  it('202: never polls before the Retry-After of the abort and of each status answer', async () => {
    const c = upgrading({ abort: 'async', abortRetryAfter: 2, cancelSeconds: 3 });
    const run = await abortRun(c.resourceId);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.status, 'Canceled');
    const post = requestsFor(c.name, 'abort')[0]!;
    const polls = statusPolls(run.outputs['operation-id']!);
    assert.ok(polls.length >= 2, `${polls.length} polls`);
    const times = [post.time, ...polls.map((r) => r.time)];
    for (let i = 1; i < times.length; i++) {
      const gap = times[i]! - times[i - 1]!;
      assert.ok(
        gap >= 2000,
        `poll ${i} came ${gap} ms after the previous answer (Retry-After 2 s)`,
      );
    }
    assert.match(pollLines(run.stdout)[0]!, /next poll in 2\.0s/);
  });

  it('204: watches the cluster until it leaves Canceling; its final state is the status', async () => {
    const c = upgrading({ abort: 'no-content' });
    const run = await abortRun(c.resourceId);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.status, 'Canceled');
    assert.match(
      run.stdout,
      /Abort accepted \(204\): watching the cluster until it leaves Canceling/,
    );
    const polls = pollLines(run.stdout);
    assert.match(polls[0]!, /^poll 1: Canceling /);
    assert.match(polls.at(-1)!, /: Canceled · .* · final$/);
    assert.equal(JSON.parse(run.outputs.result!).properties.provisioningState, 'Canceled');
    assert.equal(run.outputs['operation-id'], '', '204 names no operation');
    assert.equal(statusPolls(c.operationId!).length, 0);
    // One read before the abort, then the polls of the cluster.
    assert.equal(requestsFor(c.name, 'cluster').length, 1 + polls.length);
    assert.match(
      run.summary,
      /The upgrade was aborted; the cluster is Canceled\. Nothing is rolled back\./,
    );
  });

  it('409: AlreadyCompleted passes with a warning that the operation finished first', async () => {
    const c = upgrading({ abort: 'conflict' });
    const run = await runAction({ operation: 'abort', cluster: c.resourceId }, lab.emu);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.status, 'AlreadyCompleted');
    assert.match(run.outputs.reason!, /^OperationNotAllowed: Cancel operation is not allowed/);
    const warnings = annotations(run.stdout);
    assert.equal(warnings.length, 1, run.stdout);
    assert.match(warnings[0]!, /^::warning::/);
    assert.match(warnings[0]!, /finished before it could be cancelled/);
    assert.match(run.summary, /abort passed with a warning: AlreadyCompleted/);
    assert.equal(pollLines(run.stdout).length, 0);
  });

  it('wait: false returns Accepted with the operation id, without polling', async () => {
    const c = upgrading({ abort: 'async' });
    const run = await runAction(
      { operation: 'abort', cluster: c.resourceId, wait: 'false' },
      lab.emu,
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.status, 'Accepted');
    const abortId = run.outputs['operation-id']!;
    assert.match(abortId, /^[0-9a-f-]{36}$/);
    assert.equal(pollLines(run.stdout).length, 0);
    assert.equal(statusPolls(abortId).length, 0);
    // The abort did go through: the cluster is now on its way to Canceled.
    const watch = await runAction(
      { operation: 'operation-status', cluster: c.resourceId, 'poll-interval': '1' },
      lab.emu,
    );
    assert.equal(watch.outputs.status, 'Canceled');
    assert.equal(watch.outputs['operation-id'], c.operationId);
    assert.equal(watch.code, 1, 'operation-status fails on Canceled');
  });

  it('keeps an api-version override on the abort and its cluster read', async () => {
    const c = upgrading({ abort: 'async' });
    const run = await runAction(
      {
        operation: 'abort',
        cluster: c.resourceId,
        'api-version': '2024-09-01',
        'poll-interval': '1',
      },
      lab.emu,
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(requestsFor(c.name, 'abort')[0]!.path, /api-version=2024-09-01$/);
    assert.match(requestsFor(c.name, 'cluster')[0]!.path, /api-version=2024-09-01$/);
  });
});
