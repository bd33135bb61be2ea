// abort and operation-status on one node pool (agent pool) of a cluster, as
// `az aks nodepool operation-abort` does: same outputs, same failure rules, the pool in the summary.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodePoolSpec, OperationSpec } from '../../emulator/index.ts';
import { emulatorPerFile } from '../helpers/emulator.ts';
import { runAction } from '../helpers/action.ts';
import { assertPassed, errorLine } from '../helpers/e2e.ts';

const lab = emulatorPerFile({ clusters: { resourceGroup: 'rg-e2e-pools', prefix: 'aks-pool' } });

/** A cluster whose node pool np1 runs `operation`; the cluster itself runs nothing. */
function clusterWithPool(operation: Partial<OperationSpec>, pool: Partial<NodePoolSpec> = {}) {
  const handle = lab.cluster({
    nodePools: [
      { name: 'np1', operation: { durationSeconds: 60, cancelSeconds: 2, ...operation }, ...pool },
      { name: 'system' },
    ],
  });
  return { ...handle, pool: handle.nodePools.np1! };
}

function pathOf(path: string): string {
  return path.split('?')[0]!.replace(/^.*\/managedClusters\/[^/]+/i, '');
}

/** The abort of node pool np1's operation. */
function abortPool(resourceId: string, inputs: Record<string, string> = {}) {
  return runAction(
    { operation: 'abort', cluster: resourceId, 'node-pool': 'np1', ...inputs },
    lab.emu,
  );
}

describe('node pools', { concurrency: true }, () => {
  it('abort (202): aborts the node pool operation and follows it to Canceled', async () => {
    const c = clusterWithPool({ abort: 'async' });
    const run = await abortPool(c.resourceId, { 'poll-interval': '1' });
    assertPassed(run, 'Canceled');
    // operation-id is the abort's own id, named by its polling URL, not the pool's operation.
    assert.match(
      run.outputs['operation-id']!,
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    assert.notEqual(run.outputs['operation-id'], c.pool.operationId);
    const calls = lab.requestsFor(c.name).map((r) => `${r.method} ${pathOf(r.path)}`);
    // Read before (what runs) and after (the state the pool's operation ended in).
    assert.deepEqual(calls, [
      'GET /agentPools/np1',
      'POST /agentPools/np1/abort',
      'GET /agentPools/np1',
    ]);
    const post = lab.requestsFor(c.name).find((r) => r.method === 'POST')!;
    assert.match(post.path, /\/agentPools\/np1\/abort\?api-version=2024-05-01$/);
    assert.match(run.stdout, /The node pool is Upgrading\./);
    assert.match(
      run.stdout,
      /Aborting the running operation on node pool np1 of cluster aks-pool-/,
    );
    assert.match(run.summary, /<th align="left">Node pool<\/th><td>np1<\/td>/);
    assert.match(run.summary, /Node pool state before abort<\/th><td>Upgrading/);
    assert.match(run.summary, /abort passed: Canceled/);
  });

  it('abort (204): watches the node pool until it leaves Canceling', async () => {
    const c = clusterWithPool({ abort: 'no-content' });
    const run = await abortPool(c.resourceId, { 'poll-interval': '1' });
    assertPassed(run, 'Canceled');
    assert.match(
      run.stdout,
      /Abort accepted \(204\): watching the node pool until it leaves Canceling/,
    );
    const reads = lab.requestsFor(c.name).filter((r) => r.method === 'GET');
    assert.ok(reads.length >= 2);
    assert.ok(
      reads.every((r) => pathOf(r.path) === '/agentPools/np1'),
      'only the pool is read',
    );
    assert.equal(JSON.parse(run.outputs.result!).properties.provisioningState, 'Canceled');
  });

  it('abort (409): the node pool operation finished first', async () => {
    const c = clusterWithPool({ abort: 'conflict' });
    const run = await abortPool(c.resourceId);
    assertPassed(run, 'AlreadyCompleted');
    assert.match(run.summary, /Node pool<\/th><td>np1</);
  });

  it('operation-status: reads the node pool operation until it ends; Failed fails the step', async () => {
    const c = clusterWithPool({
      durationSeconds: 2,
      outcome: 'Failed',
      error: {
        code: 'ReconcileAgentPoolIdentityError',
        message: 'The identity could not be attached.',
      },
    });
    const run = await runAction(
      {
        operation: 'operation-status',
        cluster: c.resourceId,
        'node-pool': 'np1',
        'poll-interval': '1',
      },
      lab.emu,
    );
    assert.equal(run.code, 1, run.stdout);
    assert.equal(run.outputs.status, 'Failed');
    assert.equal(run.outputs['operation-id'], c.pool.operationId);
    assert.equal(
      run.outputs.reason,
      'ReconcileAgentPoolIdentityError: The identity could not be attached.',
    );
    const reads = lab.requestsFor(c.name);
    assert.ok(reads.length >= 1);
    for (const r of reads) {
      assert.equal(pathOf(r.path), '/agentPools/np1/operations/latest');
      assert.match(r.path, /api-version=2025-05-02-preview$/);
    }
    assert.match(run.stdout, /Reading operation latest of node pool np1 of cluster/);
    assert.match(run.summary, /Node pool<\/th><td>np1</);
  });

  it('a node pool the cluster does not have: the service error, with its request id', async () => {
    const c = clusterWithPool({});
    const run = await runAction(
      { operation: 'operation-status', cluster: c.resourceId, 'node-pool': 'np9' },
      lab.emu,
    );
    assert.equal(run.code, 1);
    assert.match(errorLine(run.stdout), /node pool np9 of cluster/);
    assert.match(errorLine(run.stdout), /x-ms-request-id [0-9a-f-]{36}/);
  });

  it('abort on a node pool the cluster does not have says to check node-pool', async () => {
    const c = clusterWithPool({});
    const run = await runAction(
      { operation: 'abort', cluster: c.resourceId, 'node-pool': 'gpu' },
      lab.emu,
    );
    assert.equal(run.code, 1);
    assert.match(errorLine(run.stdout), /NotFound: Could not find agent pool 'gpu'/);
    assert.match(
      errorLine(run.stdout),
      /Check node-pool: cluster aks-pool-\d+ must have a node pool named gpu/,
    );
    assert.equal(
      lab.requestsFor(c.name).filter((r) => r.method === 'POST').length,
      0,
      'no abort sent',
    );
  });

  it('refuses node pool names AKS would refuse, and node-pool with other operations, before any call', async () => {
    const c = clusterWithPool({});
    for (const [inputs, pattern] of [
      [
        { operation: 'abort', 'node-pool': 'NodePool1' },
        /Input 'node-pool': 'NodePool1' is not a node pool name/,
      ],
      [{ operation: 'abort', 'node-pool': 'pool-with-dash' }, /is not a node pool name/],
      [{ operation: 'abort', 'node-pool': 'abcdefghijklm' }, /1-12 lowercase letters and digits/],
      [
        { operation: 'run-command', command: 'true', 'node-pool': 'np1' },
        /node-pool': applies to abort and operation-status only/,
      ],
    ] as const) {
      const run = await runAction({ cluster: c.resourceId, ...inputs }, lab.emu);
      assert.equal(run.code, 1);
      assert.match(errorLine(run.stdout), pattern);
    }
    assert.equal(lab.requestsFor(c.name).length, 0);
  });
});
