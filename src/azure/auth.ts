import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { InputError, SignInError, errorMessage } from '../base/errors.ts';
import { isRecord, parseJson } from '../base/json.ts';
import { parseClientId, parseTenantId } from '../inputs/parsers.ts';
import type { AuthKind, CommonSettings } from '../inputs/settings.ts';
import {
  AZURE_CLI_TRUST_FIX,
  isAzureCliUntrusted,
  probeServer,
  trustFix,
  untrustedMessage,
} from '../network/trust.ts';
import { proxyRefusalFor } from '../network/proxy.ts';
import { raceAbort } from '../waiting/timing.ts';

/** Anything that can hand out a bearer token for a scope; asked before every request. */
export interface TokenSource {
  /** `fresh`: not from a cache (the service called the cached one expired). */
  getToken(scope: string, options?: { fresh?: boolean }): Promise<string>;
}

/** How long the asks for an assertion within one Entra token request can be apart. */
const ONE_REQUEST_MS = 500;

export type AzureAuthKind = 'oidc' | 'azure-cli' | 'environment' | 'managed-identity';

/** What the action needs from the runner to sign in; the real process in production. */
export interface AuthEnvironment {
  env(name: string): string;
  /** Asks GitHub for an ID token (core.getIDToken). */
  getIDToken(audience: string): Promise<string>;
  /** Registers a secret with the runner so it is masked in every log line. */
  mask(secret: string): void;
}

export interface SignIn {
  /** One line for the log: which credential and why. */
  description: string;
  tokens: TokenSource;
}

/** Which Azure credential `auth` names, or the first one that is configured for `auto`. */
export function pickAzureAuth(
  settings: CommonSettings,
  env: AuthEnvironment['env'],
): { kind: AzureAuthKind; why: string } {
  const wanted: AuthKind = settings.auth;
  if (
    wanted === 'oidc' ||
    wanted === 'azure-cli' ||
    wanted === 'environment' ||
    wanted === 'managed-identity'
  ) {
    return { kind: wanted, why: 'auth input' };
  }
  if (wanted !== 'auto') {
    throw new InputError(
      'auth',
      `'${wanted}' cannot sign in to Azure; use oidc, azure-cli, environment, managed-identity or auto`,
    );
  }
  // A managed identity is never guessed: finding out means calling IMDS, which on any runner
  // outside Azure costs seconds of timeouts and retries before it fails.
  if (env('ACTIONS_ID_TOKEN_REQUEST_URL') && settings.clientId && settings.tenantId) {
    return {
      kind: 'oidc',
      why: 'client-id and tenant-id are set and the job may request an ID token',
    };
  }
  if (azureCliSignedIn(env))
    return { kind: 'azure-cli', why: 'an Azure CLI sign-in is present (azure/login)' };
  if (environmentConfigured(env)) {
    return {
      kind: 'environment',
      why: 'AZURE_CLIENT_ID, AZURE_TENANT_ID and a secret or certificate are set',
    };
  }
  throw new SignInError(
    'auth: auto found no Azure credential.',
    "Either set client-id and tenant-id with `permissions: id-token: write` (OIDC), run azure/login earlier in the job, or set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH). On a self-hosted runner in Azure (a VM, a scale set, an Arc machine) set `auth: managed-identity` to use the machine's identity (with client-id for a user-assigned one).",
  );
}

function environmentConfigured(env: AuthEnvironment['env']): boolean {
  return Boolean(
    env('AZURE_CLIENT_ID') &&
    env('AZURE_TENANT_ID') &&
    (env('AZURE_CLIENT_SECRET') || env('AZURE_CLIENT_CERTIFICATE_PATH')),
  );
}

/**
 * A CLI sign-in exists only when the CLI profile lists a subscription: every `az` command (even
 * `az version`) writes azureProfile.json, and `az logout` leaves it behind with no subscriptions.
 */
function azureCliSignedIn(env: AuthEnvironment['env']): boolean {
  const configDir = env('AZURE_CONFIG_DIR') || join(homedir(), '.azure');
  return (
    onPath('az', env('PATH')) && profileListsSubscription(join(configDir, 'azureProfile.json'))
  );
}

export function profileListsSubscription(profilePath: string): boolean {
  let text: string;
  try {
    text = readFileSync(profilePath, 'utf8');
  } catch {
    return false;
  }
  // The CLI writes the profile with a byte order mark (utf-8-sig).
  const profile = parseJson(text.replace(/^\uFEFF/, ''));
  return (
    isRecord(profile) && Array.isArray(profile.subscriptions) && profile.subscriptions.length > 0
  );
}

function onPath(program: string, path: string): boolean {
  return path.split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Signs in with the chosen credential. `@azure/identity` is loaded only here, when a token is
 * needed. Every token request answers `signal` (the step's timeout and cancellation).
 */
export async function signIn(
  settings: CommonSettings,
  runner: AuthEnvironment,
  signal?: AbortSignal,
): Promise<SignIn> {
  const { kind, why } = pickAzureAuth(settings, runner.env);
  const identity = await import('@azure/identity');
  const { endpoints } = settings;
  const authority = {
    authorityHost: endpoints.authorityHost,
    disableInstanceDiscovery: endpoints.customAuthority,
  };
  // A factory: a fresh credential has an empty token cache (see TokenSource's `fresh`).
  let credential: () => TokenCredential;
  let describeFailure: () => string = () => '';
  let description: string;
  switch (kind) {
    case 'oidc': {
      if (!settings.clientId || !settings.tenantId) {
        throw new InputError(
          settings.clientId ? 'tenant-id' : 'client-id',
          'is required for auth: oidc (or set AZURE_CLIENT_ID / AZURE_TENANT_ID)',
        );
      }
      if (!runner.env('ACTIONS_ID_TOKEN_REQUEST_URL')) {
        throw new SignInError(
          'auth: oidc cannot get a GitHub ID token.',
          'Add `permissions: id-token: write` to the job (or the workflow).',
        );
      }
      let lastIdToken = '';
      let minted: { token: Promise<string>; at: number } | undefined;
      // A GitHub ID token lives about 5 minutes: mint a new one for every Entra token request.
      // MSAL asks for the assertion twice while it builds one request; both asks share one token.
      const { tenantId, clientId } = settings;
      credential = () =>
        new identity.ClientAssertionCredential(
          tenantId,
          clientId,
          async () => {
            if (!minted || Date.now() - minted.at > ONE_REQUEST_MS) {
              minted = { token: runner.getIDToken(endpoints.audience), at: Date.now() };
            }
            const idToken = await minted.token;
            if (idToken !== lastIdToken) runner.mask(idToken);
            lastIdToken = idToken;
            return lastIdToken;
          },
          authority,
        );
      describeFailure = () => describeIdToken(lastIdToken, settings.clientId);
      description = `OIDC federation (client ${settings.clientId}, tenant ${settings.tenantId}, audience ${endpoints.audience})`;
      break;
    }
    case 'azure-cli':
      credential = () =>
        new identity.AzureCliCredential(settings.tenantId ? { tenantId: settings.tenantId } : {});
      description = 'the Azure CLI sign-in';
      break;
    case 'environment': {
      const tenantId = parseTenantId('tenant-id', runner.env('AZURE_TENANT_ID'), 'AZURE_TENANT_ID');
      const clientId = parseClientId('client-id', runner.env('AZURE_CLIENT_ID'), 'AZURE_CLIENT_ID');
      const secret = runner.env('AZURE_CLIENT_SECRET');
      const certificatePath = runner.env('AZURE_CLIENT_CERTIFICATE_PATH');
      if (!tenantId || !clientId || !(secret || certificatePath)) {
        throw new SignInError(
          'auth: environment needs AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH.',
          'Set the missing variables from secrets, or use auth: oidc.',
        );
      }
      if (secret) runner.mask(secret);
      credential = () =>
        secret
          ? new identity.ClientSecretCredential(tenantId, clientId, secret, authority)
          : new identity.ClientCertificateCredential(
              tenantId,
              clientId,
              { certificatePath },
              authority,
            );
      description = `a service principal from the environment (client ${clientId}, ${secret ? 'secret' : 'certificate'})`;
      break;
    }
    case 'managed-identity':
      // The identity endpoint (IMDS, or the one the host names in IDENTITY_ENDPOINT/MSI_ENDPOINT)
      // is found by @azure/identity; client-id picks a user-assigned identity.
      credential = () =>
        settings.clientId
          ? new identity.ManagedIdentityCredential({ clientId: settings.clientId })
          : new identity.ManagedIdentityCredential();
      description = settings.clientId
        ? `the machine's user-assigned managed identity (client ${settings.clientId})`
        : "the machine's system-assigned managed identity";
      break;
  }
  return {
    description: `Signing in with ${description}; auth ${settings.auth === 'auto' ? `auto picked ${kind}: ${why}` : kind}.`,
    tokens: tokenSource(credential, kind, runner, describeFailure, signal, endpoints.authorityHost),
  };
}

/** A kept token is asked for anew this long before it expires (as @azure/identity refreshes). */
const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

function tokenSource(
  newCredential: () => TokenCredential,
  kind: AzureAuthKind,
  runner: AuthEnvironment,
  describeFailure: () => string,
  signal: AbortSignal | undefined,
  authorityHost: string,
): TokenSource {
  const masked = new Set<string>();
  let credential = newCredential();
  // One request per scope at a time and a token kept until near its expiry: many clusters asking
  // at once share one answer, and a CLI sign-in is not asked again for every call.
  const pending = new Map<string, Promise<string>>();
  const kept = new Map<string, { token: string; refreshAt: number }>();
  const fetchToken = async (scope: string, fresh: boolean): Promise<string> => {
    // @azure/identity keeps tokens until they are close to expiry by the runner's clock; a
    // token the server calls expired needs a credential with an empty cache.
    if (fresh) credential = newCredential();
    let answer: AccessToken | null | undefined;
    try {
      const request = credential.getToken(scope, signal ? { abortSignal: signal } : {});
      answer = await raceAbort(request, signal);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      // @azure/identity hides a proxy's refusal (e.g. endpoints_resolution_error): ask it.
      const proxyProblem =
        kind === 'azure-cli' ? undefined : await proxyRefusalFor(authorityHost, signal);
      if (signal?.aborted) throw signal.reason;
      if (proxyProblem) throw proxySignInFailure(kind, scope, proxyProblem);
      throw (
        (await connectionSignInFailure(kind, scope, error, authorityHost)) ??
        signInFailure(kind, scope, error, describeFailure())
      );
    }
    const token = answer?.token;
    if (!token)
      throw signInFailure(kind, scope, new Error('no token was returned'), describeFailure());
    if (!masked.has(token)) {
      masked.add(token);
      runner.mask(token);
    }
    const refreshAt = (answer?.expiresOnTimestamp ?? 0) - TOKEN_REFRESH_MARGIN_MS;
    if (refreshAt > Date.now()) kept.set(scope, { token, refreshAt });
    else kept.delete(scope);
    return token;
  };
  return {
    getToken(scope, options = {}) {
      const fresh = options.fresh === true;
      const held = kept.get(scope);
      if (!fresh && held && held.refreshAt > Date.now()) return Promise.resolve(held.token);
      const inFlight = pending.get(scope);
      if (!fresh && inFlight) return inFlight;
      const request = fetchToken(scope, fresh).finally(() => {
        if (pending.get(scope) === request) pending.delete(scope);
      });
      pending.set(scope, request);
      return request;
    },
  };
}

const FIXES: Record<AzureAuthKind, string> = {
  oidc: 'Check the federated credential of the Entra application: its issuer, subject and audience must match the GitHub token shown above (AADSTS700213 is a subject mismatch: the subject depends on the branch, environment or pull request).',
  'azure-cli': 'Run azure/login earlier in the same job, or choose auth: oidc.',
  environment:
    'Check AZURE_CLIENT_ID, AZURE_TENANT_ID and the secret or certificate (an expired secret is a common cause).',
  'managed-identity':
    'auth: managed-identity works only on a machine in Azure (a VM, a scale set, an Arc-enabled server) that has a managed identity: assign one to the machine, and for a user-assigned identity set client-id to its client id. A proxy must let 169.254.169.254 through (add it to NO_PROXY).',
};

/**
 * A sign-in that failed before Entra could answer: the authority's certificate is not trusted, or
 * the authority cannot be reached. The identity library reports only "endpoints_resolution_error"
 * or "network_error" then, so the action looks at the authority itself; the Azure CLI names a
 * certificate failure in its own words.
 */
async function connectionSignInFailure(
  kind: AzureAuthKind,
  scope: string,
  error: unknown,
  authorityHost: string,
): Promise<SignInError | undefined> {
  const message = errorMessage(error);
  if (kind === 'azure-cli') {
    return isAzureCliUntrusted(message)
      ? new SignInError(
          `Sign-in (azure-cli) failed while requesting a token for ${scope}: the server's certificate is not trusted by the Azure CLI.`,
          AZURE_CLI_TRUST_FIX,
        )
      : undefined;
  }
  // An answer from Entra (AADSTS…) means the connection worked.
  if (/AADSTS\d+/.test(message)) return undefined;
  const verdict = await probeServer(authorityHost);
  const failed = `Sign-in (${kind}) failed while requesting a token for ${scope}:`;
  if (verdict.kind === 'untrusted') {
    return new SignInError(
      `${failed} ${untrustedMessage(authorityHost, verdict.code)}`,
      trustFix(authorityHost),
    );
  }
  if (verdict.kind === 'unreachable') {
    return new SignInError(
      `${failed} the authority ${authorityHost} cannot be reached (${verdict.reason}).`,
      'Check authority-host (or environment) and that the runner can reach it (proxy, firewall, DNS).',
    );
  }
  return undefined;
}

function proxySignInFailure(kind: AzureAuthKind, scope: string, problem: Error): SignInError {
  return new SignInError(
    `Sign-in (${kind}) failed while requesting a token for ${scope}: ${problem.message}`,
    'This is a proxy problem: check the user and password in HTTPS_PROXY (http://user:password@host:port, URL-encoded), NO_PROXY, and that the proxy lets the runner reach the authority host.',
  );
}

function signInFailure(
  kind: AzureAuthKind,
  scope: string,
  error: unknown,
  detail: string,
): SignInError {
  const firstLine =
    errorMessage(error)
      .split('\n')
      .find((line) => line.trim() !== '') ?? 'unknown error';
  return new SignInError(
    `Sign-in (${kind}) failed while requesting a token for ${scope}: ${firstLine.trim()}${detail ? ` ${detail}` : ''}`,
    FIXES[kind],
  );
}

/** The claims that decide whether a federated credential matches; never the token itself. */
function describeIdToken(idToken: string, clientId: string): string {
  const claims = decodeJwtClaims(idToken);
  if (!claims) return '';
  const show = (name: string) =>
    `${name}=${typeof claims[name] === 'string' ? String(claims[name]) : '?'}`;
  return `The GitHub ID token presented to application ${clientId} had ${show('iss')}, ${show('sub')}, ${show('aud')}.`;
}

function decodeJwtClaims(jwt: string): Record<string, unknown> | undefined {
  const payload = jwt.split('.')[1];
  if (!payload) return undefined;
  const claims = parseJson(Buffer.from(payload, 'base64url').toString('utf8'));
  return isRecord(claims) ? claims : undefined;
}
