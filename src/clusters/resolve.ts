// From what the cluster input names to the list of clusters: tags and fleets are looked up with
// ARM reads, exclusions and duplicates taken out. Every ID a service hands back is held to the
// input's own rules before it is used.
import { ActionError, InputError } from '../base/errors.ts';
import { isRecord } from '../base/json.ts';
import { clip } from '../base/format.ts';
import { parseAksCluster } from '../inputs/parsers.ts';
import type { AksClusterRef, ClusterEntry, ClusterSelection } from '../inputs/settings.ts';
import type { ArmClient } from '../azure/arm-client.ts';

export const CLUSTER_LIST_API_VERSION = '2024-09-01';
export const FLEET_API_VERSION = '2025-03-01';
/** Pages followed at most: a nextLink that never ends must not keep the step busy. */
const MAX_PAGES = 200;

export interface Resolved {
  clusters: AksClusterRef[];
  /** What was noticed on the way (members that are not AKS clusters, entries that matched none). */
  notices: string[];
}

/** Looks up every entry and returns the clusters in the order the input named them. */
export async function resolveClusters(
  selection: ClusterSelection,
  arm: ArmClient,
): Promise<Resolved> {
  const notices: string[] = [];
  const lookups = new Map<string, Promise<AksClusterRef[]>>();
  const expand = (entry: ClusterEntry) => {
    const key = entryKey(entry);
    let found = lookups.get(key);
    if (!found) {
      found = expandEntry(entry, arm, notices);
      lookups.set(key, found);
    }
    return found;
  };
  const included = await Promise.all(selection.include.map(expand));
  const excluded = new Set(
    (await Promise.all(selection.exclude.map(expand))).flat().map((ref) => clusterKey(ref)),
  );
  const seen = new Set<string>();
  const clusters: AksClusterRef[] = [];
  for (const ref of included.flat()) {
    const key = clusterKey(ref);
    if (excluded.has(key) || seen.has(key)) continue;
    seen.add(key);
    clusters.push(ref);
  }
  return { clusters, notices };
}

/** Resource IDs compare case-insensitively, as ARM compares them. */
export function clusterKey(ref: AksClusterRef): string {
  return ref.resourceId.toLowerCase();
}

function entryKey(entry: ClusterEntry): string {
  switch (entry.kind) {
    case 'cluster':
      return clusterKey(entry.ref);
    case 'tag':
      return `tag:${entry.subscriptionId}:${entry.name.toLowerCase()}=${entry.value}`.toLowerCase();
    case 'fleet':
      return `fleet:${entry.fleetId}`.toLowerCase();
  }
}

async function expandEntry(
  entry: ClusterEntry,
  arm: ArmClient,
  notices: string[],
): Promise<AksClusterRef[]> {
  switch (entry.kind) {
    case 'cluster':
      return [entry.ref];
    case 'tag':
      return clustersWithTag(entry, arm, notices);
    case 'fleet':
      return fleetMembers(entry, arm, notices);
  }
}

async function clustersWithTag(
  entry: Extract<ClusterEntry, { kind: 'tag' }>,
  arm: ArmClient,
  notices: string[],
): Promise<AksClusterRef[]> {
  const items = await listAll(
    arm,
    `/subscriptions/${entry.subscriptionId}/providers/Microsoft.ContainerService/managedClusters?api-version=${CLUSTER_LIST_API_VERSION}`,
  );
  const wanted = entry.name.toLowerCase();
  const matching = items.filter((item) => {
    const tags = isRecord(item) && isRecord(item.tags) ? item.tags : {};
    return Object.entries(tags).some(
      ([name, value]) => name.toLowerCase() === wanted && value === entry.value,
    );
  });
  if (matching.length === 0)
    notices.push(
      `${entry.text} matched none of the ${items.length} AKS clusters of subscription ${entry.subscriptionId}.`,
    );
  return matching.flatMap((item) => clusterFromService(item, 'id', entry.text, notices));
}

async function fleetMembers(
  entry: Extract<ClusterEntry, { kind: 'fleet' }>,
  arm: ArmClient,
  notices: string[],
): Promise<AksClusterRef[]> {
  const members = await listAll(arm, `${entry.fleetId}/members?api-version=${FLEET_API_VERSION}`);
  const clusters = members.flatMap((member) => {
    const properties = isRecord(member) && isRecord(member.properties) ? member.properties : {};
    const id = properties.clusterResourceId;
    if (typeof id === 'string' && !/\/managedclusters\//i.test(id)) {
      notices.push(
        `${entry.text}: member ${clip(id, 200)} is not an AKS cluster (run command is AKS only); skipped.`,
      );
      return [];
    }
    return clusterFromService(properties, 'clusterResourceId', entry.text, notices);
  });
  if (members.length === 0) notices.push(`${entry.text} has no members.`);
  return clusters;
}

/** A cluster ID from a service's answer, held to the input's rules: anything else is skipped and said. */
function clusterFromService(
  item: unknown,
  field: string,
  source: string,
  notices: string[],
): AksClusterRef[] {
  const id = isRecord(item) ? item[field] : undefined;
  if (typeof id !== 'string') {
    notices.push(`${source}: an item without a ${field} was skipped.`);
    return [];
  }
  try {
    return [parseAksCluster(id, '')];
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    notices.push(`${source}: '${clip(id, 200)}' is not an AKS cluster resource ID; skipped.`);
    return [];
  }
}

/** Every item of an ARM list, following `nextLink` (on the ARM endpoint only: ArmClient checks). */
async function listAll(arm: ArmClient, path: string): Promise<unknown[]> {
  const items: unknown[] = [];
  let next: string | undefined = path;
  for (let page = 0; next !== undefined; page++) {
    if (page >= MAX_PAGES)
      throw new ActionError(
        `ARM kept answering with a nextLink after ${MAX_PAGES} pages of ${path.split('?')[0] ?? path}; stopped reading.`,
      );
    const { body } = await arm.send('GET', next);
    const value = isRecord(body) ? body.value : undefined;
    if (!Array.isArray(value))
      throw new ActionError(`ARM answered the list ${clip(next, 200)} without a value array.`);
    items.push(...(value as unknown[]));
    next =
      isRecord(body) && typeof body.nextLink === 'string' && body.nextLink !== ''
        ? body.nextLink
        : undefined;
  }
  return items;
}
