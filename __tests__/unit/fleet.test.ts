// The pure parts of many clusters (issue 16): the cluster input's entries, waves, shards, the
// rollout's order, the per-subscription request budget and the one poll scheduler.
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { InputError } from '../../src/base/errors.ts';
import {
  parseClusterSelection,
  parseRollout,
  parseShard,
  shardMatrix,
  shardOf,
  singleCluster,
} from '../../src/inputs/clusters.ts';
import { parseAksCluster } from '../../src/inputs/parsers.ts';
import { planWaves, runRollout } from '../../src/operations/rollout.ts';
import { RequestBudget, shareOf, type BudgetLimits } from '../../src/network/budget.ts';
import { PollScheduler } from '../../src/waiting/scheduler.ts';

const SUB = '00000000-0000-4000-8000-000000000001';
const OTHER = '00000000-0000-4000-8000-000000000002';
const id = (name: string, sub = SUB, rg = 'rg') =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;
const FLEET = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/f1`;

function inputError(input: string, pattern: RegExp) {
  return (error: unknown) =>
    error instanceof InputError && error.input === input && pattern.test(error.message);
}

describe('parseClusterSelection', () => {
  it('reads one entry per line: IDs, {rg}/{name}, tags, fleets, exclusions; skips blanks and comments', () => {
    const selection = parseClusterSelection(
      [
        id('a'),
        '',
        '# a comment',
        '  rg2/b  ',
        'tag: Env = prod ',
        `fleet:${FLEET.toLowerCase()}`,
        `!${id('c')}`,
        '! tag:skip=yes',
        '\r',
      ].join('\r\n'),
      SUB,
    );
    assert.deepEqual(
      selection.include.map((e) => e.kind),
      ['cluster', 'cluster', 'tag', 'fleet'],
    );
    const [, b, tag, fleet] = selection.include;
    assert.equal(b?.kind === 'cluster' && b.ref.resourceId, id('b', SUB, 'rg2'));
    assert.deepEqual(tag?.kind === 'tag' && [tag.subscriptionId, tag.name, tag.value], [
      SUB,
      'Env',
      'prod',
    ]);
    assert.equal(
      fleet?.kind === 'fleet' && fleet.fleetId,
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/f1`,
    );
    assert.deepEqual(
      selection.exclude.map((e) => e.kind),
      ['cluster', 'tag'],
    );
  });

  it('takes the JSON array that list-clusters outputs', () => {
    const selection = parseClusterSelection(JSON.stringify([id('a'), ` ${id('b')} `, '']), '');
    assert.deepEqual(
      selection.include.map((e) => e.kind === 'cluster' && e.ref.name),
      ['a', 'b'],
    );
  });

  it('refuses what it cannot read, naming the input', () => {
    assert.throws(() => parseClusterSelection('  ', SUB), inputError('cluster', /required/));
    assert.throws(() => parseClusterSelection('[not json', SUB), inputError('cluster', /JSON/));
    assert.throws(() => parseClusterSelection('[1, 2]', SUB), inputError('cluster', /array/));
    assert.throws(() => parseClusterSelection('{"a":1}', SUB), inputError('cluster', /./));
    assert.throws(
      () => parseClusterSelection(`!${id('a')}`, SUB),
      inputError('cluster', /only exclusions/),
    );
    assert.throws(
      () => parseClusterSelection('tag:=x', SUB),
      inputError('cluster', /tag:NAME=VALUE/),
    );
    assert.throws(() => parseClusterSelection('tag:a<b=x', SUB), inputError('cluster', /tag/));
    assert.throws(
      () => parseClusterSelection('tag:env=prod', ''),
      inputError('subscription-id', /required/),
    );
    assert.throws(
      () => parseClusterSelection('tag:env=prod', 'nope'),
      inputError('subscription-id', /GUID/),
    );
    assert.throws(
      () => parseClusterSelection('fleet:/subscriptions/x/fleets/y', SUB),
      inputError('cluster', /fleet entry/),
    );
    assert.throws(() => parseClusterSelection('a/b/c', SUB), inputError('cluster', /neither/));
    const many = Array.from({ length: 1001 }, (_, i) => `rg/c${i}`).join('\n');
    assert.throws(() => parseClusterSelection(many, SUB), inputError('cluster', /at most 1000/));
  });

  it('keeps the single-cluster action for exactly one ID, and only then', () => {
    assert.equal(singleCluster(parseClusterSelection(id('a'), SUB))?.name, 'a');
    assert.equal(singleCluster(parseClusterSelection('rg/a', SUB))?.name, 'a');
    assert.equal(singleCluster(parseClusterSelection(`${id('a')}\n${id('b')}`, SUB)), undefined);
    assert.equal(singleCluster(parseClusterSelection(`${id('a')}\n!${id('b')}`, SUB)), undefined);
    assert.equal(singleCluster(parseClusterSelection('tag:a=b', SUB)), undefined);
    assert.equal(singleCluster(parseClusterSelection(`fleet:${FLEET}`, SUB)), undefined);
  });
});

describe('parseRollout and planWaves', () => {
  it('reads counts and percentages; empty is one wave of everything', () => {
    assert.deepEqual(parseRollout(''), [{ percent: 100 }]);
    assert.deepEqual(parseRollout('1, 10%, 100%'), [
      { count: 1 },
      { percent: 10 },
      { percent: 100 },
    ]);
    assert.deepEqual(parseRollout(' 2 ,12.5 %,'), [{ count: 2 }, { percent: 12.5 }]);
    for (const bad of ['0', '0%', '101%', '-1', 'abc', '1.5', '10000', '%'])
      assert.throws(() => parseRollout(bad), inputError('rollout', /wave size/), bad);
  });

  it('sizes waves from what is left, rounding up, the last taking the rest', () => {
    const waves = (total: number, text: string) => planWaves(total, parseRollout(text));
    assert.deepEqual(waves(5, '1, 50%, 100%'), [1, 2, 2]);
    assert.deepEqual(waves(6, '1, 50%, 100%'), [1, 3, 2]);
    assert.deepEqual(waves(50, '1, 10%, 100%'), [1, 5, 44]);
    assert.deepEqual(waves(3, '1%, 100%'), [1, 2], 'a percentage is at least one');
    assert.deepEqual(waves(10, '2, 2'), [2, 8], 'the last wave takes the rest whatever it says');
    assert.deepEqual(waves(10, '50%'), [10]);
    assert.deepEqual(waves(2, '5, 1, 100%'), [2], 'no empty waves');
    assert.deepEqual(waves(0, '1, 100%'), []);
    for (const total of [1, 7, 50, 200])
      assert.equal(
        waves(total, '1, 10%, 25%, 100%').reduce((a, b) => a + b, 0),
        total,
      );
  });
});

describe('parseShard, shardOf and shardMatrix', () => {
  it('reads i/n', () => {
    assert.equal(parseShard(''), undefined);
    assert.deepEqual(parseShard(' 2 / 4 '), { index: 2, count: 4 });
    assert.deepEqual(parseShard('1/1'), { index: 1, count: 1 });
    for (const bad of ['0/2', '3/2', '2', 'a/b', '1/0', '-1/2', '1/2/3'])
      assert.throws(() => parseShard(bad), inputError('shard', /i\/n/), bad);
  });

  it('partitions the list into stable shards, each in the input order', () => {
    const refs = ['e', 'B', 'a', 'd', 'C', 'f', 'g'].map((name) => parseAksCluster(id(name), ''));
    const shards = [1, 2, 3].map((index) => shardOf(refs, { index, count: 3 }));
    const names = shards.map((s) => s.map((r) => r.name));
    // Sorted by lower-cased ID: a B C d e f g, dealt out in turn.
    assert.deepEqual(names, [
      ['a', 'd', 'g'],
      ['e', 'B'],
      ['C', 'f'],
    ]);
    const reversed = [...refs].reverse();
    assert.deepEqual(
      [1, 2, 3].map((index) =>
        shardOf(reversed, { index, count: 3 })
          .map((r) => r.name)
          .sort(),
      ),
      names.map((s) => [...s].sort()),
    );
    assert.deepEqual(shardOf(refs, { index: 1, count: 1 }), refs);
    assert.deepEqual(shardOf(refs.slice(0, 2), { index: 3, count: 3 }), [], 'a shard may be empty');
    assert.deepEqual(shardMatrix(3), { shard: ['1/3', '2/3', '3/3'] });
  });
});

describe('runRollout', () => {
  /** Work whose items end when the test says, recording how many ran at once. */
  function controlled() {
    const ends = new Map<number, (passed: boolean) => void>();
    const log: string[] = [];
    let running = 0;
    let peak = 0;
    const work = (index: number) =>
      new Promise<boolean>((resolve) => {
        running++;
        peak = Math.max(peak, running);
        log.push(`start ${index}`);
        ends.set(index, (passed) => {
          running--;
          log.push(`end ${index}`);
          resolve(passed);
        });
      });
    const end = async (index: number, passed = true) => {
      await settle();
      const done = ends.get(index);
      assert.ok(done, `item ${index} is running (${log.join(', ')})`);
      ends.delete(index);
      done(passed);
      await settle();
    };
    return { work, end, log, peak: () => peak, running: () => [...ends.keys()] };
  }
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const options = (waves: number[], maxParallel: number, failFast = true) => ({
    waves,
    maxParallel,
    failFast,
    signal: new AbortController().signal,
  });

  it('keeps at most maxParallel running, in order, and starts the next wave only after the last one', async () => {
    const c = controlled();
    const done = runRollout(5, options([1, 4], 2), c.work);
    await c.end(0);
    assert.deepEqual(c.running(), [1, 2]);
    await c.end(2);
    assert.deepEqual(c.running(), [1, 3]);
    await c.end(1);
    await c.end(3);
    await c.end(4);
    const { started, stoppedBy } = await done;
    assert.deepEqual([...started].sort(), [0, 1, 2, 3, 4]);
    assert.equal(stoppedBy, undefined);
    assert.equal(c.peak(), 2);
    assert.deepEqual(c.log.slice(0, 3), ['start 0', 'end 0', 'start 1']);
  });

  it('stops after a wave that failed, fail-fast or not, letting that wave finish', async () => {
    const c = controlled();
    const done = runRollout(4, options([2, 2], 1, false), c.work);
    await c.end(0, false);
    await c.end(1);
    const { started, stoppedBy } = await done;
    assert.deepEqual([...started], [0, 1]);
    assert.equal(stoppedBy, 'wave');
  });

  it('with fail-fast, starts nothing after a failure; running items finish', async () => {
    const c = controlled();
    const done = runRollout(5, options([5], 2), c.work);
    await c.end(1, false);
    assert.deepEqual(c.running(), [0], 'no new start after the failure');
    await c.end(0);
    const { started, stoppedBy } = await done;
    assert.deepEqual([...started].sort(), [0, 1]);
    assert.equal(stoppedBy, 'failure');
  });

  it('without fail-fast, goes on through the wave after a failure', async () => {
    const c = controlled();
    const done = runRollout(3, options([3], 1, false), c.work);
    await c.end(0, false);
    await c.end(1);
    await c.end(2);
    assert.deepEqual((await done).stoppedBy, undefined);
  });

  it('starts nothing once the signal is aborted', async () => {
    const c = controlled();
    const abort = new AbortController();
    const waves: string[] = [];
    const done = runRollout(
      4,
      {
        ...options([2, 2], 2),
        signal: abort.signal,
        onWave: (wave, size, of) => waves.push(`${wave}:${size}/${of}`),
      },
      c.work,
    );
    await settle();
    abort.abort();
    await c.end(0);
    await c.end(1);
    const { started, stoppedBy } = await done;
    assert.deepEqual([...started].sort(), [0, 1]);
    assert.equal(stoppedBy, 'signal');
    assert.deepEqual(waves, ['1:2/2']);
  });
});

describe('RequestBudget', () => {
  const LIMITS: BudgetLimits = {
    reads: { capacity: 3, perSecond: 10 },
    writes: { capacity: 2, perSecond: 1 },
  };
  const url = (sub: string, rest = '/resourceGroups/rg') =>
    `https://arm.example/subscriptions/${sub}${rest}?api-version=1`;

  /** A budget on a clock the test moves, and how long each take would wait (without waiting). */
  function budgetAt(limits = LIMITS) {
    let now = 1_000_000;
    const budget = new RequestBudget(limits, () => now);
    const wait = async (method: string, address: string) => {
      const before = budget.waitedMs;
      // An aborted signal ends the wait at once; waitedMs has counted it.
      await budget.take(method, address, AbortSignal.abort()).catch(() => undefined);
      return budget.waitedMs - before;
    };
    return { budget, wait, advance: (ms: number) => (now += ms) };
  }

  it('lets a burst of capacity go at once, then one per interval; time refills it', async () => {
    const { wait, advance } = budgetAt();
    const reads = [];
    for (let i = 0; i < 5; i++) reads.push(await wait('GET', url(SUB)));
    assert.deepEqual(reads, [0, 0, 0, 100, 200]);
    advance(1000);
    assert.equal(await wait('GET', url(SUB)), 0);
  });

  it('keeps reads and writes, and each subscription, apart; calls outside a subscription go at once', async () => {
    const { wait } = budgetAt();
    for (let i = 0; i < 3; i++) await wait('GET', url(SUB));
    assert.equal(await wait('POST', url(SUB)), 0, 'writes have their own bucket');
    assert.equal(await wait('GET', url(OTHER)), 0, 'another subscription has its own');
    assert.equal(
      await wait('GET', url(SUB.toUpperCase())),
      100,
      'subscription ids compare without case',
    );
    assert.equal(await wait('GET', 'https://login.example/tenant/oauth2/v2.0/token'), 0);
    assert.equal(await wait('GET', 'https://arm.example/metadata/endpoints?api-version=1'), 0);
  });

  it('pauses only the throttled subscription for its Retry-After', async () => {
    const { budget, wait } = budgetAt();
    budget.observe('GET', url(SUB), 429, { 'retry-after': '3' });
    assert.equal(budget.throttled, 1);
    assert.equal(await wait('GET', url(SUB)), 3000);
    assert.equal(await wait('GET', url(OTHER)), 0);
    assert.equal(await wait('POST', url(SUB)), 0, 'a throttled read does not pause writes');
  });

  it('never counts on more than ARM says is left', async () => {
    const { budget, wait } = budgetAt();
    budget.observe('GET', url(SUB), 200, { 'x-ms-ratelimit-remaining-subscription-reads': '1' });
    assert.equal(await wait('GET', url(SUB)), 0);
    assert.equal(await wait('GET', url(SUB)), 100);
    // A header for writes says nothing of reads, and a garbled one is ignored.
    budget.observe('POST', url(OTHER), 200, {
      'x-ms-ratelimit-remaining-subscription-writes': 'x',
    });
    assert.equal(await wait('POST', url(OTHER)), 0);
    assert.equal(await wait('POST', url(OTHER)), 0);
  });

  it('gives each shard its part', () => {
    assert.deepEqual(shareOf(LIMITS, 2), {
      reads: { capacity: 1, perSecond: 5 },
      writes: { capacity: 1, perSecond: 0.5 },
    });
    assert.equal(shareOf(LIMITS, 100).reads.capacity, 1, 'never below one');
  });
});

describe('PollScheduler', () => {
  it('wakes each sleeper in time order from one timer, and forgets aborted ones', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const timeouts = mock.method(globalThis, 'setTimeout');
    const scheduler = new PollScheduler(() => Date.now());
    const woke: string[] = [];
    const abort = new AbortController();
    void scheduler.sleep(300).then(() => woke.push('300'));
    void scheduler.sleep(100).then(() => woke.push('100'));
    const aborted = scheduler.sleep(200, abort.signal).then(
      () => woke.push('200'),
      (error: unknown) => woke.push(`aborted ${(error as Error).message}`),
    );
    void scheduler.sleep(100).then(() => woke.push('100b'));
    assert.equal(scheduler.waiting, 4);
    abort.abort(new Error('stop'));
    await aborted;
    assert.equal(scheduler.waiting, 3);
    const flush = () => new Promise((resolve) => setImmediate(resolve));
    t.mock.timers.tick(99);
    await flush();
    assert.deepEqual(woke, ['aborted stop']);
    t.mock.timers.tick(1);
    await flush();
    assert.deepEqual(woke, ['aborted stop', '100', '100b']);
    t.mock.timers.tick(200);
    await flush();
    assert.deepEqual(woke, ['aborted stop', '100', '100b', '300']);
    assert.equal(scheduler.waiting, 0);
    // One timer at a time: set for 100 (the earliest), then for 300; the 200 one never had its own.
    assert.ok(
      timeouts.mock.callCount() >= 1 && timeouts.mock.callCount() <= 3,
      `${timeouts.mock.callCount()} timers`,
    );
    timeouts.mock.restore();
  });

  it('rejects at once when the signal is already aborted', async () => {
    const scheduler = new PollScheduler();
    const abort = new AbortController();
    abort.abort(new Error('gone'));
    await assert.rejects(scheduler.sleep(10, abort.signal), /gone/);
    assert.equal(scheduler.waiting, 0);
  });
});
