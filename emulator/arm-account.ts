// ARM's own routes that sign-in tools read before they touch a resource: the cloud metadata
// document (`az cloud register`, the Azure SDKs, the action for a custom arm-endpoint) and the
// subscription and tenant lists (`az login`).
import type { ArmContext } from './arm-context.ts';
import { checkApiVersion } from './arm-versions.ts';
import { type Exchange, armError, send } from './http.ts';

export type AccountRoute = 'metadata' | 'subscriptions' | 'subscription' | 'tenants';

/** `/metadata/endpoints`, `/subscriptions`, `/subscriptions/{id}`, `/tenants`; else undefined. */
export function accountRoute(pathname: string): AccountRoute | undefined {
  const seg = pathname.split('/').filter(Boolean);
  const lower = seg.map((s) => s.toLowerCase());
  if (lower.length === 2 && lower[0] === 'metadata' && lower[1] === 'endpoints') return 'metadata';
  if (lower.length === 1 && lower[0] === 'subscriptions') return 'subscriptions';
  if (lower.length === 2 && lower[0] === 'subscriptions') return 'subscription';
  if (lower.length === 1 && lower[0] === 'tenants') return 'tenants';
  return undefined;
}

/** The audience the emulator's ARM names in its metadata (and the one `az` then asks for). */
export function advertisedAudience(ctx: ArmContext): string {
  return ctx.armAudience ?? `${ctx.armEndpoint()}/`;
}

/** The metadata document, unauthenticated as on ARM, in the shape each API version has. */
export function metadataEndpoints(ex: Exchange, ctx: ArmContext): void {
  const apiVersion = ex.url.searchParams.get('api-version') ?? '';
  if (!checkApiVersion(ex, 'metadata', apiVersion)) return;
  if (ex.req.method !== 'GET') return methodNotAllowed(ex);
  const arm = ctx.armEndpoint();
  const entra = ctx.authorityHost();
  // The AD FS face: MSAL (and so the Azure CLI) trusts an `/adfs` authority without asking
  // login.microsoftonline.com to discover it, as on an Azure Stack Hub that signs in with AD FS.
  const loginEndpoint = `${entra}/adfs`;
  const audiences = [advertisedAudience(ctx)];
  if (apiVersion < '2019-05-01') {
    return send(ex, 200, {
      galleryEndpoint: `${arm}/gallery/`,
      graphEndpoint: `${entra}/graph/`,
      portalEndpoint: `${arm}/portal/`,
      authentication: { loginEndpoint, audiences },
    });
  }
  const cloud = {
    portal: `${arm}/portal`,
    authentication: { loginEndpoint, audiences, tenant: 'adfs', identityProvider: 'ADFS' },
    media: `${arm}/media/`,
    graphAudience: `${entra}/graph/`,
    graph: `${entra}/graph/`,
    name: 'AzureEmulator',
    suffixes: {
      acrLoginServer: 'azurecr.emulator.local',
      keyVaultDns: 'vault.emulator.local',
      sqlServerHostname: 'database.emulator.local',
      storage: 'core.emulator.local',
    },
    batch: `${arm}/batch/`,
    resourceManager: `${arm}/`,
    vmImageAliasDoc: `${arm}/vmImageAliasDoc`,
    activeDirectoryDataLake: `${arm}/datalake/`,
    sqlManagement: `${arm}/sql/`,
    microsoftGraphResourceId: `${entra}/graph/`,
  };
  // 2019-05-01 and 2020-06-01 list every cloud the endpoint knows; 2022-09-01 describes its own.
  send(ex, 200, apiVersion === '2022-09-01' ? cloud : [cloud]);
}

/** `GET /subscriptions`, `/subscriptions/{id}` and `/tenants` for the signed-in principal. */
export function accountRequest(
  ex: Exchange,
  ctx: ArmContext,
  route: Exclude<AccountRoute, 'metadata'>,
  apiVersion: string,
): void {
  if (!checkApiVersion(ex, route === 'tenants' ? 'tenants' : 'subscriptions', apiVersion)) return;
  if (ex.req.method !== 'GET') return methodNotAllowed(ex);
  const withCount = apiVersion >= '2020-01-01';
  if (route === 'tenants') {
    const tenants = [tenantBody(ctx)];
    return send(ex, 200, {
      value: tenants,
      ...(withCount ? { count: { type: 'Total', value: tenants.length } } : {}),
    });
  }
  const subscriptions = subscriptionIds(ctx).map((id) => subscriptionBody(ctx, id));
  if (route === 'subscriptions') {
    return send(ex, 200, {
      value: subscriptions,
      ...(withCount ? { count: { type: 'Total', value: subscriptions.length } } : {}),
    });
  }
  const wanted = decodeURIComponent(ex.url.pathname.split('/').filter(Boolean)[1] ?? '');
  const found = subscriptions.find((s) => s.subscriptionId.toLowerCase() === wanted.toLowerCase());
  if (!found) {
    return armError(
      ex,
      404,
      'SubscriptionNotFound',
      `The subscription '${wanted}' could not be found.`,
    );
  }
  send(ex, 200, found);
}

function subscriptionIds(ctx: ArmContext): string[] {
  const ids = new Map<string, string>([[ctx.subscriptionId.toLowerCase(), ctx.subscriptionId]]);
  for (const cluster of ctx.clusters.all())
    ids.set(cluster.subscriptionId.toLowerCase(), cluster.subscriptionId);
  return [...ids.values()];
}

function subscriptionBody(ctx: ArmContext, id: string) {
  return {
    id: `/subscriptions/${id}`,
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    subscriptionId: id,
    tenantId: ctx.tenantId,
    displayName:
      id === ctx.subscriptionId ? 'Emulator subscription' : `Emulator subscription ${id}`,
    state: 'Enabled',
    subscriptionPolicies: {
      locationPlacementId: 'Public_2014-09-01',
      quotaId: 'PayAsYouGo_2014-09-01',
      spendingLimit: 'Off',
    },
  };
}

function tenantBody(ctx: ArmContext) {
  return {
    id: `/tenants/${ctx.tenantId}`,
    tenantId: ctx.tenantId,
    countryCode: 'US',
    displayName: 'Azure Emulator',
    domains: ['emulator.onmicrosoft.com'],
    tenantCategory: 'Home',
    defaultDomain: 'emulator.onmicrosoft.com',
    tenantType: 'AAD',
  };
}

function methodNotAllowed(ex: Exchange): void {
  armError(
    ex,
    405,
    'MethodNotAllowed',
    `The requested resource does not support http method '${ex.req.method ?? ''}'.`,
  );
}
