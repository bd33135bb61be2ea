// A few dozen chaos runs on every `npm test` (the full suite is `npm run chaos`, 500 runs): each
// run of the bundle meets a seeded random schedule of faults; the oracle allows no wrong outcome,
// no hang, no missing output. A failure prints the command that replays it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';
import { ROOT } from '../../harness/run-action.ts';

const RUNS = process.env.CHAOS_RUNS ?? '30';
const SEED = process.env.CHAOS_SEED ?? String(Date.now() % 1_000_000);

it(`chaos: ${RUNS} runs under random faults (seed ${SEED})`, { timeout: 600_000 }, () => {
  const result = spawnSync(
    process.execPath,
    ['chaos/run.ts', '--runs', RUNS, '--seed', SEED, '--concurrency', '6'],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 590_000,
    },
  );
  const figures = /chaos figures: (.*)/.exec(result.stdout)?.[1];
  console.log(figures ?? result.stdout.slice(-2000));
  assert.equal(result.status, 0, `${result.stdout.slice(-6000)}\n${result.stderr.slice(-2000)}`);
  const parsed = JSON.parse(figures!) as { runs: number; wrongOutcomes: number; hangs: number };
  assert.equal(parsed.runs, Number(RUNS));
  assert.equal(parsed.wrongOutcomes, 0);
  assert.equal(parsed.hangs, 0);
});
