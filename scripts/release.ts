// `npm run release -- X.Y.Z [--push] [--notes-file FILE] [--date YYYY-MM-DD]`: releases version
// X.Y.Z from a clean tree whose dist/ matches a fresh bundle. It moves CHANGELOG.md's Unreleased
// entries to X.Y.Z, sets the version in package.json (the bundle carries it in its User-Agent),
// rebuilds dist/, commits "Release vX.Y.Z", tags vX.Y.Z (annotated, the notes as its message) and
// moves the major tag vX to the same commit. With --push it pushes the commit and both tags; a
// pushed vX.Y.Z tag makes .github/workflows/release.yml publish the GitHub release.
// `node scripts/release.ts notes X.Y.Z` prints the release notes of X.Y.Z from CHANGELOG.md.
// See RELEASING.md.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { releaseChangelog, releaseNotes } from './changelog.ts';

const VERSION = /^(\d+)\.(\d+)\.(\d+)$/;

function git(...args: string[]): string {
  return execFileSync('git', args, { encoding: 'utf8' }).trim();
}

function fail(message: string): never {
  console.error(`release: ${message}`);
  process.exit(1);
}

function bundle(): void {
  execFileSync(process.execPath, ['scripts/bundle.ts'], { stdio: ['ignore', 'ignore', 'inherit'] });
}

function assertCleanTree(): void {
  const dirty = git('status', '--porcelain', '--untracked-files=all');
  if (dirty) fail(`the working tree is not clean; commit or stash first:\n${dirty}`);
}

function assertDistMatches(): void {
  bundle();
  const changed = git('status', '--porcelain', '--untracked-files=all', '--', 'dist');
  if (changed) {
    git('checkout', '--', 'dist');
    git('clean', '-fdq', '--', 'dist');
    fail(`dist/ differs from a fresh 'npm run bundle'; rebuild and commit it first:\n${changed}`);
  }
}

function setPackageVersion(version: string): void {
  const files = ['package.json', 'package-lock.json'];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const data = JSON.parse(text) as {
      version?: string;
      packages?: Record<string, { version?: string }>;
    };
    data.version = version;
    if (data.packages?.['']) data.packages[''].version = version;
    writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  }
}

function release(
  version: string,
  options: { push: boolean; notesFile?: string; date: string },
): void {
  const tag = `v${version}`;
  const major = `v${VERSION.exec(version)![1]}`;
  assertCleanTree();
  // `git push origin HEAD` needs a branch; a release is made on one (main), never detached.
  if (git('branch', '--show-current') === '')
    fail('HEAD is detached; switch to the branch to release from (git switch main)');
  if (git('tag', '--list', tag)) fail(`tag ${tag} exists already`);
  assertDistMatches();

  const changelog = releaseChangelog(readFileSync('CHANGELOG.md', 'utf8'), version, options.date);
  writeFileSync('CHANGELOG.md', changelog);
  const notes = releaseNotes(changelog, version);
  setPackageVersion(version);
  bundle();
  git('add', '--all', '--', 'CHANGELOG.md', 'package.json', 'package-lock.json', 'dist');
  git('commit', '--quiet', '--message', `Release ${tag}`);
  const commit = git('rev-parse', 'HEAD');
  git('tag', '--annotate', tag, '--message', `${tag}\n\n${notes}`, '--cleanup=verbatim');
  git('tag', '--force', '--annotate', major, '--message', `${major}: ${tag}`, `${tag}^{commit}`);
  if (options.notesFile) writeFileSync(options.notesFile, notes);
  console.log(`Released ${tag} at ${commit}; ${major} points there too.`);
  if (options.push) {
    git('push', '--quiet', 'origin', 'HEAD', `refs/tags/${tag}`);
    git('push', '--quiet', '--force', 'origin', `refs/tags/${major}`);
    console.log(`Pushed the commit, ${tag} and ${major}.`);
  } else {
    console.log(`Publish with:\n  git push origin HEAD ${tag}\n  git push --force origin ${major}`);
  }
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    push: { type: 'boolean', default: false },
    'notes-file': { type: 'string' },
    date: { type: 'string', default: new Date().toISOString().slice(0, 10) },
  },
});
const [first, second] = positionals;
if (first === 'notes') {
  const version = (second ?? '').replace(/^v/, '');
  if (!VERSION.test(version)) fail('usage: node scripts/release.ts notes X.Y.Z');
  try {
    process.stdout.write(releaseNotes(readFileSync('CHANGELOG.md', 'utf8'), version));
  } catch (error) {
    fail((error as Error).message);
  }
} else {
  const version = (first ?? '').replace(/^v/, '');
  if (!VERSION.test(version))
    fail('usage: npm run release -- X.Y.Z [--push] [--notes-file FILE] [--date YYYY-MM-DD]');
  if (!/^\d{4}-\d\d-\d\d$/.test(values.date)) fail('--date must be YYYY-MM-DD');
  try {
    release(version, { push: values.push, notesFile: values['notes-file'], date: values.date });
  } catch (error) {
    fail((error as Error).message);
  }
}
