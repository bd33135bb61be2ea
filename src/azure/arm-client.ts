import { randomUUID } from 'node:crypto';
import { defaultScope, sameOrigin } from '../inputs/cloud.ts';
import { ActionError, ServiceError } from '../base/errors.ts';
import { isRecord, parseJson, readArmError, type ArmErrorInfo } from '../base/json.ts';
import {
  displayUrl,
  plainId,
  type HttpResult,
  type RetryNotice,
  type Transport,
} from '../network/http.ts';
import { clip, plainText } from '../base/format.ts';
import { headerValue } from '../network/headers.ts';
import type { TokenSource } from './auth.ts';

export interface ArmResponse {
  status: number;
  headers: HttpResult['headers'];
  body: unknown;
  url: string;
}

export interface ArmClientOptions {
  endpoint: string;
  /** The `.default` scope of ARM tokens; default the endpoint's own. */
  scope?: string;
  tokens: TokenSource;
  transport: Transport;
  /**
   * Sent as `x-ms-correlation-request-id` on every request of the run, so Azure support can find
   * all of them together; each attempt also gets a fresh `x-ms-client-request-id`.
   */
  correlationId: string;
  /** Told when a call goes again because the token had expired. */
  onExpiredToken?: (method: string, url: string, retry: number) => void;
  /** Told when a call goes again after a transient failure; default the transport's listener. */
  onRetry?: (notice: RetryNotice) => void;
}

const EXPIRED_TOKEN_CODES = new Set([
  'ExpiredAuthenticationToken',
  'InvalidAuthenticationTokenExpired',
]);
const EXPIRED_TOKEN_RETRIES = 3;

function isExpiredToken(result: HttpResult): boolean {
  return result.status === 401 && EXPIRED_TOKEN_CODES.has(parseArmError(result).code);
}

/** Azure Resource Manager over the shared transport: bearer token, errors as `code: message`. */
export class ArmClient {
  private readonly endpoint: string;
  private readonly scope: string;
  private readonly options: ArmClientOptions;

  constructor(options: ArmClientOptions) {
    this.options = options;
    this.endpoint = options.endpoint;
    this.scope = options.scope ?? defaultScope(options.endpoint);
  }

  /**
   * The same client (endpoint, token, transport, correlation id) telling its retries to other
   * listeners: each cluster of several keeps its retries in its own log.
   */
  reportingTo(listeners: Pick<ArmClientOptions, 'onRetry' | 'onExpiredToken'>): ArmClient {
    return new ArmClient({ ...this.options, scope: this.scope, ...listeners });
  }

  /** An absolute URL on the ARM endpoint, from a resource path or an URL the service handed out. */
  resolve(pathOrUrl: string): string {
    const url = new URL(pathOrUrl, this.endpoint);
    if (!sameOrigin(url.href, this.endpoint)) {
      // The bearer token is only ever sent to the ARM endpoint it was issued for.
      throw new ActionError(
        `The service asked the action to follow ${displayUrl(url.href)}, which is not on the ARM endpoint ${this.endpoint}; refusing to send the token there.`,
        'If you use a private cloud, set arm-endpoint to the host the service answers from.',
      );
    }
    return url.href;
  }

  /**
   * Sends one call (with retries) and returns its answer when the status is 2xx or listed in
   * `accept`; any other answer becomes a ServiceError carrying ARM's code and message.
   */
  async send(
    method: 'GET' | 'POST',
    pathOrUrl: string,
    options: { body?: unknown; accept?: readonly number[] } = {},
  ): Promise<ArmResponse> {
    const url = this.resolve(pathOrUrl);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    let result = await this.sendOnce(method, url, body);
    // A token can expire between issue and use (or by the server's clock): ask Entra for a new
    // one, past the credential's cache, which still holds the refused token.
    let retry = 1;
    for (; retry <= EXPIRED_TOKEN_RETRIES && isExpiredToken(result); retry++) {
      this.options.onExpiredToken?.(method, url, retry);
      result = await this.sendOnce(method, url, body, { fresh: true });
    }
    const ok =
      (result.status >= 200 && result.status < 300) || options.accept?.includes(result.status);
    if (!ok && retry > 1 && isExpiredToken(result)) throw clockSkewError(result, retry - 1);
    if (!ok) throw toServiceError(result);
    return { status: result.status, headers: result.headers, body: parseJson(result.text), url };
  }

  private sendOnce(
    method: 'GET' | 'POST',
    url: string,
    body: string | undefined,
    token: { fresh?: boolean } = {},
  ): Promise<HttpResult> {
    // Asked once per attempt: a retry is a new request with its own client request id.
    return this.options.transport.send(
      method,
      url,
      body,
      async () => ({
        authorization: `Bearer ${await this.options.tokens.getToken(this.scope, token)}`,
        accept: 'application/json',
        'x-ms-client-request-id': randomUUID(),
        'x-ms-correlation-request-id': this.options.correlationId,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      }),
      this.options.onRetry,
    );
  }
}

/** ARM's error body (`{"error": {code, message}}`, or the older top-level CloudError), or a stand-in. */
function parseArmError(result: Pick<HttpResult, 'status' | 'text'>): ArmErrorInfo {
  const body = parseJson(result.text);
  const error = readArmError(isRecord(body) && isRecord(body.error) ? body.error : body);
  if (error?.code) return error;
  return { code: `HTTP${result.status}`, message: describeNonJsonBody(result.text) };
}

/** ARM kept calling newly issued tokens expired: its clock and Entra's (or the runner's) disagree. */
function clockSkewError(result: HttpResult, newTokens: number): ServiceError {
  const { code, message } = parseArmError(result);
  return new ServiceError(
    result.status,
    code,
    `${message} ARM refused ${newTokens} newly issued token(s) as expired, so the clocks of ARM, Entra ID and the runner may disagree.`,
    "Check the runner's clock (timedatectl; NTP) and retry later; if it keeps happening on a hosted runner, it is a service-side clock problem to report to Azure support.",
  );
}

function toServiceError(result: HttpResult): ServiceError {
  const { code, message } = parseArmError(result);
  return new ServiceError(
    result.status,
    code,
    message,
    fixFor(result.status, code),
    requestIdOf(result.headers),
  );
}

/**
 * The codes ARM answers when the cluster itself cannot be found: its subscription, its resource
 * group or the cluster resource. Any other 404 is about what was asked of the cluster.
 */
const MISSING_CLUSTER_CODES = new Set([
  'SubscriptionNotFound',
  'ResourceGroupNotFound',
  'ResourceNotFound',
]);

/** Is the cluster itself missing (not a command result or an operation of it)? */
export function isClusterMissing(error: unknown): boolean {
  return error instanceof ServiceError && MISSING_CLUSTER_CODES.has(error.code);
}

/** ARM's id of one answer (`x-ms-request-id`), what Azure support asks for; only a plain token is kept. */
function requestIdOf(headers: HttpResult['headers']): string | undefined {
  return plainId(headerValue(headers, 'x-ms-request-id'));
}

function fixFor(status: number, code: string): string | undefined {
  if (status === 401)
    return 'The token was refused: check tenant-id and the environment (cloud) of the identity.';
  if (status === 403 || code === 'AuthorizationFailed') {
    return 'Grant the identity a role with this action on the cluster (see the README: Azure permissions).';
  }
  if (MISSING_CLUSTER_CODES.has(code)) {
    return 'Check the cluster input (subscription, resource group and name).';
  }
  if (status === 413 || code === 'RequestEntityTooLarge') {
    return 'Attach fewer or smaller files (the request body must stay under about 4 MB).';
  }
  return undefined;
}

function describeNonJsonBody(text: string): string {
  const plain = plainText(text);
  return plain === ''
    ? 'the service answered without an error body'
    : `the service answered: ${clip(plain, 200)}`;
}
