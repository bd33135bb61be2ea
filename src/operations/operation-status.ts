import { isClusterMissing, type ArmResponse } from '../azure/arm-client.ts';
import { isRecord } from '../base/json.ts';
import { ActionError, ServiceError, describeAnswer } from '../base/errors.ts';
import {
  isTerminalStatus,
  observePollingUrl,
  readOperationStatus,
  statusWord,
  type Interpretation,
} from '../azure/lro.ts';
import type { Facts, Outcome } from '../report/report.ts';
import type { OperationStatusSettings } from '../inputs/settings.ts';
import type { AksOperationContext } from './context.ts';
import { aksTarget } from './target.ts';
import { STATUS } from '../inputs/contract.ts';

export const OPERATION_STATUS_API_VERSION = '2025-05-02-preview';

type OperationStatus = ReturnType<typeof readOperationStatus> & { raw: unknown };

function interpret(response: ArmResponse): Interpretation<OperationStatus> {
  const status = readOperationStatus(response.body);
  const done = isTerminalStatus(status.status);
  return {
    done,
    status: statusWord(status.status, done),
    percent: status.percent,
    value: { ...status, raw: response.body },
  };
}

/** The outputs operation-status sets (and the summary rows it adds). */
export type OperationStatusFacts = Pick<
  Facts,
  'operationId' | 'percentComplete' | 'startedAt' | 'finishedAt' | 'reason' | 'result' | 'details'
>;
type OperationStatusContext = AksOperationContext<OperationStatusFacts>;

/** Reads `operations/{id}` (or `latest`) and, with `wait`, polls it until it ends. */
export async function operationStatus(
  ctx: OperationStatusContext,
  settings: OperationStatusSettings,
): Promise<Outcome<OperationStatusFacts>> {
  const target = aksTarget(settings);
  if (target.nodePool) ctx.record({ details: [['Node pool', target.nodePool]] });
  const path = `${target.path}/operations/${encodeURIComponent(settings.operationId)}?api-version=${operationsApiVersion(ctx, settings.apiVersion)}`;
  ctx.log(`Reading operation ${settings.operationId} of ${target.label}.`);
  // An id asked for by name is known before any answer, so a timeout hands it on too.
  ctx.record({ operationId: operationIdOf(settings.operationId, undefined) });
  const observe = observePollingUrl(ctx.arm, 'location', path, interpret);
  let last;
  try {
    if (!settings.wait) {
      last = await observe();
      const percent = last.percent === undefined ? '' : ` (${last.percent}% complete)`;
      ctx.log(
        `Operation ${settings.operationId} is ${last.status}${percent}${last.done ? '' : '; not waiting (wait: false)'}.`,
      );
    } else {
      const outcome = await ctx.poll(observe, { lookFirst: true });
      if (outcome.last) record(ctx, outcome.last.value, settings.operationId);
      if (!outcome.done)
        return ctx.stopped(outcome.last?.status, 'Run operation-status again to keep watching.');
      last = outcome.last;
    }
  } catch (error) {
    throw explainNotFound(error, settings);
  }
  record(ctx, last.value, settings.operationId);
  return judgeOperation(last.status, last.done, last.value);
}

/**
 * `operations/{id}` exists only in preview API versions: a stable `api-version` (say the one an
 * abort step uses) would get 400 NoRegisteredProviderFound, so it is kept away from this call.
 */
function operationsApiVersion(ctx: OperationStatusContext, override: string | undefined): string {
  if (override === undefined) return OPERATION_STATUS_API_VERSION;
  if (override.toLowerCase().endsWith('-preview')) return override;
  ctx.warn(
    `api-version ${override} is not a preview version, and AKS serves operations/{operation-id} only in preview versions; using ${OPERATION_STATUS_API_VERSION} for operation-status.`,
  );
  return OPERATION_STATUS_API_VERSION;
}

/** A 404 on the operation (not on the cluster) means the operation-id names nothing: say so. */
function explainNotFound(error: unknown, settings: OperationStatusSettings): unknown {
  if (!(error instanceof ServiceError) || error.status !== 404 || isClusterMissing(error))
    return error;
  const latest = settings.operationId === 'latest';
  const { label, nodePool } = aksTarget(settings);
  const checkPool = nodePool ? 'Check node-pool (the cluster must have that node pool) and ' : '';
  return new ActionError(
    latest
      ? `operation-id latest: ${label} has no recorded operation (${error.code}: ${error.serviceMessage}, ${describeAnswer(error.status, error.requestId)}).`
      : `operation-id ${settings.operationId}: no such operation on ${label} (${error.code}: ${error.serviceMessage}, ${describeAnswer(error.status, error.requestId)}).`,
    latest
      ? `${checkPool || 'Check '}the cluster input; operations appear here once the cluster has been created, upgraded, scaled or otherwise changed.`
      : `${checkPool || 'Check '}operation-id: AKS keeps only the latest 50 operations of a cluster; leave operation-id empty (latest) for the newest one.`,
  );
}

function record(ctx: OperationStatusContext, status: OperationStatus, requestedId: string): void {
  ctx.record({
    operationId: operationIdOf(requestedId, status.raw) ?? ctx.facts.operationId,
    percentComplete: status.percent ?? ctx.facts.percentComplete,
    startedAt: status.startTime,
    finishedAt: status.endTime,
    reason: status.error ? `${status.error.code}: ${status.error.message}` : undefined,
    result: status.raw,
  });
}

/**
 * The id as the URL names it: the one asked for, or for `latest` the last segment of the body's
 * resource `id`. The body's `name` comes last: the live service has sent it with the GUID's first
 * three groups byte-swapped (`39ea42e5-ab8d-41b1-…` in the URL, `e542ea39-8dab-b141-…` in `name`).
 */
function operationIdOf(requestedId: string, body: unknown): string | undefined {
  if (requestedId.toLowerCase() !== 'latest') return requestedId;
  const raw = isRecord(body) ? body : {};
  const fromId = typeof raw.id === 'string' ? raw.id.split('/').filter(Boolean).pop() : undefined;
  if (fromId) return fromId;
  return typeof raw.name === 'string' && raw.name ? raw.name : undefined;
}

/** Failed and Canceled fail the step; a status still running (wait: false) passes as it is. */
function judgeOperation(status: string, done: boolean, value: OperationStatus): Outcome {
  if (!done || status === STATUS.Succeeded) return { status, verdict: 'pass' };
  const why = value.error ? `: ${value.error.code}: ${value.error.message}` : '';
  // The service's message usually ends with its own full stop.
  return {
    status,
    verdict: 'fail',
    message: `The operation ended ${status}${why}`.replace(/\.?$/, '.'),
  };
}
