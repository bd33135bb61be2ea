// What happens to a command's output and to commands AKS will not run: private output
// (show-logs: false), pods that could not start (start-retries), refusals in plain words, output
// cut at AKS's 512 kB, and the end of long output in the summary.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { emulatorPerFile } from '../helpers/emulator.ts';
import { runAction } from '../helpers/action.ts';
import { visibleStdout } from '../../harness/workflow-commands.ts';
import { annotations } from '../helpers/e2e.ts';

const lab = emulatorPerFile({ clusters: { resourceGroup: 'rg-e2e-output', prefix: 'aks-out' } });

describe('show-logs: false', { concurrency: true }, () => {
  it('keeps the output in logs-file only (0600), out of the log, summary, logs and result', async () => {
    const c = lab.cluster();
    const secret = 'connection-string=Server=db;Password=hunter2-very-private';
    const run = await runAction(
      {
        cluster: c.resourceId,
        command: `echo '${secret}'; echo second line`,
        'show-logs': 'false',
      },
      lab.emu,
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.status, 'Succeeded');
    assert.equal(run.outputs['exit-code'], '0');
    assert.match(run.outputs['command-id']!, /^[0-9a-f]{32}$/);
    assert.equal(run.outputs.logs, '');
    for (const [where, text] of Object.entries({
      stdout: run.stdout,
      stderr: run.stderr,
      summary: run.summary,
      result: run.outputs.result!,
    })) {
      assert.ok(!text.includes('hunter2'), `the output appears in ${where}`);
    }
    const result = JSON.parse(run.outputs.result!);
    assert.equal(result.properties.exitCode, 0);
    assert.match(result.properties.logs, /not shown: show-logs is false/);
    const file = run.outputs['logs-file']!;
    assert.ok(file.startsWith(run.runnerTemp));
    assert.equal(readFileSync(file, 'utf8'), `${secret}\nsecond line\n`);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(run.stdout, /Command output: \d+ bytes, not shown \(show-logs: false\)/);
    assert.match(run.summary, /Command output not shown \(show-logs: false\)/);
    assert.doesNotMatch(run.summary, /<details>/);
  });

  it('changes nothing else: an exit code outside success-exit-codes still fails the step', async () => {
    const c = lab.cluster();
    const run = await runAction(
      { cluster: c.resourceId, command: 'echo private; exit 3', 'show-logs': 'false' },
      lab.emu,
    );
    assert.equal(run.code, 1);
    assert.equal(run.outputs['exit-code'], '3');
    assert.match(annotations(run.stdout, 'error')[0]!, /exited with code 3/);
    assert.ok(!visibleStdout(run.stdout).includes('private\n'));
    assert.equal(readFileSync(run.outputs['logs-file']!, 'utf8'), 'private\n');
  });

  it('command-result with show-logs: false reads a result privately too', async () => {
    const c = lab.cluster();
    const started = await runAction(
      { cluster: c.resourceId, command: 'echo token=abc123-private', wait: 'false' },
      lab.emu,
    );
    assert.equal(started.outputs.status, 'Accepted', started.stdout);
    const read = await runAction(
      {
        operation: 'command-result',
        cluster: c.resourceId,
        'command-id': started.outputs['command-id']!,
        'show-logs': 'false',
      },
      lab.emu,
    );
    assert.equal(read.code, 0, read.stdout + read.stderr);
    assert.equal(read.outputs.logs, '');
    for (const text of [read.stdout, read.summary, read.outputs.result!])
      assert.ok(!text.includes('abc123-private'));
    assert.equal(readFileSync(read.outputs['logs-file']!, 'utf8'), 'token=abc123-private\n');
    assert.equal(statSync(read.outputs['logs-file']!).mode & 0o777, 0o600);
  });

  it('show-logs accepts only true or false', async () => {
    const run = await runAction(
      { cluster: lab.cluster().resourceId, command: 'true', 'show-logs': 'sometimes' },
      lab.emu,
    );
    assert.equal(run.code, 1);
    assert.match(annotations(run.stdout, 'error')[0]!, /Input 'show-logs': expected true or false/);
  });
});

describe('start-retries: commands whose pod could not start', { concurrency: true }, () => {
  it('submits again once by default when the pod did not start, and says so', async () => {
    const c = lab.cluster({ startFailures: { count: 1 } });
    const run = await runAction({ cluster: c.resourceId, command: 'echo second-try' }, lab.emu);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.status, 'Succeeded');
    assert.match(run.outputs.logs!, /second-try/);
    const commands = c.commands();
    assert.equal(commands.length, 2);
    assert.equal(commands[0]!.provisioningState, 'Failed');
    assert.equal(run.outputs['command-id'], commands[1]!.id);
    assert.equal(lab.requestsFor(c.name, 'runCommand').length, 2);
    const notice = run.stdout.split('\n').filter((l) => /could not start/.test(l));
    assert.equal(notice.length, 1, notice.join('\n'));
    assert.match(
      notice[0]!,
      new RegExp(
        `could not start \\(command-id ${commands[0]!.id}\\): KubernetesPerformanceError: .*submitted again \\(attempt 2 of 2; start-retries: 1\\)`,
      ),
    );
    assert.match(
      run.summary,
      /Attempts<\/th><td>2 of at most 2 \(resubmitted 1× after the command pod could not start\)/,
    );
  });

  it('gives up after start-retries and fails with the service reason', async () => {
    const c = lab.cluster({ startFailures: { count: 5 } });
    const run = await runAction(
      { cluster: c.resourceId, command: 'true', 'start-retries': '2' },
      lab.emu,
    );
    assert.equal(run.code, 1);
    assert.equal(run.outputs.status, 'Failed');
    assert.equal(run.outputs['exit-code'], '');
    assert.equal(lab.requestsFor(c.name, 'runCommand').length, 3);
    assert.equal(run.stdout.split('\n').filter((l) => /could not start \(/.test(l)).length, 2);
    assert.match(annotations(run.stdout, 'error')[0]!, /KubernetesPerformanceError/);
    assert.match(annotations(run.stdout, 'error')[0]!, /could not start on any of 3 attempts/);
    assert.match(run.summary, /Attempts<\/th><td>3 of at most 3/);
  });

  it('submits again when the POST itself says the pod did not start', async () => {
    const c = lab.cluster({ startFailures: { count: 1, at: 'submit' } });
    const run = await runAction({ cluster: c.resourceId, command: 'echo made-it' }, lab.emu);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.outputs.logs!, /made-it/);
    assert.deepEqual(
      lab.requestsFor(c.name, 'runCommand').map((r) => r.status),
      [400, 202],
    );
    assert.match(run.stdout, /could not start: KubernetesPerformanceError: .*attempt 2 of 2/);
  });

  it('start-retries: 0 never submits again', async () => {
    const c = lab.cluster({ startFailures: { count: 1 } });
    const run = await runAction(
      { cluster: c.resourceId, command: 'true', 'start-retries': '0' },
      lab.emu,
    );
    assert.equal(run.code, 1);
    assert.equal(lab.requestsFor(c.name, 'runCommand').length, 1);
  });

  it('never submits again after other failures: an image that cannot be pulled, an exit code', async () => {
    const pull = lab.cluster({ commandFailure: { reason: 'ImagePullBackoff' } });
    const exit = lab.cluster();
    const [a, b] = await Promise.all([
      runAction({ cluster: pull.resourceId, command: 'true', 'start-retries': '3' }, lab.emu),
      runAction({ cluster: exit.resourceId, command: 'exit 1', 'start-retries': '3' }, lab.emu),
    ]);
    assert.equal(a.code, 1);
    assert.equal(b.code, 1);
    assert.equal(lab.requestsFor(pull.name, 'runCommand').length, 1);
    assert.equal(lab.requestsFor(exit.name, 'runCommand').length, 1);
    assert.doesNotMatch(a.stdout + b.stdout, /submitted again/);
  });
});

describe('refusals in plain words', { concurrency: true }, () => {
  it('run command disabled on the cluster: says so and how to enable it', async () => {
    const c = lab.cluster({ runCommandDisabled: true });
    const run = await runAction({ cluster: c.resourceId, command: 'true' }, lab.emu);
    assert.equal(run.code, 1);
    const error = annotations(run.stdout, 'error')[0]!;
    assert.match(error, /Run command is disabled on cluster aks-out-\d+/);
    assert.match(
      error,
      /az aks update --resource-group rg-e2e-output --name aks-out-\d+ --enable-run-command/,
    );
    assert.match(error, /x-ms-request-id [0-9a-f-]{36}/);
    assert.match(run.summary, /Run command is disabled/);
  });

  it('a stopped cluster: says so and how to start it', async () => {
    const c = lab.cluster({ powerState: 'Stopped' });
    const run = await runAction({ cluster: c.resourceId, command: 'true' }, lab.emu);
    assert.equal(run.code, 1);
    const error = annotations(run.stdout, 'error')[0]!;
    assert.match(error, /is stopped \(powerState Stopped\)/);
    assert.match(error, /az aks start --resource-group rg-e2e-output --name aks-out-\d+/);
    assert.equal(lab.requestsFor(c.name, 'runCommand').length, 1, 'a refusal is not resubmitted');
  });

  it('another operation in progress: says which and how to wait for it', async () => {
    const c = lab.cluster({
      commandsRefusedWhileBusy: true,
      operation: { name: 'Upgrade', durationSeconds: 600 },
    });
    const run = await runAction({ cluster: c.resourceId, command: 'true' }, lab.emu);
    assert.equal(run.code, 1);
    const error = annotations(run.stdout, 'error')[0]!;
    assert.match(
      error,
      /OperationNotAllowed: Another operation holds cluster aks-out-\d+ \(it is Upgrading\)/,
    );
    assert.match(error, /operation: operation-status/);
    assert.match(error, /HTTP 409, x-ms-request-id/);
  });
});

describe('long output', { concurrency: true }, () => {
  it('warns when AKS cut the output at 512 kB and suggests a file or a ConfigMap', async () => {
    const c = lab.cluster();
    const run = await runAction(
      {
        cluster: c.resourceId,
        command: 'head -c 700000 /dev/zero | tr "\\0" "x"; echo; echo never-seen',
      },
      lab.emu,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.ok(Buffer.byteLength(run.outputs.logs!) <= 512 * 1024);
    const warning = annotations(run.stdout, 'warning').join('\n');
    assert.match(warning, /at AKS's limit of 512 kB: the service cut it/);
    assert.match(warning, /ConfigMap/);
    assert.match(run.summary, /cut by the service/);
  });

  it('no warning below the cap', async () => {
    const c = lab.cluster();
    const run = await runAction(
      { cluster: c.resourceId, command: 'head -c 400000 /dev/zero | tr "\\0" "y"' },
      lab.emu,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(annotations(run.stdout, 'warning'), []);
  });

  it('the summary shows the end of long output (64 KiB at most); the step log keeps all of it', async () => {
    const c = lab.cluster();
    const run = await runAction(
      {
        cluster: c.resourceId,
        command:
          'for i in $(seq 1 6000); do echo "line $i <of> many & more"; done; echo "FAILED: the last line"',
      },
      lab.emu,
    );
    assert.equal(run.code, 0, run.stderr);
    const logsBytes = Buffer.byteLength(run.outputs.logs!);
    assert.ok(logsBytes > 150_000, `${logsBytes} bytes`);
    const pre = /<pre>([\s\S]*)<\/pre>/.exec(run.summary)![1]!;
    const shown = pre.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
    assert.ok(Buffer.byteLength(shown) <= 64 * 1024, `${Buffer.byteLength(shown)} bytes shown`);
    assert.ok(Buffer.byteLength(shown) > 60 * 1024);
    assert.match(shown, /FAILED: the last line\n?$/);
    assert.match(shown, /^line \d+ <of> many & more\n/, 'starts at a whole line');
    assert.doesNotMatch(shown, /^line 1 </m);
    assert.match(run.summary, /the summary shows only its end \(the last 64\.0 KiB at most\)/);
    assert.match(run.summary, /logs-file output \(/);
    assert.match(run.stdout, /^line 1 <of> many & more$/m);
    assert.match(run.stdout, /^FAILED: the last line$/m);
  });
});
