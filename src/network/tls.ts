// TLS for the Service Fabric gateway: the client certificate (PEM or PFX), the trust in the
// server (CA bundle, or a pinned thumbprint for self-signed cluster certificates).
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { InputError, errorMessage } from '../base/errors.ts';
import { codedError, type ServerCheck } from './proxy.ts';

export type GatewayTls = Pick<
  tls.ConnectionOptions,
  | 'cert'
  | 'key'
  | 'pfx'
  | 'passphrase'
  | 'ca'
  | 'allowPartialTrustChain'
  | 'checkServerIdentity'
  | 'servername'
>;

export interface ClientCertificate {
  /** The TLS options that present it. */
  options: Pick<GatewayTls, 'cert' | 'key' | 'pfx' | 'passphrase'>;
  /** Parts of the input worth masking in the log: the key lines, the PFX, the password. */
  secrets: string[];
  /** One line for the log: the subject and SHA-1 thumbprint (public facts). */
  description: string;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Every PEM block of a text, with its label (CERTIFICATE, PRIVATE KEY, RSA PRIVATE KEY, …). */
function pemBlocks(text: string): { label: string; pem: string }[] {
  return [...text.matchAll(PEM_BLOCK)].map((match) => ({ label: match[1] ?? '', pem: match[0] }));
}

/**
 * Reads the `certificate` input: PEM (certificate blocks and one private key, in any order) or a
 * base64 PFX opened with `certificate-password`. Checked here with OpenSSL itself, so a wrong
 * password or a key that does not belong to the certificate fails before any call.
 */
export function parseClientCertificate(input: string, password: string): ClientCertificate {
  const text = input.replace(/\r\n/g, '\n').trim();
  const secrets = password ? [password] : [];
  if (text.includes('-----BEGIN ')) {
    const blocks = pemBlocks(text);
    const certs = blocks.filter((block) => block.label === 'CERTIFICATE').map((b) => b.pem);
    const keys = blocks.filter((block) => block.label.endsWith('PRIVATE KEY')).map((b) => b.pem);
    const [key] = keys;
    const [leaf] = certs;
    if (!leaf || !key || keys.length !== 1) {
      throw new InputError(
        'certificate',
        `holds ${certs.length} certificate(s) and ${keys.length} private key(s) in PEM; it needs the client certificate (with its chain, if any) and exactly one private key`,
        'Concatenate the certificate and its key: cat client.crt client.key, and store the result in a secret.',
      );
    }
    secrets.push(...keyLines(key));
    const options = { cert: certs.join('\n'), key, ...(password ? { passphrase: password } : {}) };
    validate(options, () =>
      key.includes('ENCRYPTED')
        ? ['certificate-password', 'does not open the encrypted private key of the certificate']
        : undefined,
    );
    checkValidity(readCertificate(leaf));
    return { options, secrets, description: describeCertificate(leaf) };
  }
  const base64 = text.replace(/\s+/g, '');
  if (base64 === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
    throw new InputError(
      'certificate',
      'is neither PEM (-----BEGIN CERTIFICATE----- and a private key) nor a base64 PFX',
      'Pass a PEM file holding the certificate and its key, or a PFX encoded with base64 -w0 cert.pfx.',
    );
  }
  secrets.push(base64, ...text.split(/\s+/).filter((line) => line.length >= 16));
  const pfx = Buffer.from(base64, 'base64');
  const options = { pfx, passphrase: password };
  validate(options, (message) => {
    if (/mac verify failure/i.test(message)) {
      return password
        ? ['certificate-password', 'does not open the PFX in certificate']
        : ['certificate-password', 'is required: the PFX in certificate has a password'];
    }
    if (/unsupported/i.test(message)) {
      return [
        'certificate',
        'is a PFX with a legacy encryption (RC2 or 40-bit) that OpenSSL 3 refuses; re-export it with AES (openssl pkcs12 -export -keypbe AES-256-CBC -certpbe AES-256-CBC -macalg sha256) or pass PEM',
      ];
    }
    return undefined;
  });
  const pfxLeaf = leafOfPfx(options);
  checkValidity(pfxLeaf);
  return {
    options,
    secrets,
    description: pfxLeaf
      ? `${describeCertificate(pfxLeaf.toString())} from the PFX`
      : 'client certificate (PFX)',
  };
}

function readCertificate(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

/**
 * A client certificate outside its validity period is refused by every TLS server; say so before
 * any call, rather than let the cluster's 403 be read as a missing admin right.
 */
export function checkValidity(cert: X509Certificate | undefined, now = new Date()): void {
  if (!cert) return;
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  const subject = cert.subject.replace(/\n/g, ', ');
  if (to.getTime() < now.getTime()) {
    throw new InputError(
      'certificate',
      `the client certificate ${subject} (SHA-1 ${thumbprintsOf(cert).sha1}) expired on ${to.toISOString()}`,
      'Renew the admin client certificate of the cluster and update the secret that holds it.',
    );
  }
  if (from.getTime() > now.getTime()) {
    throw new InputError(
      'certificate',
      `the client certificate ${subject} (SHA-1 ${thumbprintsOf(cert).sha1}) is not valid before ${from.toISOString()}`,
      "Check the runner's clock, or wait until the certificate becomes valid.",
    );
  }
}

function validate(
  options: tls.SecureContextOptions,
  explain: (message: string) => [input: string, message: string] | undefined,
): void {
  try {
    tls.createSecureContext(options);
  } catch (error) {
    const message = errorMessage(error);
    const known = explain(message);
    if (known) throw new InputError(...known);
    const reason = /key values mismatch/i.test(message)
      ? 'the private key does not belong to the certificate'
      : /not enough data|wrong tag|asn1|header too long/i.test(message)
        ? 'the base64 text is not a PFX (PKCS#12) file'
        : `OpenSSL cannot use it (${message.replace(/^error:[0-9A-F]+:[^:]*::/i, '')})`;
    throw new InputError('certificate', reason);
  }
}

/** The base64 lines of a private key, each masked on its own (the runner masks line by line). */
function keyLines(pem: string): string[] {
  return pem
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length >= 16 && !line.startsWith('-----'));
}

function describeCertificate(pem: string): string {
  try {
    const cert = new X509Certificate(pem);
    const subject = cert.subject.replace(/\n/g, ', ');
    return `client certificate ${subject} (SHA-1 ${thumbprintsOf(cert).sha1}, valid until ${new Date(cert.validTo).toISOString().slice(0, 10)})`;
  } catch {
    return 'client certificate (PEM)';
  }
}

/** The leaf certificate of a PFX, as a server would see it; undefined when it cannot be read. */
function leafOfPfx(options: tls.SecureContextOptions): X509Certificate | undefined {
  try {
    // The secure context has parsed the PFX; its leaf certificate is what a server would see.
    const context = tls.createSecureContext(options);
    const socket = new tls.TLSSocket(null as never, { secureContext: context });
    const cert = socket.getCertificate();
    socket.destroy();
    if (cert && 'raw' in cert && cert.raw) return new X509Certificate(cert.raw);
  } catch {
    // Only descriptive.
  }
  return undefined;
}

/** SHA-1 and SHA-256 thumbprints as lowercase hex without colons (how server-cert-thumbprint is parsed). */
export function thumbprintsOf(cert: { fingerprint: string; fingerprint256: string }): {
  sha1: string;
  sha256: string;
} {
  const normalise = (value: string) => value.replace(/:/g, '').toLowerCase();
  return { sha1: normalise(cert.fingerprint), sha256: normalise(cert.fingerprint256) };
}

/** True when the certificate's SHA-1 or SHA-256 thumbprint is one of the (normalised) pins. */
export function matchesPin(
  pins: readonly string[],
  cert: { fingerprint: string; fingerprint256: string },
): boolean {
  const { sha1, sha256 } = thumbprintsOf(cert);
  return pins.includes(sha1) || pins.includes(sha256);
}

/** Reads the `ca-certificate` input: one or more PEM certificates. */
export function parseCaBundle(input: string): string[] {
  const certs = pemBlocks(input.replace(/\r\n/g, '\n'))
    .filter((block) => block.label === 'CERTIFICATE')
    .map((block) => block.pem);
  if (certs.length === 0) {
    throw new InputError(
      'ca-certificate',
      'holds no PEM certificate (-----BEGIN CERTIFICATE-----)',
    );
  }
  for (const pem of certs) {
    try {
      new X509Certificate(pem);
    } catch (error) {
      throw new InputError(
        'ca-certificate',
        `holds a certificate that cannot be read (${errorMessage(error)})`,
      );
    }
  }
  return certs;
}

/**
 * The check of a pinned server, run on every new connection (direct or through the proxy's
 * tunnel) once its TLS handshake is done and before any request is written on it. The server
 * name and chain are not checked: the pin is the identity (cluster certificates rarely name the
 * address the gateway is reached at). `onMatch` hears of the first accepted certificate.
 */
export function pinnedServerCheck(
  gatewayUrl: string,
  pins: readonly string[],
  onMatch: (server: X509Certificate) => void,
): ServerCheck {
  const host = new URL(gatewayUrl).host;
  let announced = false;
  return (socket) => {
    const peer = socket.getPeerCertificate();
    if (!peer?.raw) return codedError('ECERTPIN', `The server ${host} presented no certificate.`);
    const server = new X509Certificate(peer.raw);
    if (matchesPin(pins, server)) {
      if (!announced) onMatch(server);
      announced = true;
      return undefined;
    }
    const { sha1, sha256 } = thumbprintsOf(server);
    return codedError(
      'ECERTPIN',
      `the server ${host} presented a certificate (${server.subject.replace(/\n/g, ', ')}; SHA-256 ${sha256}, SHA-1 ${sha1}) that matches no server-cert-thumbprint; nothing was sent to it`,
    );
  };
}
