import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { startEmulator } from '../../emulator/index.ts';
import { emulatorPerFile } from '../helpers/emulator.ts';
import { runAction } from '../helpers/action.ts';
import { visibleStdout, workflowCommands } from '../../harness/workflow-commands.ts';
import { assertFailed, oidcEnv } from '../helpers/e2e.ts';

const lab = emulatorPerFile({ clusters: { resourceGroup: 'rg-e2e', prefix: 'aks-run' } });

describe('run-command end to end', () => {
  it('runs a command and hands its result on', async () => {
    const c = lab.cluster();
    const run = await runAction(
      { cluster: c.resourceId, command: 'echo "hello from $(pwd | xargs basename)"; echo err >&2' },
      lab.emu,
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.status, 'Succeeded');
    assert.equal(run.outputs['exit-code'], '0');
    assert.match(run.outputs.logs!, /hello from/);
    assert.match(run.outputs.logs!, /err/);
    assert.match(run.outputs['command-id']!, /^[0-9a-f]{32}$/);
    assert.equal(c.commands()[0]?.id, run.outputs['command-id']);
    assert.ok(existsSync(run.outputs['logs-file']!));
    assert.ok(run.outputs['logs-file']!.startsWith(run.runnerTemp));
    assert.equal(readFileSync(run.outputs['logs-file']!, 'utf8'), run.outputs.logs);
    assert.match(run.outputs['started-at']!, /^\d{4}-\d\d-\d\dT/);
    assert.match(run.outputs['finished-at']!, /^\d{4}-\d\d-\d\dT/);
    assert.equal(JSON.parse(run.outputs.result!).properties.exitCode, 0);
    assert.match(run.summary, /<table>/);
    assert.match(run.summary, /Succeeded/);
    assert.match(run.stdout, /::group::Command output/);
    assert.match(run.stdout, /poll 1: /);
  });

  it('fails the step on a non-zero exit code, with every output written', async () => {
    const c = lab.cluster();
    const run = await runAction(
      { cluster: c.resourceId, command: 'echo partial; exit 3' },
      lab.emu,
    );
    assertFailed(run, /exited with code 3/);
    assert.equal(run.outputs.status, 'Succeeded');
    assert.equal(run.outputs['exit-code'], '3');
    assert.equal(run.outputs.logs, 'partial\n');
    assert.match(run.summary, /exited with code 3/);
    // The heading says it as a person would, never "failed: Succeeded".
    const heading = /<h3>(.*)<\/h3>/.exec(run.summary)?.[1];
    assert.equal(
      heading,
      '❌ run-command: the command ran and exited 3, which is not in success-exit-codes (0)',
    );
    assert.doesNotMatch(run.summary, /failed: Succeeded/);
  });

  it('passes when the exit code is listed in success-exit-codes', async () => {
    const c = lab.cluster();
    const run = await runAction(
      { cluster: c.resourceId, command: 'exit 3', 'success-exit-codes': '0, 2-4' },
      lab.emu,
    );
    assert.equal(run.code, 0, run.stdout);
    assert.equal(run.outputs['exit-code'], '3');
  });

  it('fails with the reason when the command could not run', async () => {
    const c = lab.cluster({ commandFailure: { reason: 'ImagePullBackoff' } });
    const run = await runAction({ cluster: c.resourceId, command: 'kubectl get pods' }, lab.emu);
    assertFailed(run, /ImagePullBackoff/);
    assert.equal(run.outputs.status, 'Failed');
    assert.equal(run.outputs.reason, 'ImagePullBackoff');
    assert.equal(run.outputs['exit-code'], '');
    // As the official example: a pod that never ran has no times, exit code or logs.
    assert.deepEqual(Object.keys(JSON.parse(run.outputs.result!).properties), [
      'provisioningState',
      'reason',
    ]);
    assert.equal(run.outputs['started-at'], '');
    assert.equal(run.outputs['finished-at'], '');
    assert.match(run.summary, /<h3>❌ run-command failed: Failed<\/h3>/);
  });

  it('reads lower-case states and reports them in PascalCase', async () => {
    const c = lab.cluster({ lowerCaseStates: true });
    const run = await runAction(
      { cluster: c.resourceId, command: 'sleep 1.5; echo done' },
      lab.emu,
    );
    assert.equal(run.code, 0, run.stdout);
    assert.equal(run.outputs.status, 'Succeeded');
    const failed = lab.cluster({
      lowerCaseStates: true,
      commandFailure: { reason: 'KubernetesOperationError' },
    });
    const bad = await runAction({ cluster: failed.resourceId, command: 'true' }, lab.emu);
    assert.equal(bad.code, 1);
    assert.equal(bad.outputs.status, 'Failed');
  });

  it('waits out a 429 with Retry-After, then succeeds', async () => {
    const c = lab.cluster();
    lab.emu.inject({
      kind: 'runCommand',
      cluster: c.resourceId.split('/').pop(),
      fault: { status: 429, retryAfter: 1 },
    });
    const run = await runAction({ cluster: c.resourceId, command: 'echo ok' }, lab.emu);
    assert.equal(run.code, 0, run.stdout);
    assert.match(
      run.stdout,
      /Retrying POST .*runCommand in 1\.0s \(HTTP 429, Retry-After 1\.0s; retry 1\)/,
    );
    const posts = lab.requestsFor(c.name).filter((r) => r.kind === 'runCommand');
    assert.equal(posts.length, 2);
    assert.ok(posts[1]!.time - posts[0]!.time >= 1000, 'the retry came before Retry-After');
    assert.equal(c.commands().length, 1);
  });

  it('rides out a burst of 503s and a dropped connection while polling', async () => {
    const c = lab.cluster();
    const name = c.resourceId.split('/').pop()!;
    lab.emu.inject({ kind: 'commandResult', cluster: name, times: 3, fault: { status: 503 } });
    lab.emu.inject({ kind: 'commandResult', cluster: name, times: 1, fault: { drop: 'reset' } });
    const run = await runAction(
      { cluster: c.resourceId, command: 'sleep 1; echo survived' },
      lab.emu,
    );
    assert.equal(run.code, 0, run.stdout);
    assert.equal(run.outputs.logs, 'survived\n');
    assert.equal((run.stdout.match(/Retrying GET/g) ?? []).length, 4);
    assert.match(run.summary, /Retries<\/th><td>4</);
  });

  it('fails with the service code, message and fix on an error answer', async () => {
    const run = await runAction(
      {
        cluster: `/subscriptions/${lab.emu.subscriptionId}/resourceGroups/rg-e2e/providers/Microsoft.ContainerService/managedClusters/missing-cluster`,
        command: 'true',
      },
      lab.emu,
    );
    assertFailed(run, /ResourceNotFound/);
    assert.match(run.stdout, /Fix: Check the cluster input/);
  });

  it('stops at the timeout with TimedOut and the command id to read it later', async () => {
    const c = lab.cluster();
    const run = await runAction(
      { cluster: c.resourceId, command: 'sleep 30', timeout: '4s' },
      lab.emu,
    );
    assertFailed(run, /No final status within the timeout of 4\.0s/);
    assert.equal(run.outputs.status, 'TimedOut');
    assert.match(run.outputs['command-id']!, /^[0-9a-f]{32}$/);
    assert.match(run.stdout, /command-result/);
    assert.ok(run.durationMs < 8000, `took ${run.durationMs} ms`);
  });

  it('returns Accepted with wait: false, and command-result reads it later', async () => {
    const c = lab.cluster();
    const first = await runAction(
      { cluster: c.resourceId, command: 'sleep 1; echo later; exit 4', wait: 'false' },
      lab.emu,
    );
    assert.equal(first.code, 0, first.stdout);
    assert.equal(first.outputs.status, 'Accepted');
    const commandId = first.outputs['command-id']!;
    assert.match(commandId, /^[0-9a-f]{32}$/);
    assert.equal(first.outputs['exit-code'], '');
    const second = await runAction(
      {
        operation: 'command-result',
        cluster: c.resourceId,
        'command-id': commandId,
        'success-exit-codes': '4',
      },
      lab.emu,
    );
    assert.equal(second.code, 0, second.stdout);
    assert.equal(second.outputs.status, 'Succeeded');
    assert.equal(second.outputs['exit-code'], '4');
    assert.equal(second.outputs.logs, 'later\n');
    assert.equal(second.outputs['command-id'], commandId);
    assert.equal(c.commands().length, 1, 'command-result must not run the command again');
  });

  it('command-result names command-id when the cluster does not know it', async () => {
    const c = lab.cluster();
    const run = await runAction(
      {
        operation: 'command-result',
        cluster: c.resourceId,
        'command-id': 'ffffffffffffffffffffffffffffffff',
      },
      lab.emu,
    );
    assertFailed(run, /NotFound: .*\(command-id: f{32}\)/);
    assert.match(run.stdout, /Fix: Check command-id/);
    assert.equal(run.outputs['command-id'], 'f'.repeat(32));
  });

  it('keeps workflow commands in the logs inert', async () => {
    const c = lab.cluster();
    const evil = [
      'echo "::add-mask::Succeeded"',
      'echo "::set-output name=status::Hacked"',
      'echo "::stop-commands::pwned"',
      'echo "::error::injected annotation"',
      'echo "::endgroup::"',
      'echo "::pwned::"',
      'echo "::warning::after stop"',
    ].join('; ');
    const run = await runAction({ cluster: c.resourceId, command: evil }, lab.emu);
    assert.equal(run.code, 0, run.stdout);
    assert.equal(run.outputs.status, 'Succeeded');
    const commands = workflowCommands(run.stdout);
    assert.ok(
      !commands.some((line) => /injected|Hacked|after stop|pwned|::add-mask::Succeeded/.test(line)),
      commands.join('\n'),
    );
    assert.ok(!commands.some((line) => line.startsWith('::error')));
    assert.match(run.outputs.logs!, /::error::injected annotation/);
  });

  it('refuses bad inputs before any call, naming the input', async () => {
    const c = lab.cluster();
    const before = lab.emu.requests.length;
    const cases: [Record<string, string>, RegExp][] = [
      [
        { operation: 'explode', cluster: c.resourceId, command: 'true' },
        /Input 'operation': 'explode' is not one of: run-command, command-result, abort, operation-status, cancel-fault/,
      ],
      [{ cluster: 'not/a/cluster', command: 'true' }, /Input 'cluster'/],
      [{ cluster: c.resourceId }, /Input 'command': is required/],
      [{ cluster: c.resourceId, command: 'true', timeout: 'forever' }, /Input 'timeout'/],
      [
        { cluster: c.resourceId, command: 'true', 'success-exit-codes': 'zero' },
        /Input 'success-exit-codes'/,
      ],
    ];
    for (const [inputs, message] of cases) {
      const run = await runAction(inputs, lab.emu);
      assertFailed(run, message);
      assert.equal(run.outputs.status, 'Failed');
      assert.match(run.summary, /Error:/);
    }
    assert.equal(lab.emu.requests.length, before, 'no request may be sent for invalid inputs');
  });

  it('stops polling on SIGINT, writes Interrupted and exits promptly', async () => {
    const c = lab.cluster();
    let signalledAt = 0;
    const run = await runAction({ cluster: c.resourceId, command: 'sleep 60' }, lab.emu, {
      interrupt: {
        signal: 'SIGINT',
        when: (stdout) => {
          const ready = /poll 1:/.test(stdout);
          if (ready && !signalledAt) signalledAt = Date.now();
          return ready;
        },
      },
    });
    assert.equal(run.code, 1, run.stdout);
    assert.equal(run.outputs.status, 'Interrupted');
    assert.match(run.outputs['command-id']!, /^[0-9a-f]{32}$/);
    assert.match(run.summary, /Interrupted/);
    const exitMs = Date.now() - signalledAt;
    assert.ok(exitMs < 5000, `exited ${exitMs} ms after SIGINT`);
  });

  it('never shows a secret in the log, the outputs, the summary or the logs file', async () => {
    const c = lab.cluster();
    const run = await runAction({ cluster: c.resourceId, command: 'echo fine' }, lab.emu);
    assert.equal(run.code, 0);
    const secrets = lab.emu.issuedSecrets();
    assert.ok(secrets.length >= 2);
    const places = {
      stdout: visibleStdout(run.stdout),
      stderr: run.stderr,
      outputs: JSON.stringify(run.outputs),
      summary: run.summary,
      logsFile: readFileSync(run.outputs['logs-file']!, 'utf8'),
    };
    for (const secret of secrets) {
      for (const [where, text] of Object.entries(places))
        assert.ok(!text.includes(secret), `a secret appears in ${where}`);
    }
  });
});

describe('sign-in end to end', () => {
  it('a wrong client secret fails with what to fix, and without the secret', async () => {
    const c = lab.cluster();
    const run = await runAction({ cluster: c.resourceId, command: 'true' }, lab.emu, {
      env: { AZURE_CLIENT_SECRET: 'wrong-secret-value' },
    });
    assertFailed(run, /Sign-in \(environment\) failed/);
    assert.match(run.stdout, /Fix: Check AZURE_CLIENT_ID/);
    assert.ok(!visibleStdout(run.stdout).includes('wrong-secret-value'));
    assert.equal(c.commands().length, 0);
  });

  it('signs in with GitHub OIDC, minting an ID token for the audience', async () => {
    const c = lab.cluster();
    const run = await runAction(
      {
        cluster: c.resourceId,
        command: 'echo oidc',
        'client-id': lab.emu.clientId,
        'tenant-id': lab.emu.tenantId,
      },
      lab.emu,
      { env: oidcEnv(lab.emu) },
    );
    assert.equal(run.code, 0, run.stdout);
    assert.match(run.stdout, /auth auto picked oidc/);
    assert.equal(run.outputs.logs, 'oidc\n');
  });

  it('explains an OIDC subject mismatch with the token claims, never the token', async () => {
    const strict = await startEmulator({
      federatedSubject: 'repo:octo-org/octo-repo:environment:production',
    });
    try {
      const c = strict.addCluster({ resourceGroup: 'rg', name: 'aks-oidc' });
      const run = await runAction(
        {
          cluster: c.resourceId,
          command: 'true',
          auth: 'oidc',
          'client-id': strict.clientId,
          'tenant-id': strict.tenantId,
        },
        strict,
        {
          env: {
            AZURE_CLIENT_SECRET: undefined,
            ACTIONS_ID_TOKEN_REQUEST_URL: strict.oidcRequestUrl,
            ACTIONS_ID_TOKEN_REQUEST_TOKEN: strict.oidcRequestToken,
          },
        },
      );
      assertFailed(run, /AADSTS700213/);
      assert.match(
        run.stdout,
        /iss=https:\/\/token\.actions\.githubusercontent\.com, sub=repo:octo-org\/octo-repo:ref:refs\/heads\/main, aud=api:\/\/AzureADTokenExchange/,
      );
      for (const secret of strict.issuedSecrets())
        assert.ok(!visibleStdout(run.stdout).includes(secret));
    } finally {
      await strict.stop();
    }
  });
});

describe('tokens that expire', () => {
  it('asks for a new token when the old one expires mid-poll', async () => {
    const shortLived = await startEmulator({ tokenLifetimeSeconds: 2 });
    try {
      const c = shortLived.addCluster({ resourceGroup: 'rg', name: 'aks-short' });
      const run = await runAction(
        { cluster: c.resourceId, command: 'sleep 6; echo still here', 'poll-interval': '1' },
        shortLived,
      );
      assert.equal(run.code, 0, run.stdout);
      assert.equal(run.outputs.logs, 'still here\n');
      const tokens = shortLived.requests.filter((r) => r.kind === 'token' && r.status === 200);
      assert.ok(tokens.length >= 3, `only ${tokens.length} tokens were requested`);
      assert.ok(
        !shortLived.requests.some((r) => r.server === 'arm' && r.status === 401),
        'an expired token was sent',
      );
    } finally {
      await shortLived.stop();
    }
  });
});

describe('polling URLs', () => {
  it('follows a new Location the service hands out', async () => {
    const c = lab.cluster();
    lab.emu.inject({
      kind: 'commandResult',
      cluster: c.resourceId.split('/').pop(),
      fault: { moveLocation: true },
    });
    // A look while the command runs (1 s, before auto's first look) gets the moved Location.
    const run = await runAction(
      { cluster: c.resourceId, command: 'sleep 2; echo moved', 'poll-interval': '1' },
      lab.emu,
    );
    assert.equal(run.code, 0, run.stdout);
    const polls = lab.requestsFor(c.name).filter((r) => r.kind === 'commandResult');
    assert.match(polls.at(-1)!.path, /moved=/);
  });

  it('refuses a polling URL on a foreign host, never sending the token there', async () => {
    const c = lab.cluster();
    lab.emu.inject({
      kind: 'commandResult',
      cluster: c.resourceId.split('/').pop(),
      fault: { moveLocation: true, origin: 'https://attacker.invalid' },
    });
    const run = await runAction(
      { cluster: c.resourceId, command: 'sleep 2', 'poll-interval': '1' },
      lab.emu,
    );
    assertFailed(run, /not on the ARM endpoint .*refusing to send the token there/);
    assert.match(run.stdout, /attacker\.invalid/);
  });
});
