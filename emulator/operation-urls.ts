// The polling URLs ARM hands out for an asynchronous operation, signed as the live service signs
// them (recorded 2023 and 2025): `…/locations/{loc}/operations/{id}?api-version=2016-03-30&t=…&c=…&s=…&h=…`.
// `t` is a .NET tick count, `c` the signing certificate (DER, base64url), `h` a SHA-256 hash of
// the URL and `s` an RSA signature of it. What the live service hashes and signs is not public;
// here it is the lower-cased path, the api-version and `t`, so a client that changes any of them
// is refused, while one that only adds a parameter (as the moveLocation fault does) is not.
import {
  X509Certificate,
  createHash,
  createPrivateKey,
  createSign,
  createVerify,
} from 'node:crypto';
import { issueCertificate, type PemPair } from './certs.ts';

export const OPERATION_STATUS_API_VERSION = '2016-03-30';
const SIGNING_CN = 'asyncoperationsigningcertificate.management.azure.com';
/** .NET ticks (100 ns since 0001-01-01) at the Unix epoch. */
const EPOCH_TICKS = 621_355_968_000_000_000n;

export interface OperationUrlSigner {
  /** `{armEndpoint}{path}?api-version=2016-03-30&t=…&c=…&s=…&h=…`, signed now. */
  sign(armEndpoint: string, path: string): string;
  /** True when the URL carries a valid signature of its own path. */
  verify(url: URL): boolean;
}

function canonical(path: string, apiVersion: string, ticks: string): string {
  return `${path.toLowerCase()}?api-version=${apiVersion}&t=${ticks}`;
}

export function createOperationUrlSigner(ca: PemPair): OperationUrlSigner {
  const signing = issueCertificate(ca, { commonName: SIGNING_CN, validDays: 180 });
  const key = createPrivateKey(signing.keyPem);
  const cert = new X509Certificate(signing.certPem);
  const certParam = cert.raw.toString('base64url');
  const publicKey = cert.publicKey;
  return {
    sign(armEndpoint, path) {
      const ticks = String(BigInt(Date.now()) * 10_000n + EPOCH_TICKS);
      const text = canonical(path, OPERATION_STATUS_API_VERSION, ticks);
      const hash = createHash('sha256').update(text).digest('base64url');
      const signature = createSign('sha256').update(text).sign(key, 'base64url');
      const query = new URLSearchParams({
        'api-version': OPERATION_STATUS_API_VERSION,
        t: ticks,
        c: certParam,
        s: signature,
        h: hash,
      });
      return `${armEndpoint}${path}?${query.toString()}`;
    },
    verify(url) {
      const q = url.searchParams;
      const [apiVersion, ticks, signature, hash] = ['api-version', 't', 's', 'h'].map((k) =>
        q.get(k),
      );
      if (!apiVersion || !ticks || !signature || !hash || q.get('c') !== certParam) return false;
      const text = canonical(url.pathname, apiVersion, ticks);
      if (createHash('sha256').update(text).digest('base64url') !== hash) return false;
      return createVerify('sha256').update(text).verify(publicKey, signature, 'base64url');
    },
  };
}

/**
 * The operation's GUID as the live status bodies put it in `name`: the first three groups
 * byte-swapped (`39ea42e5-ab8d-41b1-…` in the URL, `e542ea39-8dab-b141-…` in the body), the way
 * .NET's Guid.ToByteArray reorders them. Not a GUID: left as it is.
 */
export function byteSwappedGuid(id: string): string {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})(-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(id);
  if (!m) return id;
  const swap = (hex: string): string => (hex.match(/../g) ?? []).reverse().join('');
  return `${swap(m[1]!)}-${swap(m[2]!)}-${swap(m[3]!)}${m[4]!}`;
}
