import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AUTO_CEILING_SECONDS,
  nextPollDelay,
  pollUntilDone,
  type Observation,
} from '../../src/waiting/poller.ts';
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
  it('auto starts quick and grows to its ceiling', () => {
    const delays = Array.from({ length: 14 }, (_, i) => nextPollDelay(i, 'auto', undefined));
    assert.equal(delays[0], 1200);
    for (let i = 1; i < delays.length; i++) assert.ok(delays[i]! >= delays[i - 1]!);
    assert.equal(delays.at(-1), AUTO_CEILING_SECONDS * 1000);
  });
  it('a fixed interval is used as is; a Retry-After from the service is followed as given', () => {
    assert.equal(nextPollDelay(0, 2000, undefined), 2000);
    assert.equal(nextPollDelay(0, 2000, 5000), 5000);
    assert.equal(nextPollDelay(20, 'auto', 60_000), 60_000);
    assert.equal(nextPollDelay(6, 'auto', 1000), 1000);
  });
  it('looks sooner when something falls due, but never before Retry-After', () => {
    assert.equal(nextPollDelay(10, 'auto', undefined, 3000), 3000);
    assert.equal(nextPollDelay(0, 'auto', undefined, 0), 0);
    assert.equal(nextPollDelay(10, 'auto', 4000, 3000), 4000);
  });
  it('the auto schedule costs at most five reads a minute once it reaches its ceiling', () => {
    const delays = Array.from({ length: 60 }, (_, i) => nextPollDelay(i, 'auto', undefined));
    const sum = (n: number) => delays.slice(0, n).reduce((a, b) => a + b, 0) / 1000;
    assert.equal(sum(7), 31);
    assert.ok(delays.slice(8).every((d) => d === 12_000));
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
    assert.deepEqual(progress, ['Running:10', 'Running:10', 'Succeeded:final']);
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
