// The run, from inputs to outputs: reads the settings, connects, hands the operation its context,
// and publishes whatever happened. The work itself is done by the layers below.
import { randomUUID } from 'node:crypto';
import * as core from '@actions/core';
import { InterruptedError } from './base/errors.ts';
import { readSettings, runnerInputs } from './inputs/inputs.ts';
import type {
  AksClusterRef,
  AksOperationSettings,
  CancelFaultSettings,
  ListClustersSettings,
  ReadSettings,
} from './inputs/settings.ts';
import { requestTimeouts } from './network/http.ts';
import { proxyPasswords } from './network/proxy.ts';
import { ARM_RETRY, SERVICE_FABRIC_RETRY } from './network/retry.ts';
import { ARM_BUDGET, RequestBudget, shareOf } from './network/budget.ts';
import { PollScheduler } from './waiting/scheduler.ts';
import { resolveArmScope } from './azure/arm-audience.ts';
import { ArmClient } from './azure/arm-client.ts';
import { signIn, type AuthEnvironment } from './azure/auth.ts';
import { connectServiceFabric } from './service-fabric/connection.ts';
import { outcomeOfError } from './report/endings.ts';
import { info, printClusterLog } from './report/log.ts';
import { logsFolderPath, publish } from './report/outputs.ts';
import { mergeFacts, type Outcome, type Report } from './report/report.ts';
import { registerSecret, secretsInEnvironment } from './report/secrets.ts';
import type { AksOperationContext } from './operations/context.ts';
import { abort } from './operations/abort.ts';
import { cancelFault } from './operations/cancel-fault.ts';
import { commandResult } from './operations/command-result.ts';
import { operationStatus } from './operations/operation-status.ts';
import { prepareRunCommand, runCommand } from './operations/run-command.ts';
import {
  clusterContext,
  createTransport,
  expiredTokenLine,
  logsFolder,
  operationContext,
  type RunState,
} from './contexts.ts';
import { shardOf } from './inputs/clusters.ts';
import { judgeFleet, noClusterError, resolveSelection, runOnClusters } from './operations/fleet.ts';
import { STATUS } from './inputs/contract.ts';

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
      info(expiredTokenLine(method, url, retry));
    },
  });
  const ctx: AksOperationContext = { ...base, arm };
  if (settings.operation !== 'list-clusters' && settings.cluster && !shard) {
    state.clusters.resolved = [settings.cluster.resourceId];
    return performAks(ctx, onCluster(settings, settings.cluster), attachment, login.tokens);
  }
  // Several clusters from here on: their outputs are written even if none is ever found.
  if (settings.operation !== 'list-clusters')
    state.clusters.fleet = { results: [], waves: [], budgetWaitMs: 0, throttled: 0 };
  const clusters = await resolveSelection(settings.selection, arm, info);
  state.clusters.resolved = clusters.map((cluster) => cluster.resourceId);
  if (clusters.length === 0) throw noClusterError();
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
  return judgeFleet(fleet, state.interrupt.signal.aborted, signal.aborted);
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
