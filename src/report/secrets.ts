// The secrets a run knows, and the one function that takes them (and anything shaped like a
// bearer token or a JWT) out of every string the action publishes. The runner masks registered
// secrets in the log and the summary, but step outputs reach later steps unmasked, and a service
// that echoes a token back would otherwise hand it on.
import { decodeComponentOrKeep } from '../inputs/parsers.ts';

/** Shorter values would blank out ordinary words; no real credential is this short. */
const MIN_SECRET_LENGTH = 6;
const REPLACEMENT = '***';

/**
 * `Bearer <token>` in any case: 16 or more of the token characters of RFC 6750, at least one of
 * them a digit or punctuation, so that English ("Bearer authentication") is left alone.
 */
const BEARER = /\b(Bearer)(\s+)(?=[A-Za-z]*[0-9\-._~+/])[A-Za-z0-9\-._~+/]{16,}=*/gi;
/** A JWT (header and payload are base64url JSON objects, so they start with `eyJ`). */
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

const known = new Set<string>();
/** Longest first, so a secret that contains another is replaced whole. */
let ordered: string[] = [];

/** Adds a secret (and the forms it takes inside JSON and URLs) to those taken out of published text. */
export function registerSecret(secret: string): void {
  const value = secret.trim();
  if (value.length < MIN_SECRET_LENGTH) return;
  const forms = [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)];
  let added = false;
  for (const form of forms) {
    if (!known.has(form)) {
      known.add(form);
      added = true;
    }
  }
  if (added) ordered = [...known].sort((a, b) => b.length - a.length);
}

/** Takes every registered secret, bearer token and JWT out of `text`. */
export function redact(text: string): string {
  let result = text;
  for (const secret of ordered) {
    if (result.includes(secret)) result = result.split(secret).join(REPLACEMENT);
  }
  return result.replace(BEARER, `$1$2${REPLACEMENT}`).replace(JWT, REPLACEMENT);
}

/** `redact` applied to every string inside a JSON-like value (keys included). */
export function redactDeep<T>(value: T): T {
  return walk(value) as T;
}

function walk(value: unknown): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map(walk);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k), walk(v)]));
  }
  return value;
}

/**
 * Variables whose values are secrets the run holds from the start: the runtime's ID-token request
 * token, a client secret, and proxy credentials.
 */
const SECRET_VARIABLES = [
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'ACTIONS_RUNTIME_TOKEN',
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PASSWORD',
  'GITHUB_TOKEN',
];
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];

/** The secrets in the environment, to register before anything is called. */
export function secretsInEnvironment(env: NodeJS.ProcessEnv): string[] {
  const secrets = SECRET_VARIABLES.map((name) => env[name] ?? '');
  for (const name of PROXY_VARIABLES) {
    const password = proxyPassword(env[name]);
    if (password) secrets.push(password);
  }
  return secrets.filter((s) => s.trim() !== '');
}

function proxyPassword(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value.includes('://') ? value : `http://${value}`);
    return url.password ? decodeComponentOrKeep(url.password) : undefined;
  } catch {
    return undefined;
  }
}
