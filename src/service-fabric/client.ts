// The Service Fabric HTTP gateway's calls: the two fault-operation calls cancel-fault makes and
// the anonymous metadata read, with Service Fabric's errors made readable. Choosing the credential
// and the TLS trust is connection.ts's job; this client is handed a transport and a token source.
import { isRecord, parseJson } from '../base/json.ts';
import { ActionError, ServiceError, TransportError } from '../base/errors.ts';
import { displayUrl, type HttpResult, type Transport } from '../network/http.ts';
import { clip, plainText } from '../base/format.ts';
import type { TokenSource } from '../azure/auth.ts';

const SERVICE_FABRIC_API_VERSION = '6.0';
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

export interface ServiceFabricClientOptions {
  gatewayUrl: string;
  /** The one transport of the run, with the gateway's TLS options and pins. */
  transport: Transport;
  /** How the client signs in: names what a refusal (401, 403) means. */
  auth: GatewayAuthKind;
  /** Entra ID: the token source and the cluster application's scope, asked before each call. */
  bearer?: { tokens: TokenSource; scope: string } | undefined;
  /** The transport's per-request timeouts; the server-side timeout of each call follows them. */
  timeouts?: { readMs: number; writeMs: number } | undefined;
}

/** The fault-operation calls of the gateway, with Service Fabric's errors made readable. */
export class ServiceFabricClient {
  private readonly gatewayUrl: string;
  private readonly transport: Transport;
  private readonly auth: GatewayAuthKind;
  private readonly timeouts: { readMs: number; writeMs: number };
  private readonly bearer: { tokens: TokenSource; scope: string } | undefined;

  constructor(options: ServiceFabricClientOptions) {
    this.gatewayUrl = options.gatewayUrl;
    this.transport = options.transport;
    this.auth = options.auth;
    this.timeouts = options.timeouts ?? DEFAULT_REQUEST_TIMEOUTS;
    this.bearer = options.bearer;
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
        ...(this.bearer && !anonymous
          ? { authorization: `Bearer ${await this.bearer.tokens.getToken(this.bearer.scope)}` }
          : {}),
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
    const text = plainText(result.text);
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
