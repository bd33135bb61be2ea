// Paged ARM lists, as ARM serves them: `{ value: [...], nextLink? }`, the nextLink an absolute URL
// on the ARM endpoint carrying the api-version and an opaque `$skipToken`.
import type { ArmContext, ArmRoute } from './arm-context.ts';
import { clusterBody } from './arm-cluster.ts';
import { type Exchange, armError, send } from './http.ts';

export const DEFAULT_LIST_PAGE_SIZE = 100;

const TOKEN_PATTERN = /^skip:(\d{1,9})$/;

function skipToken(offset: number): string {
  return Buffer.from(`skip:${offset}`).toString('base64url');
}

/** The offset a `$skipToken` names (any case of the parameter's name); undefined when invalid. */
function offsetOf(url: URL): number | undefined {
  let token: string | undefined;
  for (const [name, value] of url.searchParams)
    if (name.toLowerCase() === '$skiptoken') token = value;
  if (token === undefined) return 0;
  const match = TOKEN_PATTERN.exec(Buffer.from(token, 'base64url').toString('latin1'));
  return match ? Number(match[1]) : undefined;
}

/** Answers one page of `items` (built lazily, page by page) for the request. */
export function sendPage<T>(
  ex: Exchange,
  ctx: ArmContext,
  items: readonly T[],
  body: (item: T) => unknown,
  apiVersion: string,
): void {
  const offset = offsetOf(ex.url);
  if (offset === undefined) {
    return armError(
      ex,
      400,
      'InvalidSkipToken',
      "The value of the query parameter '$skipToken' is not valid.",
    );
  }
  const size = ctx.listPageSize;
  const page = items.slice(offset, offset + size).map(body);
  const next = offset + size;
  const query = new URLSearchParams({ 'api-version': apiVersion, $skipToken: skipToken(next) });
  send(ex, 200, {
    value: page,
    ...(next < items.length ? { nextLink: `${ctx.armEndpoint()}${ex.url.pathname}?${query}` } : {}),
  });
}

/** `GET /subscriptions/{sub}[/resourceGroups/{rg}]/providers/Microsoft.ContainerService/managedClusters`. */
export function listClusters(
  ex: Exchange,
  ctx: ArmContext,
  route: ArmRoute,
  apiVersion: string,
): void {
  const sub = route.subscriptionId.toLowerCase();
  const rg = route.resourceGroup.toLowerCase();
  if (rg && !ctx.clusters.hasResourceGroup(route.subscriptionId, route.resourceGroup)) {
    return armError(
      ex,
      404,
      'ResourceGroupNotFound',
      `Resource group '${route.resourceGroup}' could not be found.`,
    );
  }
  const clusters = ctx.clusters
    .all()
    .filter(
      (c) =>
        c.subscriptionId.toLowerCase() === sub && (!rg || c.resourceGroup.toLowerCase() === rg),
    );
  sendPage(ex, ctx, clusters, (cluster) => clusterBody(ctx, cluster), apiVersion);
}
