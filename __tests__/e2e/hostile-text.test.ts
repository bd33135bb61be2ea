// Text from services, inputs and file names that tries to act on the runner or the job: workflow
// commands behind any white space .NET trims (U+0085 included), secrets echoed back in errors,
// Markdown smuggled into the job summary; and inputs that used to fail late or wrongly.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { issueCertificate } from '../../emulator/certs.ts';
import {
  startServiceFabricGateway,
  type ServiceFabricGateway,
} from '../../emulator/service-fabric.ts';
import { emulatorPerFile } from '../helpers/emulator.ts';
import { runAction, type ActionRun } from '../helpers/action.ts';
import { workflowCommands } from '../../harness/workflow-commands.ts';
import { cancelFaultInputs, oidcEnv } from '../helpers/e2e.ts';

const lab = emulatorPerFile({ clusters: { resourceGroup: 'rg-hostile', prefix: 'aks-hostile' } });

/** A line break, then NEL (U+0085): .NET's TrimStart removes it, JavaScript's `\s` does not. */
const NEL = '\n\u0085';

/** Runs a command whose accepted answer carries a Location rewritten by `template`. */
async function runWithLocation(template: string, command = 'true') {
  const c = lab.cluster();
  lab.emu.inject({ kind: 'runCommand', cluster: c.name, fault: { rewriteLocation: template } });
  return { c, run: await runAction({ cluster: c.resourceId, command }, lab.emu) };
}

/**
 * The runner processes no command the service text carried: every injected line is
 * `::warning::pwned-…` or `::add-mask::pwned-…`, so no processed command may start with `::{name}::pwned`.
 * (Our own annotations may quote the text, on their one line: they start with our own words.)
 */
function assertNoInjectedCommand(run: ActionRun, marker: string): void {
  const injected = workflowCommands(run.stdout).filter((line) =>
    new RegExp(`^::[\\w-]+::${marker}`).test(line),
  );
  assert.deepEqual(injected, [], 'service text issued a workflow command');
}

describe('workflow commands behind any white space the runner trims', () => {
  it('a status word with NEL + ::warning:: stays text (poll lines, timeout message, summary)', async () => {
    const c = lab.cluster({
      operation: { durationSeconds: 120, statusWord: `Running${NEL}::warning::pwned-status` },
    });
    const run = await runAction(
      {
        operation: 'operation-status',
        cluster: c.resourceId,
        'operation-id': c.operationId!,
        timeout: '3s',
        'poll-interval': '0.5',
      },
      lab.emu,
    );
    assert.equal(run.outputs.status, 'TimedOut', run.stdout);
    assert.match(run.stdout, /pwned-status/, 'the status word is shown');
    assertNoInjectedCommand(run, 'pwned-status');
  });

  it('provisioningState and kubernetesVersion of the cluster stay text', async () => {
    const c = lab.cluster({ operation: { durationSeconds: 60, cancelSeconds: 1, abort: 'async' } });
    lab.emu.inject({
      kind: 'cluster',
      cluster: c.name,
      fault: {
        status: 200,
        body: JSON.stringify({
          id: c.resourceId,
          name: c.name,
          properties: {
            provisioningState: `Upgrading${NEL}::add-mask::pwned-state`,
            currentKubernetesVersion: '1.29.9',
            kubernetesVersion: `1.30.6${NEL}::warning::pwned-version`,
          },
        }),
      },
    });
    const run = await runAction(
      { operation: 'abort', cluster: c.resourceId, 'poll-interval': '0.5' },
      lab.emu,
    );
    assert.equal(run.code, 0, run.stdout);
    assert.match(run.stdout, /pwned-state/);
    assert.match(run.stdout, /pwned-version/);
    assertNoInjectedCommand(run, 'pwned-state');
    assertNoInjectedCommand(run, 'pwned-version');
  });

  it('a command id decoded from Location is checked like the command-id input', async () => {
    const { run } = await runWithLocation('{origin}{path}%0A%C2%85::warning::pwned-id?{query}');
    assert.equal(run.code, 1, run.stdout);
    assert.equal(run.outputs.status, 'Failed');
    assert.match(
      run.stdout,
      /::error::The service accepted the command but its Location names no valid command id/,
    );
    assert.doesNotMatch(run.stdout, /Unexpected error/);
    assert.equal(run.outputs['command-id'], '', 'an id that is not one is never handed on');
    assertNoInjectedCommand(run, 'pwned-id');
  });

  it('an attachment file name with NEL + ::warning:: stays text', async () => {
    const c = lab.cluster();
    const run = await runAction(
      { cluster: c.resourceId, command: 'ls -R', files: 'k8s/' },
      lab.emu,
      { files: { [`k8s/a${NEL}::warning::pwned-file.yaml`]: 'x: 1\n' } },
    );
    assert.equal(run.code, 0, run.stdout);
    assert.match(run.stdout, /pwned-file/);
    assertNoInjectedCommand(run, 'pwned-file');
  });

  it('client-id and tenant-id are checked before they are printed', async () => {
    const c = lab.cluster();
    const clientRun = await runAction({ cluster: c.resourceId, command: 'true' }, lab.emu, {
      env: { AZURE_CLIENT_ID: `${lab.emu.clientId}${NEL}::warning::pwned-client` },
    });
    assert.equal(clientRun.code, 1);
    assert.match(clientRun.stdout, /::error::Input 'client-id': \(from AZURE_CLIENT_ID\)/);
    assertNoInjectedCommand(clientRun, 'pwned-client');
    const tenantRun = await runAction(
      {
        cluster: c.resourceId,
        command: 'true',
        'tenant-id': `${lab.emu.tenantId}${NEL}::warning::pwned-tenant`,
      },
      lab.emu,
    );
    assert.equal(tenantRun.code, 1);
    assert.match(tenantRun.stdout, /::error::Input 'tenant-id': /);
    assertNoInjectedCommand(tenantRun, 'pwned-tenant');
  });
});

describe('Service Fabric text', () => {
  let gw: ServiceFabricGateway;
  before(async () => {
    gw = await startServiceFabricGateway({ ca: lab.emu.ca });
  });
  after(() => gw.stop());

  it('a fault type with NEL + ::warning:: stays text', async () => {
    const id = gw.addFaultOperation({ type: 'PartitionDataLoss', durationSeconds: 60 });
    gw.inject({
      path: '/Faults/?',
      times: 5,
      fault: {
        reply: {
          status: 200,
          body: [
            {
              OperationId: id,
              State: 'Cancelled',
              Type: `PartitionDataLoss${NEL}::warning::pwned-type`,
            },
          ],
        },
      },
    });
    const run = await runAction({ ...cancelFaultInputs(gw, id), timeout: '30s' }, undefined, {
      env: { NODE_EXTRA_CA_CERTS: lab.emu.caPath },
    });
    assert.equal(run.code, 0, run.stdout);
    assert.match(run.stdout, /pwned-type/);
    assertNoInjectedCommand(run, 'pwned-type');
  });

  it('an expired client certificate is refused before any call, saying when it expired', async () => {
    const expired = issueCertificate(lab.emu.ca, {
      commonName: 'expired-admin',
      client: true,
      validDays: -1,
    });
    const before = gw.requests.length;
    const run = await runAction(
      {
        operation: 'cancel-fault',
        cluster: gw.url,
        'operation-id': '00000000-0000-0000-0000-000000000001',
        certificate: `${expired.certPem}\n${expired.keyPem}`,
      },
      undefined,
      { env: { NODE_EXTRA_CA_CERTS: lab.emu.caPath } },
    );
    assert.equal(run.code, 1, run.stdout);
    assert.match(
      run.stdout,
      /::error::Input 'certificate': the client certificate .*expired-admin.* expired on \d{4}-\d\d-\d\dT/,
    );
    assert.doesNotMatch(run.stdout, /admin certificate\?/);
    assert.equal(gw.requests.length, before, 'nothing was sent to the gateway');
  });
});

describe('secrets echoed back by a service', () => {
  it('ARM quoting the bearer token and the cluster token: nothing published carries them', async () => {
    const c = lab.cluster({ aadManaged: true });
    lab.emu.inject({ kind: 'runCommand', cluster: c.name, fault: { echoRequest: 400 } });
    // runAction itself fails the test when any issued token or secret appears anywhere.
    const run = await runAction(
      { cluster: c.resourceId, command: 'true', 'cluster-token': 'true' },
      lab.emu,
    );
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stdout, /Could not process the request/, 'the service did echo the request');
    assert.match(run.stdout, /Bearer \*\*\*/);
    assert.match(run.summary, /Bearer \*\*\*/);
  });

  it('Entra quoting the client secret: nothing published carries it', async () => {
    const c = lab.cluster();
    lab.emu.inject({ kind: 'token', fault: { echoRequest: 400 } });
    const run = await runAction({ cluster: c.resourceId, command: 'true' }, lab.emu);
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stdout, /AADSTS90000/, 'Entra did answer with the echo');
  });
});

describe('secrets echoed back during OIDC sign-in', () => {
  const oidc = () => ({ env: oidcEnv(lab.emu) });
  const inputs = (c: { resourceId: string }) => ({
    cluster: c.resourceId,
    command: 'true',
    'client-id': lab.emu.clientId,
    'tenant-id': lab.emu.tenantId,
  });

  it('Entra quoting the GitHub ID token (the client assertion): nothing published carries it', async () => {
    const c = lab.cluster();
    lab.emu.inject({ kind: 'token', fault: { echoRequest: 400 } });
    const run = await runAction(inputs(c), lab.emu, oidc());
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stdout, /AADSTS90000/);
    assert.doesNotMatch(JSON.stringify(run.outputs) + run.summary, /client_assertion=eyJ/);
  });

  it("GitHub's token endpoint quoting the runtime's request token: nothing published carries it", async () => {
    const c = lab.cluster();
    lab.emu.inject({ kind: 'idtoken', fault: { echoRequest: 400 } });
    const run = await runAction(inputs(c), lab.emu, oidc());
    assert.equal(run.code, 1, run.stdout);
  });
});

describe('the job summary keeps its structure', () => {
  const MARKDOWN = [
    'ImagePullBackOff',
    '',
    '# Deploy approved',
    '',
    '[approve here](https://evil.example/approve) ![pixel](https://evil.example/p.png) https://evil.example/auto',
    '',
    '<img src=https://evil.example/x.png>',
  ].join('\n');

  it('a reason with blank lines renders no heading, link or image (cmark-gfm, as GitHub)', async () => {
    const c = lab.cluster({ commandFailure: { reason: MARKDOWN } });
    const run = await runAction({ cluster: c.resourceId, command: 'true' }, lab.emu);
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.summary, /Deploy approved/);
    const html = renderGfm(run.summary);
    assert.doesNotMatch(html, /<h[1-6][^>]*>[^<]*Deploy approved/i, 'a heading from service text');
    assert.doesNotMatch(html, /<a\s/i, 'a link from service text');
    assert.doesNotMatch(html, /<img\s/i, 'an image from service text');
  });
});

/** The summary as GitHub renders it: cmark-gfm with GitHub's extensions and raw HTML kept. */
export function renderGfm(markdown: string): string {
  const result = spawnSync(
    'cmark-gfm',
    ['-e', 'table', '-e', 'autolink', '-e', 'strikethrough', '-e', 'tagfilter', '--unsafe'],
    { input: markdown, encoding: 'utf8' },
  );
  if (result.error) throw result.error;
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

describe('inputs that used to fail late or wrongly', () => {
  it('timeout: 0.0001 is refused, naming timeout', async () => {
    const c = lab.cluster();
    const run = await runAction(
      { cluster: c.resourceId, command: 'true', timeout: '0.0001' },
      lab.emu,
    );
    assert.equal(run.code, 1);
    assert.match(run.stdout, /::error::Input 'timeout': must be at least 1 second/);
  });

  it('tenant-id: ../evil is refused, naming tenant-id', async () => {
    const c = lab.cluster();
    const run = await runAction(
      { cluster: c.resourceId, command: 'true', 'tenant-id': '../evil' },
      lab.emu,
    );
    assert.equal(run.code, 1);
    assert.match(run.stdout, /::error::Input 'tenant-id': '\.\.\/evil' is neither a tenant id/);
    assert.doesNotMatch(run.stdout, /Unexpected error/);
  });

  it('a resource group named in Unicode letters is accepted', async () => {
    const n = lab.seq();
    const handle = lab.emu.addCluster({ resourceGroup: 'rg-données_(ß)-東京', name: `aks-u-${n}` });
    const run = await runAction({ cluster: handle.resourceId, command: 'echo unicode' }, lab.emu);
    assert.equal(run.code, 0, run.stdout);
    assert.equal(run.outputs.logs, 'unicode\n');
  });

  it('a Location with raw non-ASCII bytes: the command id is kept and the result read', async () => {
    // \u00e9 goes out as the single raw byte 0xE9 in the header.
    const { c, run } = await runWithLocation('{origin}{path}?{query}&note=caf\u00e9', 'echo kept');
    assert.doesNotMatch(run.stdout, /Unexpected error/);
    assert.equal(run.code, 0, run.stdout);
    assert.equal(run.outputs['command-id'], c.commands()[0]!.id);
    assert.equal(run.outputs.logs, 'kept\n');
  });

  it('a Location whose id segment holds a raw byte or a broken escape is refused by name', async () => {
    for (const template of ['{origin}{path}\u00ff?{query}', '{origin}{path}%E9?{query}']) {
      const { run } = await runWithLocation(template);
      assert.equal(run.code, 1, run.stdout);
      assert.doesNotMatch(run.stdout, /Unexpected error/, template);
      assert.match(run.stdout, /Location names no valid command id/);
    }
  });
});

describe('attachments that would stall the process', () => {
  function sparseWorkspace(files: Record<string, number>): string {
    const workspace = mkdtempSync(join(tmpdir(), 'ws-sparse-'));
    for (const [path, size] of Object.entries(files)) {
      mkdirSync(join(workspace, path, '..'), { recursive: true });
      const fd = openSync(join(workspace, path), 'w');
      ftruncateSync(fd, size); // sparse: no disk is used
      closeSync(fd);
    }
    return workspace;
  }

  it('a 3 GiB file is refused by size before anything is read or called', async () => {
    const c = lab.cluster();
    const workspace = sparseWorkspace({ 'big/huge.bin': 3 * 1024 ** 3 });
    const before = lab.emu.requests.length;
    const run = await runAction(
      { cluster: c.resourceId, command: 'true', files: 'big/' },
      lab.emu,
      {
        workspace,
      },
    );
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stdout, /::error::Input 'files': matches 1 files of 3\.00 GiB in total/);
    assert.doesNotMatch(run.stdout, /Unexpected error/);
    assert.ok(run.durationMs < 10_000, `refused in ${run.durationMs} ms`);
    assert.equal(lab.emu.requests.length, before, 'no call, sign-in included');
  });

  it('/** is refused naming files, without walking the filesystem', async () => {
    const c = lab.cluster();
    const run = await runAction({ cluster: c.resourceId, command: 'true', files: '/**' }, lab.emu);
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stdout, /::error::Input 'files': '\/\*\*' resolves outside the workspace/);
    assert.ok(run.durationMs < 10_000, `refused in ${run.durationMs} ms`);
  });

  it('a FIFO among the files is refused naming files, not read forever', async () => {
    const c = lab.cluster();
    const workspace = sparseWorkspace({ 'k8s/app.yaml': 10 });
    const made = spawnSync('mkfifo', [join(workspace, 'k8s', 'pipe')]);
    assert.equal(made.status, 0, String(made.stderr));
    const run = await runAction(
      { cluster: c.resourceId, command: 'true', files: 'k8s/' },
      lab.emu,
      {
        workspace,
        killAfterMs: 20_000,
      },
    );
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stdout, /::error::Input 'files': 'k8s\/pipe' is not a regular file/);
  });

  it('SIGINT while a 1 GiB file is being zipped ends Interrupted within seconds', async () => {
    const c = lab.cluster();
    const workspace = sparseWorkspace({ 'big/zeros.bin': 1024 ** 3 });
    let signalledAt = 0;
    const run = await runAction(
      { cluster: c.resourceId, command: 'true', files: 'big/' },
      lab.emu,
      {
        workspace,
        interrupt: {
          signal: 'SIGINT',
          when: (stdout) => {
            const zipping = /Zipping 1 files/.test(stdout);
            if (zipping && !signalledAt) signalledAt = Date.now();
            return zipping;
          },
        },
      },
    );
    assert.ok(signalledAt > 0, run.stdout);
    assert.equal(run.outputs.status, 'Interrupted', run.stdout);
    const afterSignal = run.endedAt - signalledAt;
    assert.ok(afterSignal < 3_000, `ended ${afterSignal} ms after SIGINT`);
    assert.equal(c.commands().length, 0);
  });
});
