// CI is defined once, in .ci/run: the workflow's test job runs each of its steps through it, in
// its order, and does nothing else (so the two cannot drift apart).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { parse } from 'yaml';
import { ROOT } from '../../harness/run-action.ts';

const script = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
const STEPS = /^STEPS=\(([^)]*)\)$/m.exec(script)?.[1]?.trim().split(/\s+/) ?? [];

interface Workflow {
  jobs: Record<string, { steps: { uses?: string; run?: string }[] }>;
}

it('the workflow runs every step of .ci/run, in its order, and nothing else', () => {
  assert.ok(STEPS.length >= 5, `steps of .ci/run: ${STEPS.join(' ')}`);
  const workflow = parse(readFileSync(join(ROOT, '.github', 'workflows', 'ci.yml'), 'utf8'));
  const steps = (workflow as Workflow).jobs.test!.steps;
  const runs = steps.filter((s) => s.run !== undefined).map((s) => s.run!.trim());
  assert.deepEqual(
    runs,
    STEPS.map((step) => `bash .ci/run ${step}`),
  );
  for (const { uses } of steps.filter((s) => s.uses))
    assert.match(uses!, /@[0-9a-f]{40}$/, 'actions pinned to a commit');
});

it('.ci/run refuses a step it does not have, naming the ones it has', () => {
  const result = spawnSync('bash', [join(ROOT, '.ci', 'run'), 'no-such-step'], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 2);
  assert.match(result.stderr, new RegExp(`the steps are: ${STEPS.join(' ')}`));
});
