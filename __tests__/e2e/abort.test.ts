import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClusterHandle, ClusterSpec, OperationSpec } from '../../emulator/index.ts';
import { emulatorPerFile } from '../helpers/emulator.ts';
import { runAction, type ActionRun } from '../helpers/action.ts';
import { annotations, assertPassed, pollLines } from '../helpers/e2e.ts';

const lab = emulatorPerFile({ clusters: { resourceGroup: 'rg-e2e-abort', prefix: 'aks-abort' } });

type Cluster = ClusterHandle & { name: string };

/** The abort's status polls (Azure-AsyncOperation or Location URLs naming `operationId`). */
function statusPolls(operationId: string) {
  return lab.emu.requests.filter(
    (r) =>
      (r.kind === 'operationStatus' || r.kind === 'operationLocation') &&
      r.path.includes(operationId),
  );
}

/**
 * One abort: a cluster in the middle of an upgrade that takes a minute (long enough to be
 * aborted) with the case's operation, the action's inputs, then the step's exit code and status.
 */
interface AbortCase {
  name: string;
  operation?: Partial<OperationSpec>;
  cluster?: Partial<ClusterSpec>;
  inputs?: Record<string, string>;
  code: 0 | 1;
  status: string;
  then: (run: ActionRun, c: Cluster) => void | Promise<void>;
}

const CASES: AbortCase[] = [
  {
    name: '202 as live: status Canceled when the abort status ends Succeeded, id from the URL',
    operation: { abort: 'async' },
    code: 0,
    // The abort's status resource ends Succeeded; the cluster's operation ended Canceled.
    status: 'Canceled',
    then(run, c) {
      const abortCalls = lab.requestsFor(c.name, 'abort');
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
      assert.equal(lab.requestsFor(c.name, 'cluster').length, 2);
    },
  },
  {
    name: '202 whose abort fails: status Failed with the service error, the step fails',
    operation: {
      abort: 'failed',
      abortError: {
        code: 'OperationNotAllowed',
        message: 'The upgrade is past its point of no return.',
      },
    },
    code: 1,
    status: 'Failed',
    then(run) {
      assert.equal(
        run.outputs.reason,
        'OperationNotAllowed: The upgrade is past its point of no return.',
      );
      assert.match(
        run.stdout,
        /^::error::The abort failed: OperationNotAllowed: The upgrade is past its point of no return\.$/m,
      );
      assert.match(run.summary, /abort failed: Failed/);
    },
  },
  {
    name: 'no version change when the requested version is the running one at its precision',
    cluster: { kubernetesVersion: '1.31', currentKubernetesVersion: '1.31.7' },
    operation: { name: 'Create', cancelSeconds: 1 },
    code: 0,
    status: 'Canceled',
    then(run) {
      assert.match(run.stdout, /^The cluster is Creating\.$/m);
      assert.doesNotMatch(run.stdout + run.summary, /→/);
      assert.match(run.summary, /Cluster state before abort<\/th><td>Creating<\/td>/);
      assert.match(run.summary, /The creation was aborted; the cluster is Canceled\./);
    },
  },
  {
    name: '202: never polls before the Retry-After of the abort and of each status answer',
    operation: { abort: 'async', abortRetryAfter: 2, cancelSeconds: 3 },
    code: 0,
    status: 'Canceled',
    then(run, c) {
      const post = lab.requestsFor(c.name, 'abort')[0]!;
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
    },
  },
  {
    name: '204: watches the cluster until it leaves Canceling; its final state is the status',
    operation: { abort: 'no-content' },
    code: 0,
    status: 'Canceled',
    then(run, c) {
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
      assert.equal(lab.requestsFor(c.name, 'cluster').length, 1 + polls.length);
      assert.match(
        run.summary,
        /The upgrade was aborted; the cluster is Canceled\. Nothing is rolled back\./,
      );
    },
  },
  {
    name: '409: AlreadyCompleted passes with a warning that the operation finished first',
    operation: { abort: 'conflict' },
    inputs: { 'poll-interval': '' },
    code: 0,
    status: 'AlreadyCompleted',
    then(run) {
      assert.match(run.outputs.reason!, /^OperationNotAllowed: Cancel operation is not allowed/);
      const warnings = annotations(run.stdout);
      assert.equal(warnings.length, 1, run.stdout);
      assert.match(warnings[0]!, /^::warning::/);
      assert.match(warnings[0]!, /finished before it could be cancelled/);
      assert.match(run.summary, /abort passed with a warning: AlreadyCompleted/);
      assert.equal(pollLines(run.stdout).length, 0);
    },
  },
  {
    name: 'wait: false returns Accepted with the operation id, without polling',
    operation: { abort: 'async' },
    inputs: { 'poll-interval': '', wait: 'false' },
    code: 0,
    status: 'Accepted',
    async then(run, c) {
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
    },
  },
  {
    name: 'keeps an api-version override on the abort and its cluster read',
    operation: { abort: 'async' },
    inputs: { 'api-version': '2024-09-01' },
    code: 0,
    status: 'Canceled',
    then(_run, c) {
      assert.match(lab.requestsFor(c.name, 'abort')[0]!.path, /api-version=2024-09-01$/);
      assert.match(lab.requestsFor(c.name, 'cluster')[0]!.path, /api-version=2024-09-01$/);
    },
  },
];

// Every run waits a couple of seconds for the emulator's cancellation: run them side by side.
describe('abort end to end', { concurrency: true }, () => {
  for (const t of CASES) {
    it(t.name, async () => {
      const c = lab.cluster({
        ...t.cluster,
        operation: { durationSeconds: 60, cancelSeconds: 2, ...t.operation },
      });
      const run = await runAction(
        { operation: 'abort', cluster: c.resourceId, 'poll-interval': '1', ...t.inputs },
        lab.emu,
      );
      if (t.code === 0) assertPassed(run, t.status);
      else {
        assert.equal(run.code, 1, run.stdout + run.stderr);
        assert.equal(run.outputs.status, t.status);
      }
      await t.then(run, c);
    });
  }
});
