// `npm run chaos -- [--runs N] [--seed S] [--concurrency C] [--only I]`: end-to-end runs of the
// bundle against the emulator, each under a seeded random schedule of faults, judged by the oracle.
// A failing run prints the command that replays it exactly.
import { parseArgs } from 'node:util';
import { startEmulator, type Emulator } from '../emulator/index.ts';
import { secretsOfRun } from '../harness/secrets.ts';
import { describeRule } from './faults.ts';
import { judgeRun, firstError, type Verdict } from './oracle.ts';
import { pick, seeded } from './prng.ts';
import { SCENARIOS } from './scenarios.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '500' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    concurrency: { type: 'string', default: '6' },
    only: { type: 'string' },
  },
});
const seed = Number(values.seed);
const indices =
  values.only !== undefined ? [Number(values.only)] : [...Array(Number(values.runs)).keys()];

/** One generator per run, so a run replays alone with the same faults. */
function runRandom(index: number): () => number {
  return seeded((seed * 100_003 + index * 7919) >>> 0);
}

interface Result {
  index: number;
  name: string;
  faults: number;
  verdict: Verdict;
  durationMs: number;
  error: string;
}

async function worker(queue: number[], results: Result[], workerIndex: number): Promise<number> {
  let otherFaults = 0;
  // Short-lived tokens on half the workers, so expiry and renewal happen mid-run.
  const emu: Emulator = await startEmulator({
    tokenLifetimeSeconds: workerIndex % 2 === 0 ? 4 : 3600,
    commandTimeoutSeconds: 60,
  });
  try {
    for (let index = queue.shift(); index !== undefined; index = queue.shift()) {
      emu.clearFaults();
      const random = runRandom(index);
      const scenario = pick(random, SCENARIOS);
      const outcome = await scenario(emu, random, `chaos-${seed}-${index}`);
      const verdict = judgeRun(outcome, secretsOfRun(outcome.run, emu));
      otherFaults += outcome.otherFaultsInjected ?? 0;
      results.push({
        index,
        name: outcome.name,
        faults: outcome.rules.length,
        verdict,
        durationMs: outcome.run.durationMs,
        error: firstError(outcome.run.stdout),
      });
      if (!verdict.ok) {
        console.log(`FAIL run ${index} (${outcome.name}): ${verdict.kind}: ${verdict.detail}`);
        console.log(`  faults: ${outcome.rules.map(describeRule).join('; ') || 'none'}`);
        console.log(`  replay: npm run chaos -- --seed ${seed} --only ${index}`);
        console.log(outcome.run.stdout.replace(/^/gm, '    | '));
      } else if (values.only !== undefined) {
        console.log(outcome.run.stdout.replace(/^/gm, '    | '));
      }
    }
    return emu.requests.filter((r) => r.fault).length + otherFaults;
  } finally {
    await emu.stop();
  }
}

const started = Date.now();
const queue = [...indices];
const results: Result[] = [];
const concurrency = Math.min(Number(values.concurrency), indices.length);
console.log(`chaos: ${indices.length} runs, seed ${seed}, ${concurrency} at a time`);
const injected = (
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(queue, results, w)))
).reduce((a, b) => a + b, 0);

const count = (predicate: (r: Result) => boolean) => results.filter(predicate).length;
const figures = {
  runs: results.length,
  faultsInjected: injected,
  faultRulesPlanned: results.reduce((sum, r) => sum + r.faults, 0),
  expected: count((r) => r.verdict.kind === 'expected'),
  explainedFailures: count((r) => r.verdict.kind === 'explained-failure'),
  wrongOutcomes: count(
    (r) =>
      r.verdict.kind === 'wrong-outcome' ||
      r.verdict.kind === 'untyped-error' ||
      r.verdict.kind === 'no-outputs' ||
      r.verdict.kind === 'leak',
  ),
  hangs: count((r) => r.verdict.kind === 'hang'),
  longestRunMs: Math.max(...results.map((r) => r.durationMs)),
  byScenario: Object.fromEntries(
    [...new Set(results.map((r) => r.name.split(' ')[0]!))].map((name) => [
      name,
      count((r) => r.name.startsWith(name)),
    ]),
  ),
  wallSeconds: Math.round((Date.now() - started) / 1000),
};
const explained = results.filter((r) => r.verdict.kind === 'explained-failure');
if (explained.length > 0) {
  console.log(
    'explained failures (the step failed with a clear error although the operation went well):',
  );
  for (const r of explained.slice(0, 20)) console.log(`  run ${r.index} (${r.name}): ${r.error}`);
}
console.log(`chaos figures: ${JSON.stringify(figures)}`);
const bad = figures.wrongOutcomes + figures.hangs;
console.log(`${figures.runs - bad} passed, ${bad} failed`);
process.exitCode = bad === 0 ? 0 : 1;
