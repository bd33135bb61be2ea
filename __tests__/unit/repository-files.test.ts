// The files a team adopting the action looks for: licence, security policy, changelog, release
// guide, Dependabot configuration and issue forms, checked for what they promise.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { releaseNotes } from '../../scripts/changelog.ts';
import { ROOT } from '../../harness/run-action.ts';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
type Mapping = Record<string, unknown>;
const yaml = (path: string) => parse(read(path)) as Mapping;

describe('repository files', () => {
  it('LICENSE is the MIT licence package.json declares', () => {
    const manifest = JSON.parse(read('package.json')) as { license: string };
    assert.equal(manifest.license, 'MIT');
    assert.match(
      read('LICENSE'),
      /^MIT License\n\nCopyright \(c\) \d{4} The aks-operation-action authors\n/,
    );
  });

  it('CHANGELOG.md keeps Unreleased and a section for the version in package.json', () => {
    const changelog = read('CHANGELOG.md');
    const { version } = JSON.parse(read('package.json')) as { version: string };
    assert.match(changelog, /^## \[Unreleased\]$/m);
    assert.match(
      changelog,
      new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\] - \\d{4}-\\d\\d-\\d\\d$`, 'm'),
    );
    assert.ok(releaseNotes(changelog, version).length > 100);
    assert.match(changelog, /^\[Unreleased\]: \S+\/compare\/v\S+\.\.\.HEAD$/m);
    assert.ok(existsSync(join(ROOT, 'RELEASING.md')));
  });

  it('SECURITY.md says how to report privately and what is in scope', () => {
    const policy = read('SECURITY.md');
    assert.match(policy, /Do not open a public issue/);
    assert.match(policy, /Report a vulnerability/);
    assert.match(policy, /^## Scope$/m);
  });

  it('Dependabot updates npm and the actions, grouped, after a cooldown', () => {
    const config = yaml('.github/dependabot.yml');
    assert.equal(config.version, 2);
    const updates = config.updates as Mapping[];
    for (const ecosystem of ['npm', 'github-actions']) {
      const update = updates.find((u) => u['package-ecosystem'] === ecosystem);
      assert.ok(update, ecosystem);
      assert.ok(Object.keys(update.groups as Mapping).length > 0, `${ecosystem} groups`);
      const cooldown = update.cooldown as Mapping;
      assert.ok(Number(cooldown['default-days']) >= 3, `${ecosystem} cooldown`);
      // GitHub Actions versions are not semver-ranked by Dependabot: only default-days applies.
      if (ecosystem === 'github-actions') assert.deepEqual(Object.keys(cooldown), ['default-days']);
    }
  });

  it('the bug report form asks for the correlation id and the version of the action', () => {
    const form = yaml('.github/ISSUE_TEMPLATE/bug_report.yml');
    const body = form.body as { type: string; id?: string; validations?: { required?: boolean } }[];
    const ids = body.map((field) => field.id);
    for (const id of ['version', 'correlation-id', 'operation', 'log'])
      assert.ok(ids.includes(id), id);
    assert.equal(body.find((f) => f.id === 'version')!.validations?.required, true);
    const feature = yaml('.github/ISSUE_TEMPLATE/feature_request.yml');
    assert.ok(Array.isArray(feature.body) && feature.body.length > 0);
    const config = yaml('.github/ISSUE_TEMPLATE/config.yml');
    assert.equal(config.blank_issues_enabled, false);
  });
});
