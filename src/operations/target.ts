import type { AksSettings } from '../inputs/settings.ts';

/** What an abort or an operation read acts on: the cluster, or one node pool of it. */
export interface AksTarget {
  /** The resource path calls are built on (`{cluster}` or `{cluster}/agentPools/{node-pool}`). */
  path: string;
  /** `cluster aks-1` or `node pool np1 of cluster aks-1`, for messages. */
  label: string;
  /** `cluster` or `node pool`, for sentences such as "the node pool is Upgrading". */
  noun: 'cluster' | 'node pool';
  nodePool: string | undefined;
  clusterName: string;
}

export function aksTarget(settings: AksSettings & { nodePool: string | undefined }): AksTarget {
  const { cluster, nodePool } = settings;
  if (!nodePool) {
    return {
      path: cluster.resourceId,
      label: `cluster ${cluster.name}`,
      noun: 'cluster',
      nodePool,
      clusterName: cluster.name,
    };
  }
  return {
    path: `${cluster.resourceId}/agentPools/${nodePool}`,
    label: `node pool ${nodePool} of cluster ${cluster.name}`,
    noun: 'node pool',
    nodePool,
    clusterName: cluster.name,
  };
}
