import type { AksClusterRef } from '../inputs/settings.ts';
import { clusterKey } from './resolve.ts';

/**
 * The clusters of shard `index` of `count`: the list sorted by lower-cased resource ID, dealt out
 * in turn, so shards differ by one cluster at most and the same list always gives the same shards,
 * whatever order its entries came in.
 */
export function shardOf(
  clusters: readonly AksClusterRef[],
  shard: { index: number; count: number },
): AksClusterRef[] {
  const order = [...clusters].sort((a, b) =>
    clusterKey(a) < clusterKey(b) ? -1 : clusterKey(a) > clusterKey(b) ? 1 : 0,
  );
  const mine = new Set(
    order.filter((_, at) => at % shard.count === shard.index - 1).map((ref) => clusterKey(ref)),
  );
  // The step keeps the input's order within its shard.
  return clusters.filter((ref) => mine.has(clusterKey(ref)));
}

/** `{"shard": ["1/n", …, "n/n"]}` for `strategy.matrix`. */
export function shardMatrix(count: number): { shard: string[] } {
  return { shard: Array.from({ length: count }, (_, at) => `${at + 1}/${count}`) };
}
