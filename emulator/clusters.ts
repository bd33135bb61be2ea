import type { RunningCommand } from './commands.ts';
import { randomBytes, randomUUID } from 'node:crypto';
import { newOperation, type OperationState } from './operations.ts';
import type { ClusterSpec, NodePoolSpec } from './types.ts';

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface ClusterState {
  spec: ClusterSpec;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  resourceId: string;
  commands: Map<string, RunningCommand>;
  operation?: OperationState;
  /** Run commands submitted so far (the first `startFailures.count` pods never start). */
  submitted: number;
  /**
   * Agent pools by lower-cased name. A pool has the shape of a cluster (its own resource id,
   * location and operation), so the abort and operation handlers serve it unchanged.
   */
  nodePools: Map<string, ClusterState>;
  /** The pool's own spec, for pools. */
  nodePool?: NodePoolSpec;
  /** `resourceUID` and the system-assigned identity, as a live cluster body has them. */
  resourceUid: string;
  principalId: string;
}

/** ARM names are case-insensitive, so lookups go through lower-cased keys. */
export class ClusterRegistry {
  #clusters = new Map<string, ClusterState>();
  #operations = new Map<string, ClusterState>();
  /** Resource groups outlive their clusters (a deleted cluster leaves its group behind). */
  #resourceGroups = new Set<string>();

  add(spec: ClusterSpec, defaultSubscription: string): ClusterState {
    const subscriptionId = spec.subscriptionId ?? defaultSubscription;
    const key = clusterKey(subscriptionId, spec.resourceGroup, spec.name);
    if (this.#clusters.has(key))
      throw new Error(`cluster ${spec.resourceGroup}/${spec.name} already exists`);
    const state: ClusterState = {
      spec,
      subscriptionId,
      resourceGroup: spec.resourceGroup,
      name: spec.name,
      location: spec.location ?? 'eastus',
      resourceId: `/subscriptions/${subscriptionId}/resourceGroups/${spec.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${spec.name}`,
      commands: new Map(),
      submitted: 0,
      nodePools: new Map(),
      resourceUid: randomBytes(12).toString('hex'),
      principalId: randomUUID(),
    };
    if (spec.operation) {
      state.operation = newOperation(spec.operation);
      this.#operations.set(state.operation.id.toLowerCase(), state);
    }
    for (const pool of spec.nodePools ?? [])
      state.nodePools.set(pool.name.toLowerCase(), this.#pool(state, pool));
    this.#clusters.set(key, state);
    this.addResourceGroup(subscriptionId, spec.resourceGroup);
    return state;
  }

  /** Forgets the cluster and its operations; true when it was there. */
  remove(cluster: ClusterState): boolean {
    const key = clusterKey(cluster.subscriptionId, cluster.resourceGroup, cluster.name);
    if (this.#clusters.get(key) !== cluster) return false;
    this.#clusters.delete(key);
    const owned = new Set([cluster, ...cluster.nodePools.values()]);
    for (const [id, owner] of this.#operations) if (owned.has(owner)) this.#operations.delete(id);
    return true;
  }

  addResourceGroup(subscriptionId: string, resourceGroup: string): void {
    this.#resourceGroups.add(clusterKey(subscriptionId, resourceGroup, ''));
  }

  #pool(cluster: ClusterState, pool: NodePoolSpec): ClusterState {
    const state: ClusterState = {
      spec: {
        resourceGroup: cluster.resourceGroup,
        name: pool.name,
        provisioningState: pool.provisioningState,
        operation: pool.operation,
      },
      subscriptionId: cluster.subscriptionId,
      resourceGroup: cluster.resourceGroup,
      name: pool.name,
      location: cluster.location,
      resourceId: `${cluster.resourceId}/agentPools/${pool.name}`,
      commands: new Map(),
      submitted: 0,
      nodePools: new Map(),
      nodePool: pool,
      resourceUid: cluster.resourceUid,
      principalId: cluster.principalId,
    };
    if (pool.operation) {
      state.operation = newOperation(pool.operation);
      this.#operations.set(state.operation.id.toLowerCase(), state);
    }
    return state;
  }

  find(subscriptionId: string, resourceGroup: string, name: string): ClusterState | undefined {
    return this.#clusters.get(clusterKey(subscriptionId, resourceGroup, name));
  }

  hasResourceGroup(subscriptionId: string, resourceGroup: string): boolean {
    return this.#resourceGroups.has(clusterKey(subscriptionId, resourceGroup, ''));
  }

  /** Makes another operation of the cluster (an abort) findable by its id. */
  registerOperation(operationId: string, cluster: ClusterState): void {
    this.#operations.set(operationId.toLowerCase(), cluster);
  }

  byOperation(operationId: string): ClusterState | undefined {
    return this.#operations.get(operationId.toLowerCase());
  }

  all(): ClusterState[] {
    return [...this.#clusters.values()];
  }
}

function clusterKey(subscriptionId: string, resourceGroup: string, name: string): string {
  return `${subscriptionId}/${resourceGroup}/${name}`.toLowerCase();
}
