import type { OutgoingHttpHeaders } from 'node:http';
import type { RequestOptions as TlsRequestOptions } from 'node:https';
import { HttpClient } from '@actions/http-client';
import { TransportError } from './errors.ts';
import { withRetries, type AttemptOutcome, type RetryPolicy } from './retry.ts';
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

export interface TransportOptions {
  userAgent: string;
  policy: RetryPolicy;
  signal: AbortSignal;
  stats: CallStats;
  onRetry(notice: RetryNotice): void;
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
    const last = await withRetries(
      async () => {
        const outcome = await this.attempt(method, url, body, await raceAbort(headers(), signal));
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

/** A URL without its query, for messages. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url;
  }
}
