// ARM's request limits as documented since its token-bucket throttling: per subscription and
// principal, one bucket for reads and one for writes, refilled continuously. A request over the
// limit is answered 429 SubscriptionRequestsThrottled with Retry-After; every answer says how many
// requests are left in x-ms-ratelimit-remaining-subscription-reads|writes.
import type { ArmLimits, RequestBucket } from './types.ts';

/** learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling */
export const ARM_DOCUMENTED_LIMITS: Required<ArmLimits> = {
  reads: { capacity: 250, perSecond: 25 },
  writes: { capacity: 200, perSecond: 10 },
};

export type Access = 'reads' | 'writes';

export type Admission =
  { ok: true; remaining: number } | { ok: false; remaining: 0; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/** GET and HEAD are reads; everything else is a write, as ARM counts them. */
export function accessOf(method: string | undefined): Access {
  const upper = (method ?? 'GET').toUpperCase();
  return upper === 'GET' || upper === 'HEAD' ? 'reads' : 'writes';
}

export class RateLimiter {
  readonly #limits: Required<ArmLimits>;
  readonly #buckets = new Map<string, Bucket>();
  #throttled = 0;

  constructor(limits: ArmLimits) {
    this.#limits = {
      reads: checked('reads', limits.reads ?? ARM_DOCUMENTED_LIMITS.reads),
      writes: checked('writes', limits.writes ?? ARM_DOCUMENTED_LIMITS.writes),
    };
  }

  /** Takes one token of the subscription and principal's bucket, as of `nowMs`. */
  take(subscriptionId: string, principal: string, access: Access, nowMs: number): Admission {
    const limit = this.#limits[access];
    const key = `${subscriptionId.toLowerCase()}|${principal}|${access}`;
    const bucket = this.#buckets.get(key) ?? { tokens: limit.capacity, at: nowMs };
    // Arrival times may come slightly out of order under load: never refill backwards.
    const elapsed = Math.max(0, nowMs - bucket.at) / 1000;
    bucket.tokens = Math.min(limit.capacity, bucket.tokens + elapsed * limit.perSecond);
    bucket.at = Math.max(bucket.at, nowMs);
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true, remaining: Math.floor(bucket.tokens) };
    }
    this.#throttled += 1;
    // ARM says whole seconds, at least one.
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond));
    return { ok: false, remaining: 0, retryAfterSeconds };
  }

  throttled(): number {
    return this.#throttled;
  }
}

function checked(name: string, bucket: RequestBucket): RequestBucket {
  if (!(bucket.capacity >= 1) || !(bucket.perSecond > 0))
    throw new Error(`armLimits.${name}: capacity must be at least 1 and perSecond above 0`);
  return bucket;
}

/** ARM's words for a throttled request. */
export function throttledMessage(
  subscriptionId: string,
  principal: string,
  access: Access,
  retryAfterSeconds: number,
): string {
  const word = access === 'reads' ? 'read' : 'write';
  return `Number of '${word}' requests for subscription '${subscriptionId}' actor '${principal}' exceeded. Please try again after '${retryAfterSeconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.`;
}
