// The fleet benchmark (issue 16, "How fast, how frugal"): many emulated clusters with ARM's
// request limits on, run by the action in one step and, side by side in the same bench run, by
// the references it is judged against and by the other ways users run a fleet. Every part gets
// its own fresh emulator with the same seeded fleet, so no part spends another's ARM budget.
import { fileURLToPath } from 'node:url';
import { addFleetScenario, startFleetEmulator } from '../emulator/fleet.ts';
import type { Emulator, FleetClusterInfo, RequestRecord } from '../emulator/index.ts';
import { runAction } from '../harness/run-action.ts';
import { fleetToEnv, toEnv, type FleetTarget } from './clients/config.ts';
import { lastLine, rssProbe, spawnScript, type Exit } from './measure.ts';
import { actionModel, CLI_MODEL, outcomeAt } from './model.ts';

export interface FleetPlan {
  id: string;
  count: number;
  seed: number;
  /** Each cluster's pod start delay and command duration are drawn from these (seconds). */
  startDelaySeconds: [number, number];
  durationSeconds: [number, number];
  /** How many single runs (action or CLI model) run at once. */
  parallel: number;
  /** Also measure the JS SDK script, the CLI loop and a separate memory-reference run. */
  full: boolean;
}

// Start delay + duration spans 5–60 s per cluster: a pod start of 1–5 s, a command of 4–55 s.
const SPREAD = { startDelaySeconds: [1, 5], durationSeconds: [4, 55] } as const;
export const FLEET_SEED = 16;
export const FLEET_PLANS = {
  fleet50: { id: 'fleet-50', count: 50, seed: FLEET_SEED, parallel: 25, full: true, ...copy() },
  fleet200: { id: 'fleet-200', count: 200, seed: FLEET_SEED, parallel: 50, full: true, ...copy() },
  // bench:ci: 20 clusters finishing within 3–12 s, the action's part and its references only.
  ci: {
    id: 'fleet-20-ci',
    count: 20,
    seed: FLEET_SEED,
    startDelaySeconds: [1, 4],
    durationSeconds: [2, 8],
    parallel: 20,
    full: false,
  },
} satisfies Record<string, FleetPlan>;

function copy(): Pick<FleetPlan, 'startDelaySeconds' | 'durationSeconds'> {
  return {
    startDelaySeconds: [...SPREAD.startDelaySeconds],
    durationSeconds: [...SPREAD.durationSeconds],
  };
}

/** The command every cluster runs; how long it takes is the cluster's (commandDurationSeconds). */
const COMMAND = 'echo done';
const ACTION_TIMEOUT_MS = 15 * 60_000;
const SINGLE_TIMEOUT_MS = 5 * 60_000;
/** Azure CLI gives up at 300 s; its invokes are given a little more to show it. */
const CLI_TIMEOUT_MS = 330_000;
const SCRIPTS = {
  sdkFleet: fileURLToPath(new URL('./clients/sdk-fleet.ts', import.meta.url)),
  cli: fileURLToPath(new URL('./clients/cli-model.ts', import.meta.url)),
};

/** What one part spent, from the emulator's side (requests) and the process's (time, memory). */
export interface Usage {
  ok: boolean;
  note: string;
  /** Process spawn to exit; for summed parts, the sum over the processes. */
  wallMs: number;
  armRequests: number;
  throttled: number;
  /** Entra token requests, and the distinct bearer tokens ARM saw (tokens for ARM's audience). */
  tokenRequests: number;
  armTokens: number;
  peakRssKiB?: number;
  /** How many processes the figures add up (1 unless summed). */
  processes: number;
}

export const PARTS = ['action', 'slowest', 'single', 'singles', 'sdk', 'cli'] as const;
export type PartId = (typeof PARTS)[number];

export interface ClusterTiming {
  name: string;
  /** Start delay + duration: the soonest the command can end after the POST (seconds). */
  seconds: number;
}

export interface FleetMeasurement {
  plan: FleetPlan;
  fastest: ClusterTiming;
  slowest: ClusterTiming;
  /** The cluster of the memory-reference run (the median one), when measured. */
  memoryCluster?: ClusterTiming;
  parts: Partial<Record<PartId, Usage>>;
  /** ARM requests per cluster, the action's fleet run and the single runs (same order as the fleet). */
  perCluster: { name: string; fleet: number; single: number }[];
  /** ARM requests that name no cluster (sign-in metadata, lists): the fleet run's, the single runs'. */
  unattributed: { fleet: number; singles: number };
  /** Figures computed on the clients' schedules (bench/model.ts), to check the measured ones. */
  computed: { singlesRequests: number; cliRequests: number; cliSeconds: number; cliGaveUp: number };
}

export async function measureFleet(
  plan: FleetPlan,
  progress: (line: string) => void,
): Promise<FleetMeasurement> {
  const timings = await planTimings(plan);
  const slowest = timings.reduce((a, b) => (b.seconds > a.seconds ? b : a));
  const bySeconds = [...timings].sort((a, b) => a.seconds - b.seconds);
  const memoryCluster = plan.full ? bySeconds[Math.floor(bySeconds.length / 2)] : undefined;
  const parts: FleetMeasurement['parts'] = {};
  const say = (id: PartId, u: Usage): void => {
    parts[id] = u;
    progress(`${plan.id} ${id.padEnd(8)} ${u.ok ? 'ok  ' : 'FAIL'} ${describe(u)} — ${u.note}`);
  };

  progress(
    `${plan.id}: ${plan.count} clusters, ${bySeconds[0]!.seconds.toFixed(1)}–${slowest.seconds.toFixed(1)} s each (seed ${plan.seed}); the action in one step…`,
  );
  let fleetRequests: RequestRecord[] = [];
  say(
    'action',
    await onFreshFleet(plan, async (emu, fleet) => {
      const usage = await actionRun(
        emu,
        fleet.map((c) => c.resourceId),
        plan.count,
      );
      fleetRequests = [...emu.requests];
      return usage;
    }),
  );
  progress(`${plan.id}: the slowest cluster (${slowest.name}, ${slowest.seconds} s) alone…`);
  say('slowest', await onFreshFleet(plan, (emu, fleet) => actionRun(emu, [idIn(fleet, slowest)])));
  if (memoryCluster) {
    progress(`${plan.id}: one cluster alone (${memoryCluster.name}), the memory reference…`);
    say(
      'single',
      await onFreshFleet(plan, (emu, fleet) => actionRun(emu, [idIn(fleet, memoryCluster)])),
    );
  }
  progress(`${plan.id}: ${plan.count} single action runs, ${plan.parallel} at a time…`);
  let singleRequests: RequestRecord[] = [];
  say(
    'singles',
    await onFreshFleet(plan, async (emu, fleet) => {
      const runs = await pool(fleet, plan.parallel, (c) => actionRun(emu, [c.resourceId]));
      singleRequests = [...emu.requests];
      return { ...sum(runs), ...emulatorUsage(emu.requests) };
    }),
  );
  if (plan.full) {
    progress(`${plan.id}: the JS SDK script, Promise.all over ${plan.count} clusters…`);
    say('sdk', await onFreshFleet(plan, sdkRun));
    progress(
      `${plan.id}: the CLI model, ${plan.count} invokes (${plan.parallel} at a time, summed)…`,
    );
    say(
      'cli',
      await onFreshFleet(plan, async (emu, fleet) => {
        const runs = await pool(fleet, plan.parallel, (c) => cliInvoke(emu, c));
        return { ...sum(runs), ...emulatorUsage(emu.requests) };
      }),
    );
  }
  const perCluster = timings.map((t) => ({
    name: t.name,
    fleet: fleetRequests.filter((r) => names(r, t.name)).length,
    single: singleRequests.filter((r) => names(r, t.name)).length,
  }));
  const unattributed = (requests: RequestRecord[], by: 'fleet' | 'single'): number =>
    requests.filter((r) => r.server === 'arm').length - perCluster.reduce((n, c) => n + c[by], 0);
  return {
    plan,
    fastest: bySeconds[0]!,
    slowest,
    ...(memoryCluster ? { memoryCluster } : {}),
    parts,
    perCluster,
    unattributed: {
      fleet: unattributed(fleetRequests, 'fleet'),
      singles: unattributed(singleRequests, 'single'),
    },
    computed: computed(timings),
  };
}

/** The fleet's clusters and their times, as the seed lays them out (one throwaway emulator). */
async function planTimings(plan: FleetPlan): Promise<ClusterTiming[]> {
  return onFreshFleet(plan, (_emu, fleet) =>
    Promise.resolve(
      fleet.map((c) => ({
        name: c.name,
        seconds: round1(c.startDelaySeconds + c.durationSeconds),
      })),
    ),
  );
}

/** The cluster's resource ID in this fleet (each emulator has its own subscription IDs). */
function idIn(fleet: FleetClusterInfo[], cluster: ClusterTiming): string {
  const found = fleet.find((c) => c.name === cluster.name);
  if (!found) throw new Error(`${cluster.name} is not in the fleet: is the seed honoured?`);
  return found.resourceId;
}

async function onFreshFleet<T>(
  plan: FleetPlan,
  body: (emu: Emulator, fleet: FleetClusterInfo[]) => Promise<T>,
): Promise<T> {
  const emu = await startFleetEmulator();
  try {
    const { clusters } = addFleetScenario(emu, {
      count: plan.count,
      seed: plan.seed,
      startDelaySeconds: plan.startDelaySeconds,
      durationSeconds: plan.durationSeconds,
    });
    return await body(emu, clusters);
  } finally {
    await emu.stop();
  }
}

async function actionRun(emu: Emulator, clusters: string[], maxParallel?: number): Promise<Usage> {
  const probe = rssProbe();
  const before = emu.requests.length;
  const inputs: Record<string, string> = { cluster: clusters.join('\n'), command: COMMAND };
  if (maxParallel !== undefined) inputs['max-parallel'] = String(maxParallel);
  const run = await runAction(inputs, emu, {
    env: probe.env,
    killAfterMs: clusters.length > 1 ? ACTION_TIMEOUT_MS : SINGLE_TIMEOUT_MS,
  });
  const peakRssKiB = probe.read();
  const ok = run.code === 0 && run.outputs.status === 'Succeeded';
  return {
    ok,
    note: ok
      ? `status=${run.outputs.status}${clusters.length > 1 ? '' : ` exit-code=${run.outputs['exit-code'] ?? ''}`}`
      : `exit ${run.code ?? run.signal}, status=${run.outputs.status ?? 'none'}: ${lastLine(run.stdout + run.stderr)}`,
    wallMs: run.durationMs,
    ...emulatorUsage(emu.requests.slice(before)),
    ...(peakRssKiB === undefined ? {} : { peakRssKiB }),
    processes: 1,
  };
}

async function sdkRun(emu: Emulator, fleet: FleetClusterInfo[]): Promise<Usage> {
  const probe = rssProbe();
  const env = fleetToEnv({ ...signIn(emu), command: COMMAND }, fleet.map(target));
  const exit = await spawnScript(
    emu,
    SCRIPTS.sdkFleet,
    { ...env, ...probe.env },
    ACTION_TIMEOUT_MS,
  );
  return fromExit(exit, probe.read(), emu.requests);
}

async function cliInvoke(emu: Emulator, cluster: FleetClusterInfo): Promise<Usage> {
  const probe = rssProbe();
  const before = emu.requests.length;
  const t = target(cluster);
  const env = toEnv({ ...signIn(emu), ...t, cluster: t.name, command: COMMAND });
  const exit = await spawnScript(emu, SCRIPTS.cli, { ...env, ...probe.env }, CLI_TIMEOUT_MS);
  return fromExit(exit, probe.read(), emu.requests.slice(before));
}

function fromExit(exit: Exit, peakRssKiB: number | undefined, requests: RequestRecord[]): Usage {
  return {
    ok: exit.ok,
    note: exit.note,
    wallMs: exit.exitedAt - exit.spawnedAt,
    ...emulatorUsage(requests),
    ...(peakRssKiB === undefined ? {} : { peakRssKiB }),
    processes: 1,
  };
}

function signIn(emu: Emulator) {
  return {
    armEndpoint: emu.armEndpoint,
    authorityHost: emu.authorityHost,
    tenantId: emu.tenantId,
    clientId: emu.clientId,
    clientSecret: emu.clientSecret,
  };
}

function target(cluster: FleetClusterInfo): FleetTarget {
  return {
    subscriptionId: cluster.subscriptionId,
    resourceGroup: cluster.resourceGroup,
    name: cluster.name,
  };
}

export function emulatorUsage(
  requests: RequestRecord[],
): Pick<Usage, 'armRequests' | 'throttled' | 'tokenRequests' | 'armTokens'> {
  const arm = requests.filter((r) => r.server === 'arm');
  return {
    armRequests: arm.length,
    throttled: requests.filter((r) => r.status === 429).length,
    tokenRequests: requests.filter((r) => r.server === 'entra' && r.kind === 'token').length,
    armTokens: new Set(arm.flatMap((r) => (r.tokenHash ? [r.tokenHash] : []))).size,
  };
}

/** Processes run one after another: times add up, memory is the largest one's. */
export function sum(runs: Usage[]): Usage {
  const failed = runs.filter((r) => !r.ok);
  const rss = runs.flatMap((r) => (r.peakRssKiB === undefined ? [] : [r.peakRssKiB]));
  return {
    ok: failed.length === 0,
    note:
      failed.length === 0
        ? `${runs.length} runs, all ok`
        : `${failed.length}/${runs.length} failed, first: ${failed[0]!.note}`,
    wallMs: runs.reduce((n, r) => n + r.wallMs, 0),
    armRequests: runs.reduce((n, r) => n + r.armRequests, 0),
    throttled: runs.reduce((n, r) => n + r.throttled, 0),
    tokenRequests: runs.reduce((n, r) => n + r.tokenRequests, 0),
    armTokens: runs.reduce((n, r) => n + r.armTokens, 0),
    ...(rss.length > 0 ? { peakRssKiB: Math.max(...rss) } : {}),
    processes: runs.length,
  };
}

/** True when the request is about the cluster of this name (its path or one under it). */
function names(record: RequestRecord, name: string): boolean {
  if (record.server !== 'arm') return false;
  const path = record.path.toLowerCase();
  const marker = `/managedclusters/${name.toLowerCase()}`;
  const at = path.indexOf(marker);
  if (at < 0) return false;
  const next = path[at + marker.length];
  return next === undefined || next === '/' || next === '?';
}

function computed(timings: ClusterTiming[]): FleetMeasurement['computed'] {
  const action = actionModel();
  const cli = timings.map((t) => ({ t, o: outcomeAt(CLI_MODEL, t.seconds) }));
  return {
    singlesRequests: timings.reduce((n, t) => n + outcomeAt(action, t.seconds).requests, 0),
    cliRequests: cli.reduce((n, c) => n + c.o.requests, 0),
    cliSeconds: cli.reduce(
      (n, c) => n + (c.o.latency === undefined ? CLI_MODEL.givesUpAt! : c.t.seconds + c.o.latency),
      0,
    ),
    cliGaveUp: cli.filter((c) => c.o.latency === undefined).length,
  };
}

async function pool<T, R>(items: T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await run(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function describe(u: Usage): string {
  const rss = u.peakRssKiB === undefined ? 'n/a' : `${(u.peakRssKiB / 1024).toFixed(0)} MiB`;
  return `${(u.wallMs / 1000).toFixed(1)} s, ARM ${u.armRequests} (429: ${u.throttled}), tokens ${u.tokenRequests}, RSS ${rss}`;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
