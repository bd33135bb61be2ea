import type { OutgoingHttpHeaders } from 'node:http';
import type { RequestOptions as TlsRequestOptions } from 'node:https';
import { HttpClient } from '@actions/http-client';
import { TransportError } from './errors.ts';
import { headerValue, withRetries, type AttemptOutcome, type RetryPolicy } from './retry.ts';
import { raceAbort } from './timing.ts';
import { isUntrustedCertificate, trustFix, untrustedMessage } from './trust.ts';

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  url: string;
}

export interface RetryNotice {
  method: string;
  url: string;
  reason: string;
  delayMs: number;
  attempt: number;
}

/** Counts kept for the summary. */
export interface CallStats {
  requests: number;
  retries: number;
}

/** One request as it went, for the debug log: never a header value but the ids, never a query secret. */
export interface AttemptRecord {
  method: string;
  url: string;
  /** The status, or the socket error's code when there was no answer. */
  result: string;
  ms: number;
  requestId: string | undefined;
  clientRequestId: string | undefined;
  /** `final`, or when and why it goes again. */
  decision: string;
}

export interface TransportOptions {
  userAgent: string;
  policy: RetryPolicy;
  signal: AbortSignal;
  stats: CallStats;
  onRetry(notice: RetryNotice): void;
  /** Told about every request once its fate is known (debug logging). */
  onAttempt?: ((record: AttemptRecord) => void) | undefined;
  timeouts?: RequestTimeouts | undefined;
  /** TLS settings applied to every request (client certificate, trust, pinning). */
  tls?: TlsRequestOptions;
}

export interface RequestTimeouts {
  readMs: number;
  writeMs: number;
}

/**
 * How long one request may go unanswered. Reads stay short and writes may take up to ARM's own
 * 60 s (it answers 504 after that); a short overall `timeout` shortens both, so a stalled request
 * still leaves time to try again.
 */
export function requestTimeouts(totalTimeoutMs: number): RequestTimeouts {
  const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));
  return {
    readMs: clamp(totalTimeoutMs / 4, 5_000, 30_000),
    writeMs: clamp(totalTimeoutMs / 2, 10_000, 65_000),
  };
}

/**
 * HTTP with the one retry policy: every call of the action goes through `send`, which retries
 * transient failures and returns the final answer, whatever its status.
 */
export class Transport {
  private readonly reads: HttpClient;
  private readonly writes: HttpClient;
  private readonly options: TransportOptions;

  constructor(options: TransportOptions) {
    this.options = options;
    const timeouts = options.timeouts ?? requestTimeouts(Infinity);
    this.reads = this.createClient(timeouts.readMs);
    this.writes = this.createClient(timeouts.writeMs);
  }

  private createClient(socketTimeout: number): HttpClient {
    const tls = this.options.tls;
    const handlers = tls
      ? [
          {
            prepareRequest: (request: OutgoingHttpHeaders | object) => Object.assign(request, tls),
            canHandleAuthentication: () => false,
            handleAuthentication: () => Promise.reject(new Error('not supported')),
          },
        ]
      : [];
    return new HttpClient(this.options.userAgent, handlers, {
      socketTimeout,
      keepAlive: true,
      allowRetries: false,
      allowRedirects: false,
    });
  }

  async send(
    method: 'GET' | 'POST',
    url: string,
    body: string | undefined,
    headers: () => Promise<OutgoingHttpHeaders>,
  ): Promise<HttpResult> {
    const { policy, signal, stats } = this.options;
    let pending: Omit<AttemptRecord, 'decision'> | undefined;
    const report = (decision: string) => {
      if (pending) this.options.onAttempt?.({ ...pending, decision });
      pending = undefined;
    };
    const last = await withRetries(
      async () => {
        const sent = await raceAbort(headers(), signal);
        const started = Date.now();
        const outcome = await this.attempt(method, url, body, sent);
        pending = {
          method,
          url,
          result:
            outcome.kind === 'response'
              ? String(outcome.result.status)
              : (outcome.code ?? outcome.message),
          ms: Date.now() - started,
          requestId:
            outcome.kind === 'response'
              ? plainId(headerValue(outcome.result.headers, 'x-ms-request-id'))
              : undefined,
          clientRequestId: headerText(sent['x-ms-client-request-id']),
        };
        return {
          outcome:
            outcome.kind === 'response'
              ? { kind: 'response' as const, ...outcome.result }
              : outcome,
          value: outcome,
        };
      },
      {
        policy,
        signal,
        onRetry: (decision, retry) => {
          report(`retry ${retry} in ${(decision.delayMs / 1000).toFixed(1)}s (${decision.reason})`);
          stats.retries++;
          this.options.onRetry({
            method,
            url,
            reason: decision.reason,
            delayMs: decision.delayMs,
            attempt: retry,
          });
        },
      },
    );
    report('final');
    if (last.value.kind === 'response') return last.value.result;
    const { code, message } = last.value;
    const retried = last.retries ? ` (after ${last.retries} retries)` : '';
    if (code !== undefined && isUntrustedCertificate(code)) {
      throw new TransportError(
        `${method} ${displayUrl(url)} failed: ${untrustedMessage(url, code)}${retried}`,
        trustFix(url),
      );
    }
    throw new TransportError(
      `${method} ${displayUrl(url)} failed: ${message}${retried}`,
      'Check that the endpoint is reachable from the runner (proxy, firewall, DNS).',
    );
  }

  private async attempt(
    method: 'GET' | 'POST',
    url: string,
    body: string | undefined,
    headers: OutgoingHttpHeaders,
  ): Promise<
    { kind: 'response'; result: HttpResult } | Extract<AttemptOutcome, { kind: 'error' }>
  > {
    this.options.stats.requests++;
    const client = method === 'GET' ? this.reads : this.writes;
    try {
      const response = await raceAbort(
        client.request(method, url, body ?? null, headers),
        this.options.signal,
      );
      const text = await raceAbort(response.readBody(), this.options.signal);
      return {
        kind: 'response',
        result: {
          status: response.message.statusCode ?? 0,
          headers: response.message.headers,
          text,
          url,
        },
      };
    } catch (error) {
      if (this.options.signal.aborted) throw error;
      return { kind: 'error', code: errorCode(error), message: errorText(error) };
    }
  }

  /** Closes kept-alive sockets so the process can end as soon as its work is done. */
  dispose(): void {
    this.reads.dispose();
    this.writes.dispose();
  }
}

function errorCode(error: unknown): string | undefined {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code) return code;
    if (error.message.startsWith('Request timeout')) return 'REQUEST_TIMEOUT';
  }
  return undefined;
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message.startsWith('Request timeout')) return 'no answer within the request timeout';
  return error.message;
}

/** An id from a header as it may be printed: a short plain token, or nothing (it is service text). */
export function plainId(value: string | undefined): string | undefined {
  return value && /^[\w.:-]{1,100}$/.test(value) ? value : undefined;
}

function headerText(value: OutgoingHttpHeaders[string]): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * Query parameters that are safe to show. Everything else is shown as `name=***`: polling URLs
 * carry signatures (`t`, `c`, `s`, `h`; SAS-style `sig`, `se`, `skoid`, ...) that must not reach a log.
 */
const SHOWN_QUERY_PARAMETERS = new Set([
  'api-version',
  'operationid',
  'force',
  'timeout',
  'typefilter',
  'statefilter',
]);

/** Path and query of a URL for the debug log, with every query value but the known-safe ones hidden. */
export function debugPath(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(unreadable URL)';
  }
  const query = [...parsed.searchParams.keys()]
    .filter((name, index, all) => all.indexOf(name) === index)
    .map((name) =>
      SHOWN_QUERY_PARAMETERS.has(name.toLowerCase())
        ? `${name}=${parsed.searchParams.get(name) ?? ''}`
        : `${name}=***`,
    );
  return `${parsed.pathname}${query.length ? `?${query.join('&')}` : ''}`;
}

/** One debug line per request: method, path, status, time, ids, what happens next. */
export function formatAttempt(record: AttemptRecord): string {
  const ids = [
    record.requestId ? `x-ms-request-id ${record.requestId}` : 'no x-ms-request-id',
    record.clientRequestId ? `x-ms-client-request-id ${record.clientRequestId}` : '',
  ].filter(Boolean);
  return `HTTP ${record.method} ${debugPath(record.url)} -> ${record.result} in ${record.ms} ms; ${ids.join('; ')}; ${record.decision}`;
}

/** A URL without its query, for messages. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url;
  }
}
