import { sleep } from './timing.ts';

/** What one look at a long operation saw. */
export interface Observation<T> {
  done: boolean;
  /** The state in the service's words (Running, InProgress, Canceling, RollingBack, …). */
  status: string;
  percent?: number | undefined;
  /** The service's own hint for the next look. */
  retryAfterMs?: number | undefined;
  /** The caller's own deadline for the next look (something falls due then), if sooner than planned. */
  lookWithinMs?: number | undefined;
  value: T;
}

export interface PollProgress {
  poll: number;
  status: string;
  elapsedMs: number;
  percent: number | undefined;
  /** Wait before the next look; undefined when this one was final. */
  nextDelayMs: number | undefined;
}

export interface PollOptions {
  /** `auto`, or a fixed interval in milliseconds, used when the service gives no Retry-After. */
  interval: 'auto' | number;
  /** Aborts on timeout and on interrupt; the poller then stops and reports what it saw last. */
  signal: AbortSignal;
  /** When the operation began (its first call), for elapsed times. */
  startedAt: number;
  /** Wait before the first look, e.g. after the POST that started the operation. */
  initialRetryAfterMs?: number | undefined;
  /** Look immediately instead of waiting first (reading an operation that already exists). */
  lookFirst?: boolean;
  onProgress(progress: PollProgress): void;
}

export type PollOutcome<T> =
  | { done: true; last: Observation<T>; polls: number }
  | { done: false; last: Observation<T> | undefined; polls: number };

/**
 * The auto schedule: the waits before each look, in seconds, when the service gives no
 * Retry-After. Most commands end within seconds, so the first looks come quickly; then the waits
 * grow to a ceiling, so a long operation costs five reads a minute and parallel jobs leave the
 * subscription's read budget alone, while its end is still seen within 12 s.
 */
export const AUTO_SCHEDULE_SECONDS = [1.2, 1.8, 2.5, 4, 5.5, 7, 9, 11] as const;
export const AUTO_CEILING_SECONDS = 12;

/**
 * How long to wait before look number `pollIndex` (0-based). A Retry-After from the service is
 * its own schedule and is followed as given; otherwise the action's schedule applies, brought
 * forward when the caller has something due sooner.
 */
export function nextPollDelay(
  pollIndex: number,
  interval: 'auto' | number,
  retryAfterMs: number | undefined,
  lookWithinMs?: number,
): number {
  if (retryAfterMs !== undefined) return Math.max(0, retryAfterMs);
  const planned =
    interval === 'auto'
      ? (AUTO_SCHEDULE_SECONDS[pollIndex] ?? AUTO_CEILING_SECONDS) * 1000
      : interval;
  return Math.min(planned, lookWithinMs ?? Infinity);
}

/** The one polling loop of the action: every long operation waits through it. */
export async function pollUntilDone<T>(
  observe: () => Promise<Observation<T>>,
  options: PollOptions,
): Promise<PollOutcome<T>> {
  let last: Observation<T> | undefined;
  let polls = 0;
  try {
    if (!options.lookFirst) {
      await sleep(nextPollDelay(0, options.interval, options.initialRetryAfterMs), options.signal);
    }
    for (;;) {
      last = await observe();
      polls++;
      const nextDelayMs = last.done
        ? undefined
        : nextPollDelay(
            polls - (options.lookFirst ? 1 : 0),
            options.interval,
            last.retryAfterMs,
            last.lookWithinMs,
          );
      options.onProgress({
        poll: polls,
        status: last.status,
        elapsedMs: Date.now() - options.startedAt,
        percent: last.percent,
        nextDelayMs,
      });
      if (nextDelayMs === undefined) return { done: true, last, polls };
      await sleep(nextDelayMs, options.signal);
    }
  } catch (error) {
    if (!options.signal.aborted) throw error;
    return { done: false, last, polls };
  }
}
