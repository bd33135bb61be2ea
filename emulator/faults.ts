import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Exchange, readBody, send } from './http.ts';
import type { Fault, FaultRule } from './types.ts';

interface ActiveRule {
  rule: FaultRule;
  seen: number;
  hits: number;
}

const DEFAULT_CODES: Record<number, string> = {
  400: 'BadRequest',
  401: 'InvalidAuthenticationToken',
  403: 'AuthorizationFailed',
  404: 'NotFound',
  408: 'RequestTimeout',
  409: 'Conflict',
  429: 'SubscriptionRequestsThrottled',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

export class FaultBook {
  #rules: ActiveRule[] = [];

  inject(rule: FaultRule): void {
    this.#rules.push({ rule, seen: 0, hits: 0 });
  }

  clear(): void {
    this.#rules = [];
  }

  /** Every matching live rule counts the request; the first one past its skip fires. */
  take(kind: string, cluster: string | undefined): Fault | undefined {
    for (const active of this.#rules) {
      const { rule } = active;
      if (active.hits >= (rule.times ?? 1)) continue;
      if (rule.kind !== undefined && rule.kind !== kind) continue;
      if (rule.cluster !== undefined && rule.cluster.toLowerCase() !== cluster?.toLowerCase())
        continue;
      active.seen += 1;
      if (active.seen <= (rule.skip ?? 0)) continue;
      active.hits += 1;
      return rule.fault;
    }
    return undefined;
  }
}

export function describeFault(fault: Fault): string {
  if ('echoRequest' in fault) return `echoRequest:${fault.echoRequest}`;
  if ('status' in fault) return `status:${fault.status}`;
  if ('drop' in fault) return `drop:${fault.drop}`;
  if ('delayMs' in fault) return `delay:${fault.delayMs}`;
  if ('expireToken' in fault) return 'expireToken';
  if ('cut' in fault) return `cut:${fault.cut}`;
  if ('rewriteLocation' in fault) return 'rewriteLocation';
  if ('deleteCluster' in fault) return 'deleteCluster';
  return 'moveLocation';
}

export interface FaultHooks {
  /** Answers 401 ExpiredAuthenticationToken the way the server would. */
  expired: (ex: Exchange) => void;
  /** Deletes the cluster the request is about, if the server has clusters and it exists. */
  deleteCluster: (ex: Exchange) => void;
}

/** Applies a fault; true when the request has been dealt with, false when it should be routed as usual. */
export async function applyFault(ex: Exchange, fault: Fault, hooks: FaultHooks): Promise<boolean> {
  if ('drop' in fault) {
    ex.record.status = 0;
    if (fault.drop === 'reset') resetConnection(ex.req.socket);
    else ex.req.socket.destroy();
    return true;
  }
  if ('delayMs' in fault) {
    // A client that gives up ends the wait: a long delay must not outlive the exchange.
    const gone = new AbortController();
    ex.res.once('close', () => gone.abort());
    try {
      await sleep(fault.delayMs, undefined, { signal: gone.signal });
    } catch {
      return true;
    }
    return false;
  }
  if ('expireToken' in fault) {
    hooks.expired(ex);
    return true;
  }
  if ('cut' in fault) {
    ex.cut = fault;
    return false;
  }
  if ('rewriteLocation' in fault) {
    ex.rewriteLocation = fault.rewriteLocation;
    return false;
  }
  if ('echoRequest' in fault) {
    await echoRequest(ex, fault.echoRequest);
    return true;
  }
  if ('deleteCluster' in fault) {
    hooks.deleteCluster(ex);
    return false;
  }
  if ('moveLocation' in fault) {
    ex.moveLocation = fault.origin ?? true;
    return false;
  }
  sendFaultStatus(ex, fault);
  return true;
}

/** A careless service that quotes the request back in its error: headers (the bearer token) and body. */
async function echoRequest(ex: Exchange, status: number): Promise<void> {
  const body = (await readBody(ex.req, 8 * 1024 * 1024))?.toString('utf8') ?? '';
  const message = `Could not process the request. Headers: ${JSON.stringify(ex.req.headers)}; body: ${body}`;
  const code = DEFAULT_CODES[status] ?? `Http${status}`;
  if (ex.record.server === 'entra') {
    send(ex, status, {
      error: 'invalid_request',
      error_description: `AADSTS90000: ${message}`,
      error_codes: [90000],
    });
  } else if (ex.record.server === 'oidc') send(ex, status, { message });
  else send(ex, status, { error: { code, message } });
}

// A TLS socket cannot send RST itself; the raw TCP socket underneath it (a private field) can.
function resetConnection(socket: Socket): void {
  const raw = (socket as Socket & { _parent?: Socket })._parent ?? socket;
  try {
    raw.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

function sendFaultStatus(ex: Exchange, fault: Extract<Fault, { status: number }>): void {
  const headers: Record<string, string> = {};
  if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
  if (fault.contentType !== undefined) headers['content-type'] = fault.contentType;
  const code = fault.code ?? DEFAULT_CODES[fault.status] ?? `Http${fault.status}`;
  const body = fault.body ?? defaultBody(ex, fault.status, code);
  send(ex, fault.status, body, headers);
}

function defaultBody(ex: Exchange, status: number, code: string): unknown {
  const message = `Injected fault: HTTP ${status} ${code}.`;
  if (ex.record.server === 'entra')
    return { error: code, error_description: `AADSTS50000: ${message}`, error_codes: [50000] };
  if (ex.record.server === 'oidc') return { message };
  return { error: { code, message } };
}
