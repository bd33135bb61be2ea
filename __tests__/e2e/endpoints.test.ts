// The endpoints as the live services judge them: token audiences, API versions, the cloud metadata
// of a custom ARM endpoint (Azure Stack Hub), and servers whose certificate the runner does not trust.
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { describe, it } from 'node:test';
import { randomUUID } from 'node:crypto';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { emulatorPerFile } from '../helpers/emulator.ts';
import { displayedLog } from '../../harness/workflow-commands.ts';
import { runAction } from '../helpers/action.ts';

const lab = emulatorPerFile();

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** One HTTPS call that trusts the emulator's CA (and nothing is retried). */
function call(
  emu: Emulator,
  method: string,
  url: string,
  options: { token?: string; form?: Record<string, string> } = {},
): Promise<Answer> {
  const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, ca: emu.ca.certPem, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text ? (JSON.parse(text) as unknown) : undefined,
        });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function tokenFor(emu: Emulator, scope: string): Promise<string> {
  const answer = await call(emu, 'POST', `${emu.authorityHost}/${emu.tenantId}/oauth2/v2.0/token`, {
    form: {
      grant_type: 'client_credentials',
      client_id: emu.clientId,
      client_secret: emu.clientSecret,
      scope,
    },
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return (answer.body as { access_token: string }).access_token;
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

function errorOf(answer: Answer): { code: string; message: string } {
  return (answer.body as { error: { code: string; message: string } }).error;
}

describe('token audiences, as ARM checks them', () => {
  it('issues tokens whose aud is the resource the scope names', async () => {
    const emu = lab.emu;
    const cases: [string, string][] = [
      ['https://management.core.windows.net//.default', 'https://management.core.windows.net/'],
      ['https://management.azure.com/.default', 'https://management.azure.com'],
      [`${emu.armEndpoint}/.default`, emu.armEndpoint],
      ['6dae42f8-4368-4678-94ff-3960e28e3630/.default', '6dae42f8-4368-4678-94ff-3960e28e3630'],
    ];
    for (const [scope, aud] of cases) assert.equal(claimsOf(await tokenFor(emu, scope)).aud, aud);
  });

  it('accepts the public ARM audiences and its own URL, and refuses any other with 401', async () => {
    const emu = lab.emu;
    const c = emu.addCluster({ resourceGroup: 'rg-aud', name: `aks-aud-${lab.seq()}` });
    const url = `${emu.armEndpoint}${c.resourceId}?api-version=2024-09-01`;
    for (const scope of [
      'https://management.core.windows.net//.default',
      'https://management.core.windows.net/.default',
      'https://management.azure.com//.default',
      'https://management.azure.com/.default',
      `${emu.armEndpoint}/.default`,
      `${emu.armEndpoint}//.default`,
    ]) {
      const answer = await call(emu, 'GET', url, { token: await tokenFor(emu, scope) });
      assert.equal(answer.status, 200, `${scope}: ${JSON.stringify(answer.body)}`);
    }
    for (const scope of [
      'https://storage.azure.com/.default',
      'https://management.usgovcloudapi.net/.default',
      '6dae42f8-4368-4678-94ff-3960e28e3630/.default',
    ]) {
      const answer = await call(emu, 'GET', url, { token: await tokenFor(emu, scope) });
      assert.equal(answer.status, 401, scope);
      const error = errorOf(answer);
      assert.equal(error.code, 'InvalidAuthenticationTokenAudience');
      assert.match(error.message, /obtained for wrong audience or resource '[^']+'/);
      assert.match(error.message, /'https:\/\/management\.core\.windows\.net\/'/);
      assert.match(String(answer.headers['www-authenticate']), /^Bearer authorization_uri=/);
    }
  });
});

describe('API versions, per route', () => {
  it('answers 400 InvalidApiVersionParameter for a version the route does not have', async () => {
    const emu = lab.emu;
    const c = emu.addCluster({ resourceGroup: 'rg-ver', name: `aks-ver-${lab.seq()}` });
    const token = await tokenFor(emu, 'https://management.azure.com/.default');
    const refused: [string, string, string][] = [
      ['GET', c.resourceId, '2024-09-10'], // a typo
      ['POST', `${c.resourceId}/runCommand`, '2020-11-01'], // older than run command
      ['GET', `${c.resourceId}/commandResults/0123456789abcdef0123456789abcdef`, '2021-03-01'],
      ['POST', `${c.resourceId}/abort`, '2023-06-01'], // older than abort
      ['GET', `${c.resourceId}/operations/latest`, '2024-09-01'], // preview only
      ['GET', '/subscriptions', '2024-09-01'], // an AKS version on Microsoft.Resources
    ];
    for (const [method, path, version] of refused) {
      const answer = await call(emu, method, `${emu.armEndpoint}${path}?api-version=${version}`, {
        token,
      });
      assert.equal(answer.status, 400, `${method} ${path} ${version}`);
      const error = errorOf(answer);
      assert.equal(error.code, 'InvalidApiVersionParameter');
      assert.match(
        error.message,
        new RegExp(
          `^The api-version '${version}' is invalid\\. The supported versions are '[0-9a-z,-]+'\\. Please see https://aka\\.ms/api-version for more details\\.$`,
        ),
      );
    }
    const accepted: [string, string][] = [
      [c.resourceId, '2022-11-01'], // Azure CLI 2.45
      [c.resourceId, '2026-04-01'], // @azure/arm-containerservice 25
      [c.resourceId, '2022-04-01'], // the recorded run-command cassette
      ['/subscriptions', '2019-11-01'], // az login
      ['/subscriptions', '2022-12-01'],
      ['/tenants', '2022-12-01'],
    ];
    for (const [path, version] of accepted) {
      const answer = await call(emu, 'GET', `${emu.armEndpoint}${path}?api-version=${version}`, {
        token,
      });
      assert.equal(answer.status, 200, `${path} ${version}: ${JSON.stringify(answer.body)}`);
    }
  });

  it('fails the action when api-version is not one AKS has', async () => {
    const c = lab.emu.addCluster({ resourceGroup: 'rg-ver', name: `aks-ver-${lab.seq()}` });
    const run = await runAction(
      { cluster: c.resourceId, command: 'true', 'api-version': '2024-09-10' },
      lab.emu,
    );
    assert.equal(run.code, 1, run.stdout);
    assert.equal(run.outputs.status, 'Failed');
    assert.match(run.stdout, /InvalidApiVersionParameter: The api-version '2024-09-10' is invalid/);
    assert.equal(c.commands().length, 0);
  });

  it('serves the cloud metadata without a token, in the shape of each version', async () => {
    const emu = lab.emu;
    const get = (version: string) =>
      call(emu, 'GET', `${emu.armEndpoint}/metadata/endpoints?api-version=${version}`);
    const own = (await get('2022-09-01')).body as Record<string, unknown>;
    assert.equal(own.resourceManager, `${emu.armEndpoint}/`);
    assert.deepEqual((own.authentication as { audiences: string[] }).audiences, [
      `${emu.armEndpoint}/`,
    ]);
    assert.equal(
      (own.authentication as { loginEndpoint: string }).loginEndpoint,
      `${emu.authorityHost}/adfs`,
    );
    const list = (await get('2019-05-01')).body as unknown[];
    assert.ok(Array.isArray(list) && list.length === 1);
    const legacy = (await get('2015-01-01')).body as Record<string, unknown>;
    assert.ok(
      typeof legacy.graphEndpoint === 'string' && typeof legacy.galleryEndpoint === 'string',
    );
    assert.equal((await get('2099-01-01')).status, 400);
  });
});

describe('a custom arm-endpoint (Azure Stack Hub)', () => {
  it('asks for tokens for the audience its metadata names', async () => {
    const audience = `https://management.adfs.azurestack.local/${randomUUID()}`;
    const stack = await startEmulator({ armAudience: audience });
    try {
      const c = stack.addCluster({ resourceGroup: 'rg-stack', name: 'aks-stack' });
      // That ARM takes no token for its own URL, the audience the action used to ask for.
      const ownUrl = await call(
        stack,
        'GET',
        `${stack.armEndpoint}${c.resourceId}?api-version=2024-09-01`,
        {
          token: await tokenFor(stack, `${stack.armEndpoint}/.default`),
        },
      );
      assert.equal(ownUrl.status, 401);
      assert.equal(errorOf(ownUrl).code, 'InvalidAuthenticationTokenAudience');

      const run = await runAction({ cluster: c.resourceId, command: 'echo on the stack' }, stack);
      assert.equal(run.code, 0, run.stdout);
      assert.equal(run.outputs.logs, 'on the stack\n');
      assert.match(
        displayedLog(run.stdout),
        new RegExp(
          `ARM token audience ${audience.replace(/[.]/g, '\\.')} \\(from ${stack.armEndpoint.replace(/[.]/g, '\\.')}/metadata/endpoints\\)`,
        ),
      );
      const metadata = stack.requests.filter((r) => r.kind === 'metadata');
      assert.deepEqual(
        metadata.map((r) => r.path),
        ['/metadata/endpoints?api-version=2022-09-01'],
      );
      const refusedDuringRun = stack.requests.filter(
        (r) => r.server === 'arm' && r.status === 401 && r.time >= run.startedAt,
      );
      assert.deepEqual(refusedDuringRun, []);
    } finally {
      await stack.stop();
    }
  });
});

describe('a server the runner does not trust', () => {
  const untrusted =
    /the server's certificate is not trusted: 127\.0\.0\.1:\d+ presented a certificate that does not chain to a trusted root \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)/;

  it('says so for ARM, and how to trust it', async () => {
    const c = lab.emu.addCluster({ resourceGroup: 'rg-trust', name: `aks-trust-${lab.seq()}` });
    const run = await runAction({ cluster: c.resourceId, command: 'true' }, lab.emu, {
      env: { NODE_EXTRA_CA_CERTS: undefined },
    });
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stdout, untrusted);
    assert.match(run.summary, /NODE_EXTRA_CA_CERTS/);
    assert.doesNotMatch(run.stdout + run.summary, /expired secret/);
    assert.match(
      run.stdout,
      new RegExp(`GET ${lab.emu.armEndpoint.replace(/[.]/g, '\\.')}/metadata/endpoints failed`),
    );
  });

  it('tells an authority that cannot be reached from one that is not trusted', async () => {
    const c = lab.emu.addCluster({ resourceGroup: 'rg-trust', name: `aks-trust-${lab.seq()}` });
    // Port 9 (discard) is closed on the test machine: the connection is refused.
    const run = await runAction({ cluster: c.resourceId, command: 'true' }, lab.emu, {
      env: { 'INPUT_AUTHORITY-HOST': 'https://127.0.0.1:9' },
    });
    assert.equal(run.code, 1, run.stdout);
    assert.match(
      run.stdout,
      /the authority https:\/\/127\.0\.0\.1:9 cannot be reached \(ECONNREFUSED\)/,
    );
    assert.doesNotMatch(run.stdout + run.summary, /expired secret|not trusted/);
  });

  it('says so for Entra, and not that the secret may have expired', async () => {
    // ARM is trusted (its CA is in NODE_EXTRA_CA_CERTS); the authority is another emulator, whose CA is not.
    const elsewhere = await startEmulator();
    try {
      const c = lab.emu.addCluster({ resourceGroup: 'rg-trust', name: `aks-trust-${lab.seq()}` });
      const run = await runAction({ cluster: c.resourceId, command: 'true' }, lab.emu, {
        env: {
          'INPUT_AUTHORITY-HOST': elsewhere.authorityHost,
          AZURE_TENANT_ID: elsewhere.tenantId,
          AZURE_CLIENT_ID: elsewhere.clientId,
          AZURE_CLIENT_SECRET: elsewhere.clientSecret,
        },
      });
      assert.equal(run.code, 1, run.stdout);
      assert.match(run.stdout, /Sign-in \(environment\) failed while requesting a token for /);
      assert.match(run.stdout, untrusted);
      assert.ok(run.stdout.includes(new URL(elsewhere.authorityHost).host));
      assert.match(run.summary, /NODE_EXTRA_CA_CERTS/);
      assert.doesNotMatch(run.stdout + run.summary, /expired secret/);
      assert.equal(c.commands().length, 0);
      assert.ok(
        !elsewhere.requests.some((r) => r.kind === 'token'),
        'no token request got through',
      );
    } finally {
      await elsewhere.stop();
    }
  });
});
