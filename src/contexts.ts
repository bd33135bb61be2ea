// How the run's pieces are built: its state, its transports, and the context each operation is
// handed, one for a single run and one per cluster when there are several. main.ts puts them
// together; the operations see only the contexts.

import * as core from '@actions/core';
import { USER_AGENT } from './base/version.ts';
import type { ReadSettings, AksClusterRef } from './inputs/settings.ts';
import {
  Transport,
  displayUrl,
  formatAttempt,
  requestTimeouts,
  type CallStats,
  type RetryNotice,
  type TransportOptions,
} from './network/http.ts';
import { ARM_RETRY, type RetryPolicy } from './network/retry.ts';
import { pollUntilDone } from './waiting/poller.ts';
import type { PollScheduler } from './waiting/scheduler.ts';
import { formatDuration } from './waiting/timing.ts';
import { stoppedOutcome } from './report/endings.ts';
import {
  formatProgress,
  inert,
  info,
  printUntrustedBlock,
  type ClusterLogEntry,
} from './report/log.ts';
import { writeLogsFile } from './report/outputs.ts';
import { mergeFacts, type Facts, type Report } from './report/report.ts';
import type { AksOperationContext, OperationContext } from './operations/context.ts';

/** State shared by one run: what was learned, the counters, and the signals that stop waiting. */
export interface RunState {
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

function retryLine(notice: RetryNotice): string {
  return `Retrying ${notice.method} ${displayUrl(notice.url)} in ${formatDuration(notice.delayMs)} (${notice.reason}; retry ${notice.attempt}).`;
}

export function expiredTokenLine(method: string, url: string, retry: number): string {
  return `Retrying ${method} ${displayUrl(url)} with a new token (the token had expired; retry ${retry}).`;
}

export function createTransport(
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
    onRetry: (notice) => info(retryLine(notice)),
    // With the runner's debug logging on (RUNNER_DEBUG=1), one line per request for support.
    onAttempt: core.isDebug() ? (record) => core.debug(formatAttempt(record)) : undefined,
  });
  state.disposers.push(() => transport.dispose());
  return transport;
}

export function operationContext(
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
export function logsFolder(correlationId: string): string {
  return `aks-clusters-${correlationId.slice(0, 8)}`;
}

/**
 * One cluster's context among several: the run's clients and waiting, with the cluster's own
 * facts, its log kept for its group, and its logs file named after it in the run's folder.
 */
export function clusterContext(
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
    // Retries go to the cluster's own log, with the rest of what happened to it.
    arm: shared.arm.reportingTo({
      onRetry: (notice) => line(retryLine(notice)),
      onExpiredToken: (method, url, retry) => {
        on.state.stats.retries++;
        line(expiredTokenLine(method, url, retry));
      },
    }),
    facts,
    record: (learned) => mergeFacts(facts, learned),
    log: line,
    warn: (text) => log.push({ kind: 'warning', text: `${cluster.name}: ${text}` }),
    printUntrusted: (title, text) => log.push({ kind: 'untrusted', title, text }),
    keepLogs: (_name, logs, options) =>
      writeLogsFile(`${cluster.subscriptionId}_${cluster.resourceGroup}_${cluster.name}`, logs, {
        ...options,
        folder: logsFolder(on.correlationId),
      }),
    poll: poller(on.settings, on.state, on.signal, Date.now(), line),
  };
}
