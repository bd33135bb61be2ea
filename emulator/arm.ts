import { randomUUID } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { handleAgentPool } from './arm-agent-pools.ts';
import { commandResult, runCommand } from './arm-commands.ts';
import { clusterBody } from './arm-cluster.ts';
import { abort, operationLocation, operations, operationStatus } from './arm-operations.ts';
import type { ArmContext, ArmRoute } from './arm-context.ts';
import type { ClusterRegistry, ClusterState } from './clusters.ts';
import { type Exchange, armError, send } from './http.ts';
import { accountRequest, accountRoute, metadataEndpoints } from './arm-account.ts';
import { checkApiVersion } from './arm-versions.ts';
import { handleFleet } from './arm-fleets.ts';
import { listClusters } from './arm-lists.ts';
import { accessOf, throttledMessage } from './rate-limits.ts';
import { startOperationClock } from './operations.ts';
import type { RequestKind } from './types.ts';

const PROVIDER = 'microsoft.containerservice';

/** Fixed segments are matched without case, as ARM does. */
export function parseArmPath(pathname: string): ArmRoute | undefined {
  let seg: string[];
  try {
    seg = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
  const lower = seg.map((s) => s.toLowerCase());
  if (lower[0] !== 'subscriptions' || seg[1] === undefined) return undefined;
  const base = { subscriptionId: seg[1], resourceGroup: '', clusterName: '', location: '', id: '' };
  if (
    lower[2] === 'providers' &&
    lower[3] === PROVIDER &&
    lower[4] === 'locations' &&
    seg.length === 8
  ) {
    // As live: `operations/{id}` is the Azure-AsyncOperation status, `operationresults/{id}` the
    // Location. (`operationStatus/{id}` is the URL shape of the spec's example.)
    const kind =
      lower[6] === 'operations' || lower[6] === 'operationstatus'
        ? 'operationStatus'
        : lower[6] === 'operationresults'
          ? 'operationLocation'
          : 'unknown';
    return { ...base, kind, location: seg[5] ?? '', id: seg[7] ?? '' };
  }
  if (
    seg.length === 5 &&
    lower[2] === 'providers' &&
    lower[3] === PROVIDER &&
    lower[4] === 'managedclusters'
  )
    return { ...base, kind: 'clusterList' };
  const inProvider =
    lower[2] === 'resourcegroups' && lower[4] === 'providers' && lower[5] === PROVIDER;
  if (inProvider && seg[3] !== undefined && lower[6] === 'fleets' && seg[7] !== undefined)
    return fleetRoute({ ...base, resourceGroup: seg[3], fleetName: seg[7] }, seg.slice(8));
  const isCluster = inProvider && lower[6] === 'managedclusters';
  if (isCluster && seg[3] !== undefined && seg.length === 7)
    return { ...base, resourceGroup: seg[3], kind: 'clusterList' };
  if (!isCluster || seg[3] === undefined || seg[7] === undefined) return undefined;
  const route = { ...base, resourceGroup: seg[3], clusterName: seg[7] };
  const rest = lower.slice(8);
  const id = seg[9] ?? '';
  if (rest.length === 0) return { ...route, kind: 'cluster' };
  if (rest.length === 1 && rest[0] === 'runcommand') return { ...route, kind: 'runCommand' };
  if (rest.length === 1 && rest[0] === 'abort') return { ...route, kind: 'abort' };
  if (rest.length === 2 && rest[0] === 'commandresults')
    return { ...route, kind: 'commandResult', id };
  if (rest.length === 2 && rest[0] === 'operations') return { ...route, kind: 'operations', id };
  if (rest[0] === 'agentpools' && seg[9] !== undefined) {
    const pool = { ...route, nodePool: seg[9] };
    if (rest.length === 2) return { ...pool, kind: 'agentPool' };
    if (rest.length === 3 && rest[2] === 'abort') return { ...pool, kind: 'agentPoolAbort' };
    if (rest.length === 4 && rest[2] === 'operations')
      return { ...pool, kind: 'agentPoolOperations', id: seg[11] ?? '' };
  }
  return { ...route, kind: 'unknown' };
}

/** `fleets/{name}`, `…/members`, `…/members/{member}`. */
function fleetRoute(base: Omit<ArmRoute, 'kind'>, rest: string[]): ArmRoute {
  const leaf = rest[0]?.toLowerCase();
  if (rest.length === 0) return { ...base, kind: 'fleet' };
  if (rest.length === 1 && leaf === 'members') return { ...base, kind: 'fleetMembers' };
  if (rest.length === 2 && leaf === 'members')
    return { ...base, kind: 'fleetMember', id: rest[1]! };
  return { ...base, kind: 'unknown' };
}

/** Kind and cluster name of a request, for the request log and fault matching. */
export function classifyArm(
  url: URL,
  clusters: ClusterRegistry,
): { kind: RequestKind; cluster?: string } {
  const account = accountRoute(url.pathname);
  if (account) return { kind: account === 'metadata' ? 'metadata' : 'account' };
  const route = parseArmPath(url.pathname);
  if (!route) return { kind: 'unknown' };
  if (route.kind === 'operationStatus' || route.kind === 'operationLocation') {
    return { kind: route.kind, cluster: clusters.byOperation(route.id)?.name };
  }
  return { kind: route.kind, cluster: route.clusterName || undefined };
}

export function armBaseHeaders(req: IncomingMessage): OutgoingHttpHeaders {
  const correlation = req.headers['x-ms-correlation-request-id'];
  const rateHeader =
    req.method === 'GET'
      ? 'x-ms-ratelimit-remaining-subscription-reads'
      : 'x-ms-ratelimit-remaining-subscription-writes';
  return {
    'cache-control': 'no-cache',
    'x-ms-request-id': randomUUID(),
    'x-ms-correlation-request-id': typeof correlation === 'string' ? correlation : randomUUID(),
    'x-ms-routing-request-id': `EASTUS:${new Date().toISOString().replace(/[-:.]/g, '')}:${randomUUID()}`,
    [rateHeader]: req.method === 'GET' ? '249' : '199',
  };
}

export async function handleArm(ex: Exchange, ctx: ArmContext): Promise<void> {
  const account = accountRoute(ex.url.pathname);
  // The metadata document is read before anyone can sign in: ARM serves it without a token.
  if (account === 'metadata') return metadataEndpoints(ex, ctx);
  const principal = authenticate(ex, ctx);
  if (principal === undefined) return;
  if (!admitted(ex, ctx, principal)) return;
  const apiVersion = ex.url.searchParams.get('api-version');
  if (!apiVersion) {
    return armError(
      ex,
      400,
      'MissingApiVersionParameter',
      'The api-version query parameter (?api-version=) is required for all requests.',
    );
  }
  const scripted = ctx.scripts.take(ex.req.method ?? 'GET', ex.url.pathname);
  if (scripted) return send(ex, scripted.status, scripted.body, scripted.headers);
  if (account) return accountRequest(ex, ctx, account, apiVersion);
  const route = parseArmPath(ex.url.pathname);
  if (!route || route.kind === 'unknown') {
    return armError(
      ex,
      404,
      'InvalidResourceType',
      `The resource type could not be found for path '${ex.url.pathname}' and api version '${apiVersion}'.`,
    );
  }
  if (!checkApiVersion(ex, route.kind, apiVersion)) return;
  if (route.kind === 'operationStatus') return operationStatus(ex, ctx, route);
  if (route.kind === 'operationLocation') return operationLocation(ex, ctx, route);
  if (isListOrFleet(route.kind)) {
    if (ex.req.method !== 'GET') return methodNotAllowed(ex, route.kind);
    if (route.kind === 'clusterList') return listClusters(ex, ctx, route, apiVersion);
    return handleFleet(ex, ctx, route, apiVersion);
  }
  const cluster = findCluster(ex, ctx, route);
  if (!cluster) return;
  if (cluster.operation) startOperationClock(cluster.operation, ex.record.time);
  const expected =
    route.kind === 'runCommand' || route.kind === 'abort' || route.kind === 'agentPoolAbort'
      ? 'POST'
      : 'GET';
  if (ex.req.method !== expected) return methodNotAllowed(ex, route.kind);
  switch (route.kind) {
    case 'cluster':
      return getCluster(ex, ctx, cluster);
    case 'runCommand':
      return runCommand(ex, ctx, cluster, apiVersion);
    case 'commandResult':
      return commandResult(ex, ctx, cluster, route.id);
    case 'abort':
      return abort(ex, ctx, cluster);
    case 'agentPool':
    case 'agentPoolAbort':
    case 'agentPoolOperations':
      return handleAgentPool(ex, ctx, cluster, route, apiVersion);
    default:
      return operations(ex, cluster, route.id, apiVersion);
  }
}

function isListOrFleet(kind: RequestKind): boolean {
  return (
    kind === 'clusterList' || kind === 'fleet' || kind === 'fleetMembers' || kind === 'fleetMember'
  );
}

function methodNotAllowed(ex: Exchange, kind: RequestKind): void {
  armError(
    ex,
    405,
    'MethodNotAllowed',
    `The requested method '${ex.req.method ?? ''}' is not allowed for '${kind}'.`,
  );
}

/** The subscription a path is under (`/subscriptions/{id}/…`), if any. */
function subscriptionOf(pathname: string): string | undefined {
  const match = /^\/subscriptions\/([^/]+)/i.exec(pathname);
  if (!match?.[1]) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

/**
 * ARM's request limits, when on: takes a token of the subscription and principal's bucket and
 * says in the answer's headers how many are left; answers 429 when none is. Requests outside a
 * subscription are not counted here (ARM counts them per tenant).
 */
function admitted(ex: Exchange, ctx: ArmContext, principal: string): boolean {
  const subscription = subscriptionOf(ex.url.pathname);
  if (!ctx.limits || subscription === undefined) return true;
  const access = accessOf(ex.req.method);
  const admission = ctx.limits.take(subscription, principal, access, ex.record.time);
  delete ex.baseHeaders['x-ms-ratelimit-remaining-subscription-reads'];
  delete ex.baseHeaders['x-ms-ratelimit-remaining-subscription-writes'];
  ex.baseHeaders[`x-ms-ratelimit-remaining-subscription-${access}`] = String(admission.remaining);
  if (admission.ok) return true;
  ex.record.fault = 'throttled';
  armError(
    ex,
    429,
    'SubscriptionRequestsThrottled',
    throttledMessage(subscription, principal, access, admission.retryAfterSeconds),
    { 'retry-after': String(admission.retryAfterSeconds) },
  );
  return false;
}

function findCluster(ex: Exchange, ctx: ArmContext, route: ArmRoute): ClusterState | undefined {
  const cluster = ctx.clusters.find(route.subscriptionId, route.resourceGroup, route.clusterName);
  if (cluster) return cluster;
  if (!ctx.clusters.hasResourceGroup(route.subscriptionId, route.resourceGroup)) {
    armError(
      ex,
      404,
      'ResourceGroupNotFound',
      `Resource group '${route.resourceGroup}' could not be found.`,
    );
  } else {
    armError(
      ex,
      404,
      'ResourceNotFound',
      `The Resource 'Microsoft.ContainerService/managedClusters/${route.clusterName}' under resource group '${route.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    );
  }
  return undefined;
}

/** The caller's principal (the token's oid, else appid) when the token is good; else answers 401. */
function authenticate(ex: Exchange, ctx: ArmContext): string | undefined {
  const header = ex.req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) {
    unauthorized(
      ex,
      ctx,
      'InvalidAuthenticationToken',
      "Authentication failed. The 'Authorization' header is missing or is not a Bearer token.",
    );
    return undefined;
  }
  // A token is judged as of the moment the request arrived, as ARM's front door does, not after
  // an injected delay.
  const result = ctx.accessSigner.verify(match[1], Math.floor(ex.record.time / 1000));
  if (!result.ok && result.reason === 'expired') {
    unauthorized(ex, ctx, 'ExpiredAuthenticationToken', expiredMessage(result.claims?.exp));
    return undefined;
  }
  if (!result.ok) {
    unauthorized(ex, ctx, 'InvalidAuthenticationToken', 'The access token is invalid.');
    return undefined;
  }
  const aud = String(result.claims.aud ?? '');
  const allowed = allowedAudiences(ctx);
  if (!allowed.includes(aud)) {
    unauthorized(
      ex,
      ctx,
      'InvalidAuthenticationTokenAudience',
      `The access token has been obtained for wrong audience or resource '${aud}'. It should exactly match with one of the allowed audiences ${allowed.map((a) => `'${a}'`).join(',')}.`,
    );
    return undefined;
  }
  return String(result.claims.oid ?? result.claims.appid ?? '');
}

/**
 * The token audiences ARM takes, each with and without its trailing slash: the public cloud's two
 * ARM audiences and the endpoint's own URL; on an Azure Stack Hub, only the audience it advertises.
 */
export function allowedAudiences(ctx: ArmContext): string[] {
  const bases = ctx.armAudience
    ? [ctx.armAudience]
    : ['https://management.core.windows.net/', 'https://management.azure.com/', ctx.armEndpoint()];
  return bases.flatMap((base) => {
    const bare = base.replace(/\/+$/, '');
    return [`${bare}/`, bare];
  });
}

export function expiredMessage(exp: unknown): string {
  const expiry = typeof exp === 'number' ? new Date(exp * 1000).toISOString() : 'unknown';
  return `The access token expiry UTC time '${expiry}' is earlier than current UTC time '${new Date().toISOString()}'.`;
}

export function unauthorized(ex: Exchange, ctx: ArmContext, code: string, message: string): void {
  const challenge = `Bearer authorization_uri="${ctx.authorityHost()}/${ctx.tenantId}", error="invalid_token", error_description="${message.replace(/"/g, "'")}"`;
  armError(ex, 401, code, message, { 'www-authenticate': challenge });
}

function getCluster(ex: Exchange, ctx: ArmContext, cluster: ClusterState): void {
  send(ex, 200, clusterBody(ctx, cluster));
}
