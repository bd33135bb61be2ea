// The request budget of one run: ARM counts reads and writes per subscription (and per identity)
// in token buckets; the action keeps its own buckets below ARM's, per subscription, so that many
// clusters of one subscription never spend more than ARM grants, and a throttled subscription
// slows only its own clusters.
import { sleep } from '../waiting/timing.ts';
import { headerValue } from './headers.ts';
import { retryAfterMs } from './retry.ts';

export interface BucketLimit {
  /** Requests that may go at once. */
  capacity: number;
  /** Requests per second once the burst is spent. */
  perSecond: number;
}

export interface BudgetLimits {
  reads: BucketLimit;
  writes: BucketLimit;
}

/**
 * ARM grants each subscription and identity 250 reads refilled at 25/s and 200 writes refilled at
 * 10/s (per region of ARM). The action keeps a fifth in reserve, for the portal, other tools and
 * the answers still in flight.
 */
export const ARM_BUDGET: BudgetLimits = {
  reads: { capacity: 200, perSecond: 20 },
  writes: { capacity: 160, perSecond: 8 },
};

/** The budget of one of `count` shards that share an identity: each takes its part. */
export function shareOf(limits: BudgetLimits, count: number): BudgetLimits {
  const part = (limit: BucketLimit): BucketLimit => ({
    capacity: Math.max(1, Math.floor(limit.capacity / count)),
    perSecond: limit.perSecond / count,
  });
  return { reads: part(limits.reads), writes: part(limits.writes) };
}

/**
 * One bucket, kept as the time at which it would be full again (the generic cell rate
 * algorithm): a request reserves its slot at once and then waits for it, so concurrent callers
 * queue in order without a lock.
 */
class Bucket {
  readonly #intervalMs: number;
  readonly #burstMs: number;
  #fullAt = 0;

  constructor(limit: BucketLimit) {
    this.#intervalMs = 1000 / limit.perSecond;
    this.#burstMs = (limit.capacity - 1) * this.#intervalMs;
  }

  /** Reserves the next slot; returns how long to wait for it. */
  reserve(now: number): number {
    const fullAt = Math.max(this.#fullAt, now);
    const waitMs = Math.max(0, fullAt - this.#burstMs - now);
    this.#fullAt = fullAt + this.#intervalMs;
    return waitMs;
  }

  /** Nothing goes before `until`, and the bucket starts empty then (a 429's Retry-After). */
  pauseUntil(until: number): void {
    this.#fullAt = Math.max(this.#fullAt, until + this.#burstMs);
  }

  /** The service says only `remaining` are left: never count on more. */
  atMost(remaining: number, now: number): void {
    const left = Math.max(0, remaining - 1);
    this.#fullAt = Math.max(this.#fullAt, now + this.#burstMs - left * this.#intervalMs);
  }
}

const SUBSCRIPTION_IN_PATH = /\/subscriptions\/([0-9a-f-]{36})(?:\/|\?|$)/i;

/** The buckets of every subscription the run calls, created as they are first used. */
export class RequestBudget {
  readonly #limits: BudgetLimits;
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;
  /** Time spent waiting for the budget, for the summary. */
  waitedMs = 0;
  throttled = 0;

  constructor(limits: BudgetLimits = ARM_BUDGET, now: () => number = Date.now) {
    this.#limits = limits;
    this.#now = now;
  }

  /** Waits until the request's subscription may send it. Calls outside a subscription go at once. */
  async take(method: string, url: string, signal?: AbortSignal): Promise<void> {
    const bucket = this.#bucketFor(method, url);
    if (!bucket) return;
    const waitMs = bucket.reserve(this.#now());
    if (waitMs <= 0) return;
    this.waitedMs += waitMs;
    await sleep(waitMs, signal);
  }

  /** Learns from an answer: what ARM says is left, and a 429's pause. */
  observe(
    method: string,
    url: string,
    status: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    const bucket = this.#bucketFor(method, url);
    if (!bucket) return;
    const now = this.#now();
    const remaining = headerValue(
      headers,
      method === 'GET'
        ? 'x-ms-ratelimit-remaining-subscription-reads'
        : 'x-ms-ratelimit-remaining-subscription-writes',
    );
    if (remaining !== undefined && /^\d+$/.test(remaining)) bucket.atMost(Number(remaining), now);
    if (status === 429) {
      this.throttled++;
      bucket.pauseUntil(now + (retryAfterMs(headers, now) ?? 1000));
    }
  }

  #bucketFor(method: string, url: string): Bucket | undefined {
    const subscription = SUBSCRIPTION_IN_PATH.exec(new URL(url).pathname)?.[1]?.toLowerCase();
    if (!subscription) return undefined;
    const kind = method === 'GET' ? 'reads' : 'writes';
    const key = `${subscription} ${kind}`;
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = new Bucket(this.#limits[kind]);
      this.#buckets.set(key, bucket);
    }
    return bucket;
  }
}
