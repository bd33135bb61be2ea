import http, { type Agent, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { TransportError, errorMessage } from '../base/errors.ts';
import { Connections, codedError, type ConnectionSettings, type ServerCheck } from './proxy.ts';
import { withRetries, type AttemptOutcome, type RetryPolicy } from './retry.ts';
import { raceAbort } from '../waiting/timing.ts';
import { isUntrustedCertificate, trustFix, untrustedMessage } from './trust.ts';
import { headerValue } from './headers.ts';
import type { RequestBudget } from './budget.ts';

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
  tls?: ConnectionSettings['tls'];
  /** Checks the server of every new connection before a request is written (pins). */
  checkServer?: ServerCheck | undefined;
  /** Paces requests per subscription below ARM's limits (every attempt, retries included). */
  budget?: RequestBudget | undefined;
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
 * The largest answer the action reads. ARM's answers are a few kB; the largest is a command's
 * result, whose logs AKS caps at 512 kB, which JSON escaping can grow up to six-fold (\u00XX
 * for control bytes): 3 MB. 8 MiB leaves room above that and stops a runaway answer early.
 */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * HTTP with the one retry policy: every call of the action goes through `send`, which retries
 * transient failures and returns the final answer, whatever its status. Connections go through
 * the proxy when one applies, with the transport's TLS settings on the tunnelled socket.
 */
export class Transport {
  private readonly connections: Connections;
  private readonly timeouts: RequestTimeouts;
  private readonly options: TransportOptions;

  constructor(options: TransportOptions) {
    this.options = options;
    this.timeouts = options.timeouts ?? requestTimeouts(Infinity);
    this.connections = new Connections({
      tls: options.tls,
      checkServer: options.checkServer,
      connectTimeoutMs: this.timeouts.readMs,
    });
  }

  async send(
    method: 'GET' | 'POST',
    url: string,
    body: string | undefined,
    headers: () => Promise<OutgoingHttpHeaders>,
    /** Told about this call's retries instead of the transport's own listener (one cluster's log). */
    onRetry: (notice: RetryNotice) => void = this.options.onRetry,
  ): Promise<HttpResult> {
    const { policy, signal, stats } = this.options;
    let pending: Omit<AttemptRecord, 'decision'> | undefined;
    const report = (decision: string) => {
      if (pending) this.options.onAttempt?.({ ...pending, decision });
      pending = undefined;
    };
    const last = await withRetries(
      async () => {
        await this.options.budget?.take(method, url, signal);
        const sent = await raceAbort(headers(), signal);
        const started = Date.now();
        const outcome = await this.attempt(method, url, body, sent);
        if (outcome.kind === 'response')
          this.options.budget?.observe(method, url, outcome.result.status, outcome.result.headers);
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
          onRetry({
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
      fixForTransportError(code),
      code,
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
    const target = new URL(url);
    try {
      const result = await exchange({
        url: target,
        method,
        body,
        headers: { ...headers, 'user-agent': this.options.userAgent },
        agent: this.connections.agentFor(target),
        deadlineMs: method === 'GET' ? this.timeouts.readMs : this.timeouts.writeMs,
        signal: this.options.signal,
      });
      return { kind: 'response', result };
    } catch (error) {
      if (this.options.signal.aborted) throw this.options.signal.reason;
      return { kind: 'error', code: errorCode(error), message: errorMessage(error) };
    }
  }

  /** Closes kept-alive sockets so the process can end as soon as its work is done. */
  dispose(): void {
    this.connections.destroy();
  }
}

function fixForTransportError(code: string | undefined): string {
  if (code === 'EPROXYAUTH')
    return "This is a proxy problem: check the user and password in HTTPS_PROXY (http://user:password@host:port, URL-encoded), or ask the proxy's owners whether the runner may use it.";
  if (code?.startsWith('EPROXY'))
    return 'This is a proxy problem: check HTTPS_PROXY and NO_PROXY, and that the proxy lets the runner reach this host and port.';
  return 'Check that the endpoint is reachable from the runner (proxy, firewall, DNS).';
}

interface Exchange {
  url: URL;
  method: 'GET' | 'POST';
  body: string | undefined;
  headers: OutgoingHttpHeaders;
  agent: Agent;
  /** The whole exchange (connection, answer and body) must be done within this. */
  deadlineMs: number;
  signal: AbortSignal;
}

/**
 * One request and its whole answer. Settles exactly once: with the answer once its body has
 * ended, or with an error when the connection fails, the body is cut off (`aborted`, `error`,
 * or `close` before the end: a dropped connection, retried as such), the body outgrows
 * MAX_BODY_BYTES, or the deadline passes. Its timer keeps the process alive while it waits.
 */
export function exchange(options: Exchange): Promise<HttpResult> {
  const { url, method, body, signal } = options;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method,
      agent: options.agent,
      headers: {
        ...options.headers,
        ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }),
      },
    });
    let settled = false;
    const finish = (outcome: Error | HttpResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (outcome instanceof Error) {
        request.destroy();
        reject(outcome);
      } else resolve(outcome);
    };
    const timer = setTimeout(
      () =>
        finish(
          codedError(
            'REQUEST_TIMEOUT',
            `no complete answer within the request timeout (${Math.round(options.deadlineMs / 1000)} s)`,
          ),
        ),
      options.deadlineMs,
    );
    const onAbort = () => finish(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    request.on('error', (error) => finish(error));
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const cut = () =>
        codedError('ERR_BODY_CUT', 'the connection closed before the whole answer arrived');
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          finish(
            codedError(
              'ERR_BODY_TOO_LARGE',
              `the answer is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB, more than the service ever sends`,
            ),
          );
        } else chunks.push(chunk);
      });
      response.on('end', () =>
        finish({
          status: response.statusCode ?? 0,
          headers: response.headers,
          text: Buffer.concat(chunks).toString('utf8'),
          url: url.href,
        }),
      );
      response.on('aborted', () => finish(cut()));
      response.on('error', () => finish(cut()));
      response.on('close', () => finish(cut()));
    });
    request.end(body);
  });
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
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
