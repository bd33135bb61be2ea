import { InputError } from '../base/errors.ts';
import { clip } from '../base/format.ts';
import type { AksClusterRef } from './settings.ts';

/** Parses `true`/`false` (and the YAML 1.2 core spellings), as the toolkit's getBooleanInput does. */
export function parseBoolean(input: string, raw: string, fallback: boolean): boolean {
  const value = raw.trim();
  if (value === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new InputError(input, `expected true or false, got '${clip(value)}'`);
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
const MAX_DURATION_MS = 7 * 24 * 3_600_000;

/** Parses `90`, `90s`, `15m`, `1h30m`, `500ms` into milliseconds. A bare number is seconds. */
export function parseDuration(input: string, raw: string): number {
  const value = raw.trim().toLowerCase();
  const invalid = () =>
    new InputError(
      input,
      `'${clip(raw.trim())}' is not a duration; use seconds (90) or units such as 90s, 15m, 1h30m`,
    );
  if (/^\d+(\.\d+)?$/.test(value)) return checkDuration(input, Number(value) * 1_000);
  if (!/^(\d+(\.\d+)?(h|ms|m|s))+$/.test(value)) throw invalid();
  let total = 0;
  const seen = new Set<string>();
  for (const [, amount, unit] of value.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) {
    if (!unit || seen.has(unit)) throw invalid();
    seen.add(unit);
    total += Number(amount) * (UNIT_MS[unit] ?? 0);
  }
  return checkDuration(input, total);
}

function checkDuration(input: string, ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0) throw new InputError(input, 'must be longer than zero');
  if (ms > MAX_DURATION_MS) throw new InputError(input, 'must be at most 7 days (168h)');
  return Math.max(1, Math.round(ms));
}

/** `auto`, or a number of seconds (fractions allowed, at least 0.1). Returns milliseconds. */
export function parsePollInterval(input: string, raw: string): 'auto' | number {
  const value = raw.trim().toLowerCase();
  if (value === '' || value === 'auto') return 'auto';
  const ms = parseDuration(input, value);
  if (ms < 100) throw new InputError(input, 'must be at least 0.1 seconds, or auto');
  return ms;
}

/** `0`, `0,2`, `0, 3-5`: the exit codes that count as success. */
export function parseExitCodes(input: string, raw: string): ReadonlySet<number> {
  const codes = new Set<number>();
  const value = raw.trim() === '' ? '0' : raw;
  for (const part of value.split(/[,\s]+/).filter(Boolean)) {
    const range = /^(\d{1,3})-(\d{1,3})$/.exec(part);
    const [low, high] = range ? [Number(range[1]), Number(range[2])] : [Number(part), Number(part)];
    if (!/^\d{1,3}(-\d{1,3})?$/.test(part) || low > high || high > 255) {
      throw new InputError(
        input,
        `'${clip(part)}' is not an exit code; use numbers 0-255 separated by commas (ranges such as 3-5 allowed)`,
      );
    }
    for (let code = low; code <= high; code++) codes.add(code);
  }
  return codes;
}

export function parseChoice<T extends string>(
  input: string,
  raw: string,
  choices: readonly T[],
  fallback: T,
): T {
  const value = raw.trim().toLowerCase();
  if (value === '') return fallback;
  const match = choices.find((c) => c.toLowerCase() === value);
  if (!match) {
    throw new InputError(input, `'${clip(raw.trim())}' is not one of: ${choices.join(', ')}`);
  }
  return match;
}

const SUBSCRIPTION = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * ARM's rule for resource group names: letters (any script), digits, underscores, hyphens, periods
 * and parentheses, 1-90 characters, not ending in a period. ARM checks `^[-\w._()]+$` with .NET's
 * Unicode-aware `\w` (letters, marks, decimal digits, connector punctuation).
 */
const RESOURCE_GROUP = /^[-\p{L}\p{Mn}\p{Nd}\p{Pc}._()]+$/u;
const RESOURCE_GROUP_MAX = 90;
const CLUSTER_NAME = /^[a-zA-Z0-9]$|^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$/;
const CLUSTER_ID =
  /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.containerservice\/managedclusters\/([^/]+)\/?$/i;

/** A cluster resource ID, or `{resource-group}/{name}` with a subscription id. */
export function parseAksCluster(raw: string, subscriptionId: string): AksClusterRef {
  const value = raw.trim();
  if (value === '') throw new InputError('cluster', 'is required');
  const byId = CLUSTER_ID.exec(value);
  let ref: Omit<AksClusterRef, 'resourceId'>;
  if (byId) {
    ref = { subscriptionId: byId[1] ?? '', resourceGroup: byId[2] ?? '', name: byId[3] ?? '' };
  } else {
    const parts = value.split('/');
    if (parts.length !== 2 || value.startsWith('/')) {
      throw new InputError(
        'cluster',
        `'${clip(value)}' is neither a cluster resource ID (/subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}) nor {resource-group}/{name}`,
      );
    }
    const sub = subscriptionId.trim();
    if (sub === '') {
      throw new InputError(
        'subscription-id',
        `is required when cluster is given as {resource-group}/{name}; set it or AZURE_SUBSCRIPTION_ID, or pass the full resource ID`,
      );
    }
    ref = { subscriptionId: sub, resourceGroup: parts[0] ?? '', name: parts[1] ?? '' };
  }
  if (!SUBSCRIPTION.test(ref.subscriptionId)) {
    throw new InputError(
      byId ? 'cluster' : 'subscription-id',
      `'${clip(ref.subscriptionId)}' is not a subscription id (a GUID)`,
    );
  }
  if (
    !RESOURCE_GROUP.test(ref.resourceGroup) ||
    [...ref.resourceGroup].length > RESOURCE_GROUP_MAX ||
    ref.resourceGroup.endsWith('.')
  ) {
    throw new InputError(
      'cluster',
      `'${clip(ref.resourceGroup)}' is not a valid resource group name (letters, digits, _ - . ( ), at most 90, not ending in a period)`,
    );
  }
  if (!CLUSTER_NAME.test(ref.name)) {
    throw new InputError('cluster', `'${clip(ref.name)}' is not a valid AKS cluster name`);
  }
  const resourceId = `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${ref.name}`;
  return { ...ref, resourceId };
}

/** An https URL with no path, query or credentials: a service endpoint. */
export function parseEndpoint(input: string, raw: string, allowHttp = false): string {
  const value = raw.trim();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(input, `'${clip(value)}' is not a URL`);
  }
  const protocols = allowHttp ? ['https:', 'http:'] : ['https:'];
  if (!protocols.includes(url.protocol)) {
    throw new InputError(
      input,
      `'${clip(value)}' must use ${allowHttp ? 'http or https' : 'https'}`,
    );
  }
  if (url.username || url.password) throw new InputError(input, 'must not contain credentials');
  if (url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw new InputError(
      input,
      `'${clip(value)}' must be a bare endpoint (scheme, host and port only)`,
    );
  }
  return url.origin;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A DNS name such as contoso.onmicrosoft.com: labels of letters, digits and hyphens. */
const DOMAIN =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * An Entra application (client) id: a GUID. Empty stays empty (not every sign-in needs one).
 * `source` names where a value from the environment came from, for the message.
 */
export function parseClientId(input: string, raw: string, source = input): string {
  const value = raw.trim();
  if (value !== '' && !UUID.test(value)) {
    throw new InputError(
      input,
      `${source === input ? '' : `(from ${source}) `}'${clip(value)}' is not an application (client) id, which is a GUID`,
    );
  }
  return value;
}

/** A tenant: its id (a GUID) or one of its domain names, such as contoso.onmicrosoft.com. */
export function parseTenantId(input: string, raw: string, source = input): string {
  const value = raw.trim();
  if (value !== '' && !UUID.test(value) && !DOMAIN.test(value)) {
    throw new InputError(
      input,
      `${source === input ? '' : `(from ${source}) `}'${clip(value)}' is neither a tenant id (a GUID) nor a tenant domain such as contoso.onmicrosoft.com`,
    );
  }
  return value;
}

export function parseUuid(input: string, raw: string): string {
  const value = raw.trim();
  if (!UUID.test(value)) throw new InputError(input, `'${clip(value)}' is not a UUID`);
  return value.toLowerCase();
}

const COMMAND_ID = /^[0-9a-f-]{8,64}$/i;

/** True for a command id as AKS hands it out; the `command-id` input and a Location are held to it. */
export function isCommandId(value: string): boolean {
  return COMMAND_ID.test(value);
}

/** A command id as AKS hands it out (32 hex characters; dashes tolerated). */
export function parseCommandId(input: string, raw: string): string {
  const value = raw.trim();
  if (!isCommandId(value)) {
    throw new InputError(input, `'${clip(value)}' is not a command id (32 hexadecimal characters)`);
  }
  return value;
}

/** An AKS operation id, or `latest`. */
export function parseOperationId(input: string, raw: string): string {
  const value = raw.trim();
  if (value === '' || value.toLowerCase() === 'latest') return 'latest';
  if (!/^[0-9a-z][-0-9a-z._]{0,127}$/i.test(value)) {
    throw new InputError(input, `'${clip(value)}' is not an operation id (a GUID, or latest)`);
  }
  return value;
}

export function parseApiVersion(input: string, raw: string): string | undefined {
  const value = raw.trim();
  if (value === '') return undefined;
  if (!/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(value)) {
    throw new InputError(
      input,
      `'${clip(value)}' is not an API version such as 2024-09-01 or 2025-05-02-preview`,
    );
  }
  return value;
}

/**
 * An AKS node pool (agent pool) name as AKS accepts it: lowercase letters and digits, starting with
 * a letter, 1-12 characters (Windows pools allow only 6, which AKS itself enforces at creation).
 */
export function parseNodePool(input: string, raw: string): string | undefined {
  const value = raw.trim();
  if (value === '') return undefined;
  if (!/^[a-z][a-z0-9]{0,11}$/.test(value)) {
    throw new InputError(
      input,
      `'${clip(value)}' is not a node pool name (1-12 lowercase letters and digits, starting with a letter)`,
    );
  }
  return value;
}

/** A whole number from 0 to max; empty gives the fallback. */
export function parseCount(input: string, raw: string, fallback: number, max: number): number {
  const value = raw.trim();
  if (value === '') return fallback;
  if (!/^\d{1,3}$/.test(value) || Number(value) > max) {
    throw new InputError(input, `'${clip(value)}' is not a whole number from 0 to ${max}`);
  }
  return Number(value);
}

/** SHA-1 (40 hex) or SHA-256 (64 hex) thumbprints, with or without colons, comma-separated. */
export function parseThumbprints(input: string, raw: string): string[] {
  return raw
    .split(/[,\s]+/)
    .filter(Boolean)
    .map((part) => {
      const hex = part.replace(/:/g, '').toLowerCase();
      if (!/^([0-9a-f]{40}|[0-9a-f]{64})$/.test(hex)) {
        throw new InputError(
          input,
          `'${clip(part)}' is not a SHA-1 or SHA-256 thumbprint (40 or 64 hex characters)`,
        );
      }
      return hex;
    });
}

/** Non-empty lines, trimmed, without `#` comments. */
export function parseLines(raw: string): string[] {
  return raw
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** A percent-decoded URL component, or the text as it is when its escapes are broken (`%E9`). */
export function decodeComponentOrKeep(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
