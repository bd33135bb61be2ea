import { accessSync, constants, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import type { TokenSource } from './arm-client.ts';
import { InputError, SignInError, errorMessage } from './errors.ts';
import { isRecord, parseJson } from './json.ts';
import { parseClientId, parseTenantId } from './parsers.ts';
import type { AuthKind, CommonSettings } from './settings.ts';

/** How long the asks for an assertion within one Entra token request can be apart. */
const ONE_REQUEST_MS = 500;

export type AzureAuthKind = 'oidc' | 'azure-cli' | 'environment';

/** What the action needs from the runner to sign in; the real process in production. */
export interface AuthEnvironment {
  env(name: string): string;
  /** Asks GitHub for an ID token (core.getIDToken). */
  getIDToken(audience: string): Promise<string>;
  /** Registers a secret with the runner so it is masked in every log line. */
  mask(secret: string): void;
}

export interface SignIn {
  kind: AzureAuthKind;
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
  if (wanted === 'oidc' || wanted === 'azure-cli' || wanted === 'environment') {
    return { kind: wanted, why: 'auth input' };
  }
  if (wanted !== 'auto') {
    throw new InputError(
      'auth',
      `'${wanted}' cannot sign in to Azure; use oidc, azure-cli, environment or auto`,
    );
  }
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
    'Either set client-id and tenant-id with `permissions: id-token: write` (OIDC), run azure/login earlier in the job, or set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH).',
  );
}

function environmentConfigured(env: AuthEnvironment['env']): boolean {
  return Boolean(
    env('AZURE_CLIENT_ID') &&
    env('AZURE_TENANT_ID') &&
    (env('AZURE_CLIENT_SECRET') || env('AZURE_CLIENT_CERTIFICATE_PATH')),
  );
}

function azureCliSignedIn(env: AuthEnvironment['env']): boolean {
  const configDir = env('AZURE_CONFIG_DIR') || join(homedir(), '.azure');
  return onPath('az', env('PATH')) && existsSync(join(configDir, 'azureProfile.json'));
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

/** Signs in with the chosen credential. `@azure/identity` is loaded only here, when a token is needed. */
export async function signIn(settings: CommonSettings, runner: AuthEnvironment): Promise<SignIn> {
  const { kind, why } = pickAzureAuth(settings, runner.env);
  const identity = await import('@azure/identity');
  const { endpoints } = settings;
  const authority = {
    authorityHost: endpoints.authorityHost,
    disableInstanceDiscovery: endpoints.customAuthority,
  };
  let credential: TokenCredential;
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
      credential = new identity.ClientAssertionCredential(
        settings.tenantId,
        settings.clientId,
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
      credential = new identity.AzureCliCredential(
        settings.tenantId ? { tenantId: settings.tenantId } : {},
      );
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
      credential = secret
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
  }
  return {
    kind,
    description: `Signing in with ${description}; auth ${settings.auth === 'auto' ? `auto picked ${kind}: ${why}` : kind}.`,
    tokens: tokenSource(credential, kind, runner, describeFailure),
  };
}

function tokenSource(
  credential: TokenCredential,
  kind: AzureAuthKind,
  runner: AuthEnvironment,
  describeFailure: () => string,
): TokenSource {
  const masked = new Set<string>();
  return {
    async getToken(scope) {
      let token: string | undefined;
      try {
        token = (await credential.getToken(scope))?.token;
      } catch (error) {
        throw signInFailure(kind, scope, error, describeFailure());
      }
      if (!token)
        throw signInFailure(kind, scope, new Error('no token was returned'), describeFailure());
      if (!masked.has(token)) {
        masked.add(token);
        runner.mask(token);
      }
      return token;
    },
  };
}

const FIXES: Record<AzureAuthKind, string> = {
  oidc: 'Check the federated credential of the Entra application: its issuer, subject and audience must match the GitHub token shown above (AADSTS700213 is a subject mismatch: the subject depends on the branch, environment or pull request).',
  'azure-cli': 'Run azure/login earlier in the same job, or choose auth: oidc.',
  environment:
    'Check AZURE_CLIENT_ID, AZURE_TENANT_ID and the secret or certificate (an expired secret is a common cause).',
};

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
export function describeIdToken(idToken: string, clientId: string): string {
  const claims = decodeJwtClaims(idToken);
  if (!claims) return '';
  const show = (name: string) =>
    `${name}=${typeof claims[name] === 'string' ? String(claims[name]) : '?'}`;
  return `The GitHub ID token presented to application ${clientId} had ${show('iss')}, ${show('sub')}, ${show('aud')}.`;
}

export function decodeJwtClaims(jwt: string): Record<string, unknown> | undefined {
  const payload = jwt.split('.')[1];
  if (!payload) return undefined;
  const claims = parseJson(Buffer.from(payload, 'base64url').toString('utf8'));
  return isRecord(claims) ? claims : undefined;
}
