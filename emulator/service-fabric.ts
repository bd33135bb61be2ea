// Emulated Service Fabric HTTP gateway (port 19080 on a real cluster): the fault-operation
// endpoints the `cancel-fault` operation uses, with certificate, Entra or no authentication.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { issueCertificate, sha1Thumbprint, toPfxBase64 } from './certs.ts';
import { cutAnswer } from './http.ts';
import type { Fault } from './types.ts';
import type { PemPair } from './certs.ts';
import { selfSignedServerCertificate } from './service-fabric-certs.ts';
import {
  STATE_BITS,
  TYPE_BITS,
  createOperation,
  requestCancel,
  startClock,
  stateAt,
} from './service-fabric-operations.ts';
import type { FaultOperation, FaultOperationSpec } from './service-fabric-operations.ts';

export type { FaultOperationSpec } from './service-fabric-operations.ts';

export interface ServiceFabricGatewayOptions {
  ca: PemPair;
  selfSignedServerCert?: boolean;
  mode?: 'certificate' | 'aad' | 'none';
  verifyAadToken?: (bearer: string, audience: string) => boolean;
  aadClusterAppId?: string;
  aadAuthority?: string;
  aadTenantId?: string;
  log?: (line: string) => void;
  /** The host name in `url` (the certificate covers it); it still listens on 127.0.0.1. */
  hostName?: string;
}

export interface SfRequestRecord {
  time: number;
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  clientCertThumbprint?: string;
  fault?: string;
}

export interface SfFaultRule {
  times?: number;
  skip?: number;
  path?: string;
  fault:
    | { status: number; code?: string; message?: string }
    | { drop: 'reset' }
    | { delayMs: number }
    | Extract<Fault, { cut: string }>
    /** Answers with this status and body, as a gateway that says odd things would. */
    | { reply: { status: number; body: unknown } };
}

export interface SfCancelCall {
  force: boolean;
  time: number;
  status: number;
}

export interface ServiceFabricGateway {
  url: string;
  serverCertPem: string;
  issueAdminClientCert(): PemPair & { pfxBase64: (password: string) => string };
  issueUnknownClientCert(): PemPair;
  addFaultOperation(spec: FaultOperationSpec): string;
  addFinishedOperation(
    state: 'Completed' | 'Faulted' | 'Cancelled',
    type?: FaultOperationSpec['type'],
  ): string;
  inject(rule: SfFaultRule): void;
  requests: SfRequestRecord[];
  cancelCalls(operationId: string): SfCancelCall[];
  stop(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_TIMEOUT = 4294967295;
const FAULTS_API_VERSION = 6.0;
// The runtime accepts versions above an API's own, up to the runtime's version.
const RUNTIME_API_VERSION = 10.1;

interface Reply {
  status: number;
  body?: unknown;
}

interface Exchange {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  path: string;
  rawPathAndQuery: string;
  query: URLSearchParams;
  record: SfRequestRecord;
  cancelCall?: SfCancelCall;
  cut?: Extract<Fault, { cut: string }>;
}

interface RuleCounter {
  rule: SfFaultRule;
  seen: number;
  fired: number;
}

export async function startServiceFabricGateway(
  opts: ServiceFabricGatewayOptions,
): Promise<ServiceFabricGateway> {
  const mode = opts.mode ?? 'certificate';
  const serverCert = serverCertificate(opts, mode, opts.hostName);
  const aad = {
    clusterAppId: opts.aadClusterAppId ?? randomUUID(),
    clientAppId: randomUUID(),
    tenantId: opts.aadTenantId ?? randomUUID(),
    authorityHost: (opts.aadAuthority ?? 'https://login.microsoftonline.com').replace(/\/+$/, ''),
  };
  const admins = new Set<string>();
  const operations = new Map<string, FaultOperation>();
  const cancels = new Map<string, SfCancelCall[]>();
  const rules: RuleCounter[] = [];
  const requests: SfRequestRecord[] = [];
  let url = '';

  const server =
    mode === 'none'
      ? http.createServer((req, res) => void serve(req, res))
      : https.createServer(
          {
            cert: serverCert.certPem,
            key: serverCert.keyPem,
            ca: [opts.ca.certPem],
            // Optional at the TLS level so that the gateway itself answers 403 with an empty body.
            requestCert: true,
            rejectUnauthorized: false,
          },
          (req, res) => void serve(req, res),
        );

  async function serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    req.resume();
    const ex = openExchange(req, res);
    try {
      const reply = await handle(ex);
      if (reply) send(ex, reply);
    } catch (err) {
      send(ex, errorReply(500, 'E_FAIL', String(err)));
    }
  }

  function openExchange(req: http.IncomingMessage, res: http.ServerResponse): Exchange {
    const parsed = new URL(req.url ?? '/', 'http://gateway');
    const path = safeDecode(parsed.pathname);
    const record: SfRequestRecord = {
      time: Date.now(),
      method: req.method ?? 'GET',
      path,
      query: Object.fromEntries(parsed.searchParams),
      status: 0,
    };
    const thumbprint = peerThumbprint(req.socket);
    if (thumbprint) record.clientCertThumbprint = thumbprint;
    requests.push(record);
    const ex: Exchange = {
      req,
      res,
      path,
      rawPathAndQuery: path + parsed.search,
      query: parsed.searchParams,
      record,
    };
    const operationId = param(ex.query, 'OperationId');
    if (isCancelRoute(ex) && operationId) {
      ex.cancelCall = { force: isTrue(param(ex.query, 'Force')), time: record.time, status: 0 };
      callsFor(operationId).push(ex.cancelCall);
    }
    return ex;
  }

  async function handle(ex: Exchange): Promise<Reply | undefined> {
    const anonymous = ex.req.method === 'GET' && lower(ex.path) === '/$/getaadmetadata';
    if (!anonymous) {
      const denied = authenticate(ex);
      if (denied) return denied;
    }
    const fault = takeFault(ex.rawPathAndQuery);
    if (fault && 'drop' in fault) return drop(ex);
    if (fault && 'cut' in fault) {
      ex.record.fault = `cut ${fault.cut}`;
      ex.cut = fault;
      return route(ex);
    }
    if (fault && 'reply' in fault) {
      ex.record.fault = `reply ${fault.reply.status}`;
      return fault.reply;
    }
    if (fault && 'delayMs' in fault) {
      ex.record.fault = `delay ${fault.delayMs}ms`;
      // A client that gives up ends the wait: a long delay must not outlive the exchange.
      const gone = new AbortController();
      ex.res.once('close', () => gone.abort());
      const waited = await sleep(fault.delayMs, true, { signal: gone.signal }).catch(() => false);
      if (!waited) return undefined;
    } else if (fault) {
      const code = fault.code ?? defaultFaultCode(fault.status);
      ex.record.fault = `${fault.status} ${code ?? ''}`.trim();
      return code
        ? errorReply(fault.status, code, fault.message ?? `Injected ${code}.`)
        : { status: fault.status };
    }
    return route(ex);
  }

  function authenticate(ex: Exchange): Reply | undefined {
    if (mode === 'none') return undefined;
    if (isAdminCert(ex.req.socket)) return undefined;
    if (mode === 'certificate') return { status: 403 };
    const header = ex.req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) return { status: 401 };
    const ok = opts.verifyAadToken?.(match[1], aad.clusterAppId) ?? false;
    return ok ? undefined : { status: 403 };
  }

  function isAdminCert(socket: Socket): boolean {
    const thumbprint = peerThumbprint(socket);
    return !!thumbprint && (socket as TLSSocket).authorized && admins.has(thumbprint);
  }

  function route(ex: Exchange): Reply {
    const path = lower(ex.path);
    const method = ex.req.method;
    if (method === 'GET' && path === '/$/getaadmetadata') return aadMetadata(ex);
    if (method === 'POST' && isCancelRoute(ex)) return cancel(ex);
    if (method === 'GET' && (path === '/faults/' || path === '/faults')) return listFaults(ex);
    return { status: 404 };
  }

  function aadMetadata(ex: Exchange): Reply {
    const invalid = checkCommonParams(ex.query, 1.0);
    if (invalid) return invalid;
    if (mode !== 'aad') return { status: 200, body: { type: '', metadata: {} } };
    return {
      status: 200,
      body: {
        type: 'aad',
        metadata: {
          login: aad.authorityHost,
          authority: `${aad.authorityHost}/${aad.tenantId}`,
          tenant: aad.tenantId,
          cluster: aad.clusterAppId,
          client: aad.clientAppId,
          redirect: `${url}/Explorer/index.html`,
        },
      },
    };
  }

  function cancel(ex: Exchange): Reply {
    const invalid = checkCommonParams(ex.query, FAULTS_API_VERSION);
    if (invalid) return invalid;
    const operationId = param(ex.query, 'OperationId');
    if (!operationId || !UUID.test(operationId)) {
      return invalidArgument(`OperationId '${operationId ?? ''}' is not a valid GUID.`);
    }
    const force = parseBool(param(ex.query, 'Force'));
    if (force === undefined) return invalidArgument('Force must be true or false.');
    const op = operations.get(operationId.toLowerCase());
    if (op) startClock(op, ex.record.time);
    const answer = requestCancel(op, operationId, force, Date.now());
    if (answer.status === 200) return { status: 200 };
    return errorReply(answer.status, answer.code, answer.message);
  }

  function listFaults(ex: Exchange): Reply {
    const invalid = checkCommonParams(ex.query, FAULTS_API_VERSION);
    if (invalid) return invalid;
    const typeFilter = parseFilter(param(ex.query, 'TypeFilter'));
    const stateFilter = parseFilter(param(ex.query, 'StateFilter'));
    if (typeFilter === undefined || stateFilter === undefined) {
      return invalidArgument('TypeFilter and StateFilter must be integers.');
    }
    const now = Date.now();
    for (const op of operations.values()) startClock(op, ex.record.time);
    const items = [...operations.values()]
      .map((op) => ({ OperationId: op.id, State: stateAt(op, now), Type: op.type }))
      .filter((s) => typeFilter & TYPE_BITS[s.Type] && stateFilter & STATE_BITS[s.State]);
    return { status: 200, body: items };
  }

  function send(ex: Exchange, reply: Reply): void {
    const body = reply.body === undefined ? '' : JSON.stringify(reply.body);
    const headers: http.OutgoingHttpHeaders = { 'Content-Length': Buffer.byteLength(body) };
    if (body) headers['Content-Type'] = 'application/json; charset=utf-8';
    if (ex.cut) cutAnswer(ex, reply.status, headers, body, ex.cut);
    else ex.res.writeHead(reply.status, headers).end(body);
    settle(ex, reply.status);
  }

  function drop(ex: Exchange): undefined {
    ex.record.fault = 'reset';
    settle(ex, 0);
    resetSocket(ex.req.socket);
    return undefined;
  }

  function settle(ex: Exchange, status: number): void {
    ex.record.status = status;
    if (ex.cancelCall) ex.cancelCall.status = status;
    const fault = ex.record.fault ? ` [${ex.record.fault}]` : '';
    opts.log?.(`sf ${ex.record.method} ${ex.rawPathAndQuery} -> ${status}${fault}`);
  }

  function takeFault(pathAndQuery: string): SfFaultRule['fault'] | undefined {
    for (const counter of rules) {
      const { rule } = counter;
      if (rule.path && !pathAndQuery.includes(rule.path)) continue;
      if (counter.fired >= (rule.times ?? 1)) continue;
      counter.seen++;
      if (counter.seen <= (rule.skip ?? 0)) continue;
      counter.fired++;
      return rule.fault;
    }
    return undefined;
  }

  function callsFor(operationId: string): SfCancelCall[] {
    const key = operationId.toLowerCase();
    let calls = cancels.get(key);
    if (!calls) cancels.set(key, (calls = []));
    return calls;
  }

  function addOperation(op: FaultOperation): string {
    if (operations.has(op.id)) throw new Error(`operation ${op.id} already exists`);
    operations.set(op.id, op);
    return op.id;
  }

  function issueClientCert(): PemPair {
    return issueCertificate(opts.ca, { commonName: `sf-client-${randomUUID()}`, client: true });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  url = `${mode === 'none' ? 'http' : 'https'}://${opts.hostName ?? '127.0.0.1'}:${port}`;

  return {
    url,
    serverCertPem: serverCert.certPem,
    issueAdminClientCert() {
      const cert = issueClientCert();
      admins.add(sha1Thumbprint(cert.certPem));
      return { ...cert, pfxBase64: (password) => toPfxBase64(cert.certPem, cert.keyPem, password) };
    },
    issueUnknownClientCert: issueClientCert,
    addFaultOperation(spec) {
      const id = (spec.operationId ?? randomUUID()).toLowerCase();
      return addOperation(createOperation(id, spec));
    },
    addFinishedOperation(state, type = 'PartitionDataLoss') {
      const op = createOperation(randomUUID(), { type, durationSeconds: 0 });
      return addOperation({ ...op, finalState: state });
    },
    inject(rule) {
      rules.push({ rule, seen: 0, fired: 0 });
    },
    requests,
    cancelCalls: (operationId) => [...(cancels.get(operationId.toLowerCase()) ?? [])],
    stop: () => closeServer(server),
  };
}

const SERVER_NAME = 'sfcluster.emulator';
const SERVER_SANS = { ipSans: ['127.0.0.1'], dnsSans: ['localhost'] };

function serverCertificate(
  opts: ServiceFabricGatewayOptions,
  mode: string,
  hostName: string | undefined,
): PemPair {
  if (mode === 'none') return { certPem: '', keyPem: '' };
  const sans = hostName
    ? { ...SERVER_SANS, dnsSans: [...SERVER_SANS.dnsSans, hostName] }
    : SERVER_SANS;
  return opts.selfSignedServerCert
    ? selfSignedServerCertificate(SERVER_NAME, sans)
    : issueCertificate(opts.ca, { commonName: SERVER_NAME, ...sans });
}

function isCancelRoute(ex: Exchange): boolean {
  return lower(ex.path) === '/faults/$/cancel';
}

function checkCommonParams(query: URLSearchParams, minApiVersion: number): Reply | undefined {
  const apiVersion = param(query, 'api-version');
  if (apiVersion === undefined) return invalidArgument('api-version is required.');
  const version = /^\d+\.\d+$/.test(apiVersion) ? Number(apiVersion) : NaN;
  if (!(version >= minApiVersion && version <= RUNTIME_API_VERSION)) {
    return invalidArgument(`api-version '${apiVersion}' is not supported for this request.`);
  }
  const timeout = param(query, 'timeout');
  if (timeout !== undefined && !inRange(timeout, 1, MAX_TIMEOUT)) {
    return invalidArgument(`timeout '${timeout}' must be an integer from 1 to ${MAX_TIMEOUT}.`);
  }
  return undefined;
}

/** Query names are matched case-insensitively, as the gateway does. */
function param(query: URLSearchParams, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of query) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

// An absent filter is 0: it selects nothing (see the notes).
function parseFilter(value: string | undefined): number | undefined {
  if (value === undefined) return 0;
  return /^\d+$/.test(value) ? Number(value) : undefined;
}

function parseBool(value: string | undefined): boolean | undefined {
  const v = value?.toLowerCase();
  return v === 'true' ? true : v === 'false' ? false : undefined;
}

function isTrue(value: string | undefined): boolean {
  return parseBool(value) === true;
}

function inRange(value: string, min: number, max: number): boolean {
  return /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max;
}

function errorReply(status: number, code: string, message: string): Reply {
  return { status, body: { Error: { Code: code, Message: message } } };
}

function invalidArgument(message: string): Reply {
  return errorReply(400, 'FABRIC_E_INVALID_ARGUMENT', message);
}

function defaultFaultCode(status: number): string | undefined {
  if (status === 503) return 'FABRIC_E_NOT_READY';
  if (status === 504) return 'FABRIC_E_TIMEOUT';
  if (status === 500) return 'E_FAIL';
  return undefined;
}

function peerThumbprint(socket: Socket): string | undefined {
  if (!(socket instanceof TLSSocket)) return undefined;
  const peer = socket.getPeerCertificate();
  return peer?.fingerprint ? peer.fingerprint.replaceAll(':', '') : undefined;
}

function resetSocket(socket: Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    // TLS sockets cannot send an RST through their TLS wrapper: a plain close is the nearest.
    socket.destroy();
  }
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function lower(s: string): string {
  return s.toLowerCase();
}

function closeServer(server: http.Server | https.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
