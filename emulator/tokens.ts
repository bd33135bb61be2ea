import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type Claims = Record<string, unknown> & { exp?: number; nbf?: number; aud?: string };

export type VerifyResult =
  | { ok: true; claims: Claims }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' | 'notYetValid'; claims?: Claims };

export interface Signer {
  kid: string;
  sign(claims: Claims): string;
  /** Checks signature and lifetime; the lifetime as of `atSeconds` (default now). */
  verify(token: string, atSeconds?: number): VerifyResult;
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export function newJti(): string {
  return randomBytes(16).toString('base64url');
}

export function decodeClaims(token: string): Claims | undefined {
  const part = token.split('.')[1];
  if (part === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null ? (claims as Claims) : undefined;
  } catch {
    return undefined;
  }
}

export function createSigner(kid: string): Signer {
  const key = randomBytes(32);
  const mac = (input: string): Buffer => createHmac('sha256', key).update(input).digest();
  return {
    kid,
    sign(claims) {
      const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid }));
      const body = b64url(JSON.stringify(claims));
      return `${head}.${body}.${b64url(mac(`${head}.${body}`))}`;
    },
    verify(token, atSeconds = nowSeconds()) {
      const [head, body, sig, extra] = token.split('.');
      if (head === undefined || body === undefined || sig === undefined || extra !== undefined) {
        return { ok: false, reason: 'malformed' };
      }
      const claims = decodeClaims(token);
      if (!claims) return { ok: false, reason: 'malformed' };
      const expected = mac(`${head}.${body}`);
      const given = Buffer.from(sig, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return { ok: false, reason: 'signature', claims };
      }
      const now = atSeconds;
      if (typeof claims.exp !== 'number' || claims.exp <= now)
        return { ok: false, reason: 'expired', claims };
      if (typeof claims.nbf === 'number' && claims.nbf > now)
        return { ok: false, reason: 'notYetValid', claims };
      return { ok: true, claims };
    },
  };
}
