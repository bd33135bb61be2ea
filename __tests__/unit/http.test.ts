// The body reader of the transport against a real local server: cut bodies, stalls, the size
// cap and the speed of large answers; and the audiences a gateway may not ask tokens for.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MAX_BODY_BYTES, exchange } from '../../src/network/http.ts';
import { refuseForeignAudience } from '../../src/service-fabric/connection.ts';
import type { CancelFaultSettings } from '../../src/inputs/settings.ts';
import { ActionError } from '../../src/base/errors.ts';
import { describeProxy, proxyFor, proxyPasswords } from '../../src/network/proxy.ts';

type Behaviour = (res: http.ServerResponse) => void;
const behaviours = new Map<string, Behaviour>();
let server: http.Server;
let base: string;
const agent = new http.Agent({ keepAlive: true });

before(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    behaviours.get(req.url ?? '')?.(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  agent.destroy();
  server.closeAllConnections();
  server.close();
});

function get(path: string, behaviour: Behaviour, deadlineMs = 5_000) {
  behaviours.set(path, behaviour);
  return exchange({
    url: new URL(path, base),
    method: 'GET',
    body: undefined,
    headers: {},
    agent,
    deadlineMs,
    signal: new AbortController().signal,
  });
}

function failsWith(code: string) {
  return (error: unknown) => {
    assert.equal((error as NodeJS.ErrnoException).code, code, String(error));
    return true;
  };
}

describe('reading an answer', () => {
  it('fails at once when the body is cut mid-way', async () => {
    const started = Date.now();
    await assert.rejects(
      get('/cut', (res) => {
        res.writeHead(200, { 'content-length': 100 });
        res.write('{"half":');
        setTimeout(() => res.socket?.destroy(), 20);
      }),
      failsWith('ERR_BODY_CUT'),
    );
    assert.ok(Date.now() - started < 2_000);
  });

  it('fails when the answer stalls after its headers and the connection closes', async () => {
    await assert.rejects(
      get('/stall', (res) => {
        res.writeHead(200, { 'content-length': 100 });
        res.flushHeaders();
        setTimeout(() => res.socket?.destroy(), 200);
      }),
      failsWith('ERR_BODY_CUT'),
    );
  });

  it('bounds a body that trickles forever by the request timeout', async () => {
    let timer: NodeJS.Timeout | undefined;
    await assert.rejects(
      get(
        '/trickle',
        (res) => {
          res.writeHead(200, { 'content-length': 1_000_000 });
          timer = setInterval(() => res.write(' '), 50);
          res.on('close', () => clearInterval(timer));
        },
        600,
      ),
      failsWith('REQUEST_TIMEOUT'),
    );
    clearInterval(timer);
  });

  it('refuses an answer above the cap without reading it all', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const started = Date.now();
    await assert.rejects(
      get('/huge', (res) => {
        res.writeHead(200, { 'content-length': 16 * 1024 * 1024 });
        const write = () => {
          while (res.write(chunk));
          res.once('drain', write);
        };
        write();
        res.on('close', () => res.removeAllListeners('drain'));
      }),
      failsWith('ERR_BODY_TOO_LARGE'),
    );
    assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
  });

  it('reads a large answer just under the cap in one pass (chunks joined once)', async () => {
    const size = MAX_BODY_BYTES - 1024;
    const chunk = Buffer.alloc(16 * 1024, 'b');
    const started = Date.now();
    const result = await get('/large', (res) => {
      res.writeHead(200, { 'content-length': size });
      let sent = 0;
      const write = () => {
        while (sent < size) {
          const part = chunk.subarray(0, Math.min(chunk.length, size - sent));
          sent += part.length;
          if (!res.write(part)) return void res.once('drain', write);
        }
        res.end();
      };
      write();
    });
    const elapsed = Date.now() - started;
    assert.equal(result.text.length, size);
    assert.ok(elapsed < 3_000, `reading ${size} bytes took ${elapsed} ms`);
  });
});

describe('GetAadMetadata audiences', () => {
  const settings = {
    gatewayUrl: 'https://sf.example:19080',
    endpoints: {
      armEndpoint: 'https://management.private.example',
      audience: 'api://AzureADTokenExchange',
    },
  } as Pick<CancelFaultSettings, 'endpoints' | 'gatewayUrl'>;

  it('refuses Azure management and Graph resources, in every cloud and spelling', () => {
    for (const audience of [
      'https://management.azure.com',
      'https://management.azure.com/',
      'HTTPS://MANAGEMENT.AZURE.COM/.default',
      'https://management.core.windows.net/',
      'https://graph.microsoft.com',
      'https://graph.windows.net/',
      'https://management.usgovcloudapi.net',
      'https://management.chinacloudapi.cn',
      'https://graph.microsoft.us',
      'https://microsoftgraph.chinacloudapi.cn',
      'management.azure.com',
      '797f4846-ba00-4fd7-ba43-dac1f8f63013',
      '00000003-0000-0000-c000-000000000000',
      'https://management.private.example',
    ]) {
      assert.throws(
        () => refuseForeignAudience(audience, settings),
        (error: unknown) =>
          error instanceof ActionError && /Azure management or Graph resource/.test(error.message),
        audience,
      );
    }
  });

  it('accepts a cluster application', () => {
    for (const audience of [
      'a1b2c3d4-0000-4000-8000-000000000001',
      'api://my-sf-cluster',
      'https://sfcluster.contoso.com',
    ])
      assert.doesNotThrow(() => refuseForeignAudience(audience, settings), audience);
  });
});

describe('proxy settings', () => {
  const names = ['HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy'] as const;
  const saved = names.map((name) => [name, process.env[name]] as const);
  after(() => {
    for (const [name, value] of saved) {
      if (value === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = value;
    }
  });

  it('uses HTTPS_PROXY except for NO_PROXY hosts and loopback', () => {
    delete process.env.https_proxy;
    delete process.env.no_proxy;
    process.env.HTTPS_PROXY = 'http://user:p%40ss@127.0.0.1:3128';
    process.env.NO_PROXY = 'skip.emulator.test,.internal.example';
    assert.equal(proxyFor('https://arm.emulator.test:443/x')?.host, '127.0.0.1:3128');
    assert.equal(proxyFor('https://skip.emulator.test/x'), undefined);
    assert.equal(proxyFor('https://a.internal.example/x'), undefined);
    assert.equal(proxyFor('https://127.0.0.1:8443/x'), undefined);
    assert.equal(proxyFor('https://localhost/x'), undefined);
  });

  it('finds the proxy password to mask, as written and decoded, and never prints it', () => {
    const env = (name: string) =>
      ({ HTTPS_PROXY: 'http://user:p%40ss@proxy:3128', http_proxy: 'proxy:80' })[name] ?? '';
    assert.deepEqual(proxyPasswords(env).sort(), ['p%40ss', 'p@ss']);
    assert.equal(
      describeProxy(new URL('http://user:p%40ss@proxy:3128')),
      'the proxy http://proxy:3128 (HTTPS_PROXY)',
    );
  });
});
