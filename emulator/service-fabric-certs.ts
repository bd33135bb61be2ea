import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import type { PemPair } from './certs.ts';

/**
 * A self-signed server certificate, like the ones `New-SelfSignedCertificate` gives many
 * Service Fabric clusters: not chained to any CA, so clients must pin it by thumbprint.
 */
export function selfSignedServerCertificate(
  commonName: string,
  sans: { ipSans: string[]; dnsSans: string[] },
): PemPair {
  // node:crypto rather than forge for the key: forge's pure-JS RSA generation takes seconds.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const key = forge.pki.privateKeyFromPem(keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  // A leading 0x01 byte keeps the DER INTEGER positive.
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 24 * 3600_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 24 * 3600_000);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  const altNames = [
    ...sans.dnsSans.map((value) => ({ type: 2, value })),
    ...sans.ipSans.map((ip) => ({ type: 7, ip })),
  ];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}
