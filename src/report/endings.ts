// How a run that did not reach a final status ended, in the contract's words.
import { ActionError, InterruptedError, errorMessage } from '../base/errors.ts';
import { STATUS } from '../inputs/contract.ts';
import { formatDuration } from '../waiting/timing.ts';
import { inert } from './log.ts';
import type { Outcome } from './report.ts';

/**
 * The outcome when waiting stopped before a final status: the job was cancelled (Interrupted) or
 * the step's timeout ran out (TimedOut); `resume` says how to pick the operation up again.
 */
export function stoppedOutcome(
  interrupted: boolean,
  timeoutMs: number,
  lastState: string | undefined,
  resume: string,
): Outcome {
  const last = lastState ? ` (last state: ${lastState})` : '';
  if (interrupted) {
    return {
      status: STATUS.Interrupted,
      verdict: 'fail',
      message: `The job was cancelled while waiting${last}; the operation goes on in Azure.`,
      fix: resume,
    };
  }
  return {
    status: STATUS.TimedOut,
    verdict: 'fail',
    message: `No final status within the timeout of ${formatDuration(timeoutMs)}${last}.`,
    fix: `Raise timeout if the operation needs longer. ${resume}`,
  };
}

/** The outcome of a run that ended in an error: what the user reads, with the fix when known. */
export function outcomeOfError(error: unknown, interrupted: boolean): Outcome {
  if (interrupted || error instanceof InterruptedError) {
    return {
      status: STATUS.Interrupted,
      verdict: 'fail',
      message: 'The job was cancelled before the operation finished.',
    };
  }
  if (error instanceof DOMException && error.name === 'TimeoutError') {
    return {
      status: STATUS.TimedOut,
      verdict: 'fail',
      message: 'The timeout ran out before the service answered.',
      fix: 'Raise timeout.',
    };
  }
  if (error instanceof ActionError) {
    return {
      status: STATUS.Failed,
      verdict: 'fail',
      message: inert(error.message),
      fix: error.fix,
    };
  }
  return {
    status: STATUS.Failed,
    verdict: 'fail',
    message: `Unexpected error: ${inert(errorMessage(error))}`,
  };
}
