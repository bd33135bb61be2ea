// Connections of the action's own transport (ARM and the Service Fabric gateway): direct, or
// through the proxy of HTTPS_PROXY / HTTP_PROXY (NO_PROXY honoured), with the TLS settings and
// the server check applied to the TLS socket that runs inside the proxy's tunnel. One path for
// every connection, so a pin is checked on the very socket the requests then use.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { getProxyUrl } from '@actions/http-client';

/**
 * The proxy for a URL, by the rules GitHub's own clients use (@actions/http-client: https_proxy
 * or HTTPS_PROXY for https, http_proxy or HTTP_PROXY for http, NO_PROXY, loopback never
 * proxied), so the OIDC token request and every other call of the action agree.
 */
export function proxyFor(url: string): URL | undefined {
  const proxy = getProxyUrl(url);
  return proxy ? new URL(proxy) : undefined;
}

/** The passwords in the proxy variables (as written and decoded), to register as secrets. */
export function proxyPasswords(env: (name: string) => string): string[] {
  const passwords = new Set<string>();
  for (const name of ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY']) {
    const value = env(name);
    if (!value) continue;
    try {
      const { password } = new URL(value.includes('://') ? value : `http://${value}`);
      if (password) {
        passwords.add(password);
        passwords.add(decodeURIComponent(password));
      }
    } catch {
      // Not a URL: the proxy code ignores it too.
    }
  }
  return [...passwords];
}

/** A proxy for messages: its origin only, never the user or password of the URL. */
export function describeProxy(proxy: URL, target: 'https' | 'http' = 'https'): string {
  return `the proxy ${proxy.protocol}//${proxy.host} (${target === 'https' ? 'HTTPS_PROXY' : 'HTTP_PROXY'})`;
}

/**
 * Whether the proxy for `url` lets a tunnel to it through: its refusal (407, an unreachable
 * proxy, …) said as a proxy problem, or undefined when there is no proxy or it lets through.
 * For failures of libraries that hide the proxy's answer (the Entra sign-in).
 */
export async function proxyRefusalFor(
  url: string,
  signal?: AbortSignal,
  timeoutMs = 10_000,
): Promise<Error | undefined> {
  const proxy = proxyFor(url);
  if (!proxy) return undefined;
  const target = new URL(url);
  const scheme = target.protocol === 'https:' ? 'https' : 'http';
  const port = Number(target.port || (scheme === 'https' ? 443 : 80));
  const host = target.hostname.replace(/^\[|\]$/g, '');
  try {
    const deadline = AbortSignal.timeout(timeoutMs);
    const stop = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const socket = await openTunnel(proxy, { host, port, scheme }, stop);
    socket.destroy();
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code?.startsWith('EPROXY') || /proxy/.test(String(error)) ? (error as Error) : undefined;
  }
}

/** Judges the server of a fresh TLS connection before any request is written on it. */
export type ServerCheck = (socket: tls.TLSSocket) => Error | undefined;

export interface ConnectionSettings {
  /** TLS options for the server (client certificate, CA bundle, …). */
  tls?: tls.ConnectionOptions | undefined;
  /** Extra check of every new TLS connection (pins); failing it closes the connection unused. */
  checkServer?: ServerCheck | undefined;
  /** How long opening one connection (proxy tunnel and TLS handshake included) may take. */
  connectTimeoutMs: number;
}

/** An error with a Node-style `code`, so the retry policy can judge it. */
export function codedError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

interface Target {
  host: string;
  port: number;
  scheme: 'https' | 'http';
}

type ConnectCallback = (error: Error | null, socket?: Duplex) => void;
type AgentOptions = http.ClientRequestArgs & tls.ConnectionOptions;

/** Agents for one transport: one per target protocol and proxy, created on first use. */
export class Connections {
  private readonly settings: ConnectionSettings;
  private readonly agents = new Map<string, http.Agent>();

  constructor(settings: ConnectionSettings) {
    this.settings = settings;
  }

  agentFor(url: URL): http.Agent {
    const proxy = proxyFor(url.href);
    const key = `${url.protocol}|${proxy?.href ?? 'direct'}`;
    let agent = this.agents.get(key);
    if (!agent) {
      agent =
        url.protocol === 'https:'
          ? new TlsAgent(this.settings, proxy)
          : new PlainAgent(this.settings, proxy);
      this.agents.set(key, agent);
    }
    return agent;
  }

  destroy(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

class TlsAgent extends https.Agent {
  private readonly settings: ConnectionSettings;
  private readonly proxy: URL | undefined;

  constructor(settings: ConnectionSettings, proxy: URL | undefined) {
    super({ keepAlive: true, ...settings.tls });
    this.settings = settings;
    this.proxy = proxy;
  }

  override createConnection(options: AgentOptions, callback: ConnectCallback): undefined {
    connectThrough(this.settings, this.proxy, options, callback, 'https');
    return undefined;
  }
}

class PlainAgent extends http.Agent {
  private readonly settings: ConnectionSettings;
  private readonly proxy: URL | undefined;

  constructor(settings: ConnectionSettings, proxy: URL | undefined) {
    super({ keepAlive: true });
    this.settings = settings;
    this.proxy = proxy;
  }

  override createConnection(options: AgentOptions, callback: ConnectCallback): undefined {
    connectThrough(this.settings, this.proxy, options, callback, 'http');
    return undefined;
  }
}

/**
 * Opens an agent's connection within the connect timeout: through the proxy's tunnel when there
 * is a proxy, then for https the TLS handshake with the server check (pins) on it.
 */
function connectThrough(
  settings: ConnectionSettings,
  proxy: URL | undefined,
  options: AgentOptions,
  callback: ConnectCallback,
  scheme: Target['scheme'],
): void {
  const target: Target = {
    host: hostOf(options),
    port: Number(options.port ?? (scheme === 'https' ? 443 : 80)),
    scheme,
  };
  const timer = connectTimer(settings.connectTimeoutMs, target, callback);
  openTunnel(proxy, target, timer.signal)
    .then((tunnel): Duplex | Promise<Duplex> =>
      scheme === 'https' ? secure(tunnel, options, settings.checkServer, timer.signal) : tunnel,
    )
    .then(
      (socket) => timer.done(null, socket),
      (error: Error) => timer.done(error),
    );
}

function hostOf(options: AgentOptions): string {
  return (options.host ?? options.hostname ?? 'localhost').replace(/^\[|\]$/g, '');
}

/** Settles the agent's callback once: with the socket, an error, or a timeout. */
function connectTimer(
  timeoutMs: number,
  target: Target,
  callback: ConnectCallback,
): { signal: AbortSignal; done: ConnectCallback } {
  const controller = new AbortController();
  let settled = false;
  const timer = setTimeout(() => {
    const error = codedError(
      'ETIMEDOUT',
      `no connection to ${target.host}:${target.port} within ${Math.round(timeoutMs / 1000)} s`,
    );
    controller.abort(error);
    done(error);
  }, timeoutMs);
  const done: ConnectCallback = (error, socket) => {
    clearTimeout(timer);
    if (settled) {
      socket?.destroy();
      return;
    }
    settled = true;
    if (error) callback(error);
    else callback(null, socket);
  };
  return { signal: controller.signal, done };
}

/** A TCP connection to the target: direct, or a CONNECT tunnel through the proxy. */
function openTunnel(proxy: URL | undefined, target: Target, signal: AbortSignal): Promise<Duplex> {
  if (!proxy) return connectDirect(target, signal);
  return new Promise((resolve, reject) => {
    const authority = target.host.includes(':')
      ? `[${target.host}]:${target.port}`
      : `${target.host}:${target.port}`;
    const credentials =
      proxy.username || proxy.password
        ? `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`
        : undefined;
    const request = (proxy.protocol === 'https:' ? https : http).request({
      host: proxy.hostname.replace(/^\[|\]$/g, ''),
      port: Number(proxy.port || (proxy.protocol === 'https:' ? 443 : 80)),
      method: 'CONNECT',
      path: authority,
      headers: {
        host: authority,
        ...(credentials
          ? { 'proxy-authorization': `Basic ${Buffer.from(credentials).toString('base64')}` }
          : {}),
      },
      agent: false,
    });
    const onAbort = () => request.destroy(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    request.once('connect', (response, socket) => {
      signal.removeEventListener('abort', onAbort);
      const status = response.statusCode ?? 0;
      if (status === 200) return resolve(socket);
      socket.destroy();
      reject(proxyRefusal(proxy, status, authority, target.scheme));
    });
    request.once('error', (error: NodeJS.ErrnoException) => {
      signal.removeEventListener('abort', onAbort);
      reject(
        signal.aborted
          ? (signal.reason as Error)
          : codedError(
              error.code ?? 'EPROXY',
              `cannot reach ${describeProxy(proxy, target.scheme)}: ${error.message}`,
            ),
      );
    });
    request.end();
  });
}

function connectDirect(target: Target, signal: AbortSignal) {
  return new Promise<Duplex>((resolve, reject) => {
    const socket = new net.Socket();
    const onAbort = () => socket.destroy(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('error', (error) => {
      signal.removeEventListener('abort', onAbort);
      reject(error);
    });
    socket.connect(target.port, target.host, () => {
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

/** The proxy's refusal of a tunnel, said as a proxy problem (never with its password). */
function proxyRefusal(
  proxy: URL,
  status: number,
  authority: string,
  scheme: Target['scheme'],
): Error {
  const who = describeProxy(proxy, scheme);
  // 407 is the standard answer; some proxies (tinyproxy) answer 401 to wrong credentials.
  if (status === 407 || status === 401) {
    const answer = status === 407 ? '407 Proxy Authentication Required' : '401 Unauthorized';
    const why = proxy.username
      ? 'it refused the user and password in the proxy URL'
      : 'it needs a user and password';
    return codedError(
      'EPROXYAUTH',
      `${who} answered ${answer} to CONNECT ${authority}: ${why} (a proxy problem, not one of the service)`,
    );
  }
  return codedError(
    status >= 500 ? 'EPROXYUPSTREAM' : 'EPROXYREFUSED',
    `${who} answered ${status} to CONNECT ${authority} (a proxy problem, not one of the service)`,
  );
}

/** TLS over the tunnel with the transport's options; the server check runs before any request. */
function secure(
  socket: Duplex,
  options: AgentOptions,
  checkServer: ServerCheck | undefined,
  signal: AbortSignal,
): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const host = hostOf(options);
    const secured = tls.connect({
      ...options,
      host,
      socket,
      servername: options.servername || (net.isIP(host) ? undefined : host),
      // With pins the pin is the identity: checked below, before anything is written.
      ...(checkServer ? { rejectUnauthorized: false } : {}),
    });
    const onAbort = () => secured.destroy(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    const fail = (error: Error) => {
      signal.removeEventListener('abort', onAbort);
      secured.destroy();
      reject(error);
    };
    secured.once('error', fail);
    secured.once('secureConnect', () => {
      const refused = checkServer?.(secured);
      if (refused) return fail(refused);
      signal.removeEventListener('abort', onAbort);
      secured.removeListener('error', fail);
      resolve(secured);
    });
  });
}
