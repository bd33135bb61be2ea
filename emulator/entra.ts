import { randomUUID } from 'node:crypto';
import { type Exchange, readBody, send } from './http.ts';
import { type Claims, newJti, nowSeconds, type Signer } from './tokens.ts';
import type { RequestKind, RequestRecord } from './types.ts';
import { ADFS, adfsConfiguration, isAdfsTokenPath } from './adfs.ts';

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
export const GITHUB_SUBJECT = 'repo:octo-org/octo-repo:ref:refs/heads/main';
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';
export const AKS_SERVER_APP = '6dae42f8-4368-4678-94ff-3960e28e3630';
const GITHUB_ID_TOKEN_MAX_SECONDS = 300;
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access']);

export interface Identity {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Object id of the app's service principal (oid claim). */
  principalId: string;
  federatedSubject: string;
  oidcRequestToken: string;
  tokenLifetimeSeconds: number;
  accessSigner: Signer;
  githubSigner: Signer;
  authorityHost: () => string;
  remember: (secret: string) => void;
}

type Route = { server: RequestRecord['server']; kind: RequestKind };

export function classifyEntra(method: string, url: URL): Route {
  const p = url.pathname.toLowerCase();
  if (p === '/github/idtoken') return { server: 'oidc', kind: 'idtoken' };
  if (
    method === 'GET' &&
    (p.endsWith('/.well-known/openid-configuration') || p === '/common/discovery/instance')
  ) {
    return { server: 'entra', kind: 'openid' };
  }
  if (method === 'POST' && /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(p))
    return { server: 'entra', kind: 'token' };
  if (method === 'POST' && isAdfsTokenPath(p)) return { server: 'entra', kind: 'token' };
  return { server: 'entra', kind: 'unknown' };
}

export async function handleEntra(ex: Exchange, id: Identity): Promise<void> {
  switch (ex.record.kind) {
    case 'idtoken':
      return githubIdToken(ex, id);
    case 'openid':
      return openidConfiguration(ex, id);
    case 'token':
      return token(ex, id);
    default:
      return entraError(
        ex,
        404,
        'invalid_request',
        90010,
        `The endpoint '${ex.url.pathname}' is not supported.`,
      );
  }
}

function entraError(
  ex: Exchange,
  status: number,
  error: string,
  code: number,
  description: string,
): void {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  send(ex, status, {
    error,
    error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${ex.url.origin}/error?code=${code}`,
  });
}

function tenantSegment(ex: Exchange): string {
  return decodeURIComponent(ex.url.pathname.split('/')[1] ?? '');
}

function openidConfiguration(ex: Exchange, id: Identity): void {
  const host = id.authorityHost();
  if (ex.url.pathname.toLowerCase() === '/common/discovery/instance') {
    send(ex, 200, {
      tenant_discovery_endpoint: `${host}/{tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [
        { preferred_network: ex.url.host, preferred_cache: ex.url.host, aliases: [ex.url.host] },
      ],
    });
    return;
  }
  const tenant = tenantSegment(ex);
  if (tenant.toLowerCase() === ADFS) return send(ex, 200, adfsConfiguration(host));
  const known = ['common', 'organizations', id.tenantId.toLowerCase()];
  if (!known.includes(tenant.toLowerCase())) {
    return entraError(ex, 400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found.`);
  }
  const base = `${host}/${tenant}`;
  send(ex, 200, {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: [
      'client_secret_post',
      'private_key_jwt',
      'client_secret_basic',
    ],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${host}/${id.tenantId}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${host}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'oid'],
    tenant_region_scope: 'NA',
    cloud_instance_name: ex.url.host,
    cloud_graph_host_name: ex.url.host,
    msgraph_host: ex.url.host,
  });
}

function githubIdToken(ex: Exchange, id: Identity): void {
  if (ex.req.method !== 'GET') return send(ex, 405, { message: 'Method Not Allowed' });
  if (ex.req.headers.authorization !== `Bearer ${id.oidcRequestToken}`) {
    return send(ex, 401, { message: 'Unauthorized: invalid or missing runtime token' });
  }
  const iat = nowSeconds();
  const token = id.githubSigner.sign({
    jti: randomUUID(),
    iss: GITHUB_ISSUER,
    sub: GITHUB_SUBJECT,
    aud: ex.url.searchParams.get('audience') ?? 'https://github.com/octo-org',
    repository: 'octo-org/octo-repo',
    repository_owner: 'octo-org',
    ref: 'refs/heads/main',
    event_name: 'push',
    workflow: 'ci',
    runner_environment: 'github-hosted',
    iat,
    nbf: iat - 5,
    exp: iat + Math.min(GITHUB_ID_TOKEN_MAX_SECONDS, id.tokenLifetimeSeconds),
  });
  id.remember(token);
  send(ex, 200, { count: 1, value: token });
}

async function token(ex: Exchange, id: Identity): Promise<void> {
  const tenant = tenantSegment(ex);
  // AD FS has no tenants: its one directory is the emulator's tenant.
  const adfs = tenant.toLowerCase() === ADFS;
  if (!adfs && tenant.toLowerCase() !== id.tenantId.toLowerCase()) {
    return entraError(
      ex,
      400,
      'invalid_request',
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
  }
  const raw = await readBody(ex.req, 1024 * 1024);
  const form = new URLSearchParams(raw?.toString('utf8') ?? '');
  const grantType = form.get('grant_type');
  if (grantType !== 'client_credentials') {
    return entraError(
      ex,
      400,
      'unsupported_grant_type',
      70003,
      `The app requested an unsupported grant type '${grantType ?? ''}'.`,
    );
  }
  const clientId = form.get('client_id') ?? '';
  if (clientId.toLowerCase() !== id.clientId.toLowerCase()) {
    return entraError(
      ex,
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${id.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
  }
  const audience = resourceOf(form.get('scope'));
  if (typeof audience !== 'string')
    return entraError(ex, 400, audience.error, audience.code, audience.message);
  if (!checkCredential(ex, id, form)) return;
  issueAccessToken(ex, id, audience, adfs ? `${id.authorityHost()}/adfs` : undefined);
}

function resourceOf(
  scope: string | null,
): string | { error: string; code: number; message: string } {
  if (!scope) {
    return {
      error: 'invalid_request',
      code: 900144,
      message: "The request body must contain the following parameter: 'scope'.",
    };
  }
  const scopes = scope.split(/\s+/).filter((s) => s && !OIDC_SCOPES.has(s));
  const first = scopes[0];
  if (scopes.length !== 1 || first === undefined || !first.endsWith('/.default')) {
    return {
      error: 'invalid_scope',
      code: 1002012,
      message: `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    };
  }
  return first.slice(0, -'/.default'.length);
}

function checkCredential(ex: Exchange, id: Identity, form: URLSearchParams): boolean {
  const secret = form.get('client_secret');
  const assertion = form.get('client_assertion');
  if (secret !== null) {
    if (secret === id.clientSecret) return true;
    entraError(
      ex,
      401,
      'invalid_client',
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${id.clientId}'.`,
    );
    return false;
  }
  if (assertion === null) {
    entraError(
      ex,
      401,
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
    return false;
  }
  if (form.get('client_assertion_type') !== JWT_BEARER) {
    entraError(ex, 400, 'invalid_request', 50027, `client_assertion_type must be '${JWT_BEARER}'.`);
    return false;
  }
  const problem = assertionProblem(id, assertion);
  if (problem) entraError(ex, problem.status, 'invalid_client', problem.code, problem.message);
  return problem === undefined;
}

function assertionProblem(
  id: Identity,
  assertion: string,
): { status: number; code: number; message: string } | undefined {
  const result = id.githubSigner.verify(assertion);
  const claims: Claims = result.claims ?? {};
  const issuer = String(claims.iss ?? '');
  if (!result.ok && result.reason === 'malformed')
    return { status: 400, code: 50027, message: 'JWT token is invalid or malformed.' };
  if (!result.ok && result.reason === 'signature') {
    return {
      status: 400,
      code: 700211,
      message: `No matching federated identity record found for presented assertion issuer '${issuer}'. Please note that the matching is done using a case-sensitive comparison.`,
    };
  }
  if (!result.ok) {
    const now = new Date().toISOString();
    return {
      status: 400,
      code: 700024,
      message: `Client assertion is not within its valid time range. Current time: ${now}, assertion valid from ${isoSeconds(claims.nbf)}, expiry time of assertion ${isoSeconds(claims.exp)}.`,
    };
  }
  if (issuer !== GITHUB_ISSUER) {
    return {
      status: 400,
      code: 700211,
      message: `No matching federated identity record found for presented assertion issuer '${issuer}'.`,
    };
  }
  if (claims.aud !== TOKEN_EXCHANGE_AUDIENCE) {
    return {
      status: 400,
      code: 700212,
      message: `No matching federated identity record found for presented assertion audience '${String(claims.aud)}'.`,
    };
  }
  if (claims.sub !== id.federatedSubject) {
    return {
      status: 400,
      code: 700213,
      message: `No matching federated identity record found for presented assertion subject '${String(claims.sub)}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
    };
  }
  return undefined;
}

function isoSeconds(value: unknown): string {
  return typeof value === 'number' ? new Date(value * 1000).toISOString() : 'unknown';
}

/** The token's `aud` is the resource the scope names (the scope without `/.default`), as Entra sets it. */
function issueAccessToken(ex: Exchange, id: Identity, audience: string, issuer?: string): void {
  const iat = nowSeconds();
  const accessToken = id.accessSigner.sign({
    aud: audience,
    iss: issuer ?? `${id.authorityHost()}/${id.tenantId}/v2.0`,
    iat,
    nbf: iat - 5,
    exp: iat + id.tokenLifetimeSeconds,
    tid: id.tenantId,
    oid: id.principalId,
    sub: id.principalId,
    appid: id.clientId,
    azp: id.clientId,
    idtyp: 'app',
    ver: '2.0',
    uti: newJti(),
  });
  id.remember(accessToken);
  send(ex, 200, {
    token_type: 'Bearer',
    expires_in: id.tokenLifetimeSeconds,
    ext_expires_in: id.tokenLifetimeSeconds,
    access_token: accessToken,
  });
}
