import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface PemPair {
  certPem: string;
  keyPem: string;
}

export interface IssueOptions {
  commonName: string;
  client?: boolean;
  ipSans?: string[];
  dnsSans?: string[];
  validDays?: number;
}

// node-forge generates RSA keys in pure JS (seconds per key); Node's native generator is instant.
function newKeyPair(): {
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
  keyPem: string;
} {
  const { privateKey: keyPem } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const privateKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.setRsaPublicKey(privateKey.n, privateKey.e);
  return { privateKey, publicKey, keyPem };
}

function newCertificate(
  publicKey: forge.pki.rsa.PublicKey,
  validDays: number,
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A leading 0x01 byte keeps the DER INTEGER positive.
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  const notBefore = new Date(Date.now() - 24 * 3600 * 1000);
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(notBefore.getTime() + (validDays + 1) * 24 * 3600 * 1000);
  return cert;
}

export function createCa(commonName = 'Azure Emulator Test CA'): PemPair {
  const { privateKey, publicKey, keyPem } = newKeyPair();
  const cert = newCertificate(publicKey, 3650);
  const subject = [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: 'Azure Emulator' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

export function issueCertificate(ca: PemPair, opts: IssueOptions): PemPair {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const { publicKey, keyPem } = newKeyPair();
  const cert = newCertificate(publicKey, opts.validDays ?? 365);
  cert.setSubject([{ name: 'commonName', value: opts.commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [
    ...(opts.dnsSans ?? []).map((value) => ({ type: 2, value })),
    ...(opts.ipSans ?? []).map((ip) => ({ type: 7, ip })),
  ];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: !opts.client, clientAuth: opts.client === true },
    ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
    { name: 'subjectKeyIdentifier' },
    {
      name: 'authorityKeyIdentifier',
      keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes(),
    },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

export function issueServerCertificate(ca: PemPair, hostNames: string[] = []): PemPair {
  return issueCertificate(ca, {
    commonName: 'localhost',
    ipSans: ['127.0.0.1'],
    dnsSans: ['localhost', ...hostNames],
  });
}

// 3DES keeps the PFX loadable by OpenSSL 3 without the legacy provider.
export function toPfxBase64(
  certPem: string,
  keyPem: string,
  password: string,
  chainPems: string[] = [],
): string {
  const key = forge.pki.privateKeyFromPem(keyPem);
  const certs = [certPem, ...chainPems].map((pem) => forge.pki.certificateFromPem(pem));
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, certs, password, { algorithm: '3des' });
  return forge.util.encode64(forge.asn1.toDer(asn1).getBytes());
}

export function sha1Thumbprint(certPem: string): string {
  const der = forge.asn1
    .toDer(forge.pki.certificateToAsn1(forge.pki.certificateFromPem(certPem)))
    .getBytes();
  return forge.md.sha1.create().update(der).digest().toHex().toUpperCase();
}
