import type { ArmResponse } from '../arm-client.ts';
import { ServiceError } from '../errors.ts';
import {
  canonicalArmStatus,
  isTerminalStatus,
  observePollingUrl,
  readOperationStatus,
  type Interpretation,
} from '../lro.ts';
import type { Outcome } from '../report.ts';
import type { OperationStatusSettings } from '../settings.ts';
import type { AksOperationContext } from './context.ts';

export const OPERATION_STATUS_API_VERSION = '2025-05-02-preview';

type OperationStatus = ReturnType<typeof readOperationStatus> & { raw: unknown };

function interpret(response: ArmResponse): Interpretation<OperationStatus> {
  const status = readOperationStatus(response.body);
  const done = isTerminalStatus(status.status);
  return {
    done,
    status: status.status ? (done ? canonicalArmStatus(status.status) : status.status) : 'Unknown',
    percent: status.percent,
    value: { ...status, raw: response.body },
  };
}

/** Reads `operations/{id}` (or `latest`) and, with `wait`, polls it until it ends. */
export async function operationStatus(
  ctx: AksOperationContext,
  settings: OperationStatusSettings,
): Promise<Outcome> {
  const path = `${settings.cluster.resourceId}/operations/${encodeURIComponent(settings.operationId)}?api-version=${settings.apiVersion ?? OPERATION_STATUS_API_VERSION}`;
  ctx.log(`Reading operation ${settings.operationId} of ${settings.cluster.name}.`);
  const observe = observePollingUrl(ctx.arm, 'location', path, interpret);
  let last;
  try {
    if (!settings.wait) {
      last = await observe();
    } else {
      const outcome = await ctx.poll(observe, { lookFirst: true });
      if (outcome.last) record(ctx, outcome.last.value);
      if (!outcome.done)
        return ctx.stopped(outcome.last?.status, 'Run operation-status again to keep watching.');
      last = outcome.last;
    }
  } catch (error) {
    if (error instanceof ServiceError && error.status === 404) {
      throw new ServiceError(
        error.status,
        error.code,
        `${error.serviceMessage} (operation-id: ${settings.operationId})`,
        'Check operation-id: AKS keeps only the latest 50 operations of a cluster; use latest for the newest one.',
      );
    }
    throw error;
  }
  record(ctx, last.value);
  return judgeOperation(last.status, last.done, last.value);
}

function record(ctx: AksOperationContext, status: OperationStatus): void {
  const raw = status.raw as { id?: unknown; name?: unknown } | undefined;
  const id =
    typeof raw?.name === 'string' && raw.name
      ? raw.name
      : typeof raw?.id === 'string'
        ? raw.id.split('/').pop()
        : undefined;
  ctx.facts.operationId = id ?? ctx.facts.operationId;
  ctx.facts.percentComplete = status.percent ?? ctx.facts.percentComplete;
  ctx.facts.startedAt = status.startTime;
  ctx.facts.finishedAt = status.endTime;
  ctx.facts.reason = status.error ? `${status.error.code}: ${status.error.message}` : undefined;
  ctx.facts.result = status.raw;
}

/** Failed and Canceled fail the step; a status still running (wait: false) passes as it is. */
export function judgeOperation(status: string, done: boolean, value: OperationStatus): Outcome {
  if (!done || status === 'Succeeded') return { status, verdict: 'pass' };
  const why = value.error ? `: ${value.error.code}: ${value.error.message}` : '';
  return { status, verdict: 'fail', message: `The operation ended ${status}${why}.` };
}
