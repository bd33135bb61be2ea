import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkAgainstSdk } from './compare.ts';
import type { ClientSummary, ScenarioSummary } from './report.ts';

const client = (latency: number, requests: number, failed = 0): ClientSummary => ({
  runs: 3,
  failed,
  metrics: {
    latencyMs: { median: latency, min: latency, max: latency, n: 3 },
    armRequests: { median: requests, min: requests, max: requests, n: 3 },
  },
});

const scenario = (action?: ClientSummary, sdk?: ClientSummary): ScenarioSummary => ({
  id: 'cmd-1s',
  label: 'command 1 s',
  clients: { ...(action ? { action } : {}), ...(sdk ? { sdk } : {}) },
  ratios: {},
});

test('passes when the action is as fast and as frugal as the SDK', () => {
  assert.deepEqual(checkAgainstSdk([scenario(client(900, 4), client(1000, 4))]), {
    ok: true,
    reasons: [],
  });
});

test('tolerates latency within the slack', () => {
  const verdict = checkAgainstSdk([scenario(client(1080, 3), client(1000, 4))], {
    latencySlackMs: 100,
  });
  assert.equal(verdict.ok, true);
});

test('fails on slower median latency, naming the scenario and both numbers', () => {
  const verdict = checkAgainstSdk([scenario(client(4500, 4), client(1000, 5))], {
    latencySlackMs: 100,
  });
  assert.equal(verdict.ok, false);
  assert.match(verdict.reasons[0]!, /command 1 s: median detection latency 4500 ms .* 1000 ms/);
});

test('fails on more median requests', () => {
  const verdict = checkAgainstSdk([scenario(client(500, 6), client(1000, 5))]);
  assert.equal(verdict.ok, false);
  assert.match(verdict.reasons[0]!, /ARM requests 6 is more than the SDK's 5/);
});

test('fails when a side is missing, or action runs failed', () => {
  assert.equal(checkAgainstSdk([scenario(client(1, 1))]).ok, false);
  const failed = checkAgainstSdk([scenario(client(1, 1, 1), client(1000, 5))]);
  assert.deepEqual(failed.reasons, ['command 1 s: 1 action run(s) failed']);
});
