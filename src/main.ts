// The run, from inputs to outputs: reads the settings, connects, hands the operation its context,
// and publishes whatever happened. The work itself is done by the layers below.
import { randomUUID } from 'node:crypto';
import * as core from '@actions/core';
import { InterruptedError } from './base/errors.ts';
import { USER_AGENT } from './base/version.ts';
import { formatDuration } from './waiting/timing.ts';
import { pollUntilDone } from './waiting/poller.ts';
import { readSettings, runnerInputs } from './inputs/inputs.ts';
import type { AksOperationSettings, Settings } from './inputs/settings.ts';
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
import { resolveArmScope } from './azure/arm-audience.ts';
import { ArmClient } from './azure/arm-client.ts';
import { signIn, type AuthEnvironment } from './azure/auth.ts';
import { connectServiceFabric } from './service-fabric/connection.ts';
import { outcomeOfError, stoppedOutcome } from './report/endings.ts';
import { formatProgress, inert, info, printUntrustedBlock } from './report/log.ts';
import { publish, writeLogsFile } from './report/outputs.ts';
import { mergeFacts, type Facts, type Outcome, type Report } from './report/report.ts';
import { registerSecret, secretsInEnvironment } from './report/secrets.ts';
import type { AksOperationContext, OperationContext } from './operations/context.ts';
import { abort } from './operations/abort.ts';
import { cancelFault } from './operations/cancel-fault.ts';
import { commandResult } from './operations/command-result.ts';
import { operationStatus } from './operations/operation-status.ts';
import { prepareRunCommand, runCommand } from './operations/run-command.ts';

/** State shared by one run: what was learned, the counters, and the signals that stop waiting. */
interface RunState {
  facts: Facts;
  stats: CallStats & { polls: number };
  interrupt: AbortController;
  disposers: (() => void)[];
  /** Run once the outputs are written. */
  afterPublish: (() => void)[];
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
      settings.operation === 'cancel-fault' ? settings.gatewayUrl : settings.cluster.resourceId;
    const signal = AbortSignal.any([state.interrupt.signal, deadline(settings.timeoutMs, state)]);
    const { learned, ...judged } = await perform(settings, state, signal, startedAt);
    if (learned) mergeFacts(state.facts, learned);
    outcome = judged;
  } catch (error) {
    outcome = outcomeOfError(error, state.interrupt.signal.aborted);
  } finally {
    for (const dispose of state.disposers) dispose();
  }
  await publish({
    ...state.facts,
    ...outcome,
    operation,
    cluster,
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
  settings: Settings,
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
  const armTransport = createTransport(state, signal, settings.timeoutMs);
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
  return performAks(ctx, settings, attachment, login.tokens);
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
  trust: Pick<TransportOptions, 'tls' | 'checkServer'> = {},
): Transport {
  const transport = new Transport({
    userAgent: USER_AGENT,
    policy,
    signal,
    stats: state.stats,
    timeouts: requestTimeouts(stepTimeoutMs),
    ...trust,
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
  settings: Settings,
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
    poll: async (observe, options = {}) => {
      const outcome = await pollUntilDone(observe, {
        ...options,
        interval: settings.pollInterval,
        signal,
        startedAt,
        onProgress: (progress) => info(formatProgress(progress)),
      });
      state.stats.polls += outcome.polls;
      return outcome;
    },
    stopped: (lastState, resume) =>
      stoppedOutcome(state.interrupt.signal.aborted, settings.timeoutMs, lastState, resume),
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
