// Self-check of the emulator: `node emulator/selfcheck.ts` (Node 24). Exits non-zero on the first failed check.
import { execFile } from 'node:child_process';
import { request } from 'node:https';
import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { strToU8, zipSync } from 'fflate';
import { type Emulator, startEmulator } from './index.ts';
import { byteSwappedGuid as byteSwapped } from './operation-urls.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => Record<string, unknown>;
}

let emu: Emulator;
let armToken = '';

function call(
  method: string,
  url: string,
  opts: { token?: string; body?: string; form?: boolean } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined)
    headers['content-type'] = opts.form ? 'application/x-www-form-urlencoded' : 'application/json';
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, ca: emu.ca.certPem, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          json: () => JSON.parse(text) as Record<string, unknown>,
        });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const arm = (p: string, method = 'GET', body?: unknown): Promise<Answer> =>
  call(method, `${emu.armEndpoint}${p}`, {
    token: armToken,
    body: body === undefined ? undefined : JSON.stringify(body),
  });

async function getToken(scope: string, credential: Record<string, string>): Promise<Answer> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: emu.clientId,
    scope,
    ...credential,
  });
  return call('POST', `${emu.authorityHost}/${emu.tenantId}/oauth2/v2.0/token`, {
    body: form.toString(),
    form: true,
  });
}

async function step(name: string, fn: () => Promise<void>): Promise<void> {
  const started = Date.now();
  await fn();
  console.log(`ok   ${name} (${Date.now() - started} ms)`);
}

async function pollUntil(
  url: string,
  done: (a: Answer) => boolean,
  limitMs = 20_000,
): Promise<Answer> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const answer = await call('GET', url, { token: armToken });
    if (done(answer)) return answer;
    assert.ok(Date.now() < deadline, `timed out polling ${url}: ${answer.status} ${answer.text}`);
    await sleep(200);
  }
}

const props = (a: Answer): Record<string, unknown> =>
  a.json().properties as Record<string, unknown>;

async function authChecks(): Promise<void> {
  await step('client secret token', async () => {
    const answer = await getToken(`${emu.armEndpoint}/.default`, {
      client_secret: emu.clientSecret,
    });
    assert.equal(answer.status, 200, answer.text);
    armToken = String(answer.json().access_token);
  });
  await step('wrong secret -> 401 AADSTS7000215', async () => {
    const answer = await getToken(`${emu.armEndpoint}/.default`, { client_secret: 'nope' });
    assert.equal(answer.status, 401);
    assert.match(String(answer.json().error_description), /^AADSTS7000215/);
  });
  await step('GitHub OIDC assertion exchange', async () => {
    const url = `${emu.oidcRequestUrl}&audience=${encodeURIComponent('api://AzureADTokenExchange')}`;
    const id = await call('GET', url, { token: emu.oidcRequestToken });
    assert.equal(id.status, 200, id.text);
    const assertion = {
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: String(id.json().value),
    };
    assert.equal((await getToken(`${emu.armEndpoint}/.default`, assertion)).status, 200);
    const wrongAud = await call('GET', `${emu.oidcRequestUrl}&audience=other`, {
      token: emu.oidcRequestToken,
    });
    const refused = await getToken(`${emu.armEndpoint}/.default`, {
      ...assertion,
      client_assertion: String(wrongAud.json().value),
    });
    assert.equal(refused.status, 400);
    assert.match(String(refused.json().error_description), /^AADSTS700212/);
  });
  await step('ARM refuses missing token and missing api-version', async () => {
    const c = emu.addCluster({ resourceGroup: 'rg-auth', name: 'auth' });
    assert.equal(
      (await call('GET', `${emu.armEndpoint}${c.resourceId}?api-version=2024-09-01`)).status,
      401,
    );
    const missing = await arm(c.resourceId);
    assert.equal(missing.status, 400);
    assert.equal(
      (missing.json().error as Record<string, unknown>).code,
      'MissingApiVersionParameter',
    );
    const unknown = await arm(c.resourceId.replace('/auth', '/nope') + '?api-version=2024-09-01');
    assert.equal(unknown.status, 404);
  });
}

async function runCommandChecks(): Promise<void> {
  await step('runCommand echo hello; exit 3', async () => {
    const c = emu.addCluster({ resourceGroup: 'rg-run', name: 'run' });
    const context = Buffer.from(zipSync({ 'k8s/ns.yaml': strToU8('kind: Namespace\n') })).toString(
      'base64',
    );
    const accepted = await arm(`${c.resourceId}/runCommand?api-version=2024-09-01`, 'POST', {
      command: 'cat k8s/ns.yaml; echo hello; exit 3',
      context,
    });
    assert.equal(accepted.status, 202, accepted.text);
    const location = String(accepted.headers.location);
    assert.match(location, /\/commandResults\/[0-9a-f]{32}\?api-version=2024-09-01$/);
    const result = await pollUntil(location, (a) => a.status !== 202);
    console.log('     result:', result.text);
    assert.equal(result.status, 200);
    assert.equal(props(result).provisioningState, 'Succeeded');
    assert.equal(props(result).exitCode, 3);
    assert.equal(props(result).logs, 'kind: Namespace\nhello\n');
    assert.deepEqual(c.commands()[0]?.files, ['k8s/ns.yaml']);
  });
  await step('AAD-managed cluster needs a clusterToken', async () => {
    const c = emu.addCluster({ resourceGroup: 'rg-aad', name: 'aad', aadManaged: true });
    const url = `${c.resourceId}/runCommand?api-version=2024-09-01`;
    const refused = await arm(url, 'POST', { command: 'true' });
    assert.equal((refused.json().error as Record<string, unknown>).code, 'MissingAADClusterToken');
    const clusterToken = String(
      (
        await getToken('6dae42f8-4368-4678-94ff-3960e28e3630/.default', {
          client_secret: emu.clientSecret,
        })
      ).json().access_token,
    );
    assert.equal((await arm(url, 'POST', { command: 'true', clusterToken })).status, 202);
    assert.ok(emu.issuedSecrets().includes(clusterToken));
  });
  await step('commandFailure, lowerCaseStates, 413', async () => {
    const c = emu.addCluster({
      resourceGroup: 'rg-fail',
      name: 'fail',
      commandFailure: { reason: 'ImagePullBackoff' },
      lowerCaseStates: true,
      maxBodyBytes: 1000,
    });
    const accepted = await arm(`${c.resourceId}/runCommand?api-version=2024-09-01`, 'POST', {
      command: 'true',
    });
    const result = await pollUntil(String(accepted.headers.location), (a) => a.status !== 202);
    assert.deepEqual(
      [props(result).provisioningState, props(result).reason, props(result).exitCode],
      ['failed', 'ImagePullBackoff', undefined],
    );
    const big = await arm(`${c.resourceId}/runCommand?api-version=2024-09-01`, 'POST', {
      command: 'true',
      context: 'A'.repeat(5000),
    });
    assert.equal(big.status, 413);
  });
}

async function faultChecks(): Promise<void> {
  const c = emu.addCluster({
    resourceGroup: 'rg-faults',
    name: 'faults',
    commandResultRetryAfter: 1,
  });
  await step('429 fault, then moveLocation on a 202 poll', async () => {
    const accepted = await arm(`${c.resourceId}/runCommand?api-version=2024-09-01`, 'POST', {
      command: 'sleep 1; echo done',
    });
    const location = String(accepted.headers.location);
    emu.inject({ kind: 'commandResult', cluster: 'faults', fault: { status: 429, retryAfter: 2 } });
    const throttled = await call('GET', location, { token: armToken });
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers['retry-after'], '2');
    emu.inject({ kind: 'commandResult', fault: { moveLocation: true } });
    const moved = await call('GET', location, { token: armToken });
    assert.equal(moved.status, 202);
    assert.equal(moved.headers['retry-after'], '1');
    assert.notEqual(moved.headers.location, location);
    const result = await pollUntil(String(moved.headers.location), (a) => a.status !== 202);
    assert.equal(props(result).logs, 'done\n');
  });
  await step('drop (reset and close) and expireToken', async () => {
    for (const drop of ['reset', 'close'] as const) {
      emu.inject({ kind: 'cluster', fault: { drop } });
      await assert.rejects(
        arm(`${c.resourceId}?api-version=2024-09-01`),
        /ECONNRESET|socket hang up/,
      );
    }
    emu.inject({ kind: 'cluster', fault: { expireToken: true } });
    const expired = await arm(`${c.resourceId}?api-version=2024-09-01`);
    assert.equal(
      (expired.json().error as Record<string, unknown>).code,
      'ExpiredAuthenticationToken',
    );
    assert.ok(expired.headers['www-authenticate']);
    assert.equal((await arm(`${c.resourceId}?api-version=2024-09-01`)).status, 200);
    const drops = emu.requests.filter((r) => r.fault?.startsWith('drop'));
    assert.deepEqual(
      drops.map((r) => r.status),
      [0, 0],
    );
  });
}

async function operationChecks(): Promise<void> {
  const cluster = (name: string, abort: 'async' | 'no-content' | 'conflict') =>
    emu.addCluster({
      resourceGroup: 'rg-ops',
      name,
      operation: { durationSeconds: 60, abort, cancelSeconds: 1, statusWord: 'Preparing' },
    });
  await step('operations/latest while running, unknown id', async () => {
    const c = cluster('ops-latest', 'async');
    const latest = await arm(`${c.resourceId}/operations/latest?api-version=2025-05-02-preview`);
    assert.equal(latest.json().status, 'Preparing');
    // As live: `name` is the GUID with its first three groups byte-swapped; `id` ends with it.
    assert.equal(latest.json().name, byteSwapped(c.operationId!));
    assert.ok(String(latest.json().id).endsWith(`/operations/${c.operationId!}`));
    assert.equal(
      (await arm(`${c.resourceId}?api-version=2024-05-01`)).json().properties instanceof Object,
      true,
    );
    assert.equal(
      (
        await arm(
          `${c.resourceId}/operations/00000000-0000-0000-0000-00000000dead?api-version=2025-05-02-preview`,
        )
      ).status,
      404,
    );
  });
  await step(
    'abort 202 as live: cluster body, signed URLs, InProgress -> Succeeded, 204',
    async () => {
      const c = cluster('ops-async', 'async');
      const accepted = await arm(`${c.resourceId}/abort?api-version=2024-05-01`, 'POST');
      assert.equal(accepted.status, 202);
      assert.equal(accepted.headers['retry-after'], undefined);
      assert.equal(accepted.json().name, 'ops-async');
      const statusUrl = new URL(String(accepted.headers['azure-asyncoperation']));
      const resultUrl = new URL(String(accepted.headers.location));
      assert.match(statusUrl.pathname, /\/locations\/eastus\/operations\/[0-9a-f-]{36}$/);
      assert.match(resultUrl.pathname, /\/locations\/eastus\/operationresults\/[0-9a-f-]{36}$/);
      assert.deepEqual([...statusUrl.searchParams.keys()], ['api-version', 't', 'c', 's', 'h']);
      assert.equal(statusUrl.searchParams.get('api-version'), '2016-03-30');
      const abortId = statusUrl.pathname.split('/').pop()!;
      assert.notEqual(abortId, c.operationId);
      const first = await call('GET', statusUrl.href, { token: armToken });
      assert.deepEqual(Object.keys(first.json()), ['name', 'status', 'startTime']);
      assert.equal(first.json().name, byteSwapped(abortId));
      assert.equal(first.json().status, 'InProgress');
      const tampered = new URL(statusUrl);
      tampered.searchParams.set('t', '1');
      assert.equal((await call('GET', tampered.href, { token: armToken })).status, 400);
      const final = await pollUntil(statusUrl.href, (a) => a.json().status !== 'InProgress');
      assert.equal(final.json().status, 'Succeeded');
      const result = await call('GET', resultUrl.href, { token: armToken });
      assert.equal(result.status, 204);
      assert.match(String(result.headers.location), /\/operationresults\/.*&s=/);
      assert.equal(
        props(await arm(`${c.resourceId}?api-version=2024-05-01`)).provisioningState,
        'Canceled',
      );
      assert.equal(
        (await arm(`${c.resourceId}/operations/latest?api-version=2025-05-02-preview`)).json()
          .status,
        'Canceled',
      );
    },
  );
  await step('abort no-content -> cluster Canceled', async () => {
    const c = cluster('ops-204', 'no-content');
    assert.equal((await arm(`${c.resourceId}/abort?api-version=2024-05-01`, 'POST')).status, 204);
    const url = `${emu.armEndpoint}${c.resourceId}?api-version=2024-05-01`;
    const final = await pollUntil(url, (a) => props(a).provisioningState === 'Canceled');
    assert.equal(props(final).provisioningState, 'Canceled');
  });
  await step('abort conflict -> 409 OperationNotAllowed', async () => {
    const c = cluster('ops-409', 'conflict');
    const refused = await arm(`${c.resourceId}/abort?api-version=2024-05-01`, 'POST');
    assert.equal(refused.status, 409);
    assert.equal((refused.json().error as Record<string, unknown>).code, 'OperationNotAllowed');
  });
}

async function timeoutCheck(): Promise<void> {
  await step('commandTimeoutSeconds kills the command', async () => {
    const short = await startEmulator({ commandTimeoutSeconds: 1 });
    const saved = { emu, armToken };
    try {
      emu = short;
      armToken = String(
        (await getToken(`${emu.armEndpoint}/.default`, { client_secret: emu.clientSecret })).json()
          .access_token,
      );
      const c = emu.addCluster({ resourceGroup: 'rg', name: 'slow' });
      const accepted = await arm(`${c.resourceId}/runCommand?api-version=2024-09-01`, 'POST', {
        command: 'echo start; sleep 30',
      });
      const result = await pollUntil(String(accepted.headers.location), (a) => a.status !== 202);
      assert.deepEqual(
        [props(result).provisioningState, props(result).reason, props(result).exitCode],
        ['Failed', 'CommandTimedOut', 124],
      );
    } finally {
      await short.stop();
      ({ emu, armToken } = saved);
    }
  });
}

// The assertion callback mints a fresh GitHub ID token with plain fetch, as the action does through @actions/core.
const IDENTITY_CHILD = `
import { ClientAssertionCredential, ClientSecretCredential } from '@azure/identity';
const [authorityHost, tenant, clientId, secret, scope, oidcUrl, oidcToken] = process.argv.slice(1);
const options = { authorityHost, disableInstanceDiscovery: true };
const bySecret = await new ClientSecretCredential(tenant, clientId, secret, options).getToken(scope);
const getAssertion = async () => {
  const res = await fetch(oidcUrl + '&audience=api://AzureADTokenExchange', { headers: { authorization: 'Bearer ' + oidcToken } });
  return (await res.json()).value;
};
const byAssertion = await new ClientAssertionCredential(tenant, clientId, getAssertion, options).getToken(scope);
console.log(JSON.stringify({ ok: Boolean(bySecret.token && byAssertion.token) }));
`;

async function identityCheck(): Promise<void> {
  await step(
    '@azure/identity secret and assertion credentials in a child with NODE_EXTRA_CA_CERTS',
    async () => {
      const scope = `${emu.armEndpoint}/.default`;
      const args = [
        '--input-type=module',
        '-e',
        IDENTITY_CHILD,
        emu.authorityHost,
        emu.tenantId,
        emu.clientId,
        emu.clientSecret,
        scope,
        emu.oidcRequestUrl,
        emu.oidcRequestToken,
      ];
      const stdout = await new Promise<string>((resolve, reject) => {
        execFile(
          process.execPath,
          args,
          {
            cwd: new URL('..', import.meta.url).pathname,
            env: { ...process.env, NODE_EXTRA_CA_CERTS: emu.caPath },
          },
          (err, out, errOut) =>
            err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
        );
      });
      assert.equal((JSON.parse(stdout) as { ok: boolean }).ok, true);
    },
  );
}

async function main(): Promise<void> {
  emu = await startEmulator();
  try {
    await authChecks();
    await runCommandChecks();
    await faultChecks();
    await operationChecks();
    await timeoutCheck();
    await identityCheck();
    const kinds = new Set(emu.requests.map((r) => r.kind));
    assert.ok(
      [
        'token',
        'idtoken',
        'runCommand',
        'commandResult',
        'cluster',
        'abort',
        'operationStatus',
        'operations',
      ].every((k) => kinds.has(k)),
    );
    console.log(`all checks passed (${emu.requests.length} requests recorded)`);
  } finally {
    await emu.stop();
  }
}

await main();
