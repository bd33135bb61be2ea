// One operation on several clusters: each cluster gets the context a single run gets, with its own
// facts and its log kept aside until it ends (then printed as one group), while the rollout decides
// which cluster starts when. The clients, the token, the poll scheduler and the request budget
// are the run's own, shared by every cluster.
import { ActionError, ServiceError } from '../base/errors.ts';
import { STATUS } from '../inputs/contract.ts';
import type { AksClusterRef, ClusterSelection, FleetOptions } from '../inputs/settings.ts';
import type { ArmClient } from '../azure/arm-client.ts';
import { resolveClusters } from '../azure/cluster-list.ts';
import type { AksOperationContext } from './context.ts';
import { outcomeOfError } from '../report/endings.ts';
import { printGroup, type ClusterLogEntry } from '../report/log.ts';
import {
  mergeFacts,
  type ClusterResult,
  type Facts,
  type Outcome,
  VERDICT_ICONS,
  tallyClusters,
} from '../report/report.ts';
import { formatDuration } from '../waiting/timing.ts';
import { planWaves, runRollout } from './rollout.ts';

/** What a single run's context is made of, minus what each cluster keeps for itself. */
export interface FleetServices {
  /** A context for one cluster, whose log goes to `log` and whose files to its own name. */
  contextFor(cluster: AksClusterRef, log: ClusterLogEntry[], facts: Facts): AksOperationContext;
  /** The operation itself, as a single run performs it. */
  perform(ctx: AksOperationContext, cluster: AksClusterRef): Promise<Outcome>;
  /** True once the job was cancelled (rather than timed out). */
  interrupted(): boolean;
  signal: AbortSignal;
  /** Prints a line of the run's own (progress, waves). */
  log(line: string): void;
  /** Prints one cluster's log as one group, when it ends. */
  printCluster(title: string, log: readonly ClusterLogEntry[]): void;
}

/** A cluster's status while it is worked on; never handed on (it ends with a status word). */
const RUNNING = 'Running';
/** Progress lines come at most this often while clusters end one after another. */
const PROGRESS_EVERY_MS = 5_000;
/** Without news for this long, a progress line says the run is still going. */
const HEARTBEAT_MS = 30_000;
/** Clusters named in the step's error or warning; the summary and results have them all. */
const NAMED_IN_MESSAGE = 10;
/** The last lines of output a failed cluster shows in the summary. */
const TAIL_LINES = 10;
const TAIL_BYTES = 2048;

export interface FleetOutcome {
  results: ClusterResult[];
  waves: number[];
  notStartedBecause: string | undefined;
}

export async function runOnClusters(
  clusters: readonly AksClusterRef[],
  options: FleetOptions,
  services: FleetServices,
): Promise<FleetOutcome> {
  const results: ClusterResult[] = clusters.map((cluster) => notStarted(cluster));
  const waves = planWaves(clusters.length, options.rollout);
  const progress = new Progress(results, services.log);
  const heartbeat = setInterval(() => progress.printIfQuiet(HEARTBEAT_MS), HEARTBEAT_MS / 3);
  heartbeat.unref();
  try {
    services.log(
      `Working on ${clusters.length} clusters, at most ${options.maxParallel} at once${waves.length > 1 ? `, in ${waves.length} waves (${waves.join(', ')})` : ''}${options.failFast ? '; fail-fast: no new cluster starts after a failure' : ''}.`,
    );
    const { stoppedBy } = await runRollout(
      clusters.length,
      {
        waves,
        maxParallel: options.maxParallel,
        failFast: options.failFast,
        signal: services.signal,
        onWave: (wave, size, of) => {
          if (of > 1)
            services.log(`Wave ${wave} of ${of}: ${size} cluster${size === 1 ? '' : 's'}.`);
        },
      },
      async (index) => {
        const cluster = clusters[index];
        if (!cluster) return true;
        results[index] = { ...notStarted(cluster), status: RUNNING };
        const { log, ...result } = await runOne(cluster, services);
        results[index] = result;
        services.printCluster(groupTitle(result), log);
        progress.ended(result.verdict === 'fail');
        return result.verdict !== 'fail';
      },
    );
    return {
      results,
      waves,
      notStartedBecause: results.some((r) => r.status === STATUS.NotStarted)
        ? whyNotStarted(stoppedBy, services.interrupted())
        : undefined,
    };
  } finally {
    clearInterval(heartbeat);
  }
}

function notStarted(cluster: AksClusterRef): ClusterResult {
  return {
    cluster: cluster.resourceId,
    name: cluster.name,
    resourceGroup: cluster.resourceGroup,
    status: STATUS.NotStarted,
    verdict: undefined,
  };
}

async function runOne(
  cluster: AksClusterRef,
  services: FleetServices,
): Promise<ClusterResult & { log: ClusterLogEntry[] }> {
  const log: ClusterLogEntry[] = [];
  const facts: Facts = {};
  const started = Date.now();
  let outcome: Outcome;
  try {
    const judged = await services.perform(services.contextFor(cluster, log, facts), cluster);
    if (judged.learned) mergeFacts(facts, judged.learned);
    outcome = judged;
  } catch (error) {
    outcome = outcomeOfError(error, services.interrupted());
    // The results output is all a later step reads of this cluster: an error answer (a cluster
    // deleted meanwhile, a refused call) gives its reason in the contract's `code: message` form.
    if (error instanceof ServiceError && facts.reason === undefined)
      facts.reason = `${error.code}: ${error.serviceMessage}`;
  }
  if (outcome.message)
    log.push({
      kind: 'line',
      text: `${outcome.verdict === 'fail' ? 'Error' : 'Warning'}: ${outcome.message}${outcome.fix ? ` Fix: ${outcome.fix}` : ''}`,
    });
  return {
    cluster: cluster.resourceId,
    name: cluster.name,
    resourceGroup: cluster.resourceGroup,
    status: outcome.status,
    verdict: outcome.verdict,
    exitCode: facts.exitCode,
    commandId: facts.commandId,
    operationId: facts.operationId,
    reason: facts.reason,
    startedAt: facts.startedAt,
    finishedAt: facts.finishedAt,
    logsFile: facts.logsFile,
    durationMs: Date.now() - started,
    message: outcome.headline ?? outcome.message,
    tail: outcome.verdict === 'fail' && facts.logs ? lastLines(facts.logs) : undefined,
    log,
  };
}

/** `✅ rg/aks-1: Succeeded, exit code 0, 41.2s` */
function groupTitle(result: ClusterResult): string {
  const exit = result.exitCode === undefined ? '' : `, exit code ${result.exitCode}`;
  const icon = result.verdict ? VERDICT_ICONS[result.verdict] : '•';
  return `${icon} ${result.resourceGroup}/${result.name}: ${result.status}${exit}, ${formatDuration(result.durationMs ?? 0)}`;
}

function whyNotStarted(
  stoppedBy: 'failure' | 'wave' | 'signal' | undefined,
  interrupted: boolean,
): string {
  if (stoppedBy === 'signal')
    return interrupted ? 'the job was cancelled' : 'the step’s timeout ran out';
  if (stoppedBy === 'wave') return 'a cluster of the previous wave did not pass';
  return 'a cluster failed and fail-fast is on';
}

/** The end of a command's output, at most a few lines and bytes. */
function lastLines(logs: string): string {
  const lines = logs.replace(/\s+$/, '').split(/\r?\n/);
  const tail = lines.slice(-TAIL_LINES).join('\n');
  return tail.length > TAIL_BYTES ? tail.slice(-TAIL_BYTES) : tail;
}

/** `Clusters: 12 passed, 1 failed, 30 running, 7 not started · elapsed 1m 20s`, on change or when quiet. */
class Progress {
  readonly #results: readonly ClusterResult[];
  readonly #log: (line: string) => void;
  readonly #started = Date.now();
  #printedAt = Date.now();

  constructor(results: readonly ClusterResult[], log: (line: string) => void) {
    this.#results = results;
    this.#log = log;
  }

  print(): void {
    this.#printedAt = Date.now();
    this.#log(this.line());
  }

  /**
   * After a cluster ended: a line at once for a failure or the last cluster running, otherwise
   * at most one every few seconds, so fifty clusters ending together make one line, not fifty.
   */
  ended(failed: boolean): void {
    const running = this.#results.some((r) => r.status === RUNNING);
    if (failed || !running || Date.now() - this.#printedAt >= PROGRESS_EVERY_MS) this.print();
  }

  printIfQuiet(quietMs: number): void {
    if (Date.now() - this.#printedAt >= quietMs) this.print();
  }

  line(): string {
    const tally = tallyClusters(this.#results);
    const parts = [
      [tally.passed, 'passed'],
      [tally.failed, 'failed'],
      [this.#results.filter((r) => r.status === RUNNING).length, 'running'],
      [tally.notStarted, 'not started'],
    ] as const;
    const shown = parts.filter(([n], at) => n > 0 || at === 0).map(([n, what]) => `${n} ${what}`);
    return `Clusters: ${shown.join(', ')} · elapsed ${formatDuration(Date.now() - this.#started)}`;
  }
}

/**
 * The clusters the input names, looked up and printed (the list in a group: dozens of IDs would
 * push everything else out of sight).
 */
export async function resolveSelection(
  selection: ClusterSelection,
  arm: ArmClient,
  log: (line: string) => void,
): Promise<AksClusterRef[]> {
  const { clusters, notices } = await resolveClusters(selection, arm);
  for (const notice of notices) log(notice);
  if (clusters.length === 0) return clusters;
  printGroup(
    `The cluster input names ${clusters.length} cluster${clusters.length === 1 ? '' : 's'}`,
    clusters.map((cluster) => cluster.resourceId),
  );
  return clusters;
}

/** An input that ends up naming no cluster is an error, as a cluster that does not exist is. */
export function noClusterError(): ActionError {
  return new ActionError(
    'The cluster input names no cluster once its tags, fleets and exclusions are looked up.',
    'Check the tag (name and exact value) and the subscription-id, or the fleet, in the cluster input.',
  );
}

/** The first few clusters, named, and how many more: an annotation stays readable with 200. */
function someOf(
  results: readonly ClusterResult[],
  describe: (result: ClusterResult) => string,
  separator: string,
): string {
  const named = results.slice(0, NAMED_IN_MESSAGE).map(describe).join(separator);
  const more = results.length - NAMED_IN_MESSAGE;
  return more > 0 ? `${named} and ${more} more` : named;
}

/** How the run on several clusters ended, as one status: Succeeded only when every one passed. */
export function judgeFleet(fleet: FleetOutcome, interrupted: boolean, stopped: boolean): Outcome {
  const { results } = fleet;
  const failed = results.filter((result) => result.verdict === 'fail');
  const notStarted = results.filter((result) => result.verdict === undefined);
  const warned = results.filter((result) => result.verdict === 'warn');
  if (failed.length === 0 && notStarted.length === 0) {
    return {
      status: STATUS.Succeeded,
      verdict: warned.length > 0 ? 'warn' : 'pass',
      message:
        warned.length > 0
          ? `${warned.length} of ${results.length} clusters passed with a warning: ${someOf(warned, (r) => `${r.resourceGroup}/${r.name} (${r.message ?? r.status})`, '; ')}`
          : undefined,
    };
  }
  const named = someOf(
    failed,
    (r) =>
      `${r.resourceGroup}/${r.name} (${r.status}${r.exitCode === undefined ? '' : `, exit code ${r.exitCode}`})`,
    ', ',
  );
  const never = notStarted.length
    ? ` ${notStarted.length} not started: ${fleet.notStartedBecause ?? 'the run stopped'}.`
    : '';
  return {
    status: interrupted ? STATUS.Interrupted : stopped ? STATUS.TimedOut : STATUS.Failed,
    verdict: 'fail',
    message: `${failed.length} of ${results.length} clusters did not pass${failed.length ? `: ${named}` : ''}.${never}`,
    fix: 'The results output has each cluster; to run again on those that did not pass or start, give the failed-clusters output (or those of results) as the cluster input.',
  };
}
