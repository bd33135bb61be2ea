import { InputError } from '../base/errors.ts';
import { clip } from '../base/format.ts';
import { parseAksCluster } from './parsers.ts';
import type {
  AksClusterRef,
  ClusterEntry,
  ClusterSelection,
  FleetOptions,
  WaveSize,
} from './settings.ts';

const FLEET_ID =
  /^\/subscriptions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/resourcegroups\/([^/]+)\/providers\/microsoft\.containerservice\/fleets\/([^/]+)\/?$/i;
const TAG = /^tag:\s*([^=]+?)\s*=(.*)$/i;
const SUBSCRIPTION = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** ARM tag names: up to 512 characters, none of `< > % & \ ? /`. */
const TAG_NAME = /^[^<>%&\\?/]{1,512}$/;
const MAX_ENTRIES = 1000;

/**
 * What the cluster input names: one entry per line (resource ID, `{rg}/{name}`, `tag:NAME=VALUE`,
 * `fleet:{fleet ID}`, `!` excluding), or the JSON array of resource IDs that list-clusters hands
 * out as `clusters`, so a matrix job can take exactly the planned list.
 */
export function parseClusterSelection(raw: string, subscriptionId: string): ClusterSelection {
  const value = raw.trim();
  if (value === '') throw new InputError('cluster', 'is required');
  const lines = value.startsWith('[') ? jsonLines(value) : splitLines(value);
  if (lines.length > MAX_ENTRIES)
    throw new InputError('cluster', `names ${lines.length} entries; at most ${MAX_ENTRIES}`);
  const selection: ClusterSelection = { include: [], exclude: [] };
  for (const line of lines) {
    const excluded = line.startsWith('!');
    const entry = parseEntry(excluded ? line.slice(1).trim() : line, subscriptionId);
    (excluded ? selection.exclude : selection.include).push(entry);
  }
  if (selection.include.length === 0)
    throw new InputError('cluster', 'names no cluster to include (only exclusions with !)');
  return selection;
}

function splitLines(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function jsonLines(value: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InputError(
      'cluster',
      'starts with [ but is not a JSON array; give one entry per line, or the clusters output of list-clusters',
    );
  }
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string'))
    throw new InputError('cluster', 'is a JSON value but not an array of cluster resource IDs');
  return parsed.map((item) => item.trim()).filter(Boolean);
}

function parseEntry(text: string, subscriptionId: string): ClusterEntry {
  if (/^tag:/i.test(text)) return parseTagEntry(text, subscriptionId);
  if (/^fleet:/i.test(text)) return parseFleetEntry(text);
  return { kind: 'cluster', ref: parseAksCluster(text, subscriptionId) };
}

function parseTagEntry(text: string, subscriptionId: string): ClusterEntry {
  const match = TAG.exec(text);
  const name = match?.[1]?.trim() ?? '';
  if (!match || !TAG_NAME.test(name))
    throw new InputError(
      'cluster',
      `'${clip(text)}' is not a tag entry; write tag:NAME=VALUE, e.g. tag:env=prod`,
    );
  const sub = subscriptionId.trim();
  if (!SUBSCRIPTION.test(sub))
    throw new InputError(
      'subscription-id',
      sub === ''
        ? `is required with '${clip(text)}': the subscription whose clusters are listed; set it or AZURE_SUBSCRIPTION_ID`
        : `'${clip(sub)}' is not a subscription id (a GUID)`,
    );
  return { kind: 'tag', subscriptionId: sub, name, value: (match[2] ?? '').trim(), text };
}

function parseFleetEntry(text: string): ClusterEntry {
  const id = text.slice('fleet:'.length).trim();
  const match = FLEET_ID.exec(id);
  if (!match)
    throw new InputError(
      'cluster',
      `'${clip(text)}' is not a fleet entry; write fleet:/subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.ContainerService/fleets/{name}`,
    );
  const [, sub = '', group = '', name = ''] = match;
  return {
    kind: 'fleet',
    subscriptionId: sub,
    fleetId: `/subscriptions/${sub}/resourceGroups/${group}/providers/Microsoft.ContainerService/fleets/${name}`,
    text,
  };
}

/** True when the input names exactly one cluster by its ID: the single-cluster action. */
export function singleCluster(selection: ClusterSelection): AksClusterRef | undefined {
  const [first, ...rest] = selection.include;
  if (rest.length > 0 || selection.exclude.length > 0 || first?.kind !== 'cluster')
    return undefined;
  return first.ref;
}

/** `1, 10%, 100%`: wave sizes, each a count or a percentage of the clusters not yet started. */
export function parseRollout(raw: string): WaveSize[] {
  const value = raw.trim() === '' ? '100%' : raw;
  return value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const percent = /^(\d{1,3}(?:\.\d+)?)\s*%$/.exec(part);
      if (percent && Number(percent[1]) > 0 && Number(percent[1]) <= 100)
        return { percent: Number(percent[1]) };
      if (/^\d{1,4}$/.test(part) && Number(part) > 0) return { count: Number(part) };
      throw new InputError(
        'rollout',
        `'${clip(part)}' is not a wave size; use counts or percentages separated by commas, e.g. 1, 10%, 100%`,
      );
    });
}

/** `i/n`: the i-th of n shards (1-based). */
export function parseShard(raw: string): FleetOptions['shard'] {
  const value = raw.trim();
  if (value === '') return undefined;
  const match = /^(\d{1,3})\s*\/\s*(\d{1,3})$/.exec(value);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count)
    throw new InputError(
      'shard',
      `'${clip(value)}' is not a shard; write i/n with 1 ≤ i ≤ n, e.g. 2/4 (the matrix output of list-clusters gives them)`,
    );
  return { index, count };
}
