// Proxies for the tests, on loopback only.
//
// - tinyproxy (Debian's package, installed by .ci/run): a real CONNECT proxy, optionally with
//   Basic credentials. GitHub's HTTP client never proxies loopback addresses, so the services
//   get host names under `.emulator.test` that only the proxy resolves: tinyproxy runs under
//   nss_wrapper (Debian's libnss-wrapper) with its own hosts file mapping them to 127.0.0.1,
//   the machine's /etc/hosts untouched. The action cannot resolve them itself, so every request
//   that reaches a service went through the proxy; the proxy's log counts the tunnels.
// - An inspecting proxy written here: it answers CONNECT for chosen hosts by terminating TLS
//   with a certificate from its own CA (which the test makes the runner trust, as corporate
//   runners trust their interceptor) and answers the decrypted requests itself, recording them.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { createCa, issueCertificate, type PemPair } from '../../emulator/certs.ts';

/** Host names only the test proxies resolve (to 127.0.0.1). */
export const PROXY_ONLY_DOMAIN = 'emulator.test';

export interface Tunnel {
  host: string;
  port: number;
}

export interface RealProxy {
  /** http://[user:password@]127.0.0.1:port */
  url: string;
  /** The CONNECT tunnels the proxy opened (or was asked for), from its log. */
  tunnels(): Tunnel[];
  stop(): Promise<void>;
}

function nssWrapper(): string {
  for (const dir of ['/usr/lib', ...readdirSync('/usr/lib').map((d) => join('/usr/lib', d))]) {
    const path = join(dir, 'libnss_wrapper.so');
    if (existsSync(path)) return path;
  }
  throw new Error('libnss_wrapper.so not found: apt-get install libnss-wrapper (see .ci/run)');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts tinyproxy on 127.0.0.1 resolving `names` to 127.0.0.1; with Basic credentials if given. */
export async function startTinyproxy(
  names: string[],
  credentials?: { user: string; password: string },
): Promise<RealProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'tinyproxy-'));
  writeFileSync(join(dir, 'hosts'), `127.0.0.1 ${names.join(' ')}\n`);
  const logFile = join(dir, 'tinyproxy.log');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    writeFileSync(
      join(dir, 'tinyproxy.conf'),
      [
        `Port ${port}`,
        'Listen 127.0.0.1',
        'Timeout 120',
        `LogFile "${logFile}"`,
        'LogLevel Connect',
        'MaxClients 100',
        'Allow 127.0.0.1',
        ...(credentials ? [`BasicAuth ${credentials.user} ${credentials.password}`] : []),
        '',
      ].join('\n'),
    );
    writeFileSync(logFile, '');
    const child: ChildProcess = spawn('tinyproxy', ['-d', '-c', join(dir, 'tinyproxy.conf')], {
      env: {
        ...process.env,
        LD_PRELOAD: nssWrapper(),
        NSS_WRAPPER_HOSTS: join(dir, 'hosts'),
      },
      stdio: 'ignore',
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let up = false;
    for (let i = 0; i < 100 && child.exitCode === null && !up; i++) {
      up = await accepts(port);
      if (!up) await new Promise((r) => setTimeout(r, 50));
    }
    if (!up) {
      child.kill('SIGKILL');
      await exited;
      if (attempt < 3) continue;
      throw new Error(`tinyproxy did not start:\n${readFileSync(logFile, 'utf8')}`);
    }
    const auth = credentials
      ? `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@`
      : '';
    return {
      url: `http://${auth}127.0.0.1:${port}`,
      tunnels: () =>
        [
          ...readFileSync(logFile, 'utf8').matchAll(
            /Request \(file descriptor \d+\): CONNECT (\S+):(\d+) /g,
          ),
        ].map((m) => ({ host: m[1]!, port: Number(m[2]) })),
      stop: async () => {
        child.kill('SIGTERM');
        await exited;
      },
    };
  }
}

export interface SeenRequest {
  host: string;
  method: string;
  path: string;
  authorization: string | undefined;
}

export interface InspectingProxy {
  url: string;
  /** PEM of the CA that signs the proxy's stand-in certificates. */
  caPem: string;
  /** The decrypted requests the proxy received on intercepted hosts. */
  seen: SeenRequest[];
  tunnels: Tunnel[];
  stop(): Promise<void>;
}

/**
 * A TLS-inspecting proxy: CONNECTs to `intercept` hosts get the proxy's own certificate for the
 * host and are answered by `answer`; other `.emulator.test` hosts are tunnelled to 127.0.0.1.
 */
export async function startInspectingProxy(options: {
  intercept: string[];
  answer: (request: SeenRequest) => { status: number; body: unknown };
}): Promise<InspectingProxy> {
  const ca: PemPair = createCa('Corporate Inspection CA');
  const certificates = new Map<string, PemPair>();
  const seen: SeenRequest[] = [];
  const tunnels: Tunnel[] = [];
  const sockets = new Set<net.Socket>();
  const inner = http.createServer((req, res) => {
    const request: SeenRequest = {
      host: String(req.headers.host ?? ''),
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: req.headers.authorization,
    };
    seen.push(request);
    req.resume();
    const { status, body } = options.answer(request);
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': text.length });
    res.end(text);
  });
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const [host = '', portText = ''] = (req.url ?? '').split(':');
    const port = Number(portText);
    tunnels.push({ host, port });
    if (!host.endsWith(`.${PROXY_ONLY_DOMAIN}`) || !port) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    if (options.intercept.includes(host)) {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      let pair = certificates.get(host);
      if (!pair) {
        pair = issueCertificate(ca, { commonName: host, dnsSans: [host] });
        certificates.set(host, pair);
      }
      const secured = new tls.TLSSocket(client, {
        isServer: true,
        cert: pair.certPem,
        key: pair.keyPem,
      });
      secured.on('error', () => client.destroy());
      inner.emit('connection', secured);
      return;
    }
    const upstream = net.connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    caPem: ca.certPem,
    seen,
    tunnels,
    stop: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        inner.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
