// Connecting to a Service Fabric gateway: which credential auth means, how the server is
// trusted, the Entra sign-in when the cluster uses it. Settings come down to here and go no
// further: the client is handed a transport, the credential kind and a token source.
import { pickAzureAuth, signIn, type AuthEnvironment, type TokenSource } from '../azure/auth.ts';
import { ActionError, InputError, SignInError } from '../base/errors.ts';
import { clip } from '../base/format.ts';
import type { CancelFaultSettings } from '../inputs/settings.ts';
import type { Transport } from '../network/http.ts';
import type { ServerCheck } from '../network/proxy.ts';
import {
  parseCaBundle,
  parseClientCertificate,
  pinnedServerCheck,
  thumbprintsOf,
  type GatewayTls,
} from '../network/tls.ts';
import { raceAbort } from '../waiting/timing.ts';
import {
  ServiceFabricClient,
  type GatewayAuthKind,
  type ServiceFabricClientOptions,
} from './client.ts';

export interface ConnectOptions {
  runner: AuthEnvironment;
  signal: AbortSignal;
  log(line: string): void;
  warn(line: string): void;
  /**
   * The one transport of the run, with the Service Fabric retry policy, these TLS options and
   * this check of every new connection (pins).
   */
  transport(tls: GatewayTls | undefined, checkServer?: ServerCheck): Transport;
  /** The transport's per-request timeouts, when the run shortens them. */
  requestTimeouts?: { readMs: number; writeMs: number } | undefined;
}

/**
 * Which credential `auth` means for a gateway. `auto`: the client certificate when `certificate`
 * is set; otherwise an Azure credential (oidc, azure-cli, environment) for an Entra-secured
 * cluster. A plain http:// gateway always means none.
 */
export function pickGatewayAuth(
  settings: CancelFaultSettings,
  env: AuthEnvironment['env'],
): { kind: GatewayAuthKind; why: string } {
  switch (settings.auth) {
    case 'certificate':
      if (!settings.certificate) {
        throw new InputError(
          'certificate',
          'is required for auth: certificate (an admin client certificate: PEM with its key, or base64 PFX)',
        );
      }
      return { kind: 'certificate', why: 'auth input' };
    case 'none':
      return { kind: 'none', why: 'auth input' };
    case 'auto':
      break;
    default:
      return { kind: 'entra', why: 'auth input' };
  }
  // Nothing secret ever goes over plain http: an http:// gateway is an unsecured cluster.
  if (settings.gatewayUrl.startsWith('http:'))
    return { kind: 'none', why: 'the gateway is plain http (an unsecured cluster)' };
  if (settings.certificate) return { kind: 'certificate', why: 'the certificate input is set' };
  try {
    const azure = pickAzureAuth(settings, env);
    return {
      kind: 'entra',
      why: `an Azure credential is configured (${azure.kind}: ${azure.why})`,
    };
  } catch (error) {
    if (!(error instanceof SignInError)) throw error;
  }
  throw new SignInError(
    'auth: auto found no credential for the Service Fabric gateway.',
    'Set certificate (an admin client certificate, PEM or base64 PFX, from a secret) for a certificate-secured cluster, or client-id and tenant-id (OIDC), azure/login or AZURE_* variables for an Entra-secured cluster.',
  );
}

/** Signs in, sets up TLS trust, and returns a client for the gateway. */
export async function connectServiceFabric(
  settings: CancelFaultSettings,
  options: ConnectOptions,
): Promise<ServiceFabricClient> {
  const { kind, why } = pickGatewayAuth(settings, options.runner.env);
  const https = settings.gatewayUrl.startsWith('https:');
  if (settings.certificatePassword) options.runner.mask(settings.certificatePassword);
  const certificate =
    kind !== 'none' && settings.certificate
      ? parseClientCertificate(settings.certificate, settings.certificatePassword)
      : undefined;
  for (const secret of certificate?.secrets ?? []) options.runner.mask(secret);
  if (kind === 'none' && settings.certificate)
    options.warn('auth is none: the certificate input is not used.');
  if (!https) {
    options.warn(
      `The gateway ${settings.gatewayUrl} is plain http: nothing is encrypted or authenticated. Use it only for local or test clusters.`,
    );
  }
  const auth = `auth ${settings.auth === 'auto' ? `auto picked ${kind}: ${why}` : kind}`;
  if (kind === 'certificate')
    options.log(`Signing in with the ${certificate?.description}; ${auth}.`);
  if (kind === 'none') options.log(`Calling the gateway without credentials; ${auth}.`);
  const trust = https ? serverTrust(settings, options) : undefined;
  const tls = trust?.tls;
  // What the client is handed: no settings, nothing it could reach back through.
  const gateway: ServiceFabricClientOptions = {
    gatewayUrl: settings.gatewayUrl,
    transport: options.transport(
      certificate ? { ...tls, ...certificate.options } : tls,
      trust?.checkServer,
    ),
    auth: kind,
    timeouts: options.requestTimeouts,
  };
  if (kind !== 'entra') return new ServiceFabricClient(gateway);
  const bearer = await signInWithEntra(new ServiceFabricClient(gateway), settings, options, auth);
  return new ServiceFabricClient({ ...gateway, bearer });
}

/**
 * How the gateway is trusted. Pins are checked on every connection, direct or through the
 * proxy's tunnel, before a request is written on it; a CA bundle replaces the trusted roots.
 */
function serverTrust(
  settings: CancelFaultSettings,
  options: ConnectOptions,
): { tls: GatewayTls | undefined; checkServer?: ServerCheck } {
  const caBundle = settings.caCertificate ? parseCaBundle(settings.caCertificate) : [];
  if (settings.serverCertThumbprints.length > 0) {
    const checkServer = pinnedServerCheck(
      settings.gatewayUrl,
      settings.serverCertThumbprints,
      (server) =>
        options.log(
          `The server certificate (${server.subject.replace(/\n/g, ', ')}, SHA-256 ${thumbprintsOf(server).sha256}) matches server-cert-thumbprint; every connection is checked against the pin.`,
        ),
    );
    return { tls: undefined, checkServer };
  }
  if (caBundle.length > 0) {
    options.log(`The server certificate must chain to ca-certificate (${caBundle.length} CA).`);
    return { tls: { ca: caBundle } };
  }
  options.log(
    'The server certificate must chain to a trusted root (system roots and NODE_EXTRA_CA_CERTS).',
  );
  return { tls: undefined };
}

/**
 * The Entra sign-in of an Entra-secured cluster: the anonymous client reads which cluster
 * application to ask tokens for, then one token is fetched up front.
 */
async function signInWithEntra(
  anonymous: ServiceFabricClient,
  settings: CancelFaultSettings,
  options: ConnectOptions,
  auth: string,
): Promise<{ tokens: TokenSource; scope: string }> {
  const metadata = await anonymous.aadMetadata();
  if (!metadata) {
    throw new ActionError(
      `The cluster at ${settings.gatewayUrl} is not secured with Entra ID (GET /$/GetAadMetadata names no cluster application), so an Azure sign-in cannot be used.`,
      'Use auth: certificate with an admin client certificate (certificate input).',
    );
  }
  refuseForeignAudience(metadata.cluster, settings);
  const login = await signIn(settings, options.runner, options.signal);
  const scope = `${metadata.cluster}/.default`;
  options.log(
    `${login.description.replace(/\.$/, '')}; ${auth}. The cluster uses Entra ID: requesting tokens for ${scope}.`,
  );
  // Fail here, with the sign-in's own message, rather than on the first call.
  await raceAbort(login.tokens.getToken(scope), options.signal);
  return { tokens: login.tokens, scope };
}

/** Resources whose tokens open far more than one cluster: Azure management and the Graph APIs. */
const FOREIGN_AUDIENCE_HOSTS = [
  'management.azure.com',
  'management.core.windows.net',
  'management.usgovcloudapi.net',
  'management.core.usgovcloudapi.net',
  'management.chinacloudapi.cn',
  'management.core.chinacloudapi.cn',
  'graph.microsoft.com',
  'graph.windows.net',
  'graph.microsoft.us',
  'dod-graph.microsoft.us',
  'graph.usgovcloudapi.net',
  'microsoftgraph.chinacloudapi.cn',
  'graph.chinacloudapi.cn',
];
/** The same resources by application id: ARM, Microsoft Graph, Azure AD Graph. */
const FOREIGN_AUDIENCE_IDS = [
  '797f4846-ba00-4fd7-ba43-dac1f8f63013',
  '00000003-0000-0000-c000-000000000000',
  '00000002-0000-0000-c000-000000000000',
];

/**
 * The gateway names the audience of the token it wants (GetAadMetadata's `cluster`). Anyone who
 * answers for the gateway can name any audience; a token for Azure management or Graph would
 * open everything the identity can reach, so only a cluster application is accepted.
 */
export function refuseForeignAudience(
  audience: string,
  settings: Pick<CancelFaultSettings, 'endpoints' | 'gatewayUrl'>,
): void {
  const normalised = audience.trim().toLowerCase();
  const host = hostOfAudience(normalised);
  const own = [settings.endpoints.armEndpoint, settings.endpoints.audience]
    .map((value) => hostOfAudience(value.toLowerCase()))
    .filter((value) => value !== undefined);
  const foreign =
    FOREIGN_AUDIENCE_IDS.includes(normalised) ||
    (host !== undefined &&
      (own.includes(host) ||
        FOREIGN_AUDIENCE_HOSTS.some((known) => host === known || host.endsWith(`.${known}`))));
  if (!foreign) return;
  throw new ActionError(
    `The gateway ${settings.gatewayUrl} asked for a token for ${clip(audience, 100)} (GetAadMetadata), which is an Azure management or Graph resource, not a Service Fabric cluster application; no token was requested.`,
    'A real cluster names its own Entra application. Check that cluster is the right gateway and that nothing intercepts the connection (pin it with server-cert-thumbprint or ca-certificate).',
  );
}

function hostOfAudience(value: string): string | undefined {
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//.test(value) ? value : `https://${value}`);
    return url.hostname.replace(/\.$/, '') || undefined;
  } catch {
    return undefined;
  }
}
