import type { FaultRule } from '../emulator/index.ts';
import type { SfFaultRule } from '../emulator/service-fabric.ts';
import { between, pick } from './prng.ts';

type Fault = FaultRule['fault'];

const PROXY_PAGE =
  '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>';

/** Faults any ARM call can meet on its way. */
const ANY_CALL: Fault[] = [
  { status: 429, retryAfter: 1 },
  { status: 429 },
  { status: 500 },
  { status: 502, body: PROXY_PAGE, contentType: 'text/html' },
  { status: 503, retryAfter: 1 },
  { status: 504 },
  { drop: 'reset' },
  { drop: 'close' },
  { expireToken: true },
  {
    status: 500,
    body: '{"error":{"code":"InternalServerError","mess',
    contentType: 'application/json',
  },
];

/** Faults only a poll can meet: answers that look fine but cannot be read, and moved polling URLs. */
const POLL_ONLY: Fault[] = [
  { status: 200, body: '{"id":"trunc', contentType: 'application/json' },
  { status: 200, body: 'OK', contentType: 'text/plain' },
  { moveLocation: true },
  { cut: 'mid-body' },
  { cut: 'after-headers', stallMs: 300 },
];

/** A slow answer, past the action's request timeout for the run's `timeout`. */
export const SLOW: Fault = { delayMs: 11_000 };

export const TOKEN_FAULTS: Fault[] = [
  { status: 503, retryAfter: 1 },
  { status: 500 },
  { drop: 'reset' },
];

export interface FaultPlan {
  rules: FaultRule[];
}

/** A random but seeded schedule of faults over the calls a scenario makes. */
export function planFaults(
  random: () => number,
  cluster: string,
  writes: string[],
  polls: string[],
): FaultRule[] {
  const rules: FaultRule[] = [];
  const count = between(random, 0, 4);
  for (let i = 0; i < count; i++) {
    const roll = random();
    if (roll < 0.08) {
      rules.push({ kind: 'token', skip: between(random, 0, 2), fault: pick(random, TOKEN_FAULTS) });
    } else if (roll < 0.12 && polls.length > 0) {
      rules.push({ kind: pick(random, polls), cluster, skip: between(random, 0, 2), fault: SLOW });
    } else if (roll < 0.4 && writes.length > 0) {
      rules.push({
        kind: pick(random, writes),
        cluster,
        skip: 0,
        times: between(random, 1, 2),
        fault: pick(random, ANY_CALL),
      });
    } else if (polls.length > 0) {
      rules.push({
        kind: pick(random, polls),
        cluster,
        skip: between(random, 0, 3),
        times: between(random, 1, 3),
        fault: pick(random, [...ANY_CALL, ...POLL_ONLY]),
      });
    }
  }
  return rules;
}

export function describeRule(rule: FaultRule): string {
  const f = rule.fault;
  const what =
    'status' in f
      ? `${f.status}${f.retryAfter !== undefined ? ` Retry-After ${f.retryAfter}` : ''}${f.body ? ` body ${JSON.stringify(f.body.slice(0, 20))}` : ''}`
      : 'drop' in f
        ? `drop ${f.drop}`
        : 'delayMs' in f
          ? `slow ${f.delayMs} ms`
          : 'expireToken' in f
            ? 'expired token'
            : 'cut' in f
              ? `cut ${f.cut}`
              : 'moved Location';
  return `${rule.kind ?? 'any'}${rule.skip ? ` after ${rule.skip}` : ''} x${rule.times ?? 1}: ${what}`;
}

const SF_FAULTS: SfFaultRule['fault'][] = [
  { status: 503, code: 'FABRIC_E_NOT_READY' },
  { status: 503, code: 'E_ABORT' },
  { status: 503, code: 'FABRIC_E_SERVICE_TOO_BUSY' },
  { status: 504, code: 'FABRIC_E_TIMEOUT' },
  { drop: 'reset' },
];

/** Transient gateway answers on the cancels and the list reads of a cancel-fault run. */
export function planServiceFabricFaults(random: () => number): SfFaultRule[] {
  return Array.from({ length: between(random, 0, 3) }, () => ({
    path: pick(random, ['Force=false', 'Force=true', 'StateFilter']),
    skip: between(random, 0, 2),
    times: between(random, 1, 2),
    fault: pick(random, SF_FAULTS),
  }));
}
