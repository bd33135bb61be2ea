// What the fleet end-to-end files read from a run on several clusters: the results output, the
// requests of one run, and when each cluster was being worked on, from the emulator's request log.
import assert from 'node:assert/strict';
import type { ClusterSpec, RequestRecord } from '../../emulator/index.ts';
import type { ActionRun } from './action.ts';
import type { Lab } from './emulator.ts';

/** One entry of the results output, as the contract names its fields. */
export interface ResultEntry {
  cluster: string;
  status: string;
  'exit-code': number | null;
  'command-id': string | null;
  'operation-id': string | null;
  reason: string | null;
  'started-at': string | null;
  'finished-at': string | null;
  'logs-file': string | null;
  'duration-seconds': number | null;
}

/** The fields every results entry has, in the contract's order. */
export const RESULT_FIELDS = [
  'cluster',
  'status',
  'exit-code',
  'command-id',
  'operation-id',
  'reason',
  'started-at',
  'finished-at',
  'logs-file',
  'duration-seconds',
] as const;

export function resultsOf(run: ActionRun): ResultEntry[] {
  assert.notEqual(run.outputs.results ?? '', '', `no results output\n${run.stdout}`);
  return JSON.parse(run.outputs.results ?? '') as ResultEntry[];
}

/** The statuses of the results, by the last segment of each cluster's ID. */
export function statusByName(run: ActionRun): Record<string, string> {
  return Object.fromEntries(
    resultsOf(run).map((entry) => [entry.cluster.split('/').pop() ?? '', entry.status]),
  );
}

export function jsonList(run: ActionRun, output: 'clusters' | 'failed-clusters'): string[] {
  const value = run.outputs[output] ?? '';
  assert.notEqual(value, '', `no ${output} output\n${run.stdout}`);
  return JSON.parse(value) as string[];
}

/** The requests that arrived while the run was going (the files run their tests one by one). */
export function requestsOf(lab: Lab, run: ActionRun): RequestRecord[] {
  return lab.emu.requests.filter((r) => r.time >= run.startedAt && r.time <= run.endedAt);
}

/** When a cluster was being worked on: from its runCommand POST to its last result poll. */
export interface Span {
  name: string;
  start: number;
  end: number;
}

export function commandSpan(lab: Lab, run: ActionRun, name: string): Span | undefined {
  const mine = lab
    .requestsFor(name, 'runCommand', 'commandResult')
    .filter((r) => r.time >= run.startedAt && r.time <= run.endedAt);
  const post = mine.find((r) => r.kind === 'runCommand');
  const last = mine.filter((r) => r.kind === 'commandResult').at(-1);
  if (!post || !last) return undefined;
  return { name, start: post.time, end: last.time };
}

/** The most spans open at one moment. */
export function peakOverlap(spans: readonly Span[]): number {
  const events = spans.flatMap((s) => [
    { at: s.start, step: 1 },
    { at: s.end, step: -1 },
  ]);
  // At the same millisecond an end counts first: a cluster's last poll and the next cluster's
  // POST can arrive within one millisecond on a fast machine.
  events.sort((a, b) => a.at - b.at || a.step - b.step);
  let open = 0;
  let peak = 0;
  for (const event of events) {
    open += event.step;
    peak = Math.max(peak, open);
  }
  return peak;
}

/** The `<tr>` rows of the summary's table of clusters (its header row included). */
export function clusterTableRows(summary: string): string[] {
  const start = summary.indexOf('<th align="left">Cluster</th><th align="left">Status</th>');
  assert.ok(start >= 0, `no table of clusters in the summary:\n${summary}`);
  const end = summary.indexOf('</table>', start);
  const table = summary.slice(summary.lastIndexOf('<table>', start), end);
  return table.match(/<tr>/g) ?? [];
}

/** `count` new clusters of the file's lab, each with the spec (or the spec of its index). */
export function labClusters(
  lab: Lab,
  count: number,
  spec: (index: number) => Partial<ClusterSpec> = () => ({}),
): ReturnType<Lab['cluster']>[] {
  return Array.from({ length: count }, (_, index) => lab.cluster(spec(index)));
}

/** The clusters' resource IDs, in order. */
export function ids(list: readonly { resourceId: string }[]): string[] {
  return list.map((c) => c.resourceId);
}
