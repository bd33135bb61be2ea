// The Service Fabric HTTP gateway: sign-in (client certificate, Entra ID, or none), TLS trust,
// and the two fault-operation calls cancel-fault makes.
import { isRecord, parseJson } from '../base/json.ts';
import { pickAzureAuth, signIn, type AuthEnvironment } from '../azure/auth.ts';
import {
  ActionError,
  InputError,
  ServiceError,
  SignInError,
  TransportError,
} from '../base/errors.ts';
import { displayUrl, type HttpResult, type Transport } from '../network/http.ts';
import type { CancelFaultSettings } from '../inputs/settings.ts';
import type { ServerCheck } from '../network/proxy.ts';
import { raceAbort } from '../waiting/timing.ts';
import {
  parseCaBundle,
  parseClientCertificate,
  pinnedServerCheck,
  thumbprintsOf,
  type GatewayTls,
} from '../network/tls.ts';
import { clip } from '../base/format.ts';

export const SERVICE_FABRIC_API_VERSION = '6.0';
/** The transport's request timeouts when nothing shortens them (30 s reads, 65 s writes). */
const DEFAULT_REQUEST_TIMEOUTS = { readMs: 30_000, writeMs: 65_000 };

/**
 * The server-side `timeout` query parameter (seconds): 5 s below the client's own request timeout
 * and at most Service Fabric's default of 60, so a slow cluster answers FABRIC_E_TIMEOUT (504,
 * retried) before the client gives up on the socket. 60 for a cancel (65 s writes), 25 for the
 * list (30 s reads).
 */
export function serverTimeoutSeconds(requestTimeoutMs: number): number {
  return Math.max(1, Math.min(60, Math.floor(requestTimeoutMs / 1000) - 5));
}
/** Every type and every state: an absent filter is 0 and selects nothing. */
const ALL = 65535;

/** One entry of GET /Faults/. */
export interface FaultOperationEntry {
  OperationId: string;
  State: string;
  Type: string;
}

export type GatewayAuthKind = 'certificate' | 'entra' | 'none';

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
  const client = new ServiceFabricClient(
    settings.gatewayUrl,
    options.transport(certificate ? { ...tls, ...certificate.options } : tls, trust?.checkServer),
    kind,
    options.requestTimeouts ?? DEFAULT_REQUEST_TIMEOUTS,
  );
  if (kind === 'entra') await signInWithEntra(client, settings, options, auth);
  return client;
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

async function signInWithEntra(
  client: ServiceFabricClient,
  settings: CancelFaultSettings,
  options: ConnectOptions,
  auth: string,
): Promise<void> {
  const metadata = await client.aadMetadata();
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
  client.useBearer(() => login.tokens.getToken(scope));
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

/** The fault-operation calls of the gateway, with Service Fabric's errors made readable. */
export class ServiceFabricClient {
  private readonly gatewayUrl: string;
  private readonly transport: Transport;
  private readonly auth: GatewayAuthKind;
  private readonly timeouts: { readMs: number; writeMs: number };
  private bearer: (() => Promise<string>) | undefined;

  constructor(
    gatewayUrl: string,
    transport: Transport,
    auth: GatewayAuthKind,
    timeouts = DEFAULT_REQUEST_TIMEOUTS,
  ) {
    this.gatewayUrl = gatewayUrl;
    this.transport = transport;
    this.auth = auth;
    this.timeouts = timeouts;
  }

  useBearer(bearer: () => Promise<string>): void {
    this.bearer = bearer;
  }

  /**
   * POST /Faults/$/Cancel. 'accepted' only means the request was recorded; 'not-found' is
   * FABRIC_E_KEY_NOT_FOUND: the operation never existed, or has already ended.
   */
  async cancel(operationId: string, force: boolean): Promise<'accepted' | 'not-found'> {
    const query = new URLSearchParams({
      'api-version': SERVICE_FABRIC_API_VERSION,
      OperationId: operationId,
      Force: String(force),
      timeout: String(serverTimeoutSeconds(this.timeouts.writeMs)),
    });
    const result = await this.call('POST', `/Faults/$/Cancel?${query}`);
    if (result.status === 404 && serviceFabricError(result)?.code === 'FABRIC_E_KEY_NOT_FOUND')
      return 'not-found';
    this.check(result);
    return 'accepted';
  }

  /** GET /Faults/ with every type and state; the entry of `operationId`, if listed. */
  async findFault(operationId: string): Promise<FaultOperationEntry | undefined> {
    const query = new URLSearchParams({
      'api-version': SERVICE_FABRIC_API_VERSION,
      TypeFilter: String(ALL),
      StateFilter: String(ALL),
      timeout: String(serverTimeoutSeconds(this.timeouts.readMs)),
    });
    const result = this.check(await this.call('GET', `/Faults/?${query}`));
    const list = parseJson(result.text);
    if (!Array.isArray(list)) {
      throw new ActionError(
        `GET ${displayUrl(result.url)} did not answer a list of fault operations.`,
      );
    }
    const wanted = operationId.toLowerCase();
    const entry = list.find(
      (item) => isRecord(item) && String(item.OperationId).toLowerCase() === wanted,
    ) as Record<string, unknown> | undefined;
    return entry
      ? {
          ...entry,
          OperationId: String(entry.OperationId),
          State: String(entry.State),
          Type: String(entry.Type),
        }
      : undefined;
  }

  /** GET /$/GetAadMetadata (anonymous): the cluster application id of an Entra-secured cluster. */
  async aadMetadata(): Promise<{ cluster: string } | undefined> {
    const result = this.check(
      await this.call(
        'GET',
        `/$/GetAadMetadata?api-version=${SERVICE_FABRIC_API_VERSION}`,
        'anonymous',
      ),
    );
    const body = parseJson(result.text);
    const metadata = isRecord(body) && isRecord(body.metadata) ? body.metadata : undefined;
    const cluster = metadata?.cluster;
    return typeof cluster === 'string' && cluster !== '' ? { cluster } : undefined;
  }

  private async call(
    method: 'GET' | 'POST',
    pathAndQuery: string,
    anonymous?: 'anonymous',
  ): Promise<HttpResult> {
    const url = `${this.gatewayUrl}${pathAndQuery}`;
    try {
      return await this.transport.send(method, url, undefined, async () => ({
        accept: 'application/json',
        ...(this.bearer && !anonymous ? { authorization: `Bearer ${await this.bearer()}` } : {}),
      }));
    } catch (error) {
      if (error instanceof TransportError && error.code === 'ECERTPIN') {
        throw new TransportError(
          error.message,
          'If the cluster certificate was renewed, update server-cert-thumbprint (the README shows how to read it); otherwise something is intercepting the connection.',
          error.code,
        );
      }
      if (
        error instanceof TransportError &&
        /certificate|altnames|thumbprint|self.signed/i.test(error.message)
      ) {
        throw new TransportError(
          error.message,
          'The server certificate was not trusted. Pass the CA that issued it in ca-certificate, or pin it with server-cert-thumbprint (a self-signed cluster certificate); see the README.',
        );
      }
      throw error;
    }
  }

  private check(result: HttpResult): HttpResult {
    if (result.status >= 200 && result.status < 300) return result;
    throw this.toServiceError(result);
  }

  private toServiceError(result: HttpResult): ServiceError {
    const error = serviceFabricError(result);
    if (error)
      return new ServiceError(result.status, error.code, error.message, fixFor(error.code));
    if (result.status === 401 || result.status === 403) {
      const [message, fix] = REFUSED[this.auth];
      return new ServiceError(
        result.status,
        result.status === 401 ? 'Unauthorized' : 'Forbidden',
        message,
        fix,
      );
    }
    const text = result.text
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    return new ServiceError(
      result.status,
      `HTTP${result.status}`,
      text
        ? `the gateway answered: ${clip(text, 200)}`
        : 'the gateway answered without an error body',
      result.status === 404
        ? 'Check that cluster is the HTTP gateway URL, https://{host}:19080.'
        : undefined,
    );
  }
}

const REFUSED: Record<GatewayAuthKind, [string, string]> = {
  certificate: [
    'the cluster did not accept this client certificate (is it an admin certificate?)',
    "Use a certificate the cluster lists as an admin client certificate (its thumbprint or common name under the cluster's client certificates, with admin access); a read-only certificate cannot cancel faults.",
  ],
  entra: [
    'the cluster did not accept the Entra token (is the identity in the Admin role of the cluster application?)',
    "Assign the identity the Admin app role of the cluster's Entra application, or use auth: certificate.",
  ],
  none: [
    'the cluster refused an anonymous call: it is secured',
    'Set certificate (an admin client certificate) or sign in with Entra ID (auth: oidc, azure-cli or environment).',
  ],
};

/** Service Fabric's `{"Error": {"Code", "Message"}}` body, when the answer has one. */
export function serviceFabricError(
  result: Pick<HttpResult, 'text'>,
): { code: string; message: string } | undefined {
  const body = parseJson(result.text);
  const error = isRecord(body) && isRecord(body.Error) ? body.Error : undefined;
  if (typeof error?.Code !== 'string') return undefined;
  return { code: error.Code, message: typeof error.Message === 'string' ? error.Message : '' };
}

function fixFor(code: string): string | undefined {
  switch (code) {
    case 'FABRIC_E_FAULT_ANALYSIS_SERVICE_NOT_ENABLED':
      return 'Enable the Fault Analysis Service in the cluster configuration (addOnFeatures: FaultAnalysisService).';
    case 'FABRIC_E_INVALID_TEST_COMMAND_STATE':
      return 'A forced cancel needs a graceful one first, and no graceful cancel is accepted after a forced one: check whether another job cancels the same operation.';
    case 'FABRIC_E_INVALID_ARGUMENT':
      return 'Check operation-id (a UUID).';
    default:
      return undefined;
  }
}
