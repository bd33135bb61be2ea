// The run, from inputs to outputs: reads the settings, connects, hands the operation its context,
// and publishes whatever happened. The work itself is done by the layers below.
import { randomUUID } from 'node:crypto';
import * as core from '@actions/core';
import { InterruptedError } from './base/errors.ts';
import { USER_AGENT } from './base/version.ts';
import { formatDuration } from './waiting/timing.ts';
import { pollUntilDone } from './waiting/poller.ts';
import { readSettings, runnerInputs } from './inputs/inputs.ts';
import type {
  AksClusterRef,
  AksOperationSettings,
  CancelFaultSettings,
  ListClustersSettings,
  ReadSettings,
} from './inputs/settings.ts';
import {
  Transport,
  displayUrl,
  formatAttempt,
  requestTimeouts,
  type CallStats,
  type TransportOptions,
} from './network/http.ts';
import { proxyPasswords } from './network/proxy.ts';
import { ARM_RETRY, SERVICE_FABRIC_RETRY, type RetryPolicy } from './network/retry.ts';
import { ARM_BUDGET, RequestBudget, shareOf } from './network/budget.ts';
import { PollScheduler } from './waiting/scheduler.ts';
import { resolveArmScope } from './azure/arm-audience.ts';
import { ArmClient } from './azure/arm-client.ts';
import { signIn, type AuthEnvironment } from './azure/auth.ts';
import { connectServiceFabric } from './service-fabric/connection.ts';
import { outcomeOfError, stoppedOutcome } from './report/endings.ts';
import {
  formatProgress,
  inert,
  info,
  printClusterLog,
  printUntrustedBlock,
  type ClusterLogEntry,
} from './report/log.ts';
import { logsFolderPath, publish, writeLogsFile } from './report/outputs.ts';
import { mergeFacts, type Facts, type Outcome, type Report } from './report/report.ts';
import { registerSecret, secretsInEnvironment } from './report/secrets.ts';
import type { AksOperationContext, OperationContext } from './operations/context.ts';
import { abort } from './operations/abort.ts';
import { cancelFault } from './operations/cancel-fault.ts';
import { commandResult } from './operations/command-result.ts';
import { operationStatus } from './operations/operation-status.ts';
import { prepareRunCommand, runCommand } from './operations/run-command.ts';
import { resolveClusters } from './clusters/resolve.ts';
import { shardOf } from './clusters/shards.ts';
import { runOnClusters, type FleetOutcome } from './clusters/fleet.ts';
import { STATUS } from './inputs/contract.ts';
import { ActionError } from './base/errors.ts';

/** State shared by one run: what was learned, the counters, and the signals that stop waiting. */
interface RunState {
  facts: Facts;
  stats: CallStats & { polls: number };
  interrupt: AbortController;
  disposers: (() => void)[];
  /** Run once the outputs are written. */
  afterPublish: (() => void)[];
  /** One timer for every wait of the run. */
  scheduler: PollScheduler;
  /** What the report says of the clusters: the one named, or the several resolved. */
  clusters: Pick<Report, 'resolved' | 'shards' | 'fleet'> & { label?: string };
}

const runner: AuthEnvironment = {
  env: (name) => process.env[name] ?? '',
  getIDToken: (audience) => core.getIDToken(audience),
  mask: protectSecret,
};

/** Masks a secret in the runner's log and takes it out of everything the action publishes. */
function protectSecret(secret: string): void {
  if (secret.trim() === '') return;
  core.setSecret(secret);
  registerSecret(secret);
}

/** Reads the inputs, performs the one operation, and hands the result on, whatever happens. */
export async function run(): Promise<void> {
  const startedAt = Date.now();
  const state: RunState = {
    facts: {},
    stats: { requests: 0, retries: 0, polls: 0 },
    interrupt: new AbortController(),
    disposers: [],
    afterPublish: [],
    scheduler: new PollScheduler(),
    clusters: {},
  };
  const stopListening = listenForCancellation(state.interrupt);
  // Never printed by the action; masked in case a library's error quotes the proxy URL.
  for (const password of proxyPasswords(runner.env)) runner.mask(password);
  // The runner already masks these in the log; registering them keeps them out of the outputs too.
  for (const secret of secretsInEnvironment(process.env)) registerSecret(secret);
  let operation: Report['operation'] = 'unknown';
  let cluster = runnerInputs().input('cluster');
  let outcome: Outcome;
  try {
    const settings = readSettings(runnerInputs());
    operation = settings.operation;
    cluster =
      settings.operation === 'cancel-fault'
        ? settings.gatewayUrl
        : settings.operation !== 'list-clusters' && settings.cluster
          ? settings.cluster.resourceId
          : cluster;
    const signal = AbortSignal.any([state.interrupt.signal, deadline(settings.timeoutMs, state)]);
    const { learned, ...judged } = await perform(settings, state, signal, startedAt);
    if (learned) mergeFacts(state.facts, learned);
    outcome = judged;
  } catch (error) {
    outcome = outcomeOfError(error, state.interrupt.signal.aborted);
  } finally {
    for (const dispose of state.disposers) dispose();
  }
  const { label, ...clusters } = state.clusters;
  await publish({
    ...state.facts,
    ...outcome,
    ...clusters,
    operation,
    cluster: label ?? cluster,
    durationMs: Date.now() - startedAt,
    ...state.stats,
  });
  stopListening();
  for (const dispose of state.afterPublish) dispose();
}

/**
 * The step's deadline. Its timer is deliberately not unref'd (AbortSignal.timeout's is): while
 * the run waits, it keeps the event loop alive, so the process cannot end with nothing written
 * even if every socket is gone; it is cleared once the outputs are published.
 */
function deadline(timeoutMs: number, state: RunState): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException('The step timeout ran out.', 'TimeoutError')),
    timeoutMs,
  );
  state.afterPublish.push(() => clearTimeout(timer));
  return controller.signal;
}

async function perform(
  settings: ReadSettings,
  state: RunState,
  signal: AbortSignal,
  startedAt: number,
): Promise<Outcome> {
  const base = operationContext(settings, state, signal, startedAt);
  if (settings.operation === 'cancel-fault') {
    const client = await connectServiceFabric(settings, {
      runner,
      signal,
      log: base.log,
      warn: base.warn,
      transport: (tls, checkServer) =>
        createTransport(state, signal, settings.timeoutMs, SERVICE_FABRIC_RETRY, {
          tls,
          checkServer,
        }),
      requestTimeouts: requestTimeouts(settings.timeoutMs),
    });
    return cancelFault(base, settings, client);
  }
  // Attachments are checked before sign-in: a refused file costs no call at all.
  const attachment =
    settings.operation === 'run-command'
      ? await prepareRunCommand(settings, signal, info)
      : undefined;
  const login = await signIn(settings, runner, signal);
  info(login.description);
  const { shard } = settings.fleet;
  // Shards usually share one identity, and so ARM's limits: each takes its part.
  const budget = new RequestBudget(shard ? shareOf(ARM_BUDGET, shard.count) : ARM_BUDGET);
  const armTransport = createTransport(state, signal, settings.timeoutMs, ARM_RETRY, { budget });
  // One correlation id for every ARM request of the run: support finds all of them by it.
  const correlationId = randomUUID();
  mergeFacts(state.facts, { correlationId });
  const arm = new ArmClient({
    endpoint: settings.endpoints.armEndpoint,
    scope: await resolveArmScope(settings.endpoints, armTransport, base.log),
    tokens: login.tokens,
    transport: armTransport,
    correlationId,
    onExpiredToken: (method, url, retry) => {
      state.stats.retries++;
      info(
        `Retrying ${method} ${displayUrl(url)} with a new token (the token had expired; retry ${retry}).`,
      );
    },
  });
  const ctx: AksOperationContext = { ...base, arm };
  if (settings.operation !== 'list-clusters' && settings.cluster && !shard) {
    state.clusters.resolved = [settings.cluster.resourceId];
    return performAks(ctx, onCluster(settings, settings.cluster), attachment, login.tokens);
  }
  const clusters = await resolveSelection(settings, arm, state);
  if (settings.operation === 'list-clusters') {
    state.clusters.shards = settings.fleet.shards;
    return { status: STATUS.Succeeded, verdict: 'pass', message: undefined };
  }
  const mine = shard ? shardOf(clusters, shard) : clusters;
  if (shard)
    info(`Shard ${shard.index}/${shard.count}: ${mine.length} of the ${clusters.length} clusters.`);
  state.clusters.label = `${mine.length} clusters`;
  const fleet = await runOnClusters(mine, settings.fleet, {
    contextFor: (cluster, log, facts) =>
      clusterContext(ctx, { settings, state, signal, cluster, log, facts, correlationId }),
    perform: (clusterCtx, cluster) =>
      performAks(clusterCtx, onCluster(settings, cluster), attachment, login.tokens),
    interrupted: () => state.interrupt.signal.aborted,
    signal,
    log: info,
    printCluster: printClusterLog,
  });
  state.clusters.fleet = { ...fleet, budgetWaitMs: budget.waitedMs, throttled: budget.throttled };
  if (fleet.results.some((result) => result.logsFile))
    mergeFacts(state.facts, { logsFile: logsFolderPath(logsFolder(correlationId)) });
  return fleetOutcome(fleet, state.interrupt.signal.aborted, signal.aborted);
}

/**
 * The clusters the input names, looked up and printed. Names only ARM reads; an input that ends
 * up naming no cluster at all is an error, as a cluster that does not exist is.
 */
async function resolveSelection(
  settings: Exclude<ReadSettings, { operation: 'cancel-fault' }>,
  arm: ArmClient,
  state: RunState,
): Promise<AksClusterRef[]> {
  const { clusters, notices } = await resolveClusters(settings.selection, arm);
  for (const notice of notices) info(notice);
  state.clusters.resolved = clusters.map((cluster) => cluster.resourceId);
  state.clusters.label = `${clusters.length} clusters`;
  if (clusters.length === 0)
    throw new ActionError(
      'The cluster input names no cluster once its tags, fleets and exclusions are looked up.',
      'Check the tag (name and exact value) and the subscription-id, or the fleet, in the cluster input.',
    );
  info(`The cluster input names ${clusters.length} clusters:`);
  for (const cluster of clusters) info(`  ${cluster.resourceId}`);
  return clusters;
}

/** How the run on several clusters ended, as one status. */
function fleetOutcome(fleet: FleetOutcome, interrupted: boolean, stopped: boolean): Outcome {
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
          ? `${warned.length} of ${results.length} clusters passed with a warning: ${warned.map((r) => `${r.resourceGroup}/${r.name} (${r.message ?? r.status})`).join('; ')}`
          : undefined,
    };
  }
  const named = failed
    .slice(0, 10)
    .map(
      (r) =>
        `${r.resourceGroup}/${r.name} (${r.status}${r.exitCode === undefined ? '' : `, exit code ${r.exitCode}`})`,
    );
  const more = failed.length > named.length ? ` and ${failed.length - named.length} more` : '';
  const never = notStarted.length
    ? ` ${notStarted.length} not started: ${fleet.notStartedBecause ?? 'the run stopped'}.`
    : '';
  return {
    status: interrupted ? STATUS.Interrupted : stopped ? STATUS.TimedOut : STATUS.Failed,
    verdict: 'fail',
    message: `${failed.length} of ${results.length} clusters did not pass${failed.length ? `: ${named.join(', ')}${more}` : ''}.${never}`,
    fix: 'The results output has each cluster; to run again on those that did not pass or start, give the failed-clusters output (or those of results) as the cluster input.',
  };
}

/** The settings of one cluster: the run's own, with its cluster. */
function onCluster(
  settings: Exclude<ReadSettings, CancelFaultSettings | ListClustersSettings>,
  cluster: AksClusterRef,
): AksOperationSettings {
  return { ...settings, cluster } as AksOperationSettings;
}

function performAks(
  ctx: AksOperationContext,
  settings: AksOperationSettings,
  attachment: Awaited<ReturnType<typeof prepareRunCommand>>,
  tokens: Parameters<typeof runCommand>[3],
): Promise<Outcome> {
  switch (settings.operation) {
    case 'run-command':
      return runCommand(ctx, settings, attachment, tokens);
    case 'command-result':
      return commandResult(ctx, settings);
    case 'abort':
      return abort(ctx, settings);
    case 'operation-status':
      return operationStatus(ctx, settings);
  }
}

function createTransport(
  state: RunState,
  signal: AbortSignal,
  stepTimeoutMs: number,
  policy: RetryPolicy = ARM_RETRY,
  extra: Pick<TransportOptions, 'tls' | 'checkServer' | 'budget'> = {},
): Transport {
  const transport = new Transport({
    userAgent: USER_AGENT,
    policy,
    signal,
    stats: state.stats,
    timeouts: requestTimeouts(stepTimeoutMs),
    ...extra,
    onRetry: (notice) =>
      info(
        `Retrying ${notice.method} ${displayUrl(notice.url)} in ${formatDuration(notice.delayMs)} (${notice.reason}; retry ${notice.attempt}).`,
      ),
    // With the runner's debug logging on (RUNNER_DEBUG=1), one line per request for support.
    onAttempt: core.isDebug() ? (record) => core.debug(formatAttempt(record)) : undefined,
  });
  state.disposers.push(() => transport.dispose());
  return transport;
}

function operationContext(
  settings: ReadSettings,
  state: RunState,
  signal: AbortSignal,
  startedAt: number,
): OperationContext {
  return {
    facts: state.facts,
    record: (learned) => mergeFacts(state.facts, learned),
    log: info,
    warn: (line) => core.warning(inert(line)),
    printUntrusted: printUntrustedBlock,
    keepLogs: writeLogsFile,
    poll: poller(settings, state, signal, startedAt, info),
    stopped: (lastState, resume) =>
      stoppedOutcome(state.interrupt.signal.aborted, settings.timeoutMs, lastState, resume),
  };
}

/** Waiting through the one poller and the run's one scheduler, one log line per look. */
function poller(
  settings: ReadSettings,
  state: RunState,
  signal: AbortSignal,
  startedAt: number,
  log: (line: string) => void,
): OperationContext['poll'] {
  return async (observe, options = {}) => {
    const outcome = await pollUntilDone(observe, {
      ...options,
      interval: settings.pollInterval,
      signal,
      startedAt,
      sleep: (ms, abort) => state.scheduler.sleep(ms, abort),
      onProgress: (progress) => log(formatProgress(progress)),
    });
    state.stats.polls += outcome.polls;
    return outcome;
  };
}

/** The folder under RUNNER_TEMP of this run's per-cluster logs files. */
function logsFolder(correlationId: string): string {
  return `aks-clusters-${correlationId.slice(0, 8)}`;
}

/**
 * One cluster's context among several: the run's clients and waiting, with the cluster's own
 * facts, its log kept for its group, and its logs file named after it in the run's folder.
 */
function clusterContext(
  shared: AksOperationContext,
  on: {
    settings: ReadSettings;
    state: RunState;
    signal: AbortSignal;
    cluster: AksClusterRef;
    log: ClusterLogEntry[];
    facts: Facts;
    correlationId: string;
  },
): AksOperationContext {
  const { cluster, log, facts } = on;
  const line = (text: string) => log.push({ kind: 'line', text });
  return {
    ...shared,
    facts,
    record: (learned) => mergeFacts(facts, learned),
    log: line,
    warn: (text) => log.push({ kind: 'warning', text: `${cluster.name}: ${text}` }),
    printUntrusted: (title, text) => log.push({ kind: 'untrusted', title, text }),
    keepLogs: (_name, logs, options) =>
      writeLogsFile(
        `${cluster.resourceGroup}_${cluster.name}_${cluster.subscriptionId.slice(0, 8)}`,
        logs,
        {
          ...options,
          folder: logsFolder(on.correlationId),
        },
      ),
    poll: poller(on.settings, on.state, on.signal, Date.now(), line),
  };
}

/** SIGINT/SIGTERM (the runner cancelling the job) stop the waiting; outputs are still written. */
function listenForCancellation(interrupt: AbortController): () => void {
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((name) => {
    const handler = () => {
      if (!interrupt.signal.aborted)
        core.info(`Received ${name}: stopping and writing the outputs.`);
      interrupt.abort(new InterruptedError(name));
    };
    process.on(name, handler);
    return () => process.off(name, handler);
  });
  return () => handlers.forEach((off) => off());
}
