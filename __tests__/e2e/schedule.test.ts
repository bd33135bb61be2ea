// The polling schedule against commands that start as on AKS: the command pod is scheduled first,
// so a command cannot finish before its start delay. Times are measured from the emulator's own
// record of the POST (the start of the scenario), never from the test's set-up.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emulatorPerFile } from '../helpers/emulator.ts';
import { runAction } from '../helpers/action.ts';

const lab = emulatorPerFile({ clusters: { resourceGroup: 'rg-schedule', prefix: 'aks-schedule' } });
const START_DELAY_SECONDS = 2;

/** A cluster whose command pods start this long after the POST, as on AKS. */
function delayedCluster() {
  return lab.cluster({ commandStartDelaySeconds: START_DELAY_SECONDS });
}

describe('poll schedule with a pod start delay', () => {
  it('auto: the command starts after its delay, and one look after the pod can have run sees its end', async () => {
    const c = delayedCluster();
    const run = await runAction({ cluster: c.resourceId, command: 'echo started' }, lab.emu);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.status, 'Succeeded');
    const calls = lab.requestsFor(c.name);
    const post = calls.find((r) => r.kind === 'runCommand' && r.status === 202);
    assert.ok(post, 'the runCommand POST was answered 202');
    const record = c.commands()[0]!;
    // The pod's start delay: the command started no sooner than that after the POST.
    assert.ok(record.startedAt - post.time >= START_DELAY_SECONDS * 1000 - 5);
    assert.ok(record.finishedAt! >= record.startedAt);
    // auto's first look is 4 s after the start: no read is spent before a pod can have run,
    // and a command ending within the delay is seen by that one read.
    const reads = calls.filter((r) => r.kind === 'commandResult');
    assert.equal(reads.length, 1, `reads at ${reads.map((r) => r.time - post.time).join(', ')} ms`);
    assert.ok(reads[0]!.time - post.time >= 3900, `first read ${reads[0]!.time - post.time} ms`);
    assert.ok(reads[0]!.time >= record.finishedAt!);
  });

  it('a numeric poll-interval is still a fixed interval, before and after the pod starts', async () => {
    const c = delayedCluster();
    const run = await runAction(
      { cluster: c.resourceId, command: 'sleep 1', 'poll-interval': '0.5' },
      lab.emu,
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const calls = lab.requestsFor(c.name);
    const reads = calls.filter((r) => r.kind === 'commandResult');
    const record = c.commands()[0]!;
    // Reads every 0.5 s from the POST until the end: at least the 3 s of delay and command.
    assert.ok(reads.length >= 4, `${reads.length} reads`);
    // The looks keep to a 0.5 s grid: a late one shortens the next wait, never below half.
    const gaps = reads.slice(1).map((r, i) => r.time - reads[i]!.time);
    assert.ok(
      gaps.every((g) => g >= 240),
      `gaps ${gaps.join(', ')} ms`,
    );
    const meanGap = gaps.reduce((x, y) => x + y, 0) / gaps.length;
    assert.ok(meanGap >= 450 && meanGap < 1000, `gaps ${gaps.join(', ')} ms`);
    assert.ok(reads.filter((r) => r.time < record.startedAt).length >= 2);
  });
});
