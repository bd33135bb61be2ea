import type { ArmResponse } from '../azure/arm-client.ts';
import { isRecord, propertiesOf, readArmError } from '../base/json.ts';
import { ActionError, ServiceError } from '../base/errors.ts';
import {
  canonicalArmStatus,
  isTerminalStatus,
  observePollingUrl,
  pollingUrlOf,
  readOperationStatus,
  statusWord,
  type Interpretation,
  type PollingMode,
} from '../azure/lro.ts';
import type { Facts, Outcome } from '../report/report.ts';
import { retryAfterMs } from '../network/retry.ts';
import type { AbortSettings } from '../inputs/settings.ts';
import type { AksOperationContext } from './context.ts';
import { aksTarget, type AksTarget } from './target.ts';
import { STATUS } from '../inputs/contract.ts';

const ABORT_API_VERSION = '2024-05-01';

/** The status word of an abort poll, for either polling protocol. */
function interpretAbortPoll(mode: PollingMode): (response: ArmResponse) => Interpretation<unknown> {
  return (response) => {
    if (mode === 'location' && response.status === 202)
      return { done: false, status: 'InProgress', value: response.body };
    const { status, percent } = readOperationStatus(response.body);
    if (mode === 'location')
      return {
        done: true,
        status: canonicalArmStatus(status ?? STATUS.Succeeded),
        value: response.body,
      };
    const done = isTerminalStatus(status);
    return {
      done,
      status: statusWord(status, done),
      percent,
      value: response.body,
    };
  };
}

function interpretCluster(response: ArmResponse): Interpretation<unknown> {
  const state = clusterState(response.body);
  const done = isTerminalStatus(state);
  return { done, status: statusWord(state, done), value: response.body };
}

function clusterState(body: unknown): string | undefined {
  const state = propertiesOf(body).provisioningState;
  return typeof state === 'string' ? state : undefined;
}

/** The outputs abort sets (and the summary rows it adds). */
export type AbortFacts = Pick<
  Facts,
  'operationId' | 'startedAt' | 'finishedAt' | 'reason' | 'result' | 'details'
>;
type AbortContext = AksOperationContext<AbortFacts>;

/** Aborts the operation running on the cluster and waits until it is cancelled. */
export async function abort(
  ctx: AbortContext,
  settings: AbortSettings,
): Promise<Outcome<AbortFacts>> {
  const apiVersion = settings.apiVersion ?? ABORT_API_VERSION;
  const target = aksTarget(settings);
  if (target.nodePool) ctx.record({ details: [['Node pool', target.nodePool]] });
  const clusterPath = `${target.path}?api-version=${apiVersion}`;
  const before = await describeWhatRuns(ctx, clusterPath, target);
  ctx.log(`Aborting the running operation on ${target.label} (POST abort).`);
  const accepted = await ctx.arm.send('POST', `${target.path}/abort?api-version=${apiVersion}`, {
    accept: [202, 204, 409],
  });
  if (accepted.status === 409) return alreadyCompleted(accepted);
  const polling = accepted.status === 202 ? pollingUrlOf(accepted) : undefined;
  // The id is in the polling URL (`…/operations/{id}`): known before waiting, so wait: false and a
  // timeout hand it on too. The status body's `name` is no substitute: the live service sends the
  // GUID there with its first three groups byte-swapped.
  if (polling) ctx.record({ operationId: operationIdOf(polling.url) });
  if (!settings.wait) {
    ctx.log(
      `Abort accepted (HTTP ${accepted.status}); not waiting (wait: false). Watch the cluster with operation: operation-status.`,
    );
    return { status: STATUS.Accepted, verdict: 'pass' };
  }
  if (accepted.status === 202 && !polling) {
    throw new ActionError(
      'The service accepted the abort but sent no Azure-AsyncOperation or Location to follow.',
    );
  }
  const observe = polling
    ? observePollingUrl(ctx.arm, polling.mode, polling.url, interpretAbortPoll(polling.mode))
    : observePollingUrl(ctx.arm, 'location', clusterPath, interpretCluster);
  ctx.log(
    polling
      ? `Following the abort through its ${polling.mode === 'location' ? 'Location' : 'Azure-AsyncOperation'} URL.`
      : `Abort accepted (204): watching the ${target.noun} until it leaves Canceling.`,
  );
  const outcome = await ctx.poll(observe, { initialRetryAfterMs: retryAfterMs(accepted.headers) });
  if (!outcome.done)
    return ctx.stopped(outcome.last?.status, 'Watch it with operation: operation-status.');
  const { startTime, endTime, error } = readOperationStatus(outcome.last.value);
  ctx.record({
    startedAt: startTime,
    finishedAt: endTime,
    result: outcome.last.value,
    ...(error && { reason: `${error.code}: ${error.message}` }),
  });
  // After a 202 the status resource speaks of the abort itself (Succeeded: the cancellation is
  // done); after a 204 the watched cluster state is already the operation's own final state.
  const abortSucceeded = polling ? outcome.last.status === STATUS.Succeeded : true;
  if (!abortSucceeded || outcome.last.status === STATUS.Failed) {
    const why = error ? `: ${error.code}: ${error.message}` : '';
    return {
      status: STATUS.Failed,
      verdict: 'fail',
      message:
        `The abort failed${outcome.last.status === STATUS.Failed ? '' : ` (its status is ${outcome.last.status})`}${why}`.replace(
          /\.?$/,
          '.',
        ),
    };
  }
  const clusterNow = polling ? await readClusterState(ctx, clusterPath) : outcome.last.status;
  const status = polling ? STATUS.Canceled : outcome.last.status;
  const sentence = `The ${operationNoun(before)} was aborted; the ${target.noun} is ${clusterNow ?? 'in an unknown state (it could not be read)'}. Nothing is rolled back.`;
  ctx.log(sentence);
  return { status, verdict: 'pass', learned: { details: [['Outcome', sentence]] } };
}

function operationIdOf(url: string): string | undefined {
  return url.split('?')[0]?.split('/').filter(Boolean).pop();
}

/** One read of the cluster (node pool), for the summary: what the abort is about to stop. Best effort. */
async function describeWhatRuns(
  ctx: AbortContext,
  clusterPath: string,
  target: AksTarget,
): Promise<string | undefined> {
  try {
    const cluster = await ctx.arm.send('GET', clusterPath);
    const state = clusterState(cluster.body);
    if (state) {
      const what = `${state}${versionChange(cluster.body)}`;
      ctx.log(`The ${target.noun} is ${what}.`);
      ctx.record({
        details: [
          [`${target.noun === 'cluster' ? 'Cluster' : 'Node pool'} state before abort`, what],
        ],
      });
    }
    return state;
  } catch (error) {
    if (error instanceof ServiceError && error.status === 404 && target.nodePool) {
      throw error.explained(
        error.serviceMessage,
        `Check node-pool: cluster ${target.clusterName} must have a node pool named ${target.nodePool} (az aks nodepool list).`,
      );
    }
    if (!(error instanceof ServiceError) || error.status === 404) throw error;
    // Only informational: a cluster read that fails must not stop the abort.
    return undefined;
  }
}

/** The cluster's state once the abort is over, for the summary. Best effort: undefined when unreadable. */
async function readClusterState(
  ctx: AbortContext,
  clusterPath: string,
): Promise<string | undefined> {
  try {
    const state = clusterState((await ctx.arm.send('GET', clusterPath)).body);
    return state && statusWord(state, isTerminalStatus(state));
  } catch (error) {
    if (!(error instanceof ServiceError)) throw error;
    return undefined;
  }
}

const OPERATION_NOUNS: Record<string, string> = {
  upgrading: 'upgrade',
  creating: 'creation',
  scaling: 'scaling',
  updating: 'update',
  deleting: 'deletion',
  starting: 'start',
  stopping: 'stop',
  migrating: 'migration',
};

/** `Upgrading` → `upgrade`: what the abort stopped, in the words a person would use. */
function operationNoun(stateBefore: string | undefined): string {
  return OPERATION_NOUNS[stateBefore?.toLowerCase() ?? ''] ?? 'running operation';
}

/**
 * ` (Kubernetes 1.29.9 → 1.30)` while an upgrade is under way; empty otherwise. The cluster body
 * has the version as requested (`1.31`: AKS picks the patch) beside the one running (`1.31.7`):
 * only a difference at the precision of the requested version is a change.
 */
function versionChange(body: unknown): string {
  const properties = propertiesOf(body);
  // Node pools name the same pair orchestratorVersion / currentOrchestratorVersion.
  const current = properties.currentKubernetesVersion ?? properties.currentOrchestratorVersion;
  const target = properties.kubernetesVersion ?? properties.orchestratorVersion;
  if (typeof current !== 'string' || typeof target !== 'string' || !target) return '';
  const precision = target.split('.').length;
  const currentAtPrecision = current.split('.').slice(0, precision).join('.');
  return currentAtPrecision === target ? '' : ` (Kubernetes ${current} → ${target})`;
}

function alreadyCompleted(response: ArmResponse): Outcome<AbortFacts> {
  const error = readArmError(isRecord(response.body) ? response.body.error : undefined);
  const detail = error ? `${error.code}: ${error.message}` : '';
  return {
    status: STATUS.AlreadyCompleted,
    verdict: 'warn',
    message: `Nothing was aborted: the operation finished before it could be cancelled${detail ? ` (${detail})` : ''}.`,
    learned: { reason: detail || undefined, result: response.body },
  };
}
