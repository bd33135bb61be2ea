import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LookClock,
  nextPollDelay,
  pollUntilDone,
  type Observation,
} from '../../src/waiting/poller.ts';
import { AUTO_SCHEDULE, autoWaitMs } from '../../src/waiting/timing.ts';
import {
  ARM_RETRY,
  SERVICE_FABRIC_RETRY,
  decideRetry,
  retryAfterMs,
} from '../../src/network/retry.ts';

const half = () => 0; // jitter at its lowest: 50 % of the ceiling

describe('retry decisions', () => {
  it('retries 408, 429 and 5xx but not 501, 505 or 4xx', () => {
    for (const status of [408, 429, 500, 502, 503, 504]) {
      assert.equal(
        decideRetry({ kind: 'response', status, headers: {} }, 0, 0, ARM_RETRY, half).retry,
        true,
        String(status),
      );
    }
    for (const status of [400, 401, 403, 404, 409, 501, 505]) {
      assert.equal(
        decideRetry({ kind: 'response', status, headers: {} }, 0, 0, ARM_RETRY, half).retry,
        false,
        String(status),
      );
    }
  });
  it('Service Fabric retries only 503 and 504', () => {
    assert.equal(
      decideRetry({ kind: 'response', status: 500, headers: {} }, 0, 0, SERVICE_FABRIC_RETRY).retry,
      false,
    );
    assert.equal(
      decideRetry({ kind: 'response', status: 503, headers: {} }, 0, 0, SERVICE_FABRIC_RETRY).retry,
      true,
    );
  });
  it('retries dropped and reset connections, not unknown errors', () => {
    assert.equal(
      decideRetry({ kind: 'error', code: 'ECONNRESET', message: '' }, 0, 0, ARM_RETRY).retry,
      true,
    );
    assert.equal(
      decideRetry({ kind: 'error', code: 'REQUEST_TIMEOUT', message: '' }, 0, 0, ARM_RETRY).retry,
      true,
    );
    assert.equal(
      decideRetry(
        { kind: 'error', code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: '' },
        0,
        0,
        ARM_RETRY,
      ).retry,
      false,
    );
  });
  it('backs off exponentially with jitter, capped', () => {
    const delays = [0, 1, 2, 3, 4, 5].map((n) => {
      const d = decideRetry({ kind: 'response', status: 500, headers: {} }, n, 0, ARM_RETRY, half);
      return d.retry ? d.delayMs : -1;
    });
    assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16000]);
    const top = decideRetry(
      { kind: 'response', status: 500, headers: {} },
      5,
      0,
      ARM_RETRY,
      () => 0.999,
    );
    assert.ok(top.retry && top.delayMs <= ARM_RETRY.maxDelayMs);
  });
  it('never retries sooner than Retry-After', () => {
    const d = decideRetry(
      { kind: 'response', status: 429, headers: { 'retry-after': '7' } },
      0,
      0,
      ARM_RETRY,
      half,
    );
    assert.ok(d.retry && d.delayMs === 7000);
  });
  it('stops after the count and the time budget', () => {
    assert.equal(
      decideRetry(
        { kind: 'response', status: 500, headers: {} },
        ARM_RETRY.maxRetries,
        0,
        ARM_RETRY,
      ).retry,
      false,
    );
    assert.equal(
      decideRetry(
        { kind: 'response', status: 429, headers: { 'retry-after': '100' } },
        0,
        ARM_RETRY.maxElapsedMs - 1000,
        ARM_RETRY,
      ).retry,
      false,
    );
  });
  it('reads every form of retry hint', () => {
    assert.equal(retryAfterMs({ 'retry-after': '3' }), 3000);
    assert.equal(retryAfterMs({ 'retry-after-ms': '250' }), 250);
    assert.equal(retryAfterMs({ 'x-ms-retry-after-ms': '1500' }), 1500);
    assert.equal(retryAfterMs({ 'retry-after': new Date(10_000).toUTCString() }, 4_000), 6000);
    assert.equal(retryAfterMs({ 'retry-after': 'soon' }), undefined);
    assert.equal(retryAfterMs({}), undefined);
  });
});

describe('poll schedule', () => {
  /** The look times (s after the start) that `auto` gives, as the poller applies it. */
  const autoLooks = (until: number): number[] => {
    const looks: number[] = [];
    for (let t = 0; t < until * 1000;) {
      t += nextPollDelay(t, 'auto', undefined);
      looks.push(t / 1000);
    }
    return looks;
  };
  it('auto looks first once a pod can have run, evenly while short commands end, then slower', () => {
    const looks = autoLooks(700);
    assert.equal(looks[0], AUTO_SCHEDULE.firstLookSeconds);
    assert.equal(looks[1]! - looks[0]!, AUTO_SCHEDULE.shortWaitSeconds);
    const waits = looks.map((t, i) => t - (looks[i - 1] ?? 0));
    // Waits never shrink, but for the one that joins the ceiling's grid.
    const shrinking = waits.filter((w, i) => i >= 2 && w < waits[i - 1]! - 1e-9);
    assert.equal(shrinking.length, 1, waits.join(' '));
    assert.ok(waits.every((w) => w <= AUTO_SCHEDULE.ceilingSeconds + 1e-9));
    assert.equal(waits.at(-1), AUTO_SCHEDULE.ceilingSeconds);
    // The README's budget: 17 looks in the first 80 s, about 59 in ten minutes.
    assert.equal(looks.filter((t) => t <= 80).length, 17);
    const tenMinutes = looks.filter((t) => t < 600).length + 1;
    assert.ok(tenMinutes >= 57 && tenMinutes <= 60, `${tenMinutes} looks in 10 min`);
  });
  it('auto restarts its first look from the time already spent', () => {
    assert.equal(autoWaitMs(0), 4000);
    assert.equal(autoWaitMs(1500), 2500);
    assert.equal(autoWaitMs(60_000), 4500);
    // At the ceiling the looks keep to a grid of 8 s past multiples of 15 s (…, 308, …, 608 s).
    assert.equal(autoWaitMs(160_000), 13_000);
    assert.equal(autoWaitMs(593_000), 15_000);
    assert.equal(autoWaitMs(607_500), 500 + 15_000);
    assert.equal(autoWaitMs(36_008_000), 15_000);
  });
  it('a fixed interval is used as is; a Retry-After from the service is followed as given', () => {
    assert.equal(nextPollDelay(0, 2000, undefined), 2000);
    assert.equal(nextPollDelay(0, 2000, 5000), 5000);
    assert.equal(nextPollDelay(200_000, 'auto', 60_000), 60_000);
    assert.equal(nextPollDelay(30_000, 'auto', 1000), 1000);
  });
  it('looks sooner when something falls due, but never before Retry-After', () => {
    assert.equal(nextPollDelay(100_000, 'auto', undefined, 3000), 3000);
    assert.equal(nextPollDelay(0, 'auto', undefined, 0), 0);
    assert.equal(nextPollDelay(100_000, 'auto', 4000, 3000), 4000);
  });
  it('the auto schedule costs at most four reads a minute once it reaches its ceiling', () => {
    const looks = autoLooks(3600);
    const lastHour = looks.filter((t) => t >= 600 && t < 3600).length;
    assert.ok(lastHour <= 4 * 50, `${lastHour} looks in 50 minutes`);
  });
});

describe('the poller', () => {
  const step = (status: string, done = false, retryAfter?: number): Observation<string> => ({
    done,
    status,
    value: status,
    retryAfterMs: retryAfter,
  });

  it('polls until done and reports each poll', async () => {
    const seen = [step('Running'), step('Running'), step('Succeeded', true)];
    const progress: string[] = [];
    const outcome = await pollUntilDone(async () => seen.shift()!, {
      interval: 10,
      signal: new AbortController().signal,
      startedAt: Date.now(),
      lookFirst: true,
      onProgress: (p) => progress.push(`${p.status}:${p.nextDelayMs ?? 'final'}`),
    });
    assert.equal(outcome.done, true);
    assert.equal(outcome.polls, 3);
    assert.equal(progress.at(-1), 'Succeeded:final');
    // A fixed interval keeps its looks on a 10 ms grid: a late look shortens the next wait.
    for (const line of progress.slice(0, -1)) {
      const wait = Number(/^Running:(\d+)$/.exec(line)?.[1]);
      assert.ok(wait >= 5 && wait <= 10, line);
    }
  });
  it("keeps the looks on the schedule's times, whatever the round trips", () => {
    let now = 1_000;
    const clock = new LookClock('auto', () => now);
    const looks: number[] = [];
    for (let i = 0; i < 30; i++) {
      now += clock.next();
      looks.push((now - 1_000) / 1000);
      now += 300; // each answer takes 0.3 s
    }
    let t = 0;
    const planned = looks.map(() => (t += nextPollDelay(t * 1000, 'auto', undefined) / 1000));
    const ms = (xs: number[]) => xs.map((x) => Math.round(x * 1000));
    assert.deepEqual(ms(looks), ms(planned));
  });
  it('follows a Retry-After as given, and waits at least half a wait after a slow answer', () => {
    let now = 0;
    const clock = new LookClock(2_000, () => now);
    assert.equal(clock.next(), 2_000);
    now = 2_000;
    assert.equal(clock.next(7_000), 7_000);
    now = 9_000;
    assert.equal(clock.next(), 2_000);
    now = 30_000; // an answer that took 19 s
    assert.equal(clock.next(), 1_000);
    now = 31_050;
    assert.equal(clock.next(undefined, 500), 500);
  });
  it('waits the Retry-After it was given', async () => {
    const seen = [step('Running', false, 150), step('Succeeded', true)];
    const started = Date.now();
    await pollUntilDone(async () => seen.shift()!, {
      interval: 1,
      signal: new AbortController().signal,
      startedAt: started,
      lookFirst: true,
      onProgress: () => {},
    });
    assert.ok(Date.now() - started >= 150);
  });
  it('stops on the signal and returns what it saw last', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('timeout')), 50);
    const outcome = await pollUntilDone(async () => step('Running'), {
      interval: 20,
      signal: controller.signal,
      startedAt: Date.now(),
      lookFirst: true,
      onProgress: () => {},
    });
    assert.equal(outcome.done, false);
    assert.equal(outcome.last?.status, 'Running');
    assert.ok(outcome.polls >= 2);
  });
  it('lets an error of a poll through', async () => {
    await assert.rejects(
      pollUntilDone(async () => Promise.reject(new Error('boom')), {
        interval: 1,
        signal: new AbortController().signal,
        startedAt: 0,
        lookFirst: true,
        onProgress: () => {},
      }),
      /boom/,
    );
  });
});
