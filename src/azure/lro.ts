import type { ArmClient, ArmResponse } from './arm-client.ts';
import { isRecord, readArmError } from '../base/json.ts';
import type { Observation } from '../waiting/poller.ts';
import { retryAfterMs } from '../network/retry.ts';
import { headerValue } from '../network/headers.ts';
import { STATUS } from '../inputs/contract.ts';

/** ARM's long-running operation protocols: a `Location` answering 202 until done, or an `Azure-AsyncOperation` status. */
export type PollingMode = 'location' | 'azure-asyncoperation';

export type Interpretation<T> = Omit<Observation<T>, 'retryAfterMs'>;

/**
 * Builds the `observe` step for the poller from an ARM polling URL. It follows the newest polling
 * URL the service hands out and passes its Retry-After on; `interpret` reads one answer.
 */
export function observePollingUrl<T>(
  arm: ArmClient,
  mode: PollingMode,
  initialUrl: string,
  interpret: (response: ArmResponse) => Interpretation<T>,
): () => Promise<Observation<T>> {
  let url = arm.resolve(initialUrl);
  return async () => {
    const response = await arm.send('GET', url);
    const next = headerValue(response.headers, mode);
    if (next) url = arm.resolve(next);
    return { ...interpret(response), retryAfterMs: retryAfterMs(response.headers) };
  };
}

/** The polling URL an ARM answer hands out: `Azure-AsyncOperation` first, else `Location`. */
export function pollingUrlOf(
  response: ArmResponse,
): { mode: PollingMode; url: string } | undefined {
  const asyncOperation = headerValue(response.headers, 'azure-asyncoperation');
  if (asyncOperation) return { mode: 'azure-asyncoperation', url: asyncOperation };
  const location = headerValue(response.headers, 'location');
  return location ? { mode: 'location', url: location } : undefined;
}

const TERMINAL = ['succeeded', 'failed', 'canceled'];

/** ARM's final words. Anything else (InProgress, Running, Canceling, unknown words) is still running. */
export function isTerminalStatus(status: string | undefined): boolean {
  return status !== undefined && TERMINAL.includes(status.toLowerCase());
}

/** `succeeded` → `Succeeded`: status outputs are PascalCase whatever case the service used. */
function pascalCase(status: string): string {
  return status.charAt(0).toUpperCase() + status.slice(1);
}

/** `Canceled`, `Cancelled`: the canonical spelling of a terminal ARM status. */
export function canonicalArmStatus(status: string): string {
  const match = [STATUS.Succeeded, STATUS.Failed, STATUS.Canceled].find(
    (s) => s.toLowerCase() === status.toLowerCase(),
  );
  return match ?? pascalCase(status);
}

/**
 * The status word to report: a final one in its canonical spelling, one still running as the
 * service spelled it, `missing` when the service sent none.
 */
export function statusWord(status: string | undefined, done: boolean, missing = 'Unknown'): string {
  if (!status) return missing;
  return done ? canonicalArmStatus(status) : status;
}

/** The `status` of an Azure-AsyncOperation body (also `OperationStatusResult`). */
export function readOperationStatus(body: unknown): {
  status: string | undefined;
  percent: number | undefined;
  startTime: string | undefined;
  endTime: string | undefined;
  error: { code: string; message: string } | undefined;
} {
  const record = isRecord(body) ? body : {};
  const error = readArmError(record.error);
  return {
    status: typeof record.status === 'string' ? record.status : undefined,
    percent: typeof record.percentComplete === 'number' ? record.percentComplete : undefined,
    startTime: typeof record.startTime === 'string' ? record.startTime : undefined,
    endTime: typeof record.endTime === 'string' ? record.endTime : undefined,
    error: error && { ...error, code: error.code || 'Unknown' },
  };
}
