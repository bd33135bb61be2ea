// Pure pieces behind the traceable requests, the refusals in plain words, the start-retries rule
// and the summary's tail of long output.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServiceError } from '../../src/base/errors.ts';
import { debugPath, formatAttempt, plainId } from '../../src/network/http.ts';
import { parseCount, parseNodePool } from '../../src/inputs/parsers.ts';
import { commandPodNeverStarted } from '../../src/operations/run-command.ts';
import { describeRefusal } from '../../src/operations/refusals.ts';
import { readCommandResult } from '../../src/operations/command-result.ts';
import { tailUtf8 } from '../../src/report/summary.ts';

describe('debug lines', () => {
  it('hide the signature of a signed polling URL (t, c, s, h) and keep the api-version', () => {
    const url =
      'https://management.azure.com/subscriptions/0/providers/Microsoft.ContainerService/locations/westus2/operations/6b63dabf?api-version=2016-03-30&t=638829&c=MIIHpTCCBo2gAwIBAgITfwTY&s=kWq1mNf9Tk&h=bCM9s8k';
    assert.equal(
      debugPath(url),
      '/subscriptions/0/providers/Microsoft.ContainerService/locations/westus2/operations/6b63dabf?api-version=2016-03-30&t=***&c=***&s=***&h=***',
    );
    assert.equal(
      debugPath('https://x.blob.core.windows.net/c/b?sv=2022&se=2030&sig=abc%3D&skoid=1'),
      '/c/b?sv=***&se=***&sig=***&skoid=***',
    );
    assert.equal(debugPath('not a url'), '(unreadable URL)');
  });

  it('name the method, status, time, ids and the retry decision', () => {
    const line = formatAttempt({
      method: 'GET',
      url: 'https://management.azure.com/a/b?api-version=1&t=secret',
      result: '503',
      ms: 42,
      requestId: 'req-1',
      clientRequestId: 'client-1',
      decision: 'retry 1 in 2.0s (HTTP 503)',
    });
    assert.equal(
      line,
      'HTTP GET /a/b?api-version=1&t=*** -> 503 in 42 ms; x-ms-request-id req-1; x-ms-client-request-id client-1; retry 1 in 2.0s (HTTP 503)',
    );
    assert.ok(!line.includes('secret'));
  });

  it('print a request id only when it is a plain token (it is service text)', () => {
    assert.equal(
      plainId('8f1c2d3e-0000-4000-8000-000000000000'),
      '8f1c2d3e-0000-4000-8000-000000000000',
    );
    assert.equal(plainId('abc\n::set-output name=x::y'), undefined);
    assert.equal(plainId('x'.repeat(101)), undefined);
    assert.equal(plainId(undefined), undefined);
  });

  it('a service error names the x-ms-request-id, and keeps it when explained again', () => {
    const error = new ServiceError(409, 'Conflict', 'Busy.', undefined, 'req-42');
    assert.equal(error.message, 'Conflict: Busy. (HTTP 409, x-ms-request-id req-42)');
    assert.equal(
      error.explained('Plain words.', 'Wait.').message,
      'Conflict: Plain words. (HTTP 409, x-ms-request-id req-42)',
    );
    assert.equal(new ServiceError(500, 'X', 'y.').message, 'X: y. (HTTP 500)');
  });
});

describe('refusals', () => {
  const cluster = { name: 'aks1', resourceGroup: 'rg1' };
  const body = (properties: Record<string, unknown>) => ({ properties });

  it('run command disabled: from the cluster property, whatever the code', () => {
    const r = describeRefusal(
      'BadRequest',
      'x',
      body({ apiServerAccessProfile: { disableRunCommand: true } }),
      cluster,
    );
    assert.equal(r?.kind, 'run-command-disabled');
    assert.match(r!.fix, /az aks update --resource-group rg1 --name aks1 --enable-run-command/);
  });

  it('a stopped cluster', () => {
    const r = describeRefusal(
      'OperationNotAllowed',
      'x',
      body({ powerState: { code: 'Stopped' }, provisioningState: 'Succeeded' }),
      cluster,
    );
    assert.equal(r?.kind, 'cluster-stopped');
    assert.match(r!.fix, /az aks start --resource-group rg1 --name aks1/);
  });

  it('another operation: a state that is not final, or OperationNotAllowed when the read failed', () => {
    assert.equal(
      describeRefusal('Conflict', 'x', body({ provisioningState: 'Upgrading' }), cluster)?.kind,
      'operation-in-progress',
    );
    assert.equal(
      describeRefusal('OperationNotAllowed', 'x', undefined, cluster)?.kind,
      'operation-in-progress',
    );
    assert.match(
      describeRefusal('Conflict', 'x', body({ provisioningState: 'Scaling' }), cluster)!.message,
      /it is Scaling/,
    );
  });

  it('nothing to explain: undefined, so the service words stand', () => {
    assert.equal(
      describeRefusal(
        'BadRequest',
        'x',
        body({ provisioningState: 'Succeeded', powerState: { code: 'Running' } }),
        cluster,
      ),
      undefined,
    );
  });
});

describe('start-retries rule', () => {
  const result = (properties: Record<string, unknown>) => readCommandResult({ properties });

  it('resubmits only a Failed result without exit code whose reason is a pod start failure', () => {
    for (const reason of [
      'KubernetesPerformanceError: Failed to run command due to cluster perf issue, container command-1 in aks-command namespace did not start within 30s on your cluster, retry may helps.',
      '0/3 nodes are available: 3 Insufficient cpu.',
      'FailedScheduling: 0/2 nodes are available: 2 node(s) had untolerated taint {CriticalAddonsOnly: true}',
    ]) {
      assert.ok(commandPodNeverStarted(result({ provisioningState: 'failed', reason })), reason);
    }
  });

  it('never resubmits a command that ran or failed otherwise', () => {
    const perf = 'KubernetesPerformanceError: did not start within 30s';
    assert.ok(
      !commandPodNeverStarted(result({ provisioningState: 'Failed', exitCode: 1, reason: perf })),
    );
    assert.ok(!commandPodNeverStarted(result({ provisioningState: 'Succeeded', reason: perf })));
    assert.ok(
      !commandPodNeverStarted(result({ provisioningState: 'Failed', reason: 'ImagePullBackoff' })),
    );
    assert.ok(
      !commandPodNeverStarted(result({ provisioningState: 'Failed', reason: 'CommandTimedOut' })),
    );
    assert.ok(!commandPodNeverStarted(result({ provisioningState: 'Failed' })));
  });
});

describe('inputs', () => {
  it('node-pool: as AKS names agent pools', () => {
    assert.equal(parseNodePool('node-pool', ''), undefined);
    assert.equal(parseNodePool('node-pool', ' np1 '), 'np1');
    assert.equal(parseNodePool('node-pool', 'abcdefghijkl'), 'abcdefghijkl');
    for (const bad of ['1pool', 'Pool', 'np-1', 'np_1', 'abcdefghijklm']) {
      assert.throws(() => parseNodePool('node-pool', bad), /is not a node pool name/, bad);
    }
  });

  it('start-retries: a whole number up to the limit', () => {
    assert.equal(parseCount('start-retries', '', 1, 5), 1);
    assert.equal(parseCount('start-retries', '0', 1, 5), 0);
    assert.equal(parseCount('start-retries', '5', 1, 5), 5);
    for (const bad of ['6', '-1', '1.5', 'two']) {
      assert.throws(() => parseCount('start-retries', bad, 1, 5), /whole number from 0 to 5/, bad);
    }
  });
});

describe('tailUtf8', () => {
  it('keeps the end without splitting a character and starts at a line', () => {
    const text = `${'é'.repeat(100)}\nsecond\nthird`;
    assert.equal(tailUtf8(text, 1024), text);
    const tail = tailUtf8(text, 20);
    assert.equal(tail, 'second\nthird');
    const noBreak = tailUtf8('€'.repeat(50), 10);
    assert.ok(!noBreak.includes('\uFFFD'));
    assert.ok(Buffer.byteLength(noBreak) <= 10);
  });
});
