// Fleets under trouble (issue 16, point 6), through the bundle: failing clusters in each wave, a
// 429 storm over one subscription while the other runs on, a cluster deleted mid-run, the job
// cancelled in the middle of a wave, and the step's timeout running out mid-fleet. Every scene is
// driven by requests (faults with skip/times, log lines), not by timers since set-up.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ClusterSpec, RequestRecord } from '../../emulator/index.ts';
import { runAction } from '../helpers/action.ts';
import { emulatorPerFile } from '../helpers/emulator.ts';
import { assertFailed, assertPassed } from '../helpers/e2e.ts';
import {
  clusterTableRows,
  commandSpan,
  jsonList,
  requestsOf,
  resultsOf,
  ids,
  labClusters,
} from '../helpers/fleet.ts';

const RG = 'rg-chaos';
const lab = emulatorPerFile({ clusters: { resourceGroup: RG, prefix: 'ch' } });

const QUICK = { 'poll-interval': '0.5' };
const clusters = (count: number, spec?: (index: number) => Partial<ClusterSpec>) =>
  labClusters(lab, count, spec);

function subscriptionOf(record: RequestRecord): string {
  return /^\/subscriptions\/([^/]+)/i.exec(record.path)?.[1]?.toLowerCase() ?? '';
}

describe('failing clusters in each wave', () => {
  // Six clusters in waves 1, 3, 2; the failing one opens wave `wave`.
  const cases = [
    { wave: 1, failing: 0, ran: 1 },
    { wave: 2, failing: 1, ran: 4 },
    { wave: 3, failing: 4, ran: 6 },
  ];
  for (const { wave, failing, ran } of cases) {
    it(`a failure in wave ${wave} lets that wave finish and starts no later one`, async () => {
      const fleet = clusters(6, (i) => (i === failing ? { commandExitCode: 7 } : {}));
      const run = await runAction(
        {
          cluster: ids(fleet).join('\n'),
          command: 'true',
          rollout: '1, 50%, 100%',
          'fail-fast': 'false',
          ...QUICK,
        },
        lab.emu,
      );
      assertFailed(run, /1 of 6 clusters did not pass/, 'Failed');
      assert.match(run.stdout, /in 3 waves \(1, 3, 2\)/);
      assert.deepEqual(
        resultsOf(run).map((r) => r.status),
        fleet.map((_, i) => (i < ran ? 'Succeeded' : 'NotStarted')),
      );
      assert.deepEqual(
        resultsOf(run).map((r) => r['exit-code']),
        fleet.map((_, i) => (i >= ran ? null : i === failing ? 7 : 0)),
      );
      assert.deepEqual(jsonList(run, 'failed-clusters'), [fleet[failing]!.resourceId]);
      assert.deepEqual(
        fleet.map((c) => c.commands().length),
        fleet.map((_, i) => (i < ran ? 1 : 0)),
      );
      if (ran < fleet.length)
        assert.match(run.stdout, /not started: a cluster of the previous wave did not pass/);
    });
  }
});

describe('a 429 storm over one subscription', () => {
  it('pauses that subscription alone: the other’s clusters run at their pace, and all finish', async () => {
    const other = randomUUID();
    const stormy = clusters(3, () => ({ commandDurationSeconds: 3 }));
    const calm = clusters(3, () => ({ commandDurationSeconds: 3, subscriptionId: other }));
    for (const c of stormy)
      lab.emu.inject({
        kind: 'commandResult',
        cluster: c.name,
        times: 3,
        fault: { status: 429, retryAfter: 2 },
      });
    const run = await runAction(
      {
        cluster: ids([...stormy, ...calm]).join('\n'),
        command: 'true',
        'max-parallel': '6',
        ...QUICK,
      },
      lab.emu,
    );
    assertPassed(run, 'Succeeded');
    assert.ok(resultsOf(run).every((r) => r.status === 'Succeeded' && r['exit-code'] === 0));
    const arm = requestsOf(lab, run).filter((r) => r.server === 'arm');
    const throttled = arm.filter((r) => r.status === 429);
    assert.equal(throttled.length, 9, 'three 429s for each cluster of the stormy subscription');
    assert.ok(throttled.every((r) => subscriptionOf(r) === lab.emu.subscriptionId.toLowerCase()));
    // After a 429 asking for 2 s, its subscription sends nothing for 2 s (save requests already
    // on their way), while the calm subscription goes on.
    const first = throttled[0]!;
    const during = arm.filter((r) => r.time > first.time + 200 && r.time < first.time + 1900);
    assert.deepEqual(
      during
        .filter((r) => subscriptionOf(r) !== other)
        .map((r) => `${r.kind} ${r.time - first.time}`),
      [],
      'the stormy subscription waited',
    );
    assert.ok(
      during.filter((r) => subscriptionOf(r) === other).length >= 3,
      'the calm subscription kept polling meanwhile',
    );
    const calmSpans = calm.map((c) => commandSpan(lab, run, c.name)!);
    const stormySpans = stormy.map((c) => commandSpan(lab, run, c.name)!);
    for (const span of calmSpans)
      assert.ok(span.end - span.start < 5000, `${span.name} took ${span.end - span.start} ms`);
    for (const span of stormySpans)
      assert.ok(span.end - span.start >= 6000, `${span.name} took ${span.end - span.start} ms`);
    assert.match(run.summary, /Throttled \(429\)<\/th><td>9</);
    // Each retry is told in the group of the cluster it was for, not between the groups.
    const outside = run.stdout.replace(/^::group::[\s\S]*?^::endgroup::$/gm, '');
    assert.doesNotMatch(outside, /Retrying/);
    for (const c of stormy) {
      const group = new RegExp(`^::group::.*/${c.name}:[\\s\\S]*?^::endgroup::$`, 'm').exec(
        run.stdout,
      );
      assert.equal(group?.[0].match(/Retrying GET .*HTTP 429/g)?.length, 3, c.name);
    }
  });
});

describe('a cluster deleted mid-run', () => {
  it('fails that cluster with the reason; the others pass', async () => {
    const fleet = clusters(3, () => ({ commandDurationSeconds: 2 }));
    const gone = fleet[1]!;
    lab.emu.inject({
      kind: 'commandResult',
      cluster: gone.name,
      skip: 1,
      fault: { deleteCluster: true },
    });
    const run = await runAction(
      { cluster: ids(fleet).join('\n'), command: 'true', 'fail-fast': 'false', ...QUICK },
      lab.emu,
    );
    assertFailed(run, /1 of 3 clusters did not pass/, 'Failed');
    const results = resultsOf(run);
    assert.deepEqual(
      results.map((r) => r.status),
      ['Succeeded', 'Failed', 'Succeeded'],
    );
    const deleted = results[1]!;
    assert.match(deleted['command-id'] ?? '', /^[0-9a-f]{32}$/, 'the command it had started');
    // The results carry why, in the service's words, as for any other failure.
    assert.match(deleted.reason ?? '', /^ResourceNotFound: .*was not found/);
    assert.match(run.stdout, /^::group::❌ .*: Failed/m);
    assert.deepEqual(jsonList(run, 'failed-clusters'), [gone.resourceId]);
    assert.ok(
      lab.requestsFor(gone.name).some((r) => r.status === 404),
      'the emulator answered 404 once the cluster was gone',
    );
  });
});

describe('cancellation in the middle of a wave', () => {
  it('lists what finished, what was running (Interrupted) and what never started, before it exits', async () => {
    // Wave 1: one quick cluster and two long ones; wave 2 never starts.
    const fleet = clusters(5, (i) => (i === 1 || i === 2 ? { commandDurationSeconds: 30 } : {}));
    const run = await runAction(
      { cluster: ids(fleet).join('\n'), command: 'true', rollout: '3, 100%', ...QUICK },
      lab.emu,
      {
        interrupt: {
          signal: 'SIGINT',
          // The quick cluster's group is printed when it ends: the long ones are running then.
          when: (stdout) => stdout.includes(`::group::✅ ${RG}/${fleet[0]!.name}:`),
        },
      },
    );
    assertFailed(run, /Received SIGINT/, 'Interrupted');
    assert.ok(run.durationMs < 20_000, `stopped in ${run.durationMs} ms, not after the commands`);
    assert.deepEqual(
      resultsOf(run).map((r) => r.status),
      ['Succeeded', 'Interrupted', 'Interrupted', 'NotStarted', 'NotStarted'],
    );
    const [done, running] = resultsOf(run);
    assert.equal(done!['exit-code'], 0);
    assert.equal(
      running!['command-id'],
      fleet[1]!.commands()[0]!.id,
      'the running one’s id, to resume',
    );
    assert.deepEqual(jsonList(run, 'failed-clusters'), ids(fleet.slice(1, 3)));
    assert.deepEqual(jsonList(run, 'clusters'), ids(fleet));
    assert.deepEqual(
      fleet.map((c) => c.commands().length),
      [1, 1, 1, 0, 0],
    );
    assert.match(run.stdout, /2 not started: the job was cancelled/);
    assert.equal(clusterTableRows(run.summary).length, 1 + 5);
  });
});

describe('the step’s timeout mid-fleet', () => {
  it('ends TimedOut: the running cluster TimedOut, the rest NotStarted', async () => {
    const fleet = clusters(3, (i) => (i === 1 ? { commandDurationSeconds: 60 } : {}));
    const run = await runAction(
      {
        cluster: ids(fleet).join('\n'),
        command: 'true',
        'max-parallel': '1',
        timeout: '6s',
        ...QUICK,
      },
      lab.emu,
    );
    assertFailed(run, /not started: the step’s timeout ran out/, 'TimedOut');
    assert.deepEqual(
      resultsOf(run).map((r) => r.status),
      ['Succeeded', 'TimedOut', 'NotStarted'],
    );
    assert.deepEqual(jsonList(run, 'failed-clusters'), [fleet[1]!.resourceId]);
    assert.equal(fleet[2]!.commands().length, 0);
    assert.ok(run.durationMs < 15_000, `${run.durationMs} ms`);
  });
});
