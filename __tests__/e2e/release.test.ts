// The release script (scripts/release.ts) run for real in a scratch clone of this repository:
// the tags it promises (vX.Y.Z and the moved vX on the release commit), the notes from
// CHANGELOG.md, the version in package.json and in the bundle, the push, and its refusals.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { releaseNotes } from '../../scripts/changelog.ts';
import { ROOT } from '../../harness/run-action.ts';

let base: string;
let clone: string;
let remote: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

function release(...args: string[]) {
  return spawnSync(process.execPath, ['scripts/release.ts', ...args], {
    cwd: clone,
    encoding: 'utf8',
  });
}

before(() => {
  base = mkdtempSync(join(tmpdir(), 'release-test-'));
  clone = join(base, 'clone');
  remote = join(base, 'remote.git');
  git(base, 'clone', '--quiet', ROOT, clone);
  // CI checks out pull requests on a detached HEAD; releases are made on a branch.
  git(clone, 'switch', '--quiet', '--create', 'release-test');
  git(base, 'init', '--quiet', '--bare', remote);
  // Never push anywhere near the real repository: origin is a scratch bare repository.
  git(clone, 'remote', 'set-url', 'origin', remote);
  for (const [key, value] of [
    ['user.name', 'Release Test'],
    ['user.email', 'release-test@example.invalid'],
    ['commit.gpgsign', 'false'],
    ['tag.gpgsign', 'false'],
  ])
    git(clone, 'config', key!, value!);
  symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
  appendFileSync(join(clone, '.git', 'info', 'exclude'), '/node_modules\n');
});
after(() => rmSync(base, { recursive: true, force: true }));

describe('release script in a scratch clone', () => {
  it('refuses a tree that is not clean', () => {
    writeFileSync(join(clone, 'stray.txt'), 'not committed\n');
    const run = release('9.0.0');
    rmSync(join(clone, 'stray.txt'));
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /the working tree is not clean/);
    assert.match(run.stderr, /stray\.txt/);
    assert.equal(git(clone, 'tag', '--list'), '');
  });

  it('refuses a detached HEAD', () => {
    git(clone, 'switch', '--quiet', '--detach');
    const run = release('9.0.0');
    git(clone, 'switch', '--quiet', 'release-test');
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /HEAD is detached/);
  });

  it('refuses when dist/ does not match a fresh bundle', () => {
    appendFileSync(join(clone, 'dist', 'index.js'), '\n// edited by hand\n');
    git(clone, 'commit', '--quiet', '--all', '--message', 'stale dist');
    const run = release('9.0.0');
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /dist\/ differs from a fresh 'npm run bundle'/);
    assert.equal(git(clone, 'status', '--porcelain'), '', 'the check leaves the tree as it was');
    git(clone, 'reset', '--quiet', '--hard', 'HEAD~1');
  });

  it('releases 9.0.0: tags vX.Y.Z and vX on the release commit, with notes from the changelog', () => {
    const notesFile = join(base, 'notes-9.0.0.md');
    const run = release('9.0.0', '--date', '2026-12-02', '--notes-file', notesFile, '--push');
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const head = git(clone, 'rev-parse', 'HEAD');
    assert.equal(git(clone, 'log', '-1', '--format=%s'), 'Release v9.0.0');
    assert.equal(git(clone, 'rev-parse', 'v9.0.0^{commit}'), head);
    assert.equal(git(clone, 'rev-parse', 'v9^{commit}'), head);
    assert.equal(git(clone, 'status', '--porcelain'), '', 'everything is committed');

    const changelog = readFileSync(join(clone, 'CHANGELOG.md'), 'utf8');
    assert.match(changelog, /^## \[Unreleased\]\n\n## \[9\.0\.0\] - 2026-12-02\n/m);
    assert.match(changelog, /^\[Unreleased\]: \S+\/compare\/v9\.0\.0\.\.\.HEAD$/m);
    const notes = readFileSync(notesFile, 'utf8');
    assert.equal(notes, releaseNotes(changelog, '9.0.0'));
    assert.match(notes, /dist\/licenses\.txt/, 'the Unreleased entries became the notes');
    assert.match(
      git(clone, 'tag', '--list', '--format=%(contents)', 'v9.0.0'),
      /dist\/licenses\.txt/,
    );

    const manifest = JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8'));
    assert.equal(manifest.version, '9.0.0');
    assert.match(readFileSync(join(clone, 'dist', 'index.js'), 'utf8'), /"9\.0\.0"/);
    // Pushed: the commit and both tags are on the remote.
    assert.equal(git(remote, 'rev-parse', 'v9.0.0^{commit}'), head);
    assert.equal(git(remote, 'rev-parse', 'v9^{commit}'), head);
    // What the release workflow publishes on the tag push.
    const printed = release('notes', 'v9.0.0');
    assert.equal(printed.status, 0, printed.stderr);
    assert.equal(printed.stdout, notes);
  });

  it('releases 9.0.1: vX moves to the new commit, v9.0.0 stays where it was', () => {
    const first = git(clone, 'rev-parse', 'v9.0.0^{commit}');
    const path = join(clone, 'CHANGELOG.md');
    writeFileSync(
      path,
      readFileSync(path, 'utf8').replace(
        '## [Unreleased]\n',
        '## [Unreleased]\n\n### Fixed\n\n- The poller keeps its promise.\n',
      ),
    );
    git(clone, 'commit', '--quiet', '--all', '--message', 'Fix the poller');
    const run = release('9.0.1', '--date', '2026-12-03', '--push');
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const head = git(clone, 'rev-parse', 'HEAD');
    assert.notEqual(head, first);
    assert.equal(git(clone, 'rev-parse', 'v9.0.1^{commit}'), head);
    assert.equal(git(clone, 'rev-parse', 'v9^{commit}'), head);
    assert.equal(git(clone, 'rev-parse', 'v9.0.0^{commit}'), first);
    assert.equal(git(remote, 'rev-parse', 'v9^{commit}'), head, 'the major tag was force-pushed');
    const notes = release('notes', '9.0.1');
    assert.equal(notes.stdout, '### Fixed\n\n- The poller keeps its promise.\n');
    const changelog = readFileSync(path, 'utf8');
    assert.match(changelog, /^\[9\.0\.1\]: \S+\/compare\/v9\.0\.0\.\.\.v9\.0\.1$/m);
  });

  it('refuses a version that is tagged already, and an empty Unreleased', () => {
    const again = release('9.0.1');
    assert.equal(again.status, 1);
    assert.match(again.stderr, /tag v9\.0\.1 exists already/);
    const empty = release('9.0.2');
    assert.equal(empty.status, 1);
    assert.match(empty.stderr, /nothing under ## \[Unreleased\] to release/);
    assert.equal(git(clone, 'status', '--porcelain'), '');
  });
});
