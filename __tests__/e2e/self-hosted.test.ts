// Self-hosted runners: signing in with the machine's managed identity (through the IMDS override
// @azure/identity documents, AZURE_POD_IDENTITY_AUTHORITY_HOST), and requests a support engineer
// can trace (client request ids, one correlation id, request ids in errors, debug lines).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emulatorPerFile } from '../helpers/emulator.ts';
import { runAction } from '../helpers/action.ts';
import { errorLine } from '../helpers/e2e.ts';

const lab = emulatorPerFile({ clusters: { resourceGroup: 'rg-self-hosted', prefix: 'aks-self' } });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A runner with no service principal in its environment, whose IMDS is the emulator's. */
function machineEnv(extra: Record<string, string | undefined> = {}) {
  return {
    AZURE_CLIENT_ID: undefined,
    AZURE_TENANT_ID: undefined,
    AZURE_CLIENT_SECRET: undefined,
    AZURE_POD_IDENTITY_AUTHORITY_HOST: lab.emu.imdsEndpoint,
    ...extra,
  };
}

function imdsRequestsSince(time: number) {
  return lab.emu.requests.filter((r) => r.server === 'imds' && r.time >= time);
}

// One after another: the IMDS requests of a run are told apart by time.
describe('managed identity (auth: managed-identity)', () => {
  it('signs in with the system-assigned identity through IMDS and runs the command', async () => {
    const c = lab.cluster();
    const since = Date.now();
    const run = await runAction(
      { cluster: c.resourceId, command: 'echo from-the-vm', auth: 'managed-identity' },
      lab.emu,
      { env: machineEnv() },
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.status, 'Succeeded');
    assert.match(run.outputs.logs!, /from-the-vm/);
    assert.match(run.stdout, /Signing in with the machine's system-assigned managed identity/);
    const imds = imdsRequestsSince(since).filter((r) => r.status === 200);
    assert.ok(imds.length >= 1, 'a token came from IMDS');
    const query = new URL(imds[0]!.path, 'http://imds').searchParams;
    assert.equal(query.get('api-version'), '2018-02-01');
    // The audience the ARM endpoint's metadata names (a custom arm-endpoint, as on Azure Stack Hub).
    assert.equal(query.get('resource'), `${lab.emu.armEndpoint}/`);
    assert.equal(query.get('client_id'), null, 'system-assigned: no client_id');
    // ARM took the IMDS token: both calls went through.
    assert.deepEqual(
      lab.requestsFor(c.name).map((r) => r.status),
      [202, 200],
    );
  });

  it('uses the user-assigned identity named by client-id', async () => {
    const c = lab.cluster();
    const clientId = lab.emu.managedIdentity.userAssignedClientIds[0]!;
    const since = Date.now();
    const run = await runAction(
      {
        cluster: c.resourceId,
        command: 'echo user-assigned',
        auth: 'managed-identity',
        'client-id': clientId,
      },
      lab.emu,
      { env: machineEnv() },
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, new RegExp(`user-assigned managed identity \\(client ${clientId}\\)`));
    const asked = imdsRequestsSince(since).map((r) =>
      new URL(r.path, 'http://imds').searchParams.get('client_id'),
    );
    assert.ok(asked.length >= 1);
    assert.ok(asked.every((id) => id === clientId));
  });

  it('an identity the machine does not have fails the sign-in and says what to fix', async () => {
    const c = lab.cluster();
    const run = await runAction(
      {
        cluster: c.resourceId,
        command: 'true',
        auth: 'managed-identity',
        'client-id': '00000000-0000-0000-0000-0000000000aa',
      },
      lab.emu,
      { env: machineEnv() },
    );
    assert.equal(run.code, 1);
    assert.equal(run.outputs.status, 'Failed');
    const error = errorLine(run.stdout);
    assert.match(error, /Sign-in \(managed-identity\) failed/);
    assert.match(error, /Identity not found/);
    assert.match(error, /client-id/);
    assert.equal(lab.requestsFor(c.name).length, 0, 'no ARM call without a token');
  });

  it('auto never asks IMDS, and its error names auth: managed-identity', async () => {
    const c = lab.cluster();
    const since = Date.now();
    const run = await runAction({ cluster: c.resourceId, command: 'true' }, lab.emu, {
      env: machineEnv(),
    });
    assert.equal(run.code, 1);
    assert.match(errorLine(run.stdout), /auth: auto found no Azure credential/);
    assert.match(errorLine(run.stdout), /auth: managed-identity/);
    assert.equal(imdsRequestsSince(since).length, 0, 'auto must not probe IMDS');
    assert.ok(run.durationMs < 10_000, `took ${run.durationMs} ms`);
  });
});

describe('traceable requests', { concurrency: true }, () => {
  it('a fresh client request id per request, one correlation id per run, in the outputs and summary', async () => {
    const c = lab.cluster();
    // One transient 503 on the first result read: the retry is a request of its own.
    lab.emu.inject({ kind: 'commandResult', cluster: c.name, times: 1, fault: { status: 503 } });
    const run = await runAction({ cluster: c.resourceId, command: 'echo traced' }, lab.emu, {
      env: { RUNNER_DEBUG: '1' },
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const correlationId = run.outputs['correlation-id']!;
    assert.match(correlationId, UUID);
    const calls = lab.requestsFor(c.name);
    assert.ok(calls.length >= 3, `${calls.length} calls`);
    assert.ok(calls.every((r) => r.correlationRequestId === correlationId));
    const clientIds = calls.map((r) => r.clientRequestId ?? '');
    assert.ok(clientIds.every((id) => UUID.test(id)));
    assert.equal(new Set(clientIds).size, clientIds.length, 'every request has its own id');
    assert.match(run.summary, new RegExp(`Correlation id</th><td>${correlationId}<`));
    // Every request of the run: the cluster's and the one read of the ARM endpoint's metadata.
    assert.match(run.summary, new RegExp(`Requests</th><td>${calls.length + 1}<`));

    // One debug line per request, naming the request id the service answered with.
    const debug = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('::debug::HTTP ') && line.includes(c.name));
    assert.equal(debug.length, calls.length, debug.join('\n'));
    for (const [i, call] of calls.entries()) {
      assert.ok(debug[i]!.includes(`x-ms-request-id ${call.requestId!}`), debug[i]);
      assert.ok(debug[i]!.includes(`x-ms-client-request-id ${call.clientRequestId!}`));
      assert.ok(debug[i]!.includes(` -> ${call.status} in `), debug[i]);
    }
    assert.ok(debug.some((line) => / -> 503 .*retry 1 in \d+\.\ds \(HTTP 503/.test(line)));
    assert.match(debug.at(-1)!, /; final$/);
    // Never a bearer token or a signed query value.
    assert.ok(debug.every((line) => !/Bearer|eyJ/.test(line)));
  });

  it('prints no request lines without debug logging', async () => {
    const c = lab.cluster();
    const run = await runAction({ cluster: c.resourceId, command: 'true' }, lab.emu);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.doesNotMatch(run.stdout, /::debug::HTTP /);
  });

  it('hides every query value but the api-version in debug lines (signed polling URLs)', async () => {
    const c = lab.cluster();
    // The service hands out a polling URL with an extra query parameter: its value stays hidden.
    lab.emu.inject({
      kind: 'commandResult',
      cluster: c.name,
      times: 1,
      fault: { moveLocation: true },
    });
    // A look while the command runs (the auto schedule's first look comes later than 2 s).
    const run = await runAction(
      { cluster: c.resourceId, command: 'sleep 2; echo ok', 'poll-interval': '1' },
      lab.emu,
      { env: { RUNNER_DEBUG: '1' } },
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const debug = run.stdout.split('\n').filter((line) => line.startsWith('::debug::HTTP '));
    assert.ok(
      debug.some((line) => line.includes('moved=***')),
      debug.join('\n'),
    );
    for (const line of debug) {
      const query = /\?(\S*)/.exec(line)?.[1] ?? '';
      for (const pair of query.split('&').filter(Boolean)) {
        assert.ok(/^api-version=|=\*\*\*$/.test(pair), `${pair} in ${line}`);
      }
    }
  });

  it('a service error names the x-ms-request-id of the failing answer', async () => {
    const c = lab.cluster();
    const missing = c.resourceId.replace(/[^/]+$/, 'no-such-cluster');
    const run = await runAction({ cluster: missing, command: 'true' }, lab.emu);
    assert.equal(run.code, 1);
    const failing = lab.emu.requests.find(
      (r) =>
        r.path.includes('/no-such-cluster/') &&
        r.correlationRequestId === run.outputs['correlation-id'],
    );
    assert.ok(failing?.requestId, 'the emulator answered with a request id');
    assert.match(errorLine(run.stdout), /ResourceNotFound: /);
    assert.ok(
      errorLine(run.stdout).includes(`HTTP 404, x-ms-request-id ${failing.requestId}`),
      errorLine(run.stdout),
    );
    assert.ok(run.summary.includes(failing.requestId));
  });
});
