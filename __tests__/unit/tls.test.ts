import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createCa, issueCertificate, toPfxBase64, type PemPair } from '../../emulator/certs.ts';
import {
  startServiceFabricGateway,
  type ServiceFabricGateway,
} from '../../emulator/service-fabric.ts';
import { InputError, SignInError, TransportError } from '../../src/base/errors.ts';
import { parseThumbprints } from '../../src/inputs/parsers.ts';
import { SERVICE_FABRIC_RETRY } from '../../src/network/retry.ts';
import { serverTimeoutSeconds, serviceFabricError } from '../../src/service-fabric/client.ts';
import { pickGatewayAuth } from '../../src/service-fabric/connection.ts';
import type { CancelFaultSettings } from '../../src/inputs/settings.ts';
import {
  matchesPin,
  parseCaBundle,
  parseClientCertificate,
  pinnedServerCheck,
  thumbprintsOf,
} from '../../src/network/tls.ts';
import { Transport } from '../../src/network/http.ts';

let ca: PemPair;
let client: PemPair;
before(() => {
  ca = createCa('tls unit test CA');
  client = issueCertificate(ca, { commonName: 'sf-admin', client: true });
});

function rejectsInput(fn: () => unknown, input: string, pattern?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof InputError, String(error));
    assert.equal(error.input, input);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

describe('client certificate input', () => {
  it('reads PEM with the key before or after the certificate, and masks only key lines', () => {
    for (const text of [
      `${client.certPem}\n${client.keyPem}`,
      `${client.keyPem}\r\n${client.certPem}`,
    ]) {
      const parsed = parseClientCertificate(text, '');
      assert.match(String(parsed.options.cert), /^-----BEGIN CERTIFICATE-----/);
      assert.match(String(parsed.options.key), /PRIVATE KEY-----$/);
      assert.match(parsed.description, /CN=sf-admin \(SHA-1 [0-9a-f]{40}/);
      const keyBody = client.keyPem.split('\n')[1]!;
      assert.ok(parsed.secrets.includes(keyBody));
      const certBody = client.certPem.split('\n')[1]!;
      assert.ok(!parsed.secrets.includes(certBody));
    }
  });

  it('keeps a chain: every CERTIFICATE block is presented', () => {
    const parsed = parseClientCertificate(`${client.certPem}\n${ca.certPem}\n${client.keyPem}`, '');
    assert.equal(String(parsed.options.cert).match(/BEGIN CERTIFICATE/g)?.length, 2);
  });

  it('reads a base64 PFX (wrapped lines too) with its password', () => {
    const pfx = toPfxBase64(client.certPem, client.keyPem, 'pw');
    const wrapped = pfx.replace(/(.{76})/g, '$1\n');
    const parsed = parseClientCertificate(wrapped, 'pw');
    assert.ok(Buffer.isBuffer(parsed.options.pfx));
    assert.equal(parsed.options.passphrase, 'pw');
    assert.match(parsed.description, /CN=sf-admin .* from the PFX/);
    assert.ok(parsed.secrets.includes(pfx) && parsed.secrets.includes('pw'));
  });

  it('names the input and what is wrong', () => {
    const pfx = toPfxBase64(client.certPem, client.keyPem, 'pw');
    rejectsInput(
      () => parseClientCertificate(pfx, 'wrong'),
      'certificate-password',
      /does not open/,
    );
    rejectsInput(() => parseClientCertificate(pfx, ''), 'certificate-password', /is required/);
    rejectsInput(
      () => parseClientCertificate('not a certificate!', ''),
      'certificate',
      /neither PEM/,
    );
    rejectsInput(
      () => parseClientCertificate(Buffer.from('hello world').toString('base64'), ''),
      'certificate',
      /not a PFX/,
    );
    rejectsInput(
      () => parseClientCertificate(client.certPem, ''),
      'certificate',
      /1 certificate\(s\) and 0 private key/,
    );
    const other = issueCertificate(ca, { commonName: 'other', client: true });
    rejectsInput(
      () => parseClientCertificate(`${client.certPem}\n${other.keyPem}`, ''),
      'certificate',
      /does not belong to the certificate/,
    );
  });
});

describe('server certificate pins', () => {
  it('matches SHA-1 and SHA-256 thumbprints in any spelling', () => {
    const cert = new X509Certificate(ca.certPem);
    const { sha1, sha256 } = thumbprintsOf(cert);
    assert.match(sha1, /^[0-9a-f]{40}$/);
    assert.match(sha256, /^[0-9a-f]{64}$/);
    // As copied from openssl (colons, upper case) or the portal (plain hex).
    assert.ok(matchesPin(parseThumbprints('pin', cert.fingerprint256), cert));
    assert.ok(matchesPin(parseThumbprints('pin', cert.fingerprint.replace(/:/g, '')), cert));
    assert.ok(
      matchesPin(parseThumbprints('pin', `${'1'.repeat(40)}, ${sha1.toUpperCase()}`), cert),
    );
    assert.ok(!matchesPin(parseThumbprints('pin', '0'.repeat(64)), cert));
  });

  it('reads a CA bundle', () => {
    const other = createCa('second');
    assert.equal(parseCaBundle(`${ca.certPem}\n${other.certPem}`).length, 2);
    rejectsInput(() => parseCaBundle('nothing here'), 'ca-certificate');
  });
});

describe('pinned connections', () => {
  let pinned: ServiceFabricGateway;
  let impostor: ServiceFabricGateway;
  before(async () => {
    pinned = await startServiceFabricGateway({ ca, selfSignedServerCert: true });
    impostor = await startServiceFabricGateway({ ca, selfSignedServerCert: true });
  });
  after(async () => {
    await pinned.stop();
    await impostor.stop();
  });

  function transport(pin: string, seen: X509Certificate[]): Transport {
    return new Transport({
      userAgent: 'tls-test',
      policy: { ...SERVICE_FABRIC_RETRY, maxRetries: 0 },
      signal: new AbortController().signal,
      stats: { requests: 0, retries: 0 },
      onRetry: () => undefined,
      checkServer: pinnedServerCheck(pinned.url, [pin], (server) => seen.push(server)),
    });
  }

  it('trusts exactly the pinned certificate, checked on the connection the requests use', async () => {
    const pin = thumbprintsOf(new X509Certificate(pinned.serverCertPem)).sha256;
    const seen: X509Certificate[] = [];
    const client = transport(pin, seen);
    const list = (url: string) =>
      client.send(
        'GET',
        `${url}/Faults/?api-version=6.0&TypeFilter=1&StateFilter=1`,
        undefined,
        () => Promise.resolve({}),
      );
    try {
      assert.equal((await list(pinned.url)).status, 403);
      assert.equal((await list(pinned.url)).status, 403);
      assert.equal(pinned.requests.length, 2, 'no separate pre-flight connection or request');
      assert.equal(seen.length, 1, 'the match is announced once');
      // Another server later (DNS moved, interception): refused before anything is written.
      await assert.rejects(list(impostor.url), (error: unknown) => {
        assert.ok(error instanceof TransportError);
        assert.equal(error.code, 'ECERTPIN');
        assert.match(error.message, /matches no server-cert-thumbprint; nothing was sent/);
        return true;
      });
      assert.equal(impostor.requests.length, 0);
    } finally {
      client.dispose();
    }
  });
});

describe('gateway sign-in choice', () => {
  const settings = (over: Partial<CancelFaultSettings>) =>
    ({
      auth: 'auto',
      certificate: '',
      clientId: '',
      tenantId: '',
      gatewayUrl: 'https://sf.example:19080',
      ...over,
    }) as CancelFaultSettings;
  const env =
    (vars: Record<string, string>) =>
    (name: string): string =>
      vars[name] ?? '';

  it('auto: certificate first, then an Azure credential, then none for http only', () => {
    const entra = env({ AZURE_CLIENT_ID: 'c', AZURE_TENANT_ID: 't', AZURE_CLIENT_SECRET: 's' });
    assert.equal(pickGatewayAuth(settings({ certificate: 'x' }), entra).kind, 'certificate');
    assert.equal(pickGatewayAuth(settings({}), entra).kind, 'entra');
    assert.equal(
      pickGatewayAuth(settings({ gatewayUrl: 'http://localhost:19080' }), env({})).kind,
      'none',
    );
    assert.throws(() => pickGatewayAuth(settings({}), env({})), SignInError);
  });

  it('auth: certificate needs the certificate input', () => {
    rejectsInput(() => pickGatewayAuth(settings({ auth: 'certificate' }), env({})), 'certificate');
    assert.equal(pickGatewayAuth(settings({ auth: 'oidc' }), env({})).kind, 'entra');
  });

  it('keeps the server-side timeout below the request timeout', () => {
    assert.equal(serverTimeoutSeconds(65_000), 60);
    assert.equal(serverTimeoutSeconds(30_000), 25);
    assert.equal(serverTimeoutSeconds(15_000), 10);
    assert.equal(serverTimeoutSeconds(5_000), 1);
  });

  it('reads Service Fabric error bodies', () => {
    assert.deepEqual(
      serviceFabricError({ text: '{"Error":{"Code":"FABRIC_E_NOT_READY","Message":"busy"}}' }),
      { code: 'FABRIC_E_NOT_READY', message: 'busy' },
    );
    assert.equal(serviceFabricError({ text: '' }), undefined);
    assert.equal(serviceFabricError({ text: '{"error":{"code":"x"}}' }), undefined);
  });
});
