// The licence check of the bundle (scripts/licenses.ts): what counts as bundled, which SPDX
// expressions the allow-list admits, and the notice file dist/ ships.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  licenceProblems,
  licenseAllowed,
  packageDirsOf,
  readAllowList,
  renderNotices,
  type BundledPackage,
} from '../../scripts/licenses.ts';
import { ROOT } from '../../harness/run-action.ts';

const pkg = (
  name: string,
  license: string,
  text = `${license} text of ${name}`,
): BundledPackage => ({
  name,
  version: '1.2.3',
  license,
  texts: [{ file: 'LICENSE', text }],
});

describe('bundled licences', () => {
  it('finds the package of every bundled input file, nested and scoped ones included', () => {
    assert.deepEqual(
      packageDirsOf([
        'src/index.ts',
        'node_modules/@azure/identity/dist/esm/index.js',
        'node_modules/@azure/identity/dist/esm/other.js',
        'node_modules/undici/index.js',
        'node_modules/jws/node_modules/safe-buffer/index.js',
        'node_modules\\fflate\\esm\\index.mjs',
      ]),
      [
        'node_modules/@azure/identity',
        'node_modules/fflate',
        'node_modules/jws/node_modules/safe-buffer',
        'node_modules/undici',
      ],
    );
  });

  it('judges SPDX expressions: OR needs one, AND needs all, WITH and parentheses', () => {
    const allowed = ['MIT', 'Apache-2.0', 'ISC'];
    assert.ok(licenseAllowed('MIT', allowed));
    assert.ok(licenseAllowed('mit', allowed));
    assert.ok(licenseAllowed('(MIT OR GPL-3.0-only)', allowed));
    assert.ok(licenseAllowed('GPL-3.0-only OR Apache-2.0', allowed));
    assert.ok(licenseAllowed('MIT AND ISC', allowed));
    assert.ok(licenseAllowed('Apache-2.0 WITH LLVM-exception', allowed));
    assert.ok(!licenseAllowed('MIT AND GPL-3.0-only', allowed));
    assert.ok(!licenseAllowed('(MIT AND (ISC OR GPL-2.0))', ['MIT']));
    assert.ok(!licenseAllowed('GPL-3.0-only', allowed));
    assert.ok(!licenseAllowed('UNKNOWN', allowed));
    assert.ok(!licenseAllowed('SEE LICENSE IN LICENSE.txt', allowed));
    assert.ok(!licenseAllowed('', allowed));
    assert.ok(!licenseAllowed('(MIT', allowed));
  });

  it('fails a bundle that contains a package under a licence off the allow-list', () => {
    const allowed = readAllowList(join(ROOT, '.github', 'licenses-allowed.json'));
    const packages = [
      pkg('fine', 'MIT'),
      pkg('copyleft', 'GPL-3.0-only'),
      pkg('mystery', 'UNKNOWN'),
    ];
    const problems = licenceProblems(packages, allowed);
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems[0]!, /^copyleft@1\.2\.3 is licensed GPL-3\.0-only, which is not in/);
    assert.match(problems[1]!, /^mystery@1\.2\.3 is licensed UNKNOWN/);
    assert.deepEqual(licenceProblems([pkg('fine', 'MIT'), pkg('b', 'BSD-3-Clause')], allowed), []);
  });

  it('writes every package with its licence texts, sorted, whatever the input order', () => {
    const a = pkg('zeta', 'MIT');
    const b = pkg('@scope/alpha', 'ISC');
    const c: BundledPackage = { name: 'bare', version: '0.1.0', license: 'MIT', texts: [] };
    const text = renderNotices([a, b, c]);
    assert.equal(text, renderNotices([c, a, b]));
    assert.ok(text.indexOf('@scope/alpha@1.2.3: ISC') < text.indexOf('bare@0.1.0: MIT'));
    assert.ok(text.indexOf('bare@0.1.0: MIT') < text.indexOf('zeta@1.2.3: MIT'));
    assert.match(text, /MIT text of zeta/);
    assert.match(text, /ISC text of @scope\/alpha/);
    assert.match(text, /bare@0\.1\.0 \(MIT\)\n-+\n\n\(The package ships no licence file/);
  });

  it('the committed dist/licenses.txt lists the runtime dependencies with their texts', () => {
    const notices = readFileSync(join(ROOT, 'dist', 'licenses.txt'), 'utf8');
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const name of Object.keys(manifest.dependencies))
      assert.match(notices, new RegExp(`^${name.replace(/[/.]/g, '\\$&')}@\\S+: \\S`, 'm'), name);
    assert.match(notices, /Permission is hereby granted, free of charge/);
  });
});
