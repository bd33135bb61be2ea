// Summaries (median and range per client), ratios, and the printed table.
import { FLEET_TARGETS, type Verdict } from './compare.ts';
import { PARTS, type FleetMeasurement, type FleetPlan, type PartId } from './fleet.ts';
import { CLIENTS, type ClientName, type RunResult, type Scenario } from './measure.ts';
import type { ComputedMix, MixCase, ModelId, SampleRun } from './mix.ts';
import { frontierLatencyAt } from './model.ts';

export interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}

export const METRICS = {
  latencyMs: 'detection latency',
  armRequests: 'ARM requests / run',
  authRequests: 'Entra requests / run',
  firstRequestMs: 'time to first request',
  peakRssMiB: 'peak RSS',
} as const;
export type Metric = keyof typeof METRICS;
/** The metrics compared as action/other ratios. */
const RATIO_METRICS: Metric[] = ['latencyMs', 'armRequests', 'firstRequestMs', 'peakRssMiB'];

export interface ClientSummary {
  runs: number;
  failed: number;
  metrics: Partial<Record<Metric, Stat>>;
}

export interface ScenarioSummary {
  id: string;
  label: string;
  clients: Partial<Record<ClientName, ClientSummary>>;
  /** action median / other client's median. */
  ratios: Partial<Record<'sdk' | 'cli', Partial<Record<Metric, number>>>>;
}

export function stat(values: number[]): Stat | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)!, n: sorted.length };
}

function metricValue(run: RunResult, metric: Metric): number | undefined {
  switch (metric) {
    case 'armRequests':
      return run.armReads + run.armWrites;
    case 'peakRssMiB':
      return run.peakRssKiB === undefined ? undefined : run.peakRssKiB / 1024;
    case 'latencyMs':
      return run.ok ? run.latencyMs : undefined;
    default:
      return run[metric];
  }
}

export function summarize(scenario: Scenario, runs: RunResult[]): ScenarioSummary {
  const clients: ScenarioSummary['clients'] = {};
  for (const client of CLIENTS) {
    const mine = runs.filter((r) => r.client === client && r.scenario === scenario.id);
    if (mine.length === 0) continue;
    const metrics: ClientSummary['metrics'] = {};
    for (const metric of Object.keys(METRICS) as Metric[]) {
      const s = stat(mine.map((r) => metricValue(r, metric)).filter((v) => v !== undefined));
      if (s) metrics[metric] = s;
    }
    clients[client] = { runs: mine.length, failed: mine.filter((r) => !r.ok).length, metrics };
  }
  const ratios: ScenarioSummary['ratios'] = {};
  for (const other of ['sdk', 'cli'] as const) {
    for (const metric of RATIO_METRICS) {
      const a = clients.action?.metrics[metric]?.median;
      const b = clients[other]?.metrics[metric]?.median;
      if (a !== undefined && b !== undefined && b !== 0) (ratios[other] ??= {})[metric] = a / b;
    }
  }
  return { id: scenario.id, label: scenario.label, clients, ratios };
}

/** Number and unit for a metric, the unit chosen from the median so a range shares it. */
function formatter(metric: Metric, median: number): [(v: number) => string, string] {
  switch (metric) {
    case 'latencyMs':
    case 'firstRequestMs':
      return Math.abs(median) >= 10_000
        ? [(v) => (v / 1000).toFixed(1), ' s']
        : [(v) => String(Math.round(v)), ' ms'];
    case 'peakRssMiB':
      return [(v) => v.toFixed(0), ' MiB'];
    default:
      return [(v) => (Number.isInteger(v) ? String(v) : v.toFixed(1)), ''];
  }
}

function cell(metric: Metric, s: Stat | undefined): string {
  if (!s) return 'n/a';
  const [num, unit] = formatter(metric, s.median);
  const range = num(s.min) === num(s.max) ? '' : ` (${num(s.min)}–${num(s.max)})`;
  return `${num(s.median)}${range}${unit}`;
}

const CLIENT_TITLES: Record<ClientName, string> = {
  action: 'action (dist)',
  sdk: 'JS SDK',
  cli: 'CLI model',
};

export function formatTable(summaries: ScenarioSummary[]): string {
  const lines: string[] = [];
  for (const summary of summaries) {
    const clients = CLIENTS.filter((c) => summary.clients[c]);
    const header = ['', ...clients.map((c) => CLIENT_TITLES[c]), 'action/SDK', 'action/CLI'];
    const rows = (Object.keys(METRICS) as Metric[]).map((metric) => [
      METRICS[metric],
      ...clients.map((c) => cell(metric, summary.clients[c]?.metrics[metric])),
      ratio(summary.ratios.sdk?.[metric]),
      ratio(summary.ratios.cli?.[metric]),
    ]);
    const failures = clients
      .filter((c) => summary.clients[c]!.failed > 0)
      .map((c) => `${CLIENT_TITLES[c]} ${summary.clients[c]!.failed}/${summary.clients[c]!.runs}`);
    const runs = Math.max(...clients.map((c) => summary.clients[c]!.runs));
    lines.push(`\n${summary.label} — ${runs} run(s) per client, median (min–max)`);
    if (failures.length > 0) lines.push(`  not detected / failed: ${failures.join(', ')}`);
    lines.push(...alignColumns([header, ...rows]).map((l) => `  ${l}`));
  }
  return lines.join('\n');
}

function ratio(value: number | undefined): string {
  return value === undefined ? '' : `${value.toFixed(2)}×`;
}

function alignColumns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('   ')
      .trimEnd(),
  );
}

const MODEL_TITLES: Record<ModelId, string> = {
  action: 'action (auto)',
  sdk: 'JS SDK',
  cli: 'CLI model',
};

/** The duration-mix tables: each client and the fixed-interval frontier, per start delay. */
export function formatMix(computed: ComputedMix, sample: SampleRun[]): string {
  const lines: string[] = [];
  const mixes = [...new Set(computed.cases.map((c) => c.mix))];
  for (const mix of mixes) {
    const cases = computed.cases.filter((c) => c.mix === mix);
    lines.push(
      `\nDuration mix: ${cases[0]!.label}, computed on each client's schedule — every finish time in the range | the listed durations`,
    );
    for (const startDelay of [...new Set(cases.map((c) => c.startDelay))]) {
      const [dense, listed] = (['dense', 'durations'] as const).map((basis) =>
        cases.find((c) => c.startDelay === startDelay && c.basis === basis)!,
      );
      const pair = (f: (c: MixCase) => number, digits: number, unit = ''): string =>
        `${f(dense!).toFixed(digits)} | ${f(listed!).toFixed(digits)}${unit}`;
      const rows: string[][] = [
        [`start delay ${startDelay} s`, 'requests/run', 'mean latency', 'median latency'],
      ];
      for (const id of ['action', 'sdk', 'cli'] as const) {
        rows.push([
          `  ${MODEL_TITLES[id]}`,
          pair((c) => c.clients[id].meanRequests, 1),
          pair((c) => c.clients[id].meanLatency, 2, ' s'),
          pair((c) => c.clients[id].medianLatency, 2, ' s'),
        ]);
      }
      rows.push([
        '  model optimum (Keller)',
        pair((c) => c.optimum.meanRequests, 1),
        pair((c) => c.optimum.meanLatency, 2, ' s'),
        pair((c) => c.optimum.medianLatency, 2, ' s'),
      ]);
      for (const [i, point] of dense!.frontier.entries()) {
        rows.push([
          `  fixed ${point.interval} s`,
          pair((c) => c.frontier[i]!.meanRequests, 1),
          pair((c) => c.frontier[i]!.meanLatency, 2, ' s'),
          '',
        ]);
      }
      const bound = (c: MixCase): number =>
        frontierLatencyAt(c.frontier, c.clients.action.meanRequests);
      rows.push(["  frontier at the action's requests", '', pair(bound, 2, ' s'), '']);
      lines.push(...alignColumns(rows).map((l) => `  ${l}`));
    }
  }
  const ten = computed.tenMinutes;
  lines.push(
    '\n10-minute command, 4 s start delay, averaged over where its end falls between looks:',
  );
  for (const id of ['action', 'sdk', 'cli'] as const) {
    const f = ten[id];
    lines.push(
      `  ${MODEL_TITLES[id].padEnd(14)} ${f.meanRequests.toFixed(1).padStart(6)} requests, ${f.missed > 0 ? 'gives up at 300 s' : `mean latency ${f.meanLatency.toFixed(1)} s`}`,
    );
  }
  if (sample.length > 0) lines.push(formatSample(sample));
  return lines.join('\n');
}

function formatSample(sample: SampleRun[]): string {
  const groups = new Map<string, SampleRun[]>();
  for (const run of sample) {
    const key = `${run.client}@${String(run.startDelay).padStart(2, '0')}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  const rows: string[][] = [
    [
      'client, start delay',
      'runs',
      'requests',
      'model',
      'read after the end',
      'model',
      'latency to exit',
      'agree',
    ],
  ];
  for (const [key, runs] of [...groups].sort()) {
    const [client, startDelay] = key.split('@');
    const avg = (xs: (number | undefined)[], digits: number): string => {
      const v = xs.filter((x) => x !== undefined);
      return v.length ? (v.reduce((a, b) => a + b, 0) / v.length).toFixed(digits) : 'n/a';
    };
    rows.push([
      `${client} @ ${Number(startDelay)} s`,
      String(runs.length),
      avg(
        runs.map((r) => r.measured.requests),
        1,
      ),
      avg(
        runs.map((r) => r.predicted?.requests),
        1,
      ),
      `${avg(
        runs.map((r) => r.measured.lateness),
        2,
      )} s`,
      `${avg(
        runs.map((r) => r.predicted?.latency),
        2,
      )} s`,
      `${avg(
        runs.map((r) => r.measured.latency),
        2,
      )} s`,
      `${runs.filter((r) => r.ok).length}/${runs.length}`,
    ]);
  }
  return [
    '\nMeasured sample (real processes on the emulator, side by side), means, against the model at the finish time the emulator recorded.',
    "read after the end: the emulator's end of the command to the first read after it; latency to exit: to the process exit (adds the last answer, the outputs and the exit).",
    ...alignColumns(rows).map((l) => `  ${l}`),
  ].join('\n');
}

/** A Markdown table laid out as Prettier lays it out (the README's lint checks its tables). */
export function markdownTable(rows: string[][]): string[] {
  const width = (s: string): number => [...s].length;
  const widths = rows[0]!.map((_, i) => Math.max(3, ...rows.map((r) => width(r[i] ?? ''))));
  const line = (r: string[]): string =>
    `| ${widths.map((w, i) => (r[i] ?? '') + ' '.repeat(w - width(r[i] ?? ''))).join(' | ')} |`;
  return [line(rows[0]!), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)];
}

const FLEET_ROWS: Record<PartId, (m: FleetMeasurement) => string> = {
  action: (m) => `action, all ${m.plan.count} in one step (\`max-parallel: ${m.plan.count}\`)`,
  slowest: (m) => `action, the slowest cluster alone (${m.slowest.seconds} s)`,
  single: (m) =>
    `action, one cluster alone (${m.memoryCluster?.seconds ?? '?'} s; memory reference)`,
  singles: (m) => `action, ${m.plan.count} single runs (summed)`,
  sdk: () => 'JS SDK script, `Promise.all` of `beginRunCommandAndWait`',
  cli: (m) => `\`az aks command invoke\` × ${m.plan.count} in a loop (modelled)`,
};

/** The fleet table (Markdown, for the README's Performance section), its targets and notes. */
export function formatFleet(m: FleetMeasurement, verdict: Verdict): string {
  const { plan, parts } = m;
  const seconds = m.perCluster.length;
  const header = [
    `${plan.count} clusters, ${m.fastest.seconds}–${m.slowest.seconds} s each (${describeSpread(plan)}), ARM limits on`,
    'wall time',
    'ARM requests',
    '429s',
    'Entra token requests',
    'peak RSS',
  ];
  const rows = PARTS.flatMap((id) => {
    const u = parts[id];
    if (!u) return [];
    const summed = id === 'singles' || id === 'cli';
    const wall =
      id === 'singles' ? '—' : `${(u.wallMs / 1000).toFixed(1)} s${summed ? ' (sum)' : ''}`;
    const tokens = id === 'cli' ? `1 (model: ${u.tokenRequests})` : String(u.tokenRequests);
    const rss = u.peakRssKiB === undefined ? 'n/a' : `${(u.peakRssKiB / 1024).toFixed(0)} MiB`;
    const failed = u.ok ? '' : ' ⚠ failed';
    return [
      [
        FLEET_ROWS[id](m) + failed,
        wall,
        String(u.armRequests),
        String(u.throttled),
        tokens,
        summed ? `${rss} (largest)` : rss,
      ],
    ];
  });
  const lines = markdownTable([header, ...rows]);
  lines.push('', ...fleetTargets(m).map((t) => `- ${t}`), '', ...fleetNotes(m, seconds));
  lines.push(
    '',
    verdict.ok
      ? `Fleet targets met (${plan.id}).`
      : `Fleet targets MISSED (${plan.id}):\n${verdict.reasons.map((r) => `  - ${r}`).join('\n')}`,
  );
  return lines.join('\n');
}

function describeSpread(plan: FleetPlan): string {
  const low = plan.startDelaySeconds[0] + plan.durationSeconds[0];
  const high = plan.startDelaySeconds[1] + plan.durationSeconds[1];
  return `drawn in ${low}–${high} s, seed ${plan.seed}`;
}

function fleetTargets(m: FleetMeasurement): string[] {
  const { action, slowest, singles } = m.parts;
  const memory = m.parts.single ?? m.parts.slowest;
  if (!action) return [];
  const mark = (ok: boolean): string => (ok ? 'met' : '**missed**');
  const out: string[] = [];
  if (slowest) {
    const ratio = action.wallMs / slowest.wallMs;
    out.push(
      `Wall time: ${ratio.toFixed(2)}× the slowest cluster alone (target ≤ ${FLEET_TARGETS.wallFactor}×): ${mark(ratio <= FLEET_TARGETS.wallFactor)}.`,
    );
  }
  if (singles) {
    out.push(
      `ARM requests: ${action.armRequests} against ${singles.armRequests} for the ${singles.processes} single runs (target ≤): ${mark(action.armRequests <= singles.armRequests)}.`,
    );
  }
  out.push(`429 answers: ${action.throttled} (target 0): ${mark(action.throttled === 0)}.`);
  if (action.peakRssKiB !== undefined && memory?.peakRssKiB !== undefined) {
    const ratio = action.peakRssKiB / memory.peakRssKiB;
    out.push(
      `Peak memory: ${ratio.toFixed(2)}× a single-cluster run (target ≤ ${FLEET_TARGETS.memoryFactor}×): ${mark(ratio <= FLEET_TARGETS.memoryFactor)}.`,
    );
  }
  out.push(
    `Entra: ${action.tokenRequests} token request(s), ${action.armTokens} token(s) seen by ARM, its one audience (target 1): ${mark(action.tokenRequests === 1 && action.armTokens === 1)}.`,
  );
  return out;
}

function fleetNotes(m: FleetMeasurement, clusters: number): string[] {
  const notes: string[] = [];
  const { singles, cli } = m.parts;
  const more = m.perCluster.filter((c) => c.fleet > c.single);
  const fewer = m.perCluster.filter((c) => c.fleet < c.single);
  if (singles) {
    notes.push(
      `The single runs: each cluster run alone by its own action process (${m.plan.parallel} at a time, against a fresh fleet); their requests are summed. ` +
        `Per cluster, the fleet run made more requests than the cluster's single run on ${more.length} of ${clusters} clusters and fewer on ${fewer.length}; ` +
        `requests naming no cluster: ${m.unattributed.fleet} in the fleet run, ${m.unattributed.singles} in the single runs (each run's own). ` +
        `The POSTs and result reads alone, computed on the action's schedule (bench/model.ts): ${m.computed.singlesRequests}.`,
    );
  }
  if (cli) {
    notes.push(
      `The az loop is modelled: bench/clients/cli-model.ts (a Node model of azure-cli's calls and 5 s polls, no retries, giving up at 300 s) ran once per cluster (${m.plan.parallel} at a time), and a sequential loop is the sum of those runs; ` +
        `its start-up and memory are Node's, not Python's. Azure CLI keeps its token in its cache, so a loop asks Entra once; the model asked ${cli.tokenRequests} times. ` +
        `Computed on the CLI's schedule: ${m.computed.cliRequests} requests, ${m.computed.cliSeconds.toFixed(0)} s of waiting${m.computed.cliGaveUp ? `, ${m.computed.cliGaveUp} given up` : ''}.`,
    );
  }
  return notes;
}
