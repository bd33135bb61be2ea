import { autoWaitMs, sleep } from './timing.ts';

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
  /** How to wait between looks: the run's one scheduler (default a timer of its own). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  onProgress(progress: PollProgress): void;
}

export type PollOutcome<T> =
  | { done: true; last: Observation<T>; polls: number }
  | { done: false; last: Observation<T> | undefined; polls: number };

/**
 * How long to wait before the next look, `elapsedMs` after the poller started (right after the
 * call that started the operation, or at the first look at one that exists). A Retry-After from
 * the service is its own schedule and is followed as given; otherwise `poll-interval` applies (a
 * number: that fixed interval; `auto`: the schedule in timing.ts), brought forward when the
 * caller has something due sooner.
 */
export function nextPollDelay(
  elapsedMs: number,
  interval: 'auto' | number,
  retryAfterMs: number | undefined,
  lookWithinMs?: number,
): number {
  if (retryAfterMs !== undefined) return Math.max(0, retryAfterMs);
  const planned = interval === 'auto' ? autoWaitMs(elapsedMs) : interval;
  return Math.min(planned, lookWithinMs ?? Infinity);
}

/** The one polling loop of the action: every long operation waits through it. */
export async function pollUntilDone<T>(
  observe: () => Promise<Observation<T>>,
  options: PollOptions,
): Promise<PollOutcome<T>> {
  let last: Observation<T> | undefined;
  let polls = 0;
  const clock = new LookClock(options.interval);
  const wait = options.sleep ?? sleep;
  try {
    if (!options.lookFirst) {
      await wait(clock.next(options.initialRetryAfterMs), options.signal);
    }
    for (;;) {
      last = await observe();
      polls++;
      const nextDelayMs = last.done ? undefined : clock.next(last.retryAfterMs, last.lookWithinMs);
      options.onProgress({
        poll: polls,
        status: last.status,
        elapsedMs: Date.now() - options.startedAt,
        percent: last.percent,
        nextDelayMs,
      });
      if (nextDelayMs === undefined) return { done: true, last, polls };
      await wait(nextDelayMs, options.signal);
    }
  } catch (error) {
    if (!options.signal.aborted) throw error;
    return { done: false, last, polls };
  }
}

/**
 * Keeps the looks on the schedule's own times. Its clock starts with the poller: within a round
 * trip of the start of an operation the action started (an operation the action only reads has
 * an unknown age, and the schedule starts afresh). Each planned look follows the previous planned
 * one, not the previous answer, so round trips do not add up into a late schedule; after a slow
 * answer the next look still waits at least half its planned wait. A Retry-After or a look due
 * sooner moves the plan to that time.
 */
export class LookClock {
  readonly #interval: 'auto' | number;
  readonly #now: () => number;
  readonly #startedAt: number;
  #plannedAt = 0;

  constructor(interval: 'auto' | number, now: () => number = Date.now) {
    this.#interval = interval;
    this.#now = now;
    this.#startedAt = now();
  }

  /** The wait before the next look, from now. */
  next(retryAfterMs?: number, lookWithinMs?: number): number {
    const elapsed = this.#now() - this.#startedAt;
    const planned = nextPollDelay(this.#plannedAt, this.#interval, undefined);
    const onSchedule = Math.max(this.#plannedAt + planned - elapsed, planned / 2);
    const delay =
      retryAfterMs !== undefined
        ? nextPollDelay(elapsed, this.#interval, retryAfterMs)
        : Math.min(onSchedule, lookWithinMs ?? Infinity);
    this.#plannedAt = elapsed + delay;
    return delay;
  }
}
