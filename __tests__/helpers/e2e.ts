// What the end-to-end files read from a run and how they judge it, written once.
import assert from 'node:assert/strict';
import { workflowCommands } from '../../harness/workflow-commands.ts';
import type { ActionRun } from './action.ts';

/** The ::error and ::warning commands the runner would take from stdout (of one kind if given). */
export function annotations(stdout: string, kind?: 'error' | 'warning'): string[] {
  const wanted = kind ? new RegExp(`^::${kind}`) : /^::(error|warning)/;
  return workflowCommands(stdout).filter((line) => wanted.test(line));
}

/** The first ::error command, or '' when there is none. */
export function errorLine(stdout: string): string {
  return annotations(stdout, 'error')[0] ?? '';
}

/** The poller's progress lines (`poll N: …`). */
export function pollLines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => /^poll \d+: /.test(line));
}

/** The step passed with this status. */
export function assertPassed(run: ActionRun, status: string): void {
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(run.outputs.status, status, run.stdout);
}

/** The step failed with an ::error:: and stdout matches `pattern`; with the status output too if given. */
export function assertFailed(run: ActionRun, pattern: RegExp, status?: string): void {
  assert.equal(run.code, 1, run.stdout + run.stderr);
  if (status !== undefined) assert.equal(run.outputs.status, status);
  assert.match(run.stdout, /^::error::/m);
  assert.match(run.stdout, pattern);
}
