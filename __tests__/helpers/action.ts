// The end-to-end tests run the action through the harness (harness/run-action.ts) and hold every
// run to one more rule: no secret the emulator or the test handed out may appear where people or
// later steps can read it.
import type { Emulator } from '../../emulator/index.ts';
import {
  runAction as runBundle,
  type ActionRun,
  type RunOptions,
} from '../../harness/run-action.ts';
import { secretsOfRun, shownSecrets } from '../../harness/secrets.ts';

export type { ActionRun, RunOptions } from '../../harness/run-action.ts';

/** Runs the action as the harness does, and fails when the run shows a secret. */
export async function runAction(
  inputs: Record<string, string>,
  emu: Emulator | undefined,
  options: RunOptions = {},
): Promise<ActionRun> {
  const run = await runBundle(inputs, emu, options);
  const [leak] = shownSecrets(run, secretsOfRun(run, emu));
  if (leak) throw new Error(leak);
  return run;
}
