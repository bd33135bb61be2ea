import { shownSecrets } from '../harness/secrets.ts';
import type { ScenarioRun } from './scenarios.ts';

export type Verdict =
  | { ok: true; kind: 'expected' | 'explained-failure' }
  | {
      ok: false;
      kind: 'wrong-outcome' | 'hang' | 'no-outputs' | 'untyped-error' | 'leak';
      detail: string;
    };

/** Grace past `timeout` for writing outputs and exiting. */
export const HANG_GRACE_MS = 5_000;

/**
 * The chaos oracle. A run is right when it reports what the emulator really did, or fails the step
 * with a clear error. It is wrong when it passes a step that should fail, reports a status or exit
 * code that did not happen, hangs past its timeout, leaves no outputs, lets an untyped error out, or
 * shows one of the `secrets` it was handed.
 */
export function judgeRun(
  { run, truth, timeoutMs, contradiction }: ScenarioRun,
  secrets: string[],
): Verdict {
  const [leak] = shownSecrets(run, secrets);
  if (leak) return { ok: false, kind: 'leak', detail: leak };
  const contradicted = contradiction?.();
  if (run.signal === 'SIGKILL' || run.durationMs > timeoutMs + HANG_GRACE_MS) {
    return {
      ok: false,
      kind: 'hang',
      detail: `ran ${run.durationMs} ms (timeout ${timeoutMs} ms)`,
    };
  }
  if (run.outputs.status === undefined || run.summary.trim() === '') {
    return {
      ok: false,
      kind: 'no-outputs',
      detail: `status output ${String(run.outputs.status)}, summary ${run.summary.length} bytes`,
    };
  }
  if (contradicted) return { ok: false, kind: 'wrong-outcome', detail: contradicted };
  if (/Unexpected error/.test(run.stdout)) {
    return { ok: false, kind: 'untyped-error', detail: firstError(run.stdout) };
  }
  const passed = run.code === 0;
  if (passed) {
    if (!truth)
      return {
        ok: false,
        kind: 'wrong-outcome',
        detail: `passed (${run.outputs.status}) but the emulator never saw the operation`,
      };
    if (truth.verdict === 'fail')
      return {
        ok: false,
        kind: 'wrong-outcome',
        detail: `passed with ${run.outputs.status}, truth ${truth.status} (fail)`,
      };
    if (run.outputs.status !== truth.status)
      return {
        ok: false,
        kind: 'wrong-outcome',
        detail: `status ${run.outputs.status}, truth ${truth.status}`,
      };
    if (truth.exitCode !== undefined && run.outputs['exit-code'] !== String(truth.exitCode)) {
      return {
        ok: false,
        kind: 'wrong-outcome',
        detail: `exit-code ${run.outputs['exit-code']}, truth ${truth.exitCode}`,
      };
    }
    return { ok: true, kind: 'expected' };
  }
  if (!/^::error::/m.test(run.stdout))
    return {
      ok: false,
      kind: 'wrong-outcome',
      detail: `failed (exit ${run.code}) without an error annotation`,
    };
  if (
    truth &&
    run.outputs['exit-code'] &&
    truth.exitCode !== undefined &&
    run.outputs['exit-code'] !== String(truth.exitCode)
  ) {
    return {
      ok: false,
      kind: 'wrong-outcome',
      detail: `exit-code ${run.outputs['exit-code']}, truth ${truth.exitCode}`,
    };
  }
  if (truth?.verdict === 'fail' && run.outputs.status === truth.status)
    return { ok: true, kind: 'expected' };
  return { ok: true, kind: 'explained-failure' };
}

export function firstError(stdout: string): string {
  return /^::error::(.*)$/m.exec(stdout)?.[1]?.slice(0, 300) ?? '(no error line)';
}
