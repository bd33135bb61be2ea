// `npm run bench` / `npm run bench:ci`: the action's bundle against the official JS SDK and a model
// of Azure CLI, on the local emulator. See measure.ts for how each number is taken, fleet.ts for
// the fleet comparison (50 clusters; `--long` adds 200; CI a short 20; `--fleet-only` only it).
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startEmulator } from '../emulator/index.ts';
import { BUNDLE } from '../harness/run-action.ts';
import { checkAgainstSdk, checkFleet, checkMix, type Verdict } from './compare.ts';
import { FLEET_PLANS, measureFleet, type FleetMeasurement } from './fleet.ts';
import { CANCEL_SECONDS, CLIENTS, measureRun, type RunResult, type Scenario } from './measure.ts';
import { computeMix, measureSample, type SampleRun, type SamplePlan } from './mix.ts';
import { SHORT_MIX } from './model.ts';
import { formatFleet, formatMix, formatTable, summarize } from './report.ts';

const SCENARIOS: Scenario[] = [
  { id: 'cmd-1s', label: 'run-command, sleep 1', command: 'sleep 1' },
  { id: 'cmd-5s', label: 'run-command, sleep 5', command: 'sleep 5' },
  { id: 'cmd-30s', label: 'run-command, sleep 30', command: 'sleep 30' },
  { id: 'abort-10s', label: `abort, Canceled ${CANCEL_SECONDS} s after the POST (derived)` },
];
const LONG: Scenario = {
  id: 'cmd-600s',
  label: 'run-command, sleep 600, start delay 4 s (clients side by side)',
  command: 'sleep 600',
  startDelaySeconds: 4,
};
const CI_SCENARIOS = ['cmd-1s', 'cmd-5s'];
// The measured sample of the duration mix (the rest is computed on the clients' schedules):
// full runs measure all eight durations at a 4 s start delay and three at 0 s and 10 s; CI three.
const SAMPLE: SamplePlan[] = [
  { startDelay: 4, durations: SHORT_MIX.durations },
  { startDelay: 0, durations: [3.4, 10.2, 30.3] },
  { startDelay: 10, durations: [3.4, 10.2, 30.3] },
];
const CI_SAMPLE: SamplePlan[] = [{ startDelay: 4, durations: [3.4, 10.2, 17.6] }];
const SAMPLE_PARALLEL = 8;
const CI_SAMPLE_PARALLEL = 12; // the whole CI sample at once: one wave, about half a minute
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    long: { type: 'boolean', default: false },
    ci: { type: 'boolean', default: false },
    // Only the duration mix (its measured sample and computed figures): for working on the schedule.
    'mix-only': { type: 'boolean', default: false },
    // Only the fleet comparison (issue 16): for working on many clusters.
    'fleet-only': { type: 'boolean', default: false },
  },
});
const ci = values.ci;
const runs = Number(values.runs ?? (ci ? 3 : 5));
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer`);
const scenarios = values['mix-only']
  ? []
  : ci
    ? SCENARIOS.filter((s) => CI_SCENARIOS.includes(s.id))
    : SCENARIOS;

const singleCluster = values['fleet-only'] ? undefined : await benchSingleClusters();
const fleet = await benchFleet();
mkdirSync(RESULTS_DIR, { recursive: true });
const file = join(
  RESULTS_DIR,
  ci ? 'ci.json' : values['fleet-only'] ? 'fleet.json' : 'latest.json',
);
writeFileSync(
  file,
  `${JSON.stringify(
    {
      generatedAt: new Date().toISOString(),
      node: process.version,
      options: { runs, long: values.long, ci, fleetOnly: values['fleet-only'] },
      ...singleCluster,
      fleet,
    },
    null,
    2,
  )}\n`,
);
console.log(`Results: ${file}`);

/** The single-cluster scenarios and the duration mix; sets the exit code on a missed CI gate. */
async function benchSingleClusters() {
  const emu = await startEmulator();
  const results: RunResult[] = [];
  const sample: SampleRun[] = [];
  try {
    for (const scenario of scenarios) {
      for (let i = 1; i <= runs; i++) {
        for (const client of CLIENTS) {
          const result = await measureRun(emu, client, scenario, `${scenario.id}-${client}-${i}`, {
            timeoutMs: 120_000,
          });
          results.push(result);
          progress(result);
        }
      }
    }
    const parallel = ci ? CI_SAMPLE_PARALLEL : SAMPLE_PARALLEL;
    console.log(`duration mix: measured sample, ${parallel} processes at a time…`);
    sample.push(
      ...(await measureSample(emu, ci ? CI_SAMPLE : SAMPLE, parallel, (run, raw) =>
        progress(raw, run.ok ? 'agrees with the model' : 'DIFFERS from the model'),
      )),
    );
    if (values.long && !ci) {
      console.log(`${LONG.id}: ${CLIENTS.join(', ')} side by side, about 10 minutes…`);
      const long = await Promise.all(
        CLIENTS.map((client) =>
          measureRun(emu, client, LONG, `${LONG.id}-${client}`, {
            timeoutMs: 15 * 60_000,
            concurrent: true,
          }),
        ),
      );
      long.forEach((r) => progress(r));
      results.push(...long);
    }
  } finally {
    await emu.stop();
  }

  const measured = values.long && !ci ? [...scenarios, LONG] : scenarios;
  const summaries = measured.map((s) => summarize(s, results));
  const bundle = bundleSize();
  console.log(formatTable(summaries));
  console.log(
    `\nBundle: dist/index.js ${kib(bundle.indexBytes)}, dist/chunks ${kib(bundle.chunksBytes)} (${bundle.chunkFiles} files), total ${kib(bundle.indexBytes + bundle.chunksBytes)}`,
  );
  console.log(
    'Detection latency: from the emulator recording the end (command finishedAt; abort: abort POST + cancelSeconds, derived) to the client process exit.\n' +
      "CLI model: a Node model of azure-cli's calls and polling: its start-up time and memory are not Azure CLI's (Python).\n" +
      'Fixed-interval pollers (SDK 2 s, CLI 5 s) look their best when a duration is a multiple of their interval (5 s, 30 s) and their worst just past one (1 s).',
  );

  const mix = computeMix();
  console.log(formatMix(mix, sample));
  const mixVerdict = checkMix(mix, sample);
  console.log(
    mixVerdict.ok
      ? '\nDuration mix: the action is at or below the fixed-interval frontier, and within its budget.'
      : `\nDuration mix targets missed:\n${mixVerdict.reasons.map((r) => `  - ${r}`).join('\n')}`,
  );

  const verdict = ci ? checkAgainstSdk(summaries) : undefined;
  const record = {
    bundle,
    scenarios: summaries,
    runs: results,
    mix: { computed: mix, sample, gate: mixVerdict },
    ...(verdict ? { gate: verdict } : {}),
  };

  if (verdict) {
    if (verdict.ok) {
      console.log(
        'bench:ci: the action spends no more requests than the SDK in any single-duration scenario.',
      );
    } else {
      console.error(`bench:ci FAILED: the action spends more than the SDK, or failed:`);
      for (const reason of verdict.reasons) console.error(`  - ${reason}`);
      process.exitCode = 1;
    }
    if (!mixVerdict.ok) {
      console.error('bench:ci FAILED: the duration-mix targets are missed (see above).');
      process.exitCode = 1;
    }
  }
  return record;
}

/** The fleet comparison: 50 clusters (200 more with --long; 20 short ones in CI). */
async function benchFleet(): Promise<{ measurement: FleetMeasurement; gate: Verdict }[]> {
  const plans = ci
    ? [FLEET_PLANS.ci]
    : [FLEET_PLANS.fleet50, ...(values.long ? [FLEET_PLANS.fleet200] : [])];
  const out: { measurement: FleetMeasurement; gate: Verdict }[] = [];
  for (const plan of plans) {
    const measurement = await measureFleet(plan, (line) => console.log(line));
    const gate = checkFleet(measurement);
    console.log(`\n${formatFleet(measurement, gate)}\n`);
    if (!gate.ok) process.exitCode = 1;
    out.push({ measurement, gate });
  }
  return out;
}

function progress(r: RunResult, note = r.note): void {
  const latency = r.latencyMs === undefined ? 'n/a' : `${Math.round(r.latencyMs)} ms`;
  console.log(
    `${r.cluster.padEnd(20)} ${r.ok ? 'ok  ' : 'FAIL'} latency ${latency.padStart(8)}, ARM ${r.armReads}R+${r.armWrites}W, ${(r.wallMs / 1000).toFixed(1)} s — ${note}`,
  );
}

function bundleSize(): { indexBytes: number; chunksBytes: number; chunkFiles: number } {
  const chunks = join(BUNDLE, '..', 'chunks');
  const files = readdirSync(chunks).filter((f) => f.endsWith('.js'));
  return {
    indexBytes: statSync(BUNDLE).size,
    chunksBytes: files.reduce((sum, f) => sum + statSync(join(chunks, f)).size, 0),
    chunkFiles: files.length,
  };
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}
