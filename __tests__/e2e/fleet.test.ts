// Many clusters in one step (issue 16), through the bundle: which clusters the cluster input
// names (IDs, {rg}/{name}, tags over several pages, Fleet Manager members, exclusions, the JSON
// form, hostile list answers), the outputs of a fleet and of a single cluster, max-parallel,
// waves, fail-fast, list-clusters and shards, one token per audience, and the summary.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { workflowCommands } from '../../harness/workflow-commands.ts';
import type { ClusterSpec } from '../../emulator/index.ts';
import { runAction, type ActionRun } from '../helpers/action.ts';
import { emulatorPerFile } from '../helpers/emulator.ts';
import { assertFailed, assertPassed, errorLine } from '../helpers/e2e.ts';
import {
  RESULT_FIELDS,
  clusterTableRows,
  commandSpan,
  jsonList,
  peakOverlap,
  requestsOf,
  resultsOf,
  ids,
  labClusters,
} from '../helpers/fleet.ts';

const lab = emulatorPerFile({
  clusters: { resourceGroup: 'rg-fleet-e2e', prefix: 'fl' },
  // Small pages, so that a tag or a fleet of a few clusters is read over several pages.
  options: { listPageSize: 2 },
});

const QUICK = { 'poll-interval': '0.5' };
const clusters = (count: number, spec?: (index: number) => Partial<ClusterSpec>) =>
  labClusters(lab, count, spec);

/** list-clusters on the input: resolves it with ARM reads only. */
function listClusters(cluster: string, extra: Record<string, string> = {}): Promise<ActionRun> {
  return runAction(
    {
      operation: 'list-clusters',
      cluster,
      'subscription-id': lab.emu.subscriptionId,
      ...extra,
    },
    lab.emu,
  );
}

/** The workflow commands of a run other than the masks and the groups the action prints. */
function strayCommands(run: ActionRun): string[] {
  return workflowCommands(run.stdout).filter(
    (line) => !/^::(add-mask|group|endgroup|stop-commands|error|warning)::/.test(line),
  );
}

describe('choosing clusters', () => {
  it('takes IDs and {rg}/{name} lines, drops duplicates in any case and exclusions, keeps the order named', async () => {
    const [a, b, c, d] = clusters(4);
    const input = [
      b!.resourceId,
      `# a comment line`,
      `rg-fleet-e2e/${a!.name}`,
      b!.resourceId.toUpperCase(),
      `  ${c!.resourceId}  `,
      d!.resourceId,
      `!rg-fleet-e2e/${c!.name.toUpperCase()}`,
      `RG-FLEET-E2E/${a!.name}`,
    ].join('\n');
    const run = await listClusters(input);
    assertPassed(run, 'Succeeded');
    assert.deepEqual(jsonList(run, 'clusters'), [b!.resourceId, a!.resourceId, d!.resourceId]);
    assert.equal(run.outputs.matrix, '{"shard":["1/1"]}');
    // Resolving IDs costs no ARM call at all, and nothing ran.
    assert.deepEqual(
      requestsOf(lab, run).filter((r) => r.server === 'arm' && r.kind !== 'metadata'),
      [],
    );
  });

  it('finds the clusters with a tag over several pages: name in any case, value exactly', async () => {
    const tag = `team-${randomUUID().slice(0, 8)}`;
    const tagged = clusters(5, () => ({ tags: { Team: tag } }));
    clusters(1, () => ({ tags: { team: tag.toUpperCase() } })); // a value in another case: not it
    clusters(1, () => ({ tags: { other: tag } }));
    const run = await listClusters(`tag:team=${tag}\n!${tagged[2]!.resourceId}`);
    assertPassed(run, 'Succeeded');
    assert.deepEqual(
      jsonList(run, 'clusters'),
      ids(tagged).filter((id) => id !== tagged[2]!.resourceId),
    );
    const pages = requestsOf(lab, run).filter((r) => r.kind === 'clusterList');
    assert.ok(pages.length >= 4, `the list was read over ${pages.length} pages of 2`);
    assert.ok(
      pages.every((r) => r.status === 200 && r.method === 'GET'),
      JSON.stringify(pages),
    );
    // One list call, followed page by page: each page once.
    assert.equal(new Set(pages.map((r) => r.path)).size, pages.length);
  });

  it('takes the members of a fleet across two subscriptions, skipping a member that is not AKS with a notice', async () => {
    const other = randomUUID();
    const here = clusters(2);
    const there = clusters(2, () => ({ subscriptionId: other }));
    const vm = `/subscriptions/${other}/resourceGroups/rg-vm/providers/Microsoft.Compute/virtualMachines/not-aks`;
    const fleet = lab.emu.addFleet({
      resourceGroup: 'rg-fleet-e2e',
      name: `fleet-${lab.seq()}`,
      members: [
        here[0]!.resourceId,
        there[0]!.resourceId,
        vm,
        here[1]!.resourceId,
        there[1]!.resourceId,
      ],
    });
    const run = await runAction(
      {
        cluster: `fleet:${fleet.resourceId}\n!${here[1]!.resourceId}`,
        command: 'echo member',
        ...QUICK,
      },
      lab.emu,
    );
    assertPassed(run, 'Succeeded');
    const expected = [here[0]!.resourceId, there[0]!.resourceId, there[1]!.resourceId];
    assert.deepEqual(jsonList(run, 'clusters'), expected);
    assert.deepEqual(
      resultsOf(run).map((r) => [r.cluster, r.status, r['exit-code']]),
      expected.map((id) => [id, 'Succeeded', 0]),
    );
    assert.match(
      run.stdout,
      /member \/subscriptions\/.*\/virtualMachines\/not-aks is not an AKS cluster.*skipped/,
    );
    assert.equal(here[1]!.commands().length, 0, 'the excluded member ran nothing');
    assert.ok(
      requestsOf(lab, run).filter((r) => r.kind === 'fleetMembers').length >= 3,
      'five members are three pages of two',
    );
  });

  it('accepts the clusters output of list-clusters (a JSON array) as the cluster input', async () => {
    const picked = clusters(3);
    const listed = await listClusters(ids(picked).join('\n'));
    assertPassed(listed, 'Succeeded');
    const run = await runAction(
      { cluster: listed.outputs.clusters ?? '', command: 'echo json', ...QUICK },
      lab.emu,
    );
    assertPassed(run, 'Succeeded');
    assert.deepEqual(jsonList(run, 'clusters'), ids(picked));
    assert.ok(picked.every((c) => c.commands().length === 1));
  });

  it('skips hostile IDs in a list answer and never lets them reach the log as commands', async () => {
    const sub = randomUUID();
    const real = lab.cluster();
    const tags = { pick: 'me' };
    const base = `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters`;
    lab.emu.script({
      method: 'GET',
      path: `/subscriptions/${sub}/providers/Microsoft.ContainerService/managedClusters`,
      answers: [
        {
          status: 200,
          body: {
            value: [
              { id: `${base}/x::error::pwned`, name: 'x', tags },
              { id: `${base}/ok\n::error::pwned-by-newline`, name: 'y', tags },
              {
                id: `/subscriptions/${sub}/resourceGroups/rg\n::warning::pwned/providers/Microsoft.ContainerService/managedClusters/z`,
                tags,
              },
              { id: `https://evil.example${base}/foreign`, name: 'foreign', tags },
              { id: `//evil.example${base}/foreign2`, tags },
              { id: 42, tags },
              { name: 'no-id', tags },
              { id: real.resourceId, name: real.name, tags },
            ],
          },
        },
      ],
    });
    const run = await runAction(
      { operation: 'list-clusters', cluster: 'tag:pick=me', 'subscription-id': sub },
      lab.emu,
    );
    assertPassed(run, 'Succeeded');
    assert.deepEqual(jsonList(run, 'clusters'), [real.resourceId]);
    assert.deepEqual(strayCommands(run), []);
    assert.deepEqual(
      workflowCommands(run.stdout).filter((line) => /^::(error|warning)/.test(line)),
      [],
    );
    // Each hostile item was named as skipped, on a line of its own (inert).
    assert.ok((run.stdout.match(/skipped/g) ?? []).length >= 6, run.stdout);
    assert.ok(!/evil\.example/.test(run.outputs.clusters ?? ''));
    assert.ok(
      !lab.emu.requests.some((r) => r.path.includes('foreign')),
      'no request went to a hostile ID',
    );
  });

  it('refuses to follow a nextLink off the ARM endpoint', async () => {
    const sub = randomUUID();
    lab.emu.script({
      method: 'GET',
      path: `/subscriptions/${sub}/providers/Microsoft.ContainerService/managedClusters`,
      answers: [
        {
          status: 200,
          body: {
            value: [],
            // Another port of loopback: another origin, never sent the token (nothing listens).
            nextLink: `https://127.0.0.1:1/subscriptions/${sub}/providers/Microsoft.ContainerService/managedClusters?api-version=2024-09-01&$skipToken=x`,
          },
        },
      ],
    });
    const run = await runAction(
      { operation: 'list-clusters', cluster: 'tag:any=thing', 'subscription-id': sub },
      lab.emu,
    );
    assertFailed(run, /not on the ARM endpoint .*refusing to send the token there/, 'Failed');
  });

  it('fails clearly, naming the cluster input, when the entries resolve to no cluster', async () => {
    const [only] = clusters(1, () => ({ tags: { lonely: 'yes' } }));
    const run = await runAction(
      {
        cluster: `tag:lonely=yes\n!${only!.resourceId}\ntag:nobody=here`,
        command: 'echo never',
        'subscription-id': lab.emu.subscriptionId,
      },
      lab.emu,
    );
    assertFailed(run, /cluster input names no cluster/, 'Failed');
    assert.match(errorLine(run.stdout), /cluster input/);
    assert.match(run.stdout, /tag:nobody=here matched none/);
    assert.equal(run.outputs.clusters, '[]');
    assert.equal(run.outputs.results, '[]');
    assert.equal(only!.commands().length, 0);
  });
});

describe('outputs of a fleet', () => {
  it('fills results (every field), failed-clusters, clusters and a logs folder; the single-cluster outputs stay empty', async () => {
    const [ok1, bad, ok2] = clusters(3, (i) => (i === 1 ? { commandExitCode: 3 } : {}));
    const run = await runAction(
      {
        cluster: ids([ok1!, bad!, ok2!]).join('\n'),
        command: 'echo "out-$HOSTNAME"; echo second line',
        'fail-fast': 'false',
        ...QUICK,
      },
      lab.emu,
    );
    assertFailed(run, /1 of 3 clusters did not pass/, 'Failed');
    for (const name of ['exit-code', 'logs', 'command-id', 'operation-id', 'result', 'reason'])
      assert.equal(run.outputs[name], '', `${name} is empty with several clusters`);
    assert.deepEqual(jsonList(run, 'failed-clusters'), [bad!.resourceId]);
    assert.deepEqual(jsonList(run, 'clusters'), ids([ok1!, bad!, ok2!]));
    const results = resultsOf(run);
    assert.equal(results.length, 3);
    const folder = run.outputs['logs-file'] ?? '';
    assert.ok(folder.startsWith(run.runnerTemp) && statSync(folder).isDirectory(), folder);
    for (const [at, handle] of [ok1!, bad!, ok2!].entries()) {
      const entry = results[at]!;
      assert.deepEqual(Object.keys(entry), [...RESULT_FIELDS]);
      const command = handle.commands()[0]!;
      assert.equal(entry.cluster, handle.resourceId);
      assert.equal(entry.status, 'Succeeded');
      assert.equal(entry['exit-code'], handle === bad ? 3 : 0);
      assert.equal(entry['command-id'], command.id);
      assert.equal(entry['operation-id'], null);
      assert.equal(entry.reason, null);
      for (const time of [entry['started-at'], entry['finished-at']])
        assert.ok(time && !Number.isNaN(Date.parse(time)), `${time} is an ISO time`);
      assert.ok((entry['duration-seconds'] ?? -1) >= 0);
      assert.equal(dirname(entry['logs-file'] ?? ''), folder);
      assert.match(readFileSync(entry['logs-file'] ?? '', 'utf8'), /second line/);
    }
    assert.equal(readdirSync(folder).length, 3, 'one file per cluster');
    assert.equal(new Set(results.map((r) => basename(r['logs-file'] ?? ''))).size, 3);
    // One group per cluster, titled with its name and verdict.
    const groups = workflowCommands(run.stdout).filter(
      (l) => l.startsWith(`::group::`) && l.includes(' rg-fleet-e2e/'),
    );
    assert.equal(groups.length, 3, groups.join('\n'));
    assert.ok(groups.some((g) => g.includes(`❌ rg-fleet-e2e/${bad!.name}`)));
    assert.match(run.stdout, /^Clusters: 2 passed, 1 failed · elapsed/m);
  });

  it('with a single cluster, behaves and hands on its outputs as before', async () => {
    const [one] = clusters(1);
    const run = await runAction(
      { cluster: one!.resourceId, command: 'echo single', ...QUICK },
      lab.emu,
    );
    assertPassed(run, 'Succeeded');
    const command = one!.commands()[0]!;
    assert.equal(run.outputs['exit-code'], '0');
    assert.equal(run.outputs.logs, 'single\n');
    assert.equal(run.outputs['command-id'], command.id);
    const logsFile = run.outputs['logs-file'] ?? '';
    assert.ok(existsSync(logsFile) && statSync(logsFile).isFile(), logsFile);
    assert.ok(run.outputs.result, 'the result output is the final answer');
    // The outputs of several clusters stay empty: a single cluster's outputs are as they were.
    for (const name of ['results', 'failed-clusters', 'clusters', 'matrix'])
      assert.equal(run.outputs[name], '', name);
    // No fleet wording: the single run's log and summary.
    assert.doesNotMatch(run.stdout, /^Clusters: |Working on \d+ clusters/m);
    assert.doesNotMatch(run.summary, /<th align="left">Cluster<\/th><th align="left">Status<\/th>/);
  });
});

describe('how many at once, and in which order', () => {
  it('never has more than max-parallel commands running, and uses all of them', async () => {
    const fleet = clusters(5, () => ({ commandDurationSeconds: 1 }));
    const run = await runAction(
      { cluster: ids(fleet).join('\n'), command: 'true', 'max-parallel': '2', ...QUICK },
      lab.emu,
    );
    assertPassed(run, 'Succeeded');
    const spans = fleet.map((c) => commandSpan(lab, run, c.name)!);
    assert.ok(spans.every(Boolean));
    assert.equal(peakOverlap(spans), 2, JSON.stringify(spans));
    assert.match(run.stdout, /Working on 5 clusters, at most 2 at once/);
  });

  it('runs waves 1, 50%, 100% one after the other', async () => {
    // The second wave's commands last a second: its two clusters surely overlap.
    const fleet = clusters(5, (i) => (i === 1 || i === 2 ? { commandDurationSeconds: 1 } : {}));
    const run = await runAction(
      { cluster: ids(fleet).join('\n'), command: 'true', rollout: '1, 50%, 100%', ...QUICK },
      lab.emu,
    );
    assertPassed(run, 'Succeeded');
    assert.match(run.stdout, /in 3 waves \(1, 2, 2\)/);
    const spans = fleet.map((c) => commandSpan(lab, run, c.name)!);
    const waves = [spans.slice(0, 1), spans.slice(1, 3), spans.slice(3)];
    for (let w = 1; w < waves.length; w++) {
      const previousEnd = Math.max(...waves[w - 1]!.map((s) => s.end));
      for (const span of waves[w]!)
        assert.ok(
          span.start >= previousEnd,
          `${span.name} (wave ${w + 1}) started ${previousEnd - span.start} ms before wave ${w} ended`,
        );
    }
    // Within a wave, its clusters run together.
    assert.equal(peakOverlap(waves[1]!), 2);
  });

  it('stops the rollout after a wave with a failure, even without fail-fast', async () => {
    const fleet = clusters(5, (i) => (i === 1 ? { commandExitCode: 2 } : {}));
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
    assertFailed(run, /2 not started: a cluster of the previous wave did not pass/, 'Failed');
    assert.deepEqual(
      resultsOf(run).map((r) => r.status),
      ['Succeeded', 'Succeeded', 'Succeeded', 'NotStarted', 'NotStarted'],
    );
    assert.deepEqual(jsonList(run, 'failed-clusters'), [fleet[1]!.resourceId]);
    assert.deepEqual(
      fleet.map((c) => c.commands().length),
      [1, 1, 1, 0, 0],
    );
    const notStarted = resultsOf(run)[3]!;
    assert.deepEqual(
      RESULT_FIELDS.filter((f) => f !== 'cluster' && f !== 'status').map((f) => notStarted[f]),
      RESULT_FIELDS.slice(2).map(() => null),
    );
  });

  it('fail-fast (the default) starts no cluster after a failure; running ones finish', async () => {
    // Two at once: the long one is running when the quick one fails.
    const fleet = clusters(4, (i) =>
      i === 0 ? { commandDurationSeconds: 2 } : i === 1 ? { commandExitCode: 1 } : {},
    );
    const run = await runAction(
      { cluster: ids(fleet).join('\n'), command: 'true', 'max-parallel': '2', ...QUICK },
      lab.emu,
    );
    assertFailed(run, /2 not started: a cluster failed and fail-fast is on/, 'Failed');
    assert.deepEqual(
      resultsOf(run).map((r) => [r.status, r['exit-code']]),
      [
        ['Succeeded', 0],
        ['Succeeded', 1],
        ['NotStarted', null],
        ['NotStarted', null],
      ],
    );
    assert.deepEqual(
      fleet.map((c) => c.commands().length),
      [1, 1, 0, 0],
    );
  });

  it('fail-fast: false runs every cluster after a failure', async () => {
    const fleet = clusters(4, (i) => (i === 1 ? { commandExitCode: 1 } : {}));
    const run = await runAction(
      {
        cluster: ids(fleet).join('\n'),
        command: 'true',
        'max-parallel': '1',
        'fail-fast': 'false',
        ...QUICK,
      },
      lab.emu,
    );
    assertFailed(run, /1 of 4 clusters did not pass/, 'Failed');
    assert.deepEqual(
      resultsOf(run).map((r) => r['exit-code']),
      [0, 1, 0, 0],
    );
    assert.deepEqual(jsonList(run, 'failed-clusters'), [fleet[1]!.resourceId]);
  });
});

describe('list-clusters and shards', () => {
  it('outputs clusters and a matrix; the shards partition the list whatever its order', async () => {
    const fleet = clusters(7);
    const forward = ids(fleet);
    const shuffled = [
      forward[3]!,
      forward[6]!,
      forward[0]!,
      forward[5]!,
      forward[1]!,
      forward[4]!,
      forward[2]!,
    ];
    const listed = await listClusters(forward.join('\n'), { shards: '3' });
    assertPassed(listed, 'Succeeded');
    assert.equal(listed.outputs.matrix, '{"shard":["1/3","2/3","3/3"]}');
    assert.deepEqual(jsonList(listed, 'clusters'), forward);
    const shardsOf = async (order: string[]) => {
      const sets: string[][] = [];
      for (const shard of ['1/3', '2/3', '3/3']) {
        const run = await runAction(
          { cluster: order.join('\n'), command: 'true', shard, wait: 'false' },
          lab.emu,
        );
        // Every cluster accepted its command: the fleet passed (each entry says Accepted).
        assertPassed(run, 'Succeeded');
        assert.ok(resultsOf(run).every((r) => r.status === 'Accepted'));
        // clusters is the whole list; results are the shard's own.
        assert.deepEqual(jsonList(run, 'clusters'), order);
        sets.push(resultsOf(run).map((r) => r.cluster));
      }
      return sets;
    };
    const first = await shardsOf(forward);
    assert.deepEqual(
      [...first.flat()].sort(),
      [...forward].sort(),
      'the union is the list, no overlap',
    );
    assert.deepEqual(first.map((s) => s.length).sort(), [2, 2, 3]);
    const second = await shardsOf(shuffled);
    assert.deepEqual(
      second.map((s) => [...s].sort()),
      first.map((s) => [...s].sort()),
      'the same shards when the input order changes',
    );
  });
});

describe('one sign-in for the whole step', () => {
  it('asks Entra for one ARM token, whatever the number of clusters', async () => {
    const fleet = clusters(4);
    const run = await runAction(
      { cluster: ids(fleet).join('\n'), command: 'true', 'max-parallel': '4', ...QUICK },
      lab.emu,
    );
    assertPassed(run, 'Succeeded');
    const tokens = requestsOf(lab, run).filter((r) => r.kind === 'token');
    assert.equal(tokens.length, 1, JSON.stringify(tokens));
    // And the clusters share it.
    const hashes = new Set(
      requestsOf(lab, run)
        .filter((r) => r.server === 'arm' && r.tokenHash)
        .map((r) => r.tokenHash),
    );
    assert.equal(hashes.size, 1);
  });

  it('asks once more, once, for the AKS server application when clusters need a cluster token', async () => {
    const fleet = clusters(3, () => ({ aadManaged: true }));
    const run = await runAction(
      { cluster: ids(fleet).join('\n'), command: 'true', 'max-parallel': '3', ...QUICK },
      lab.emu,
    );
    assertPassed(run, 'Succeeded');
    const tokens = requestsOf(lab, run).filter((r) => r.kind === 'token');
    assert.equal(tokens.length, 2, 'one for ARM, one for the AKS server application');
    assert.ok(fleet.every((c) => c.commands()[0]?.clusterToken));
  });
});

describe('the summary of a fleet', () => {
  it('has the totals on top and one row per cluster, whatever text the service sends', async () => {
    const hostile =
      'Boom</td></tr></table><img src=x onerror=alert(1)>\n::set-output name=status::Succeeded\n<tr><td>fake</td></tr>';
    const fleet = clusters(3, (i) => (i === 2 ? { commandFailure: { reason: hostile } } : {}));
    const run = await runAction(
      { cluster: ids(fleet).join('\n'), command: 'echo fine', 'fail-fast': 'false', ...QUICK },
      lab.emu,
    );
    assertFailed(run, /1 of 3 clusters did not pass/, 'Failed');
    assert.equal(resultsOf(run)[2]!.reason, hostile, 'the results keep the service’s words');
    const { summary } = run;
    const heading = summary.indexOf('<h3>');
    assert.ok(heading >= 0 && heading < summary.indexOf('<tr>'), 'the totals come first');
    assert.match(
      summary.slice(heading, summary.indexOf('</h3>')),
      /3 clusters: Failed \(2 passed, 1 failed\)/,
    );
    assert.equal(clusterTableRows(summary).length, 1 + 3, 'a header and one row per cluster');
    assert.equal((summary.match(/<table>/g) ?? []).length, 2);
    assert.equal((summary.match(/<\/table>/g) ?? []).length, 2);
    assert.doesNotMatch(summary, /<img/);
    assert.match(summary, /(&lt;|&#60;)img src=x/);
    assert.deepEqual(strayCommands(run), []);
    assert.equal(run.outputs.status, 'Failed');
  });
});

describe('abort and operation-status on several clusters', () => {
  it('aborts the operation of each cluster: Canceled (202 and 204) and AlreadyCompleted pass', async () => {
    const upgrade = { name: 'Upgrade', durationSeconds: 120, cancelSeconds: 1 };
    const fleet = [
      lab.cluster({ operation: { ...upgrade, abort: 'async' } }),
      lab.cluster({ operation: { ...upgrade, abort: 'no-content' } }),
      lab.cluster({ operation: { ...upgrade, abort: 'conflict' } }),
    ];
    const run = await runAction(
      { operation: 'abort', cluster: ids(fleet).join('\n'), ...QUICK },
      lab.emu,
    );
    assert.equal(run.code, 0, run.stdout);
    assert.equal(run.outputs.status, 'Succeeded');
    assert.deepEqual(
      resultsOf(run).map((r) => [r.cluster, r.status, r['exit-code']]),
      [
        [fleet[0]!.resourceId, 'Canceled', null],
        [fleet[1]!.resourceId, 'Canceled', null],
        [fleet[2]!.resourceId, 'AlreadyCompleted', null],
      ],
    );
    // Each abort reports the id it followed; the summary warns about the one already over.
    assert.match(resultsOf(run)[0]!['operation-id'] ?? '', /^[0-9a-f-]{36}$/);
    assert.match(run.stdout, /^::warning::1 of 3 clusters passed with a warning: /m);
    for (const c of fleet) assert.equal(lab.requestsFor(c.name, 'abort').length, 1, c.name);
  });

  it('watches the latest operation of each cluster; one that failed fails the step with its reason', async () => {
    const fleet = [
      lab.cluster({ operation: { name: 'Upgrade', durationSeconds: 1 } }),
      lab.cluster({
        operation: {
          name: 'Upgrade',
          durationSeconds: 1,
          outcome: 'Failed',
          error: { code: 'UpgradeFailed', message: 'node aks-np1-0 did not drain' },
        },
      }),
    ];
    const run = await runAction(
      { operation: 'operation-status', cluster: ids(fleet).join('\n'), ...QUICK },
      lab.emu,
    );
    assertFailed(run, /1 of 2 clusters did not pass/, 'Failed');
    const [ok, bad] = resultsOf(run);
    assert.equal(ok!.status, 'Succeeded');
    assert.equal(ok!['operation-id'], fleet[0]!.operationId);
    assert.equal(bad!.status, 'Failed');
    assert.equal(bad!['operation-id'], fleet[1]!.operationId);
    assert.match(bad!.reason ?? '', /UpgradeFailed: node aks-np1-0 did not drain/);
    assert.deepEqual(jsonList(run, 'failed-clusters'), [fleet[1]!.resourceId]);
  });
});
