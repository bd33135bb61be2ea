import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { emulatorPerFile } from '../helpers/emulator.ts';
import { runAction } from '../helpers/action.ts';
import { visibleStdout } from '../../harness/workflow-commands.ts';

const lab = emulatorPerFile({ clusters: { resourceGroup: 'rg-files', prefix: 'aks-files' } });

const MANIFESTS = {
  'k8s/namespace.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n',
  'k8s/apps/web.yaml':
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n',
  'k8s/apps/config/settings.json': '{"replicas": 3}\n',
  'scripts/check.sh': 'echo checked\n',
  'README.md': '# not attached\n',
};

describe('files', () => {
  it('attaches a folder with its workspace-relative paths, and kubectl applies it', async () => {
    const c = lab.cluster();
    const run = await runAction(
      {
        cluster: c.resourceId,
        files: 'k8s/',
        command: 'find k8s -type f | sort; kubectl apply -f k8s/',
      },
      lab.emu,
      { files: MANIFESTS },
    );
    assert.equal(run.code, 0, run.stdout);
    assert.deepEqual(c.commands()[0]!.files.sort(), [
      'k8s/apps/config/settings.json',
      'k8s/apps/web.yaml',
      'k8s/namespace.yaml',
    ]);
    assert.match(
      run.outputs.logs!,
      /^k8s\/apps\/config\/settings\.json\nk8s\/apps\/web\.yaml\nk8s\/namespace\.yaml\n/,
    );
    assert.match(
      run.outputs.logs!,
      /deployment\/web created\nservice\/web created\nnamespace\/shop created/,
    );
    assert.match(run.stdout, /Attaching 3 files \(/);
    assert.match(run.summary, /Attached files<\/th><td>3 files, /);
  });

  it('attaches globs and single files, nested paths intact, contents byte for byte', async () => {
    const c = lab.cluster();
    const binary = randomBytes(2048).toString('base64');
    const run = await runAction(
      {
        cluster: c.resourceId,
        files: 'k8s/**/*.yaml\nscripts/check.sh\n!k8s/namespace.yaml\n# a comment\ndata/blob.b64',
        command: 'bash scripts/check.sh; cat data/blob.b64; find . -type f | sort',
      },
      lab.emu,
      { files: { ...MANIFESTS, 'data/blob.b64': binary } },
    );
    assert.equal(run.code, 0, run.stdout);
    assert.deepEqual(c.commands()[0]!.files.sort(), [
      'data/blob.b64',
      'k8s/apps/web.yaml',
      'scripts/check.sh',
    ]);
    assert.ok(run.outputs.logs!.startsWith(`checked\n${binary}`));
  });

  it('refuses, before any call, what is outside the workspace, matches nothing, or is too large', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'outside-'));
    writeFileSync(join(outside, 'secret.txt'), 'do not send');
    const big = randomBytes(3 * 1024 * 1024)
      .toString('hex')
      .slice(0, 4_500_000); // incompressible-ish text
    const incompressible = randomBytes(3_500_000);
    const cases: { files: string; setup?: (workspace: string) => void; message: RegExp }[] = [
      { files: '../outside.txt', message: /'\.\.\/outside\.txt' resolves outside the workspace/ },
      { files: join(outside, 'secret.txt'), message: /resolves outside the workspace/ },
      { files: 'k8s/../../etc/passwd', message: /resolves outside the workspace/ },
      { files: 'missing/', message: /'missing\/' matches no file in the workspace/ },
      { files: '**/*.tf', message: /'\*\*\/\*\.tf' matches no file/ },
      {
        files: 'linked/',
        setup: (workspace) => {
          mkdirSync(join(workspace, 'linked'));
          symlinkSync(join(outside, 'secret.txt'), join(workspace, 'linked', 'secret.txt'));
        },
        message: /'linked\/secret\.txt' is a symbolic link that leaves the workspace/,
      },
      {
        files: 'big/',
        setup: (workspace) => {
          mkdirSync(join(workspace, 'big'));
          writeFileSync(join(workspace, 'big', 'random.bin'), incompressible);
          writeFileSync(join(workspace, 'big', 'small.txt'), 'x');
          writeFileSync(join(workspace, 'big', 'text.txt'), big.slice(0, 1000));
        },
        message:
          /over the service's limit of about 4\.00 MiB; largest: big\/random\.bin \(3\.34 MiB\)/,
      },
    ];
    const c = lab.cluster();
    const before = lab.emu.requests.length;
    for (const { files, setup, message } of cases) {
      const workspace = mkdtempSync(join(tmpdir(), 'ws-'));
      setup?.(workspace);
      const run = await runAction({ cluster: c.resourceId, files, command: 'true' }, lab.emu, {
        workspace,
      });
      assert.equal(run.code, 1, `${files}: ${run.stdout}`);
      assert.match(run.stdout, /::error::Input 'files': /);
      assert.match(run.stdout, message);
      assert.equal(run.outputs.status, 'Failed');
    }
    assert.equal(
      lab.emu.requests.length,
      before,
      'a refused attachment must not cost a single call, sign-in included',
    );
    assert.equal(c.commands().length, 0);
  });

  it('the emulator refuses an oversized body with 413, and the action explains it', async () => {
    const c = lab.cluster({ maxBodyBytes: 2048 });
    const run = await runAction(
      { cluster: c.resourceId, files: 'k8s/', command: 'true' },
      lab.emu,
      {
        files: { 'k8s/big.yaml': randomBytes(4096).toString('base64') },
      },
    );
    assert.equal(run.code, 1);
    assert.match(run.stdout, /RequestEntityTooLarge/);
    assert.match(run.stdout, /Fix: Attach fewer or smaller files/);
  });
});

describe('clusters with AKS-managed Entra ID', () => {
  it('auto: one extra POST on an Entra cluster, none on a plain one', async () => {
    const plain = lab.cluster();
    const plainRun = await runAction({ cluster: plain.resourceId, command: 'echo plain' }, lab.emu);
    assert.equal(plainRun.code, 0, plainRun.stdout);
    assert.equal(plain.commands()[0]!.clusterToken, undefined);
    assert.deepEqual(
      lab.requestsFor(plain.name).map((r) => r.kind),
      ['runCommand', 'commandResult'],
    );

    const aad = lab.cluster({ aadManaged: true });
    const aadRun = await runAction({ cluster: aad.resourceId, command: 'echo entra' }, lab.emu);
    assert.equal(aadRun.code, 0, aadRun.stdout);
    assert.equal(aadRun.outputs.logs, 'entra\n');
    assert.match(
      aadRun.stdout,
      /uses AKS-managed Entra ID: sending the command again with a cluster token/,
    );
    assert.ok(aad.commands()[0]!.clusterToken);
    const calls = lab.requestsFor(aad.name);
    assert.deepEqual(
      calls.map((r) => `${r.kind} ${r.status}`),
      ['runCommand 400', 'runCommand 202', 'commandResult 200'],
    );
  });

  it('true sends the cluster token at once; false never does and says what to change', async () => {
    const aad = lab.cluster({ aadManaged: true });
    const always = await runAction(
      { cluster: aad.resourceId, command: 'echo yes', 'cluster-token': 'true' },
      lab.emu,
    );
    assert.equal(always.code, 0, always.stdout);
    assert.deepEqual(
      lab.requestsFor(aad.name).map((r) => r.kind),
      ['runCommand', 'commandResult'],
    );
    const never = await runAction(
      { cluster: aad.resourceId, command: 'echo no', 'cluster-token': 'false' },
      lab.emu,
    );
    assert.equal(never.code, 1);
    assert.match(never.stdout, /MissingAADClusterToken/);
    assert.match(never.stdout, /set cluster-token: auto \(or true\)/);
    assert.equal(aad.commands().length, 1);
  });

  it('the cluster token appears in no output, log, summary or logs file', async () => {
    const aad = lab.cluster({ aadManaged: true });
    const run = await runAction(
      { cluster: aad.resourceId, command: 'echo "$HOME" | wc -c' },
      lab.emu,
    );
    assert.equal(run.code, 0, run.stdout);
    const token = aad.commands()[0]!.clusterToken!;
    assert.ok(lab.emu.issuedSecrets().includes(token));
    assert.match(
      run.stdout,
      new RegExp(`^::add-mask::${token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'),
      'the cluster token is registered as a secret',
    );
    for (const text of [
      visibleStdout(run.stdout),
      run.stderr,
      JSON.stringify(run.outputs),
      run.summary,
      readFileSync(run.outputs['logs-file']!, 'utf8'),
    ]) {
      assert.ok(!text.includes(token));
    }
  });
});
