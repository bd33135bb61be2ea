import type { RunningCommand } from './commands.ts';
import { randomBytes, randomUUID } from 'node:crypto';
import { newOperation, type OperationState } from './operations.ts';
import type { ClusterSpec } from './types.ts';

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
  /** `resourceUID` and the system-assigned identity, as a live cluster body has them. */
  resourceUid: string;
  principalId: string;
}

/** ARM names are case-insensitive, so lookups go through lower-cased keys. */
export class ClusterRegistry {
  #clusters = new Map<string, ClusterState>();
  #operations = new Map<string, ClusterState>();

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
      resourceUid: randomBytes(12).toString('hex'),
      principalId: randomUUID(),
    };
    if (spec.operation) {
      state.operation = newOperation(spec.operation);
      this.#operations.set(state.operation.id.toLowerCase(), state);
    }
    this.#clusters.set(key, state);
    return state;
  }

  find(subscriptionId: string, resourceGroup: string, name: string): ClusterState | undefined {
    return this.#clusters.get(clusterKey(subscriptionId, resourceGroup, name));
  }

  hasResourceGroup(subscriptionId: string, resourceGroup: string): boolean {
    const prefix = clusterKey(subscriptionId, resourceGroup, '');
    return [...this.#clusters.keys()].some((k) => k.startsWith(prefix));
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
