// The Azure Instance Metadata Service's identity endpoint, as a VM with a managed identity sees it:
// GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=…[&client_id=…] with the
// header `Metadata: true`, over plain http. Tokens are signed like Entra's, so ARM accepts them.
import { randomUUID } from 'node:crypto';
import { type Exchange, send } from './http.ts';
import { newJti, nowSeconds, type Signer } from './tokens.ts';
import type { RequestKind, RequestRecord } from './types.ts';

export interface MachineIdentities {
  tenantId: string;
  /** Client id and object id of the system-assigned identity, when the machine has one. */
  systemAssigned: { clientId: string; principalId: string } | undefined;
  /** User-assigned identities by client id (lower case) → object id. */
  userAssigned: Map<string, string>;
  tokenLifetimeSeconds: number;
  accessSigner: Signer;
  authorityHost: () => string;
  remember: (secret: string) => void;
}

const TOKEN_PATH = '/metadata/identity/oauth2/token';

export function classifyImds(url: URL): { server: RequestRecord['server']; kind: RequestKind } {
  return {
    server: 'imds',
    kind: url.pathname.replace(/\/$/, '') === TOKEN_PATH ? 'imdsToken' : 'unknown',
  };
}

export function handleImds(ex: Exchange, machine: MachineIdentities): void {
  if (ex.record.kind !== 'imdsToken') return imdsError(ex, 404, 'not_found', 'Not Found');
  if (ex.req.method !== 'GET')
    return imdsError(ex, 405, 'invalid_request', 'Only GET is supported');
  // IMDS refuses calls without the header: it keeps server-side request forgery away.
  if (String(ex.req.headers.metadata ?? '').toLowerCase() !== 'true')
    return imdsError(ex, 400, 'invalid_request', 'Required metadata header not specified');
  if (ex.req.headers['x-forwarded-for'] !== undefined)
    return imdsError(ex, 400, 'invalid_request', 'Request cannot be forwarded through a proxy');
  const query = ex.url.searchParams;
  if (!query.get('api-version'))
    return imdsError(ex, 400, 'invalid_request', 'Required query variable api-version is missing');
  const resource = query.get('resource');
  if (!resource)
    return imdsError(ex, 400, 'invalid_request', 'Required query variable resource is missing');
  const identity = pickIdentity(machine, query.get('client_id'));
  if (!identity) return imdsError(ex, 400, 'invalid_request', 'Identity not found');
  issue(ex, machine, identity, resource);
}

function pickIdentity(
  machine: MachineIdentities,
  clientId: string | null,
): { clientId: string; principalId: string } | undefined {
  if (!clientId) return machine.systemAssigned;
  const principalId = machine.userAssigned.get(clientId.toLowerCase());
  return principalId ? { clientId, principalId } : undefined;
}

function issue(
  ex: Exchange,
  machine: MachineIdentities,
  identity: { clientId: string; principalId: string },
  resource: string,
): void {
  const iat = nowSeconds();
  const exp = iat + machine.tokenLifetimeSeconds;
  const token = machine.accessSigner.sign({
    aud: resource,
    iss: `${machine.authorityHost()}/${machine.tenantId}/`,
    iat,
    nbf: iat - 5,
    exp,
    tid: machine.tenantId,
    oid: identity.principalId,
    sub: identity.principalId,
    appid: identity.clientId,
    idtyp: 'app',
    uti: newJti(),
  });
  machine.remember(token);
  // IMDS sends every number as a string.
  send(ex, 200, {
    access_token: token,
    client_id: identity.clientId,
    expires_in: String(machine.tokenLifetimeSeconds),
    expires_on: String(exp),
    ext_expires_in: String(machine.tokenLifetimeSeconds),
    not_before: String(iat - 5),
    resource,
    token_type: 'Bearer',
  });
}

function imdsError(ex: Exchange, status: number, error: string, description: string): void {
  send(ex, status, { error, error_description: description });
}

export function newMachineIdentities(
  options: { systemAssigned?: boolean; userAssigned?: number } | undefined,
  base: Omit<MachineIdentities, 'systemAssigned' | 'userAssigned'>,
): MachineIdentities {
  const userAssigned = new Map<string, string>();
  for (let i = 0; i < (options?.userAssigned ?? 1); i++)
    userAssigned.set(randomUUID(), randomUUID());
  return {
    ...base,
    systemAssigned:
      options?.systemAssigned === false
        ? undefined
        : { clientId: randomUUID(), principalId: randomUUID() },
    userAssigned,
  };
}
