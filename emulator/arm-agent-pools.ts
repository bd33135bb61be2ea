// Agent pools (node pools) of a cluster: GET the pool, POST its abort, GET its operations/{id}.
// A pool is kept in the shape of a cluster, so the cluster's abort and operation handlers serve it.
import type { ArmContext, ArmRoute } from './arm-context.ts';
import { abort, operations } from './arm-operations.ts';
import type { ClusterState } from './clusters.ts';
import { type Exchange, armError, send } from './http.ts';
import { startOperationClock } from './operations.ts';
import { agentPoolBody } from './arm-cluster.ts';

/** Agent pool abort exists from this stable version on (and in previews). */
const FIRST_POOL_ABORT_VERSION = '2024-05-01';

export function handleAgentPool(
  ex: Exchange,
  ctx: ArmContext,
  cluster: ClusterState,
  route: ArmRoute,
  apiVersion: string,
): void {
  const name = route.nodePool ?? '';
  const pool = cluster.nodePools.get(name.toLowerCase());
  if (!pool) {
    return armError(
      ex,
      404,
      'NotFound',
      `Could not find agent pool '${name}' in managed cluster '${cluster.name}'.`,
    );
  }
  if (pool.operation) startOperationClock(pool.operation, ex.record.time);
  if (route.kind === 'agentPool') return getAgentPool(ex, pool);
  if (route.kind === 'agentPoolOperations') return operations(ex, pool, route.id, apiVersion);
  if (apiVersion.slice(0, 10) < FIRST_POOL_ABORT_VERSION) {
    return armError(
      ex,
      400,
      'NoRegisteredProviderFound',
      `No registered resource provider found for location '${cluster.location}' and API version '${apiVersion}' for type 'managedClusters/agentPools/abort'.`,
    );
  }
  return abort(ex, ctx, pool);
}

function getAgentPool(ex: Exchange, pool: ClusterState): void {
  send(ex, 200, agentPoolBody(pool));
}
