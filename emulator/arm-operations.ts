import type { ArmContext, ArmRoute } from './arm-context.ts';
import { agentPoolBody, clusterBody, returnedResourceId } from './arm-cluster.ts';
import type { ClusterState } from './clusters.ts';
import { type Exchange, armError, isoTime, pollLocation, send } from './http.ts';
import { byteSwappedGuid } from './operation-urls.ts';
import {
  abortOperation,
  clusterStateFor,
  type OperationState,
  type OperationView,
  startOperationClock,
  viewAbort,
  viewOperation,
} from './operations.ts';

/** Retry-After only when the scenario asks for it: the live abort and its status send none. */
function retryAfter(op: OperationState): Record<string, string> {
  return op.spec.abortRetryAfter === undefined
    ? {}
    : { 'retry-after': String(op.spec.abortRetryAfter) };
}

/** A location-level status body, fields in the recorded order; `name` byte-swapped as live. */
function statusBody(id: string, view: OperationView): Record<string, unknown> {
  return {
    name: byteSwappedGuid(id),
    status: view.status,
    startTime: isoTime(view.startMs),
    ...(view.endMs === undefined ? {} : { endTime: isoTime(view.endMs) }),
    ...(view.error ? { error: view.error } : {}),
  };
}

function locationPath(cluster: ClusterState, leaf: 'operations' | 'operationresults', id: string) {
  return `/subscriptions/${cluster.subscriptionId}/providers/Microsoft.ContainerService/locations/${cluster.location}/${leaf}/${id}`;
}

export function abort(ex: Exchange, ctx: ArmContext, cluster: ClusterState): void {
  const op = cluster.operation;
  // The 202 carries the cluster as it was when the abort arrived (the recording shows Creating).
  const before = cluster.nodePool ? agentPoolBody(cluster) : clusterBody(ctx, cluster);
  const started = op ? abortOperation(op) : undefined;
  if (!op || !started) {
    const state = op ? clusterStateFor(op) : (cluster.spec.provisioningState ?? 'Succeeded');
    return armError(
      ex,
      409,
      'OperationNotAllowed',
      `Cancel operation is not allowed when the ProvisioningState is ${state}: there is no operation in progress that can be canceled.`,
    );
  }
  if (op.spec.abort === 'no-content') return send(ex, 204);
  ctx.clusters.registerOperation(started.id, cluster);
  const arm = ctx.armEndpoint();
  send(ex, 202, before, {
    'azure-asyncoperation': ctx.operationUrls.sign(
      arm,
      locationPath(cluster, 'operations', started.id),
    ),
    location: ctx.operationUrls.sign(arm, locationPath(cluster, 'operationresults', started.id)),
    ...retryAfter(op),
  });
}

/** The status of the cluster's operation, or of its abort, by id. */
function viewById(op: OperationState, id: string): OperationView | undefined {
  if (op.abort && op.abort.id.toLowerCase() === id.toLowerCase()) return viewAbort(op.abort);
  return op.id.toLowerCase() === id.toLowerCase() ? viewOperation(op) : undefined;
}

function findLocationOperation(
  ex: Exchange,
  ctx: ArmContext,
  route: ArmRoute,
): [ClusterState, OperationState, OperationView] | undefined {
  if (!ctx.operationUrls.verify(ex.url)) {
    armError(
      ex,
      400,
      'InvalidOperationSignature',
      'The signature of the operation URL is missing or does not match it: use the URL exactly as the Azure-AsyncOperation or Location header gave it.',
    );
    return undefined;
  }
  const cluster = ctx.clusters.byOperation(route.id);
  const op = cluster?.operation;
  if (op) startOperationClock(op, ex.record.time);
  const view = op ? viewById(op, route.id) : undefined;
  if (
    !cluster ||
    !op ||
    !view ||
    cluster.location.toLowerCase() !== route.location.toLowerCase() ||
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
  return [cluster, op, view];
}

/** The Azure-AsyncOperation URL (`…/operations/{id}`): always 200 with the status. */
export function operationStatus(ex: Exchange, ctx: ArmContext, route: ArmRoute): void {
  const found = findLocationOperation(ex, ctx, route);
  if (!found) return;
  const [, op, view] = found;
  send(ex, 200, statusBody(route.id, view), view.final ? {} : retryAfter(op));
}

/**
 * The Location URL (`…/operationresults/{id}`): 202 while running, then, as recorded, 204 with a
 * new Location; each answer hands out a freshly signed URL.
 */
export function operationLocation(ex: Exchange, ctx: ArmContext, route: ArmRoute): void {
  const found = findLocationOperation(ex, ctx, route);
  if (!found) return;
  const [cluster, op, view] = found;
  // Under the moveLocation fault: the polled URL with its path lower-cased and a parameter added
  // (its signature still holds), else a freshly signed one.
  const location = ex.moveLocation
    ? pollLocation(ex, ctx.armEndpoint())
    : ctx.operationUrls.sign(
        ctx.armEndpoint(),
        locationPath(cluster, 'operationresults', route.id),
      );
  if (!view.final) return send(ex, 202, undefined, { location, ...retryAfter(op) });
  if (view.status === 'Failed') {
    const error = view.error ?? { code: 'OperationFailed', message: 'The operation failed.' };
    return armError(ex, 400, error.code, error.message);
  }
  send(ex, 204, undefined, { location });
}

/** `{cluster}/operations/{id|latest}` (preview API versions only). */
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
  const opId = id.toLowerCase() === 'latest' ? op?.id : id;
  const view = op && opId ? viewById(op, opId) : undefined;
  if (!op || !opId || !view) {
    return armError(
      ex,
      404,
      'NotFound',
      `Operation ${id} not found for managed cluster '${cluster.name}'.`,
    );
  }
  // Fields in the order of the official example; `name` byte-swapped like the live status bodies.
  send(ex, 200, {
    id: `${returnedResourceId(cluster)}/operations/${opId}`,
    name: byteSwappedGuid(opId),
    status: view.status,
    percentComplete: view.percentComplete,
    startTime: isoTime(view.startMs),
    ...(view.endMs === undefined ? {} : { endTime: isoTime(view.endMs) }),
    ...(view.error ? { error: view.error } : {}),
  });
}
