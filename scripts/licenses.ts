// The licence notices of what the bundle really contains: esbuild's metafile names every input
// file it included, each file belongs to a package directory under node_modules, and each package
// brings its package.json `license` and its LICENSE / NOTICE files. Pure functions first (tested in
// __tests__/unit/licenses.test.ts), the file reading last.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface BundledPackage {
  name: string;
  version: string;
  /** The package.json `license` (an SPDX expression), or `UNKNOWN`. */
  license: string;
  /** LICENSE, COPYING and NOTICE files of the package, by file name. */
  texts: { file: string; text: string }[];
}

export const ALLOW_LIST_PATH = '.github/licenses-allowed.json';

/** The package directories (`node_modules/@scope/name`, nested ones included) of bundled input files. */
export function packageDirsOf(inputs: Iterable<string>): string[] {
  const dirs = new Set<string>();
  for (const input of inputs) {
    // Greedy: the last node_modules in the path owns the file (nested dependencies).
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input.replace(/\\/g, '/'));
    if (match) dirs.add(match[1]!);
  }
  return [...dirs].sort();
}

/**
 * Whether an SPDX expression is satisfied by the allow-list: `A OR B` needs one of them,
 * `A AND B` both, `WITH` exceptions are judged by their licence, parentheses group.
 */
export function licenseAllowed(expression: string, allowed: readonly string[]): boolean {
  const allow = new Set(allowed.map((id) => id.toLowerCase()));
  const tokens = expression.match(/\(|\)|[^\s()]+/g) ?? [];
  let at = 0;
  const peek = () => tokens[at]?.toUpperCase();
  const orExpr = (): boolean => {
    let ok = andExpr();
    while (peek() === 'OR') {
      at++;
      ok = andExpr() || ok;
    }
    return ok;
  };
  const andExpr = (): boolean => {
    let ok = term();
    while (peek() === 'AND') {
      at++;
      ok = term() && ok;
    }
    return ok;
  };
  const term = (): boolean => {
    const token = tokens[at++];
    if (token === undefined) return false;
    if (token === '(') {
      const ok = orExpr();
      if (tokens[at++] !== ')') return false;
      return ok;
    }
    if (peek() === 'WITH') at += 2;
    return allow.has(token.replace(/\+$/, '').toLowerCase());
  };
  if (tokens.length === 0) return false;
  const ok = orExpr();
  return ok && at === tokens.length;
}

/** One line per bundled package whose licence is not on the allow-list (empty when all are). */
export function licenceProblems(
  packages: readonly BundledPackage[],
  allowed: readonly string[],
): string[] {
  return packages
    .filter((pkg) => !licenseAllowed(pkg.license, allowed))
    .map(
      (pkg) =>
        `${pkg.name}@${pkg.version} is licensed ${pkg.license}, which is not in ${ALLOW_LIST_PATH}`,
    );
}

/** The notice file: a table of contents, then every package's licence texts. Sorted, so stable. */
export function renderNotices(packages: readonly BundledPackage[]): string {
  // Code-point order, not locale order: the same bytes on every machine.
  const key = (pkg: BundledPackage) => `${pkg.name}@${pkg.version}`;
  const sorted = [...packages].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const rule = '-'.repeat(78);
  const head = [
    'Third-party software bundled into dist/ by scripts/bundle.ts, with its licences.',
    'Generated from the files esbuild included; do not edit.',
    '',
    ...sorted.map((pkg) => `${pkg.name}@${pkg.version}: ${pkg.license}`),
  ].join('\n');
  const bodies = sorted.map((pkg) => {
    const texts =
      pkg.texts.length === 0
        ? [`(The package ships no licence file; its package.json says ${pkg.license}.)`]
        : pkg.texts.map((t) => `${t.file}:\n\n${t.text.replace(/\r\n/g, '\n').trimEnd()}`);
    return [rule, `${pkg.name}@${pkg.version} (${pkg.license})`, rule, '', texts.join('\n\n')]
      .join('\n')
      .trimEnd();
  });
  return `${[head, ...bodies].join('\n\n')}\n`;
}

const LICENCE_FILE = /^(licen[cs]e|copying|notice)([.-].*)?$/i;

function spdxOf(manifest: { license?: unknown; licenses?: unknown }): string {
  if (typeof manifest.license === 'string' && manifest.license.trim()) return manifest.license;
  if (typeof manifest.license === 'object' && manifest.license !== null) {
    const type = (manifest.license as { type?: unknown }).type;
    if (typeof type === 'string') return type;
  }
  if (Array.isArray(manifest.licenses)) {
    const types = manifest.licenses
      .map((l: unknown) =>
        typeof l === 'object' && l !== null ? (l as { type?: unknown }).type : l,
      )
      .filter((t): t is string => typeof t === 'string');
    if (types.length > 0) return types.length === 1 ? types[0]! : `(${types.join(' OR ')})`;
  }
  return 'UNKNOWN';
}

/** Reads a package directory: name, version and licence from package.json, and its licence files. */
export function readBundledPackage(dir: string): BundledPackage {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    name?: string;
    version?: string;
    license?: unknown;
    licenses?: unknown;
  };
  const texts = readdirSync(dir)
    .filter((file) => LICENCE_FILE.test(file))
    .sort()
    .map((file) => ({ file, text: readFileSync(join(dir, file), 'utf8') }));
  return {
    name: manifest.name ?? dir,
    version: manifest.version ?? '0.0.0',
    license: spdxOf(manifest),
    texts,
  };
}

export function readAllowList(path = ALLOW_LIST_PATH): string[] {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { allowed?: unknown };
  if (!Array.isArray(parsed.allowed) || !parsed.allowed.every((id) => typeof id === 'string'))
    throw new Error(`${path}: "allowed" must be a list of SPDX identifiers`);
  return parsed.allowed;
}
