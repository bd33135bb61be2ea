// The fleets of Azure Kubernetes Fleet Manager the emulator serves (see arm-fleets.ts for the routes).
import type { ClusterRegistry } from './clusters.ts';
import type { FleetHandle, FleetSpec } from './types.ts';

export interface FleetMemberState {
  name: string;
  clusterResourceId: string;
  group?: string;
}

export interface FleetState {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  resourceId: string;
  members: FleetMemberState[];
}

/** Fleets by lower-cased subscription/group/name, as ARM names compare. */
export class FleetRegistry {
  #fleets = new Map<string, FleetState>();

  add(spec: FleetSpec, defaultSubscription: string, clusters: ClusterRegistry): FleetHandle {
    const subscriptionId = spec.subscriptionId ?? defaultSubscription;
    const key = fleetKey(subscriptionId, spec.resourceGroup, spec.name);
    if (this.#fleets.has(key))
      throw new Error(`fleet ${spec.resourceGroup}/${spec.name} already exists`);
    const members = spec.members.map((m) => (typeof m === 'string' ? { clusterResourceId: m } : m));
    const seen = new Set<string>();
    const states = members.map((m): FleetMemberState => {
      const name = m.name ?? m.clusterResourceId.split('/').filter(Boolean).pop() ?? '';
      if (!name || seen.has(name.toLowerCase()))
        throw new Error(`fleet ${spec.name}: member name '${name}' is empty or repeated`);
      seen.add(name.toLowerCase());
      return { name, clusterResourceId: m.clusterResourceId, group: m.group };
    });
    const state: FleetState = {
      subscriptionId,
      resourceGroup: spec.resourceGroup,
      name: spec.name,
      location: spec.location ?? 'eastus',
      resourceId: `/subscriptions/${subscriptionId}/resourceGroups/${spec.resourceGroup}/providers/Microsoft.ContainerService/fleets/${spec.name}`,
      members: states,
    };
    this.#fleets.set(key, state);
    clusters.addResourceGroup(subscriptionId, spec.resourceGroup);
    return { resourceId: state.resourceId, name: state.name };
  }

  find(subscriptionId: string, resourceGroup: string, name: string): FleetState | undefined {
    return this.#fleets.get(fleetKey(subscriptionId, resourceGroup, name));
  }
}

function fleetKey(subscriptionId: string, resourceGroup: string, name: string): string {
  return `${subscriptionId}/${resourceGroup}/${name}`.toLowerCase();
}
