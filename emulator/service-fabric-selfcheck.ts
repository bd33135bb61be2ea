// Self-check of the emulated Service Fabric gateway:
//   node_modules/.bin/node emulator/service-fabric-selfcheck.ts
import { X509Certificate } from 'node:crypto';
import type { ClientRequest } from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TLSSocket } from 'node:tls';
import { createCa } from './certs.ts';
import type { PemPair } from './certs.ts';
import { startServiceFabricGateway } from './service-fabric.ts';
import type { ServiceFabricGateway } from './service-fabric.ts';

interface Answer {
  status: number;
  body: string;
  json?: unknown;
}

interface CallOptions {
  method?: 'GET' | 'POST';
  client?: PemPair;
  pfx?: { pfxBase64: string; password: string };
  headers?: Record<string, string>;
  trust?: { ca: string } | { sha256: string };
}

let failures = 0;

function check(name: string, ok: boolean, detail?: unknown): void {
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok ? '' : ` -- ${JSON.stringify(detail)}`}`);
}

function call(gw: ServiceFabricGateway, pathAndQuery: string, o: CallOptions): Promise<Answer> {
  const trust = o.trust ?? { ca: '' };
  const pinned = 'sha256' in trust ? trust.sha256 : undefined;
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(pathAndQuery, gw.url), {
      method: o.method ?? 'GET',
      agent: false,
      headers: o.headers,
      cert: o.client?.certPem,
      key: o.client?.keyPem,
      pfx: o.pfx ? Buffer.from(o.pfx.pfxBase64, 'base64') : undefined,
      passphrase: o.pfx?.password,
      ca: 'ca' in trust ? trust.ca : undefined,
      // A self-signed server cert cannot chain anywhere: trust comes from the pinned thumbprint.
      rejectUnauthorized: pinned === undefined,
    });
    if (pinned) req.on('socket', (socket) => pinOn(socket as TLSSocket, pinned, req));
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, json: parse(body) }));
    });
    req.end();
  });
}

function pinOn(socket: TLSSocket, sha256: string, req: ClientRequest): void {
  socket.once('secureConnect', () => {
    const actual = socket.getPeerCertificate().fingerprint256.replaceAll(':', '');
    if (actual !== sha256) req.destroy(new Error(`server thumbprint ${actual} is not pinned`));
  });
}

function parse(body: string): unknown {
  try {
    return body ? JSON.parse(body) : undefined;
  } catch {
    return undefined;
  }
}

function errorCode(a: Answer): string | undefined {
  return (a.json as { Error?: { Code?: string } } | undefined)?.Error?.Code;
}

const ALL = 'api-version=6.0&TypeFilter=65535&StateFilter=65535';
const cancelPath = (id: string, force: boolean) =>
  `/Faults/$/Cancel?api-version=6.0&OperationId=${id}&Force=${force}&timeout=60`;

async function stateOf(gw: ServiceFabricGateway, id: string, o: CallOptions): Promise<string> {
  const list = await call(gw, `/Faults/?${ALL}`, o);
  const items = list.json as { OperationId: string; State: string }[];
  return items.find((i) => i.OperationId === id)?.State ?? 'missing';
}

async function certificateMode(ca: PemPair): Promise<void> {
  const gw = await startServiceFabricGateway({ ca });
  const admin = gw.issueAdminClientCert();
  const o: CallOptions = { client: admin, trust: { ca: ca.certPem } };
  const loss = gw.addFaultOperation({
    type: 'PartitionDataLoss',
    durationSeconds: 60,
    rollbackSeconds: 1,
  });
  const node = gw.addFaultOperation({ type: 'NodeTransition', durationSeconds: 60 });
  const done = gw.addFinishedOperation('Completed', 'PartitionRestart');

  const list = await call(gw, `/Faults/?${ALL}`, o);
  check('list: 3 operations', list.status === 200 && (list.json as unknown[]).length === 3, list);
  const bare = await call(gw, '/Faults/?api-version=6.0', o);
  check('list without filters selects nothing', bare.body === '[]', bare);
  const running = await call(gw, '/Faults/?api-version=6.0&TypeFilter=8&StateFilter=1', o);
  check(
    'list filtered: NodeTransition Running',
    JSON.stringify(running.json) ===
      JSON.stringify([{ OperationId: node, State: 'Running', Type: 'NodeTransition' }]),
    running,
  );

  const early = await call(gw, cancelPath(loss, true), { ...o, method: 'POST' });
  check(
    'force before graceful: 400',
    early.status === 400 && errorCode(early) === 'FABRIC_E_INVALID_TEST_COMMAND_STATE',
    early,
  );
  const graceful = await call(gw, cancelPath(loss, false), { ...o, method: 'POST' });
  check(
    'graceful cancel: 200, empty body',
    graceful.status === 200 && graceful.body === '',
    graceful,
  );
  check('graceful: RollingBack', (await stateOf(gw, loss, o)) === 'RollingBack');
  await sleep(1100);
  check('graceful: then Cancelled', (await stateOf(gw, loss, o)) === 'Cancelled');
  const again = await call(gw, cancelPath(loss, false), { ...o, method: 'POST' });
  check(
    'cancel of a finished operation: 404',
    again.status === 404 && errorCode(again) === 'FABRIC_E_KEY_NOT_FOUND',
    again,
  );
  check(
    'cancelCalls recorded',
    JSON.stringify(gw.cancelCalls(loss).map((c) => [c.force, c.status])) ===
      '[[true,400],[false,200],[false,404]]',
    gw.cancelCalls(loss),
  );

  await call(gw, cancelPath(node, false), { ...o, method: 'POST' });
  await sleep(300);
  check('NodeTransition ignores graceful cancel', (await stateOf(gw, node, o)) === 'Running');
  const forced = await call(gw, cancelPath(node, true), { ...o, method: 'POST' });
  check('force after graceful: 200', forced.status === 200 && forced.body === '', forced);
  const late = await call(gw, cancelPath(node, false), { ...o, method: 'POST' });
  check(
    'graceful after force: 400',
    late.status === 400 && errorCode(late) === 'FABRIC_E_INVALID_TEST_COMMAND_STATE',
    late,
  );
  await sleep(500);
  check('force: ForceCancelled', (await stateOf(gw, node, o)) === 'ForceCancelled');
  check('finished operation listed Completed', (await stateOf(gw, done, o)) === 'Completed');

  const unknownId = await call(gw, cancelPath('00000000-0000-4000-8000-000000000000', false), {
    ...o,
    method: 'POST',
  });
  check(
    'unknown id: 404 FABRIC_E_KEY_NOT_FOUND',
    unknownId.status === 404 && errorCode(unknownId) === 'FABRIC_E_KEY_NOT_FOUND',
    unknownId,
  );
  const badId = await call(gw, cancelPath('not-a-guid', false), { ...o, method: 'POST' });
  check(
    'bad id: 400 FABRIC_E_INVALID_ARGUMENT',
    badId.status === 400 && errorCode(badId) === 'FABRIC_E_INVALID_ARGUMENT',
    badId,
  );
  const noVersion = await call(gw, '/Faults/?TypeFilter=65535&StateFilter=65535', o);
  check(
    'no api-version: 400',
    noVersion.status === 400 && errorCode(noVersion) === 'FABRIC_E_INVALID_ARGUMENT',
    noVersion,
  );

  const stranger = await call(gw, `/Faults/?${ALL}`, {
    client: gw.issueUnknownClientCert(),
    trust: o.trust,
  });
  check(
    'unknown client cert: 403, empty body',
    stranger.status === 403 && stranger.body === '',
    stranger,
  );
  const anonymous = await call(gw, `/Faults/?${ALL}`, { trust: o.trust });
  check(
    'no client cert: 403, empty body',
    anonymous.status === 403 && anonymous.body === '',
    anonymous,
  );
  const viaPfx = await call(gw, `/Faults/?${ALL}`, {
    pfx: { pfxBase64: admin.pfxBase64('pw'), password: 'pw' },
    trust: o.trust,
  });
  check('admin cert as PFX: 200', viaPfx.status === 200, viaPfx);

  gw.inject({ path: '/Faults/$/Cancel', fault: { status: 503, code: 'FABRIC_E_NOT_READY' } });
  const busy = await call(gw, cancelPath(done, false), { ...o, method: 'POST' });
  check(
    'injected 503 FABRIC_E_NOT_READY',
    busy.status === 503 && errorCode(busy) === 'FABRIC_E_NOT_READY',
    busy,
  );
  gw.inject({ path: '/Faults/', fault: { drop: 'reset' } });
  const dropped = await call(gw, `/Faults/?${ALL}`, o).then(
    () => 'answered',
    (e: Error) => e.message,
  );
  check('injected reset', dropped !== 'answered', dropped);
  check(
    'requests logged',
    gw.requests.some((r) => r.fault === 'reset' && r.clientCertThumbprint),
    gw.requests.at(-1),
  );
  await gw.stop();
}

async function selfSignedServer(ca: PemPair): Promise<void> {
  const gw = await startServiceFabricGateway({ ca, selfSignedServerCert: true });
  const sha256 = new X509Certificate(gw.serverCertPem).fingerprint256.replaceAll(':', '');
  console.log(`     self-signed server cert SHA-256 thumbprint ${sha256}`);
  const client = gw.issueAdminClientCert();
  const pinned = await call(gw, `/Faults/?${ALL}`, { client, trust: { sha256 } });
  check('self-signed server, pinned by SHA-256: 200', pinned.status === 200, pinned);
  const chained = await call(gw, `/Faults/?${ALL}`, { client, trust: { ca: ca.certPem } }).then(
    () => 'answered',
    (e: NodeJS.ErrnoException) => e.code ?? e.message,
  );
  check('self-signed server does not chain to the CA', chained !== 'answered', chained);
  const wrongPin = await call(gw, `/Faults/?${ALL}`, {
    client,
    trust: { sha256: '00'.repeat(32) },
  }).then(
    () => 'answered',
    (e: Error) => e.message,
  );
  check('wrong pin refused', wrongPin !== 'answered', wrongPin);
  await gw.stop();
}

async function aadMode(ca: PemPair): Promise<void> {
  const gw = await startServiceFabricGateway({
    ca,
    mode: 'aad',
    aadClusterAppId: '11111111-2222-3333-4444-555555555555',
    aadTenantId: 'tenant-1',
    aadAuthority: 'https://127.0.0.1:1/',
    verifyAadToken: (bearer, audience) =>
      bearer === 'good' && audience === '11111111-2222-3333-4444-555555555555',
  });
  const trust = { ca: ca.certPem };
  const meta = await call(gw, '/$/GetAadMetadata?api-version=6.0', { trust });
  const m = (meta.json as { type: string; metadata: Record<string, string> }).metadata;
  check(
    'aad metadata',
    meta.status === 200 &&
      m.cluster === '11111111-2222-3333-4444-555555555555' &&
      m.authority === 'https://127.0.0.1:1/tenant-1',
    meta,
  );
  const none = await call(gw, `/Faults/?${ALL}`, { trust });
  check('aad: no token 401', none.status === 401, none);
  const bad = await call(gw, `/Faults/?${ALL}`, {
    trust,
    headers: { Authorization: 'Bearer bad' },
  });
  check('aad: rejected token 403', bad.status === 403, bad);
  const good = await call(gw, `/Faults/?${ALL}`, {
    trust,
    headers: { Authorization: 'Bearer good' },
  });
  check('aad: good token 200', good.status === 200, good);
  await gw.stop();
}

async function unsecured(ca: PemPair): Promise<void> {
  const gw = await startServiceFabricGateway({ ca, mode: 'none' });
  const id = gw.addFaultOperation({ type: 'PartitionRestart', durationSeconds: 0.2 });
  const list = async () =>
    (await (await fetch(`${gw.url}/Faults/?${ALL}`)).json()) as {
      OperationId: string;
      State: string;
    }[];
  // The operation's clock starts at the first request that shows it, not when it was added.
  await sleep(300);
  const first = await list();
  check('unsecured http: running at the first look', first[0]?.State === 'Running', first);
  await sleep(300);
  const items = await list();
  check(
    'unsecured http: completes by itself',
    gw.url.startsWith('http://') && items[0]?.OperationId === id && items[0].State === 'Completed',
    items,
  );
  await gw.stop();
}

const ca = createCa('Service Fabric self-check CA');
await certificateMode(ca);
await selfSignedServer(ca);
await aadMode(ca);
await unsecured(ca);
console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exitCode = failures ? 1 : 0;
