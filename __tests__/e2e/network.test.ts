// Bad networks: answers cut off mid-body or stalled after their headers and then closed, on
// every kind of poll; the step still ends with its outputs written (never exit 13), and the
// expired-token retry really asks Entra for a new token.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  startServiceFabricGateway,
  type ServiceFabricGateway,
} from '../../emulator/service-fabric.ts';
import { emulatorPerFile } from '../helpers/emulator.ts';
import { runAction, type ActionRun } from '../helpers/action.ts';
import { cancelFaultInputs } from '../helpers/e2e.ts';

const lab = emulatorPerFile({ clusters: { resourceGroup: 'rg-net', prefix: 'aks-net' } });

/** The process ended by itself, with its outputs and summary written. */
function assertEndedWithOutputs(run: ActionRun): void {
  assert.ok(run.code === 0 || run.code === 1, `exit code ${run.code}\n${run.stdout}${run.stderr}`);
  assert.ok(run.outputs.status, `no status output\n${run.stdout}${run.stderr}`);
  assert.match(run.summary, /\S/, 'a job summary');
}

describe('cut connections', { concurrency: 3 }, () => {
  for (const cut of ['mid-body', 'after-headers'] as const) {
    it(`a commandResults poll cut ${cut} is retried as a dropped connection (default timeout)`, async () => {
      const c = lab.cluster();
      lab.emu.inject({ kind: 'commandResult', cluster: c.name, skip: 1, fault: { cut } });
      const run = await runAction(
        { cluster: c.resourceId, command: 'sleep 1; echo done', 'poll-interval': '0.5' },
        lab.emu,
      );
      assertEndedWithOutputs(run);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.equal(run.outputs.status, 'Succeeded');
      assert.match(run.outputs.logs!, /done/);
      assert.match(run.stdout, /Retrying GET .*commandResults.*ERR_BODY_CUT/);
      assert.ok(
        lab.emu.requests.some(
          (r) => r.fault === `cut:${cut}` && r.path.toLowerCase().includes(c.name),
        ),
      );
    });
  }

  it('an abort poll cut mid-body is retried', async () => {
    const c = lab.cluster({ operation: { durationSeconds: 60, cancelSeconds: 2, abort: 'async' } });
    lab.emu.inject({ kind: 'operationStatus', cluster: c.name, fault: { cut: 'mid-body' } });
    const run = await runAction(
      { operation: 'abort', cluster: c.resourceId, 'poll-interval': '0.5' },
      lab.emu,
    );
    assertEndedWithOutputs(run);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.status, 'Canceled');
    assert.match(run.stdout, /ERR_BODY_CUT/);
  });

  it('cut on every poll: the step times out with its outputs, never exit 13', async () => {
    const c = lab.cluster();
    lab.emu.inject({
      kind: 'commandResult',
      cluster: c.name,
      times: 1000,
      fault: { cut: 'after-headers', stallMs: 200 },
    });
    const run = await runAction(
      { cluster: c.resourceId, command: 'sleep 30', timeout: '6s', 'poll-interval': '0.5' },
      lab.emu,
    );
    assertEndedWithOutputs(run);
    assert.equal(run.code, 1);
    assert.equal(run.outputs.status, 'TimedOut', run.stdout);
    assert.match(run.outputs['command-id']!, /\S/);
  });
});

describe('cut connections to the Service Fabric gateway', () => {
  let gw: ServiceFabricGateway;
  before(async () => {
    gw = await startServiceFabricGateway({ ca: lab.emu.ca });
  });
  after(() => gw.stop());

  for (const cut of ['mid-body', 'after-headers'] as const) {
    it(`a fault list cut ${cut} is retried`, async () => {
      const id = gw.addFaultOperation({
        type: 'PartitionDataLoss',
        durationSeconds: 60,
        rollbackSeconds: 0.5,
      });
      gw.inject({ path: '/Faults/?', fault: { cut } });
      const run = await runAction(cancelFaultInputs(gw, id), undefined, {
        env: { NODE_EXTRA_CA_CERTS: lab.emu.caPath },
      });
      assertEndedWithOutputs(run);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.equal(run.outputs.status, 'Cancelled');
      assert.match(run.stdout, /Retrying GET .*Faults.*ERR_BODY_CUT/);
      assert.ok(gw.requests.some((r) => r.fault === `cut ${cut}`));
    });
  }
});

describe('expired tokens', () => {
  it('the retry after ExpiredAuthenticationToken carries a newly issued token', async () => {
    const c = lab.cluster({ operation: { durationSeconds: 1 } });
    lab.emu.inject({ cluster: c.name, fault: { expireToken: true } });
    const run = await runAction({ operation: 'operation-status', cluster: c.resourceId }, lab.emu);
    const calls = lab.requestsFor(c.name);
    assert.ok(calls.length >= 2, run.stdout);
    assert.equal(calls[0]!.fault, 'expireToken');
    assert.ok(calls[0]!.tokenHash && calls[1]!.tokenHash);
    assert.notEqual(calls[1]!.tokenHash, calls[0]!.tokenHash, 'the retry sent the cached token');
    assert.match(run.stdout, /with a new token/);
  });

  it('tokens refused as expired again and again: says the clocks may disagree', async () => {
    const c = lab.cluster();
    lab.emu.inject({ cluster: c.name, times: 10, fault: { expireToken: true } });
    const run = await runAction({ operation: 'operation-status', cluster: c.resourceId }, lab.emu);
    assert.equal(run.code, 1);
    assert.equal(run.outputs.status, 'Failed');
    assert.match(run.stdout, /clocks of ARM, Entra ID and the runner may disagree/, run.stdout);
    const hashes = lab.requestsFor(c.name).map((r) => r.tokenHash);
    assert.equal(new Set(hashes).size, hashes.length, 'every retry had its own token');
  });
});

describe("Service Fabric's Entra sign-in answers the timeout and cancellation", () => {
  let gw: ServiceFabricGateway;
  before(async () => {
    gw = await startServiceFabricGateway({
      ca: lab.emu.ca,
      mode: 'aad',
      aadTenantId: lab.emu.tenantId,
      aadAuthority: lab.emu.authorityHost,
      verifyAadToken: (bearer, audience) => lab.emu.verifyToken(bearer, audience),
    });
  });
  after(() => gw.stop());

  function signInThatHangs(options: Parameters<typeof runAction>[2]): Promise<ActionRun> {
    // Every token request hangs far longer than the step may take.
    lab.emu.inject({ kind: 'token', times: 20, fault: { delayMs: 600_000 } });
    const id = gw.addFaultOperation({ type: 'PartitionDataLoss', durationSeconds: 60 });
    return runAction(
      {
        operation: 'cancel-fault',
        cluster: gw.url,
        'operation-id': id,
        auth: 'environment',
        timeout: '4s',
      },
      lab.emu,
      { killAfterMs: 40_000, ...options },
    );
  }

  it('a hanging token endpoint ends in TimedOut with outputs', async () => {
    const run = await signInThatHangs({});
    lab.emu.clearFaults();
    assert.equal(run.signal, null, 'the process ended by itself');
    assert.equal(run.code, 1, run.stdout);
    assert.equal(run.outputs.status, 'TimedOut', run.stdout);
    assert.ok(run.durationMs < 15_000, `took ${run.durationMs} ms`);
    assert.match(run.summary, /TimedOut/);
  });

  it('SIGINT during a hanging sign-in ends in Interrupted with outputs', async () => {
    const run = await signInThatHangs({
      env: { INPUT_TIMEOUT: '10m' },
      interrupt: { signal: 'SIGINT', when: (stdout) => /requesting tokens for/.test(stdout) },
    });
    lab.emu.clearFaults();
    assert.equal(run.signal, null, 'the process ended by itself');
    assert.equal(run.code, 1, run.stdout);
    assert.equal(run.outputs.status, 'Interrupted', run.stdout);
    assert.ok(run.endedAt - run.startedAt < 15_000);
  });
});
