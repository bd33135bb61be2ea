import { sleep } from '../waiting/timing.ts';
import { headerValue } from './headers.ts';

/** One retry policy for every call the action makes (ARM and Service Fabric). */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** No retry is scheduled past this long after the first attempt. */
  maxElapsedMs: number;
  /** Status codes worth another try. */
  retryableStatus(status: number): boolean;
}

/** ARM: 408, 429 and 5xx except 501 and 505 (as the Azure SDK and ARM's own guidance). */
export const ARM_RETRY: RetryPolicy = {
  maxRetries: 6,
  baseDelayMs: 1_000,
  maxDelayMs: 32_000,
  maxElapsedMs: 180_000,
  retryableStatus: (status) =>
    status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505),
};

/** Service Fabric: only its transient answers, 503 (not primary, not ready, busy) and 504 (timeout). */
export const SERVICE_FABRIC_RETRY: RetryPolicy = {
  ...ARM_RETRY,
  retryableStatus: (status) => status === 503 || status === 504,
};

/** Socket-level failures where the same request may well work a moment later. */
const TRANSIENT_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
  'REQUEST_TIMEOUT',
  // The answer's body was cut off: the connection dropped mid-answer.
  'ERR_BODY_CUT',
  // The proxy could not reach the service (its 502/503/504 to CONNECT).
  'EPROXYUPSTREAM',
]);

export type AttemptOutcome =
  | { kind: 'ok' }
  | { kind: 'response'; status: number; headers: Record<string, string | string[] | undefined> }
  | { kind: 'error'; code: string | undefined; message: string };

export type RetryDecision = { retry: true; delayMs: number; reason: string } | { retry: false };

/**
 * Decides whether to try again and after how long. A retry hint from the service is a floor: the
 * action never calls back sooner than it was told to.
 */
export function decideRetry(
  outcome: AttemptOutcome,
  retriesSoFar: number,
  elapsedMs: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): RetryDecision {
  if (outcome.kind === 'ok' || retriesSoFar >= policy.maxRetries) return { retry: false };
  let reason: string;
  let hintMs: number | undefined;
  if (outcome.kind === 'response') {
    if (!policy.retryableStatus(outcome.status)) return { retry: false };
    hintMs = retryAfterMs(outcome.headers);
    reason = `HTTP ${outcome.status}`;
  } else {
    if (!outcome.code || !TRANSIENT_ERROR_CODES.has(outcome.code)) return { retry: false };
    reason = outcome.code;
  }
  const backoff = exponentialBackoff(retriesSoFar, policy, random);
  const delayMs = hintMs !== undefined ? Math.max(hintMs, 0) : backoff;
  if (elapsedMs + delayMs > policy.maxElapsedMs) return { retry: false };
  return {
    retry: true,
    delayMs,
    reason: hintMs !== undefined ? `${reason}, Retry-After ${(hintMs / 1000).toFixed(1)}s` : reason,
  };
}

/** Exponential from the base, capped, with 50–100 % jitter so parallel jobs spread out. */
function exponentialBackoff(
  retriesSoFar: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retriesSoFar);
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

/**
 * The service's retry hint in milliseconds: `retry-after-ms`, `x-ms-retry-after-ms`, or `Retry-After`
 * in seconds or as an HTTP date. Undefined when there is none or it cannot be read.
 */
export function retryAfterMs(
  headers: Record<string, string | string[] | undefined>,
  now: number = Date.now(),
): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const value = headerValue(headers, name);
    if (value !== undefined && /^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value));
  }
  const value = headerValue(headers, 'retry-after');
  if (value === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The one retry loop: runs `attempt` until the policy calls its outcome final, waiting as the
 * policy decides between tries. Returns the last attempt, whatever it was.
 */
export async function withRetries<T>(
  attempt: () => Promise<{ outcome: AttemptOutcome; value: T }>,
  options: {
    policy: RetryPolicy;
    signal: AbortSignal;
    onRetry?: (decision: { delayMs: number; reason: string }, retry: number) => void;
  },
): Promise<{ outcome: AttemptOutcome; value: T; retries: number }> {
  const started = Date.now();
  for (let retries = 0; ; retries++) {
    const result = await attempt();
    const decision = decideRetry(result.outcome, retries, Date.now() - started, options.policy);
    if (!decision.retry) return { ...result, retries };
    options.onRetry?.(decision, retries + 1);
    await sleep(decision.delayMs, options.signal);
  }
}
