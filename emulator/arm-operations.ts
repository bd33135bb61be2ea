import type { ArmContext, ArmRoute } from './arm.ts';
import type { ClusterState } from './clusters.ts';
import { type Exchange, armError, isoTime, pollLocation, send } from './http.ts';
import {
  abortOperation,
  clusterStateFor,
  type OperationState,
  viewOperation,
} from './operations.ts';

const DEFAULT_ABORT_RETRY_AFTER = 1;

function retryAfter(op: OperationState): string {
  return String(op.spec.abortRetryAfter ?? DEFAULT_ABORT_RETRY_AFTER);
}

function statusBody(op: OperationState, id: string): Record<string, unknown> {
  const view = viewOperation(op);
  return {
    id,
    name: op.id,
    status: view.status,
    percentComplete: view.percentComplete,
    startTime: isoTime(view.startMs),
    endTime: view.endMs === undefined ? undefined : isoTime(view.endMs),
    error: view.error,
  };
}

function locationPath(
  cluster: ClusterState,
  op: OperationState,
  leaf: 'operationStatus' | 'operations',
): string {
  return `/subscriptions/${cluster.subscriptionId}/providers/Microsoft.ContainerService/locations/${cluster.location}/${leaf}/${op.id}`;
}

export function abort(
  ex: Exchange,
  ctx: ArmContext,
  cluster: ClusterState,
  apiVersion: string,
): void {
  const op = cluster.operation;
  if (!op || !abortOperation(op)) {
    const state = op ? clusterStateFor(op) : (cluster.spec.provisioningState ?? 'Succeeded');
    return armError(
      ex,
      409,
      'OperationNotAllowed',
      `Cancel operation is not allowed when the ProvisioningState is ${state}: there is no operation in progress that can be canceled.`,
    );
  }
  if (op.spec.abort === 'no-content') return send(ex, 204);
  const query = `?api-version=${encodeURIComponent(apiVersion)}`;
  send(ex, 202, undefined, {
    'azure-asyncoperation': `${ctx.armEndpoint()}${locationPath(cluster, op, 'operationStatus')}${query}`,
    location: `${ctx.armEndpoint()}${locationPath(cluster, op, 'operations')}${query}`,
    'retry-after': retryAfter(op),
  });
}

function findLocationOperation(
  ex: Exchange,
  ctx: ArmContext,
  route: ArmRoute,
): [ClusterState, OperationState] | undefined {
  const cluster = ctx.clusters.byOperation(route.id);
  const matches =
    cluster?.operation && cluster.location.toLowerCase() === route.location.toLowerCase();
  if (
    !cluster?.operation ||
    !matches ||
    cluster.subscriptionId.toLowerCase() !== route.subscriptionId.toLowerCase()
  ) {
    armError(
      ex,
      404,
      'NotFound',
      `Operation '${route.id}' was not found in location '${route.location}'.`,
    );
    return undefined;
  }
  return [cluster, cluster.operation];
}

/** The Azure-AsyncOperation URL: always 200 with the status. */
export function operationStatus(ex: Exchange, ctx: ArmContext, route: ArmRoute): void {
  const found = findLocationOperation(ex, ctx, route);
  if (!found) return;
  const [cluster, op] = found;
  const final = viewOperation(op).final;
  send(
    ex,
    200,
    statusBody(op, locationPath(cluster, op, 'operationStatus')),
    final ? {} : { 'retry-after': retryAfter(op) },
  );
}

/** The Location URL: 202 while running, then the final status. */
export function operationLocation(ex: Exchange, ctx: ArmContext, route: ArmRoute): void {
  const found = findLocationOperation(ex, ctx, route);
  if (!found) return;
  const [cluster, op] = found;
  if (!viewOperation(op).final) {
    return send(ex, 202, undefined, {
      location: pollLocation(ex, ctx.armEndpoint()),
      'retry-after': retryAfter(op),
    });
  }
  send(ex, 200, statusBody(op, locationPath(cluster, op, 'operations')));
}

export function operations(
  ex: Exchange,
  cluster: ClusterState,
  id: string,
  apiVersion: string,
): void {
  if (!apiVersion.toLowerCase().endsWith('-preview')) {
    return armError(
      ex,
      400,
      'NoRegisteredProviderFound',
      `No registered resource provider found for location '${cluster.location}' and API version '${apiVersion}' for type 'managedClusters/operations'. The supported api-versions are '2025-05-02-preview'.`,
    );
  }
  const op = cluster.operation;
  if (!op || (id.toLowerCase() !== 'latest' && id.toLowerCase() !== op.id.toLowerCase())) {
    return armError(
      ex,
      404,
      'NotFound',
      `Operation ${id} not found for managed cluster '${cluster.name}'.`,
    );
  }
  send(ex, 200, {
    ...statusBody(op, `${cluster.resourceId}/operations/${op.id}`),
    resourceId: cluster.resourceId,
  });
}
