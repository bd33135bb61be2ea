// Telling an untrusted server certificate apart from every other failure, and saying how to trust
// it. A private CA (Azure Stack Hub, a TLS-inspecting proxy, the emulator) is a setup problem of the
// runner, not a wrong secret.
import { connect } from 'node:tls';

/** OpenSSL's verdicts (as Node reports them) that mean "no trusted root vouches for this server". */
const UNTRUSTED_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_UNTRUSTED',
  'CERT_CHAIN_TOO_LONG',
]);

/** Python's (the Azure CLI's) wording of the same verdict. */
const PYTHON_UNTRUSTED = /CERTIFICATE_VERIFY_FAILED/;

export function isUntrustedCertificate(code: string | undefined): boolean {
  return code !== undefined && UNTRUSTED_CODES.has(code);
}

/** The one sentence that names the problem, for an error message. */
export function untrustedMessage(url: string, code: string): string {
  return `the server's certificate is not trusted: ${hostOf(url)} presented a certificate that does not chain to a trusted root (${code}).`;
}

/** How to trust a server whose CA is private, for Node (the action itself). */
export function trustFix(url: string): string {
  return `If ${hostOf(url)} uses a private CA (Azure Stack Hub, a TLS-inspecting proxy, the emulator), put that CA's PEM certificate on the runner and point NODE_EXTRA_CA_CERTS at it before this step, e.g. \`echo "NODE_EXTRA_CA_CERTS=$PWD/ca.pem" >> "$GITHUB_ENV"\` in an earlier step. Do not switch verification off.`;
}

/** True when an Azure CLI error is Python's certificate verification failure. */
export function isAzureCliUntrusted(message: string): boolean {
  return PYTHON_UNTRUSTED.test(message);
}

/** How to trust a private CA for the Azure CLI (Python `requests`). */
export const AZURE_CLI_TRUST_FIX =
  "The Azure CLI does not trust the server's certificate: point REQUESTS_CA_BUNDLE at a PEM bundle holding the system roots and the private CA (for the CLI), and NODE_EXTRA_CA_CERTS at the CA (for this action).";

/** What a TLS handshake with a server says about it. */
export type TlsVerdict =
  | { kind: 'trusted' }
  | { kind: 'untrusted'; code: string }
  | { kind: 'unreachable'; reason: string };

/**
 * Opens a TLS connection to the server (no HTTP data is sent) and says whether its certificate is
 * trusted by the roots this process uses (system roots and NODE_EXTRA_CA_CERTS), or whether the
 * server could not be reached at all. Used after a sign-in failure, because the identity library
 * keeps the cause to itself.
 */
export function probeServer(url: string, timeoutMs = 5_000): Promise<TlsVerdict> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve({ kind: 'unreachable', reason: 'not a URL' });
  }
  if (target.protocol !== 'https:') return Promise.resolve({ kind: 'trusted' });
  return new Promise((resolve) => {
    const socket = connect({
      host: target.hostname.replace(/^\[|\]$/g, ''),
      port: Number(target.port || 443),
      servername: /^[\d.]+$|:/.test(target.hostname) ? undefined : target.hostname,
      rejectUnauthorized: false,
      timeout: timeoutMs,
    });
    const done = (verdict: TlsVerdict) => {
      socket.destroy();
      resolve(verdict);
    };
    socket.once('secureConnect', () => {
      const error = socket.authorizationError as (Error & { code?: string }) | string | null;
      const code = typeof error === 'string' ? error : error?.code;
      done(
        code && isUntrustedCertificate(code) ? { kind: 'untrusted', code } : { kind: 'trusted' },
      );
    });
    socket.once('error', (error: Error & { code?: string }) =>
      done({ kind: 'unreachable', reason: error.code ?? error.message }),
    );
    socket.once('timeout', () => done({ kind: 'unreachable', reason: 'no answer' }));
  });
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
