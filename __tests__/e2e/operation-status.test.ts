import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { emulatorPerFile } from '../helpers/emulator.ts';
import { runAction, type ActionRun } from '../helpers/action.ts';
import { annotations, pollLines } from '../helpers/e2e.ts';

const lab = emulatorPerFile({ clusters: { resourceGroup: 'rg-e2e-ops', prefix: 'aks-ops' } });

function watch(resourceId: string, inputs: Record<string, string> = {}): Promise<ActionRun> {
  return runAction(
    { operation: 'operation-status', cluster: resourceId, 'poll-interval': '1', ...inputs },
    lab.emu,
  );
}

// Every run watches an operation of a few seconds: run them side by side.
describe('operation-status end to end', { concurrency: true }, () => {
  it('waits for the latest operation to succeed, showing its progress', async () => {
    const c = lab.cluster({ operation: { durationSeconds: 5 } });
    const run = await watch(c.resourceId);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.status, 'Succeeded');
    assert.equal(run.outputs['operation-id'], c.operationId);
    assert.equal(run.outputs['percent-complete'], '100');
    assert.equal(run.outputs.reason, '');
    assert.match(run.outputs['started-at']!, /^\d{4}-\d\d-\d\dT/);
    assert.match(run.outputs['finished-at']!, /^\d{4}-\d\d-\d\dT/);
    assert.equal(JSON.parse(run.outputs.result!).status, 'Succeeded');
    const polls = pollLines(run.stdout);
    assert.ok(polls.length >= 3, run.stdout);
    assert.match(polls[0]!, /^poll 1: InProgress · elapsed .* · \[[#-]{20}\] \d+% · next poll in /);
    assert.match(polls.at(-1)!, /: Succeeded · .* · \[#{20}\] 100% · final$/);
    assert.deepEqual(annotations(run.stdout), []);
    assert.match(run.summary, /operation-status passed: Succeeded/);
    assert.match(run.summary, /Progress<\/th><td>\[#{20}\] 100%/);
    // latest by default, in the preview API version operations/{id} needs.
    const calls = lab.requestsFor(c.name, 'operations');
    assert.equal(calls.length, polls.length);
    assert.match(calls[0]!.path, /\/operations\/latest\?api-version=2025-05-02-preview$/);
  });

  it('reads an explicit operation id', async () => {
    const id = randomUUID();
    const c = lab.cluster({ operation: { id, durationSeconds: 1 } });
    const run = await watch(c.resourceId, { 'operation-id': id });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.status, 'Succeeded');
    assert.equal(run.outputs['operation-id'], id);
    assert.ok(
      lab.requestsFor(c.name, 'operations').every((r) => r.path.includes(`/operations/${id}?`)),
    );
  });

  it('fails the step when the operation fails, with its error code in reason', async () => {
    const c = lab.cluster({
      operation: {
        durationSeconds: 1,
        outcome: 'Failed',
        error: { code: 'NodesNotReady', message: 'Node aks-pool-1 did not become ready.' },
      },
    });
    const run = await watch(c.resourceId);
    assert.equal(run.code, 1, run.stdout);
    assert.equal(run.outputs.status, 'Failed');
    assert.equal(run.outputs.reason, 'NodesNotReady: Node aks-pool-1 did not become ready.');
    assert.match(
      annotations(run.stdout)[0]!,
      /^::error::The operation ended Failed: NodesNotReady/,
    );
    assert.match(run.summary, /operation-status failed: Failed/);
    assert.match(run.summary, /NodesNotReady/);
  });

  it('fails the step when the operation was canceled', async () => {
    const c = lab.cluster({ operation: { durationSeconds: 1, outcome: 'Canceled' } });
    const run = await watch(c.resourceId);
    assert.equal(run.code, 1, run.stdout);
    assert.equal(run.outputs.status, 'Canceled');
    assert.match(run.stdout, /^::error::The operation ended Canceled/m);
  });

  it('treats a status word it does not know as still running', async () => {
    const c = lab.cluster({ operation: { durationSeconds: 6, statusWord: 'Preparing' } });
    const run = await watch(c.resourceId);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.status, 'Succeeded');
    const polls = pollLines(run.stdout);
    assert.match(polls[0]!, /^poll 1: Preparing · .*next poll in/);
    assert.match(polls.at(-1)!, /: Succeeded · /);
  });

  it('fails clearly, naming operation-id, when the operation does not exist', async () => {
    const c = lab.cluster({ operation: { durationSeconds: 30 } });
    const missing = randomUUID();
    const run = await watch(c.resourceId, { 'operation-id': missing });
    assert.equal(run.code, 1, run.stdout);
    assert.equal(run.outputs.status, 'Failed');
    const [error] = annotations(run.stdout);
    assert.match(error!, new RegExp(`^::error::operation-id ${missing}: no such operation`));
    assert.match(error!, /HTTP 404/);
    assert.match(error!, /Fix: Check operation-id/);
    assert.equal(lab.requestsFor(c.name, 'operations').length, 1, 'a 404 is not retried');
  });

  it('operation-id is the id of the URL, not the byte-swapped name of the body', async () => {
    const c = lab.cluster({
      operation: { durationSeconds: 600, id: '39ea42e5-ab8d-41b1-9c3e-5f0c1a2b3c4d' },
    });
    const run = await watch(c.resourceId, { wait: 'false' });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const result = JSON.parse(run.outputs.result!);
    // As the live service: the GUID's first three groups byte-swapped in `name`.
    assert.equal(result.name, 'e542ea39-8dab-b141-9c3e-5f0c1a2b3c4d');
    assert.match(result.id, /\/operations\/39ea42e5-ab8d-41b1-9c3e-5f0c1a2b3c4d$/);
    assert.equal(run.outputs['operation-id'], '39ea42e5-ab8d-41b1-9c3e-5f0c1a2b3c4d');
    const named = await watch(c.resourceId, {
      wait: 'false',
      'operation-id': '39ea42e5-ab8d-41b1-9c3e-5f0c1a2b3c4d',
    });
    assert.equal(named.outputs['operation-id'], '39ea42e5-ab8d-41b1-9c3e-5f0c1a2b3c4d');
  });

  it('fails clearly when the cluster has no operation at all (latest)', async () => {
    const c = lab.cluster();
    const run = await watch(c.resourceId);
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stdout, /^::error::operation-id latest: cluster aks-ops-\d+ has no recorded/m);
  });

  it('wait: false reads once and reports the current status', async () => {
    const c = lab.cluster({ operation: { durationSeconds: 30 } });
    const run = await watch(c.resourceId, { wait: 'false' });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.status, 'InProgress');
    assert.equal(run.outputs['operation-id'], c.operationId);
    assert.match(run.outputs['percent-complete']!, /^\d+$/);
    assert.equal(run.outputs['finished-at'], '');
    assert.equal(lab.requestsFor(c.name, 'operations').length, 1);
    assert.match(run.stdout, /is InProgress \(\d+% complete\); not waiting \(wait: false\)/);
    assert.match(run.summary, /operation-status passed: InProgress/);
  });

  it('wait: false still fails on an operation that already failed', async () => {
    const c = lab.cluster({ operation: { durationSeconds: 0, outcome: 'Failed' } });
    const run = await watch(c.resourceId, { wait: 'false' });
    assert.equal(run.code, 1, run.stdout);
    assert.equal(run.outputs.status, 'Failed');
    assert.match(run.outputs.reason!, /^UpgradeFailed: /);
  });

  it('keeps a stable api-version away from operations/{id}, with a warning', async () => {
    const c = lab.cluster({ operation: { durationSeconds: 0 } });
    const run = await watch(c.resourceId, { 'api-version': '2024-05-01' });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.status, 'Succeeded');
    assert.match(
      annotations(run.stdout)[0]!,
      /^::warning::api-version 2024-05-01 is not a preview/,
    );
    assert.match(lab.requestsFor(c.name, 'operations')[0]!.path, /api-version=2025-05-02-preview$/);
    const preview = lab.cluster({ operation: { durationSeconds: 0 } });
    const other = await watch(preview.resourceId, { 'api-version': '2025-06-02-preview' });
    assert.equal(other.code, 0, other.stdout);
    assert.deepEqual(annotations(other.stdout), []);
    assert.match(
      lab.requestsFor(preview.name, 'operations')[0]!.path,
      /api-version=2025-06-02-preview$/,
    );
  });

  it('stops at the timeout with TimedOut and the operation id', async () => {
    const c = lab.cluster({ operation: { durationSeconds: 60 } });
    // The action's timeout counts from its own start (sign-in included): it must leave room for
    // a first read on a loaded machine, where a dozen runs of this file start side by side.
    const run = await watch(c.resourceId, { timeout: '6s' });
    assert.equal(run.code, 1, run.stdout);
    assert.equal(run.outputs.status, 'TimedOut');
    assert.equal(run.outputs['operation-id'], c.operationId);
    assert.match(run.outputs['percent-complete']!, /^\d+$/);
  });
});
