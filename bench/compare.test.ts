import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkAgainstSdk, checkMix } from './compare.ts';
import { computeMix, judgeSampleRun, type ComputedMix } from './mix.ts';
import {
  actionModel,
  CLI_MODEL,
  figures,
  frontier,
  frontierLatencyAt,
  outcomeAt,
  SDK_MODEL,
  SHORT_MIX,
  tenMinutes,
  type ClientModel,
} from './model.ts';
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

test('passes when the action is as frugal as the SDK', () => {
  assert.deepEqual(checkAgainstSdk([scenario(client(900, 4), client(1000, 4))]), {
    ok: true,
    reasons: [],
  });
});

test('does not judge single-duration latency: the duration mix does', () => {
  assert.equal(checkAgainstSdk([scenario(client(3800, 2), client(1000, 3))]).ok, true);
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

// The duration-mix gate, on the real model and on schedules that must fail it.
const OLD_AUTO = [1.2, 1.8, 2.5, 4, 5.5, 7, 9, 11];
const oldAuto: ClientModel = {
  id: 'action',
  label: 'the auto schedule before the model',
  callsBeforeLooks: 1,
  looks(horizon) {
    const looks: number[] = [];
    for (let i = 0, t = 0; t < horizon; i++) looks.push((t += OLD_AUTO[i] ?? 12));
    return looks;
  },
};

function withAction(mix: ComputedMix, action: ClientModel): ComputedMix {
  const cases = mix.cases.map((c) => {
    const durations = c.basis === 'dense' ? SHORT_MIX.dense : SHORT_MIX.durations;
    return { ...c, clients: { ...c.clients, action: figures(action, c.startDelay, durations) } };
  });
  return { cases, tenMinutes: { ...mix.tenMinutes, action: tenMinutes(action, 4) } };
}

// A 10.2 s command after a 4 s start delay, ending 14.25 s after the POST (at 1 s): the action's
// looks at 4, 8.5, 13 and 17.5 s (a little late, as a real poller is); the fourth sees the end.
const looksAt = (seconds: number[]): number[] => seconds.map((t) => 1_000 + t * 1000);
const run = (readTimes: number[], armReads = readTimes.length) => ({
  ok: true,
  postAt: 1_000,
  doneAt: 15_250,
  latencyMs: 3_700,
  armReads,
  armWrites: 1,
  readTimes,
});
const agreeing = judgeSampleRun('action', 4, 10.2, run(looksAt([4.05, 8.6, 13.2, 17.7])));

test('the model: fixed intervals are late by half an interval on average, the CLI gives up at 300 s', () => {
  const five = figures(actionModel(5), 4, SHORT_MIX.dense);
  assert.ok(Math.abs(five.meanLatency - 2.5) < 0.1, `${five.meanLatency}`);
  assert.deepEqual(outcomeAt(CLI_MODEL, 400), { latency: undefined, requests: 2 + 61 });
  assert.deepEqual(outcomeAt(SDK_MODEL, 3), { latency: 1, requests: 4 });
  assert.equal(
    frontierLatencyAt(frontier(4, SHORT_MIX.dense), 1),
    figures(actionModel(20), 4, SHORT_MIX.dense).meanLatency,
  );
});

test('a measured run agrees with the model within the drift allowance, and not beyond it', () => {
  assert.equal(agreeing.ok, true, JSON.stringify(agreeing));
  assert.deepEqual(agreeing.predicted, { latency: 3.25, requests: 5 });
  assert.ok(Math.abs(agreeing.measured.lateness! - 3.45) < 1e-9);
  const extraRead = judgeSampleRun('action', 4, 10.2, run(looksAt([2, 4.05, 8.6, 13.2, 17.7])));
  assert.equal(extraRead.ok, false);
  const late = judgeSampleRun('action', 4, 10.2, run(looksAt([4.05, 8.6, 13.2, 19.5])));
  assert.equal(late.ok, false);
  const failed = judgeSampleRun('action', 4, 10.2, {
    ...run(looksAt([4, 8.5, 13, 17.5])),
    ok: false,
  });
  assert.equal(failed.ok, false);
});

test('the mix gate passes the auto schedule of src/timing.ts', () => {
  const verdict = checkMix(computeMix([SHORT_MIX]), [agreeing]);
  assert.deepEqual(verdict, { ok: true, reasons: [] });
});

test('the mix gate fails a schedule behind the frontier, or over budget, naming the case', () => {
  const computed = computeMix([SHORT_MIX]);
  const old = checkMix(withAction(computed, oldAuto), [agreeing]);
  assert.equal(old.ok, false);
  assert.ok(
    old.reasons.some((r) => /start delay 4 s .*behind the fixed-interval frontier/.test(r)),
    old.reasons.join('\n'),
  );
  const sdkLike = checkMix(withAction(computed, SDK_MODEL), [agreeing]);
  assert.ok(sdkLike.reasons.some((r) => /more than half the SDK's/.test(r)));
  assert.ok(sdkLike.reasons.some((r) => /10-minute command: .* more than a fifth/.test(r)));
  const twenty = checkMix(withAction(computed, actionModel(20)), [agreeing]);
  assert.ok(
    twenty.reasons.some((r) => /10-minute command: mean latency .* not under 10 s/.test(r)),
  );
});

test('the mix gate fails when measured runs disagree with the model, or there are none', () => {
  const computed = computeMix([SHORT_MIX]);
  assert.match(checkMix(computed, []).reasons.join('\n'), /no measured runs/);
  const off = { ...agreeing, ok: false };
  assert.match(checkMix(computed, [off]).reasons.join('\n'), /measured action, sleep 10.2/);
});
