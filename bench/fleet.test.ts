import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkFleet } from './compare.ts';
import { FLEET_PLANS, sum, type FleetMeasurement, type Usage } from './fleet.ts';
import { formatFleet, markdownTable } from './report.ts';

const usage = (over: Partial<Usage> = {}): Usage => ({
  ok: true,
  note: 'ok',
  wallMs: 60_000,
  armRequests: 10,
  throttled: 0,
  tokenRequests: 1,
  armTokens: 1,
  peakRssKiB: 90 * 1024,
  processes: 1,
  ...over,
});

const measurement = (action: Partial<Usage>): FleetMeasurement => ({
  plan: FLEET_PLANS.fleet50,
  fastest: { name: 'aks-2', seconds: 6.1 },
  slowest: { name: 'aks-7', seconds: 59.8 },
  memoryCluster: { name: 'aks-3', seconds: 31 },
  parts: {
    action: usage({ wallMs: 66_000, armRequests: 480, peakRssKiB: 120 * 1024, ...action }),
    slowest: usage(),
    single: usage({ peakRssKiB: 88 * 1024 }),
    singles: usage({ armRequests: 500, tokenRequests: 50, armTokens: 50, processes: 50 }),
  },
  perCluster: [{ name: 'aks-1', fleet: 9, single: 10 }],
  unattributed: { fleet: 1, singles: 50 },
  computed: { singlesRequests: 498, cliRequests: 600, cliSeconds: 1700, cliGaveUp: 0 },
});

test('the fleet gate passes within every target', () => {
  assert.deepEqual(checkFleet(measurement({})), { ok: true, reasons: [] });
});

test('the fleet gate names each missed target', () => {
  const { ok, reasons } = checkFleet(
    measurement({
      wallMs: 70_000,
      armRequests: 501,
      throttled: 2,
      peakRssKiB: 140 * 1024,
      tokenRequests: 2,
      armTokens: 2,
    }),
  );
  assert.equal(ok, false);
  assert.equal(reasons.length, 5);
  assert.match(reasons[0]!, /1\.15× the slowest cluster alone/);
  assert.match(reasons[1]!, /501 ARM requests is more than the 500 of 50 single runs/);
  assert.match(reasons[2]!, /2 answer\(s\) 429/);
  assert.match(reasons[3]!, /peak RSS 140 MiB is more than 1\.5× a single-cluster run's 88 MiB/);
  assert.match(reasons[4]!, /2 Entra token request\(s\)/);
});

test('a failed reference fails the gate', () => {
  const m = measurement({});
  m.parts.singles = usage({ ok: false, note: 'aks-9 timed out' });
  assert.match(checkFleet(m).reasons.join('\n'), /the single runs: failed: aks-9 timed out/);
});

test('summed runs add times and requests and keep the largest memory', () => {
  const total = sum([usage({ peakRssKiB: 10 }), usage({ wallMs: 1000, peakRssKiB: 30 })]);
  assert.equal(total.wallMs, 61_000);
  assert.equal(total.armRequests, 20);
  assert.equal(total.peakRssKiB, 30);
  assert.equal(total.processes, 2);
});

test('the fleet table is a Markdown table as Prettier lays it out', () => {
  assert.deepEqual(
    markdownTable([
      ['a', 'bb'],
      ['ccc×', 'd'],
    ]),
    ['| a    | bb  |', '| ---- | --- |', '| ccc× | d   |'],
  );
  const text = formatFleet(measurement({}), { ok: true, reasons: [] });
  assert.match(text, /\| action, all 50 in one step \(`max-parallel: 50`\) +\| 66\.0 s +\| 480 /);
  assert.match(text, /Wall time: 1\.10× the slowest cluster alone \(target ≤ 1\.15×\): met\./);
});
