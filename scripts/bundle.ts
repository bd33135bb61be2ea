// Builds dist/ the way GitHub runs it: ESM for node24, dependencies inlined, output stable
// byte for byte so CI can compare it with the committed bundle. Writes dist/licenses.txt with the
// licences of every package esbuild included, and fails when one is not on the allow-list.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import {
  ALLOW_LIST_PATH,
  licenceProblems,
  packageDirsOf,
  readAllowList,
  readBundledPackage,
  renderNotices,
} from './licenses.ts';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

rmSync('dist', { recursive: true, force: true });
const result = await build({
  entryPoints: ['src/index.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  charset: 'utf8',
  legalComments: 'none',
  minify: false,
  metafile: true,
  // Paths as seen from the project, even where node_modules is a symbolic link (the release test's
  // scratch clone): the bundle names its modules by path, so they must not depend on the machine.
  preserveSymlinks: true,
  chunkNames: 'chunks/[name]-[hash]',
  define: { __ACTION_VERSION__: JSON.stringify(version) },
  // Some CommonJS dependencies call require() on Node built-ins; give the ESM bundle one.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
const outputs = Object.entries(result.metafile.outputs).map(
  ([file, info]) => `${file} ${(info.bytes / 1024).toFixed(0)} KiB`,
);
console.log(`bundled: ${outputs.join(', ')}`);

const packages = packageDirsOf(Object.keys(result.metafile.inputs)).map(readBundledPackage);
const problems = licenceProblems(packages, readAllowList());
if (problems.length > 0) {
  for (const problem of problems) console.error(`licence not allowed: ${problem}`);
  console.error(`Review the licence, then add it to ${ALLOW_LIST_PATH} or drop the dependency.`);
  process.exit(1);
}
writeFileSync('dist/licenses.txt', renderNotices(packages));
console.log(`licences: ${packages.length} bundled packages, all allowed; dist/licenses.txt`);
