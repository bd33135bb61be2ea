import assert from 'node:assert/strict';
import { X509Certificate, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type {
  FaultOperationSpec,
  ServiceFabricGateway,
  ServiceFabricGatewayOptions,
} from '../../emulator/service-fabric.ts';
import { displayedLog, workflowCommands } from '../../harness/workflow-commands.ts';
import { runAction, type ActionRun } from '../helpers/action.ts';
import { emulatorPerFile } from '../helpers/emulator.ts';
import { adminPem, assertFailed, assertPassed } from '../helpers/e2e.ts';

// The file's emulator gives the CA every gateway's server certificate chains to, and Entra ID.
const lab = emulatorPerFile();

function cancel(
  gw: ServiceFabricGateway,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<ActionRun> {
  return runAction(
    {
      operation: 'cancel-fault',
      cluster: gw.url,
      'poll-interval': '0.5',
      timeout: '30s',
      ...inputs,
    },
    undefined,
    { env: { NODE_EXTRA_CA_CERTS: lab.emu.caPath, ...env }, killAfterMs: 60_000 },
  );
}

const thumbprint = (cert: string, algorithm: 'sha1' | 'sha256') =>
  algorithm === 'sha1'
    ? new X509Certificate(cert).fingerprint
    : new X509Certificate(cert).fingerprint256;

/**
 * One cancel of one fault operation that the step follows to a final state: the gateway, the
 * operation, the inputs besides operation-id (and the admin certificate, unless `certificate` is
 * false), the status the step passes with, and what else must hold.
 */
interface CancelCase {
  name: string;
  gateway?: () => Omit<ServiceFabricGatewayOptions, 'ca'>;
  fault: FaultOperationSpec;
  certificate?: false;
  inputs?: () => Record<string, string>;
  env?: () => Record<string, string>;
  status: string;
  then: (run: ActionRun, gw: ServiceFabricGateway, id: string, certificate: string) => void;
}

const CLUSTER_APP = randomUUID();

const CASES: CancelCase[] = [
  {
    name: 'cancels gracefully: RollingBack → Cancelled',
    fault: { type: 'PartitionDataLoss', durationSeconds: 60, rollbackSeconds: 1 },
    status: 'Cancelled',
    then(run, gw, id, certificate) {
      assert.equal(run.outputs['operation-id'], id);
      assert.deepEqual(JSON.parse(run.outputs.result!), {
        OperationId: id,
        State: 'Cancelled',
        Type: 'PartitionDataLoss',
      });
      assert.equal(run.outputs['started-at'], '');
      assert.equal(run.outputs['finished-at'], '');
      assert.match(run.stdout, /auto picked certificate/);
      assert.match(run.stdout, /PartitionDataLoss, RollingBack/);
      assert.match(run.stdout, /State changed: RollingBack → Cancelled/);
      assert.deepEqual(
        gw.cancelCalls(id).map((c) => [c.force, c.status]),
        [[false, 200]],
      );
      const post = gw.requests.find((r) => r.method === 'POST')!;
      // The server-side timeout stays below the client's request timeout (shortened by timeout: 30s).
      assert.ok(
        Number(post.query.timeout) >= 1 && Number(post.query.timeout) < 60,
        post.query.timeout,
      );
      assert.equal(post.query['api-version'], '6.0');
      const list = gw.requests.find((r) => r.method === 'GET')!;
      assert.equal(list.query.TypeFilter, '65535');
      assert.equal(list.query.StateFilter, '65535');
      // The private key never shows in the log as the runner displays it.
      const keyLine = certificate.split('\n').find((l) => l.length > 40 && !l.startsWith('-'))!;
      assert.ok(!displayedLog(run.stdout).includes(keyLine));
      assert.equal(workflowCommands(run.stdout).filter((c) => c.startsWith('::warning')).length, 0);
    },
  },
  {
    name: 'forces a node transition after force-after, graceful first: Running → ForceCancelled',
    fault: { type: 'NodeTransition', durationSeconds: 60 },
    inputs: () => ({ force: 'true', 'force-after': '2s' }),
    status: 'ForceCancelled',
    then(run, gw, id) {
      const calls = gw.cancelCalls(id);
      assert.deepEqual(
        calls.map((c) => [c.force, c.status]),
        [
          [false, 200],
          [true, 200],
        ],
      );
      assert.ok(calls[1]!.time - calls[0]!.time >= 2000, JSON.stringify(calls));
      assert.match(run.stdout, /NodeTransition, Running/);
      assert.match(run.stdout, /sending a forced cancel \(Force=true\)/);
      assert.match(run.stdout, /State changed: Running → ForceCancelled/);
      assert.match(run.summary, /forced after/);
    },
  },
  {
    name: 'forces a slow rollback: RollingBack → ForceCancelled',
    fault: { type: 'PartitionQuorumLoss', durationSeconds: 60, rollbackSeconds: 30 },
    inputs: () => ({ force: 'true', 'force-after': '1s' }),
    status: 'ForceCancelled',
    then(run, gw, id) {
      assert.match(run.stdout, /State changed: RollingBack → ForceCancelled/);
      assert.deepEqual(
        gw.cancelCalls(id).map((c) => c.force),
        [false, true],
      );
    },
  },
  {
    // It runs to its end; ending after a cancel request, it reports Cancelled. Its 1.5 s start at
    // the cancel (the gateway's clock starts at the first request about the operation).
    name: 'warns that a node transition without force only stops when forced',
    fault: { type: 'NodeTransition', durationSeconds: 1.5 },
    status: 'Cancelled',
    then(run, gw, id) {
      assert.match(run.stdout, /^::warning::This is a NodeTransition/m);
      assert.match(run.stdout, /State changed: Running → Cancelled/);
      assert.deepEqual(
        gw.cancelCalls(id).map((c) => c.force),
        [false],
      );
    },
  },
  {
    name: 'returns Accepted right after the graceful cancel with wait: false',
    fault: { type: 'PartitionRestart', durationSeconds: 60 },
    inputs: () => ({ wait: 'false' }),
    status: 'Accepted',
    then(run, gw, id) {
      assert.equal(run.outputs['operation-id'], id);
      assert.deepEqual(
        gw.requests.map((r) => r.method),
        ['POST'],
      );
    },
  },
  {
    name: 'trusts the server through ca-certificate',
    fault: { type: 'PartitionDataLoss', durationSeconds: 60, rollbackSeconds: 0.5 },
    inputs: () => ({ 'ca-certificate': lab.emu.ca.certPem }),
    env: () => ({ NODE_EXTRA_CA_CERTS: '' }),
    status: 'Cancelled',
    then(run) {
      assert.match(run.stdout, /must chain to ca-certificate/);
    },
  },
  {
    name: 'signs in with Entra ID on an Entra-secured cluster',
    gateway: () => ({
      mode: 'aad',
      aadClusterAppId: CLUSTER_APP,
      aadTenantId: lab.emu.tenantId,
      aadAuthority: lab.emu.authorityHost,
      verifyAadToken: (bearer, audience) => lab.emu.verifyToken(bearer, audience),
    }),
    fault: { type: 'PartitionDataLoss', durationSeconds: 60, rollbackSeconds: 0.5 },
    certificate: false,
    inputs: () => ({ auth: 'environment', 'authority-host': lab.emu.authorityHost }),
    env: () => ({
      AZURE_CLIENT_ID: lab.emu.clientId,
      AZURE_TENANT_ID: lab.emu.tenantId,
      AZURE_CLIENT_SECRET: lab.emu.clientSecret,
    }),
    status: 'Cancelled',
    then(run, gw) {
      assert.match(run.stdout, new RegExp(`requesting tokens for ${CLUSTER_APP}/\\.default`));
      assert.deepEqual(gw.requests.map((r) => [r.method, r.path, r.status]).slice(0, 2), [
        ['GET', '/$/GetAadMetadata', 200],
        ['POST', '/Faults/$/Cancel', 200],
      ]);
      const log = displayedLog(run.stdout);
      for (const secret of lab.emu.issuedSecrets()) assert.ok(!log.includes(secret));
    },
  },
  {
    name: 'calls an unsecured http gateway with auth: none, with a warning',
    gateway: () => ({ mode: 'none' }),
    fault: { type: 'PartitionDataLoss', durationSeconds: 60, rollbackSeconds: 0.5 },
    certificate: false,
    inputs: () => ({ auth: 'none' }),
    status: 'Cancelled',
    then(run) {
      assert.match(run.stdout, /^::warning::The gateway http:\/\/.* is plain http/m);
    },
  },
];

describe('cancel-fault end to end', { concurrency: 4 }, () => {
  for (const t of CASES) {
    it(t.name, async () => {
      const gw = await lab.gateway(t.gateway?.());
      const id = gw.addFaultOperation(t.fault);
      const certificate = t.certificate === false ? '' : adminPem(gw);
      const run = await cancel(
        gw,
        { 'operation-id': id, ...(certificate ? { certificate } : {}), ...t.inputs?.() },
        t.env?.(),
      );
      assertPassed(run, t.status);
      t.then(run, gw, id, certificate);
    });
  }

  it('passes with a warning when the operation had already completed (404, then the list)', async () => {
    const gw = await lab.gateway();
    const completed = gw.addFinishedOperation('Completed', 'PartitionRestart');
    const faulted = gw.addFinishedOperation('Faulted');
    const certificate = adminPem(gw);
    const run = await cancel(gw, { 'operation-id': completed, certificate });
    assertPassed(run, 'Completed');
    assert.match(run.stdout, /^::warning::The fault operation ended Completed before the cancel/m);
    assert.equal(JSON.parse(run.outputs.result!).State, 'Completed');
    assert.deepEqual(
      gw.cancelCalls(completed).map((c) => c.status),
      [404],
    );
    const force = await cancel(gw, {
      'operation-id': faulted,
      certificate,
      force: 'true',
      wait: 'false',
    });
    assertPassed(force, 'Faulted');
    assert.deepEqual(
      gw.cancelCalls(faulted).map((c) => [c.force, c.status]),
      [[false, 404]],
    );
  });

  it('fails for an operation that never existed, naming the id', async () => {
    const gw = await lab.gateway();
    const id = randomUUID();
    const run = await cancel(gw, { 'operation-id': id, certificate: adminPem(gw) });
    assertFailed(run, new RegExp(`Fault operation ${id} does not exist`), 'Failed');
    assert.equal(run.outputs['operation-id'], id);
  });

  it('pins a self-signed server certificate by SHA-256 and by SHA-1', async () => {
    const gw = await lab.gateway({ selfSignedServerCert: true });
    const certificate = adminPem(gw);
    for (const pin of [
      thumbprint(gw.serverCertPem, 'sha256'),
      `${'ab'.repeat(20)}, ${thumbprint(gw.serverCertPem, 'sha1').toLowerCase().replace(/:/g, '')}`,
    ]) {
      const id = gw.addFaultOperation({
        type: 'PartitionDataLoss',
        durationSeconds: 60,
        rollbackSeconds: 0.5,
      });
      const run = await cancel(gw, {
        'operation-id': id,
        certificate,
        'server-cert-thumbprint': pin,
      });
      assertPassed(run, 'Cancelled');
      assert.match(run.stdout, /matches server-cert-thumbprint/);
    }
  });

  it('refuses a server whose certificate matches no pin, before any request', async () => {
    const gw = await lab.gateway({ selfSignedServerCert: true });
    const id = gw.addFaultOperation({ type: 'PartitionDataLoss', durationSeconds: 60 });
    const run = await cancel(gw, {
      'operation-id': id,
      certificate: adminPem(gw),
      'server-cert-thumbprint': '00'.repeat(32),
    });
    assertFailed(run, /matches no server-cert-thumbprint; nothing was sent to it/, 'Failed');
    assert.deepEqual(gw.requests, []);
    // Without a pin, the self-signed certificate is not trusted either, and the fix says why.
    const unpinned = await cancel(gw, { 'operation-id': id, certificate: adminPem(gw) });
    assertFailed(unpinned, /server-cert-thumbprint/, 'Failed');
    assert.deepEqual(gw.requests, []);
  });

  it('signs in with a base64 PFX and its password', async () => {
    const gw = await lab.gateway();
    const admin = gw.issueAdminClientCert();
    const id = gw.addFaultOperation({
      type: 'PartitionDataLoss',
      durationSeconds: 60,
      rollbackSeconds: 0.5,
    });
    const pfx = admin.pfxBase64('s3cret-pw');
    const wrong = await cancel(gw, {
      'operation-id': id,
      certificate: pfx,
      'certificate-password': 'nope',
    });
    assertFailed(
      wrong,
      /Input 'certificate-password': does not open the PFX in certificate/,
      'Failed',
    );
    assert.equal(gw.requests.length, 0);
    const run = await cancel(gw, {
      'operation-id': id,
      auth: 'certificate',
      certificate: pfx,
      'certificate-password': 's3cret-pw',
    });
    assertPassed(run, 'Cancelled');
    const sha1 = thumbprint(admin.certPem, 'sha1').replace(/:/g, '');
    assert.ok(gw.requests.every((r) => r.clientCertThumbprint === sha1));
    assert.ok(!displayedLog(run.stdout).includes('s3cret-pw'));
    assert.ok(!displayedLog(run.stdout).includes(pfx.slice(0, 40)));
  });

  it('explains a client certificate the cluster does not accept (403)', async () => {
    const gw = await lab.gateway();
    const stranger = gw.issueUnknownClientCert();
    const run = await cancel(gw, {
      'operation-id': randomUUID(),
      certificate: `${stranger.keyPem}\n${stranger.certPem}`,
    });
    assertFailed(
      run,
      /the cluster did not accept this client certificate \(is it an admin certificate\?\)/,
      'Failed',
    );
    assert.deepEqual(
      gw.requests.map((r) => r.status),
      [403],
    );
  });

  it('retries a 503 and goes on; other errors are not retried', async () => {
    const gw = await lab.gateway();
    const id = gw.addFaultOperation({
      type: 'PartitionDataLoss',
      durationSeconds: 60,
      rollbackSeconds: 0.5,
    });
    gw.inject({ path: '/Faults/$/Cancel', fault: { status: 503, code: 'FABRIC_E_NOT_PRIMARY' } });
    const certificate = adminPem(gw);
    const run = await cancel(gw, { 'operation-id': id, certificate });
    assertPassed(run, 'Cancelled');
    assert.match(run.stdout, /Retrying POST .*\/Faults\/\$\/Cancel in .* \(HTTP 503; retry 1\)/);
    assert.deepEqual(
      gw.cancelCalls(id).map((c) => c.status),
      [503, 200],
    );

    const other = gw.addFaultOperation({ type: 'PartitionDataLoss', durationSeconds: 60 });
    gw.inject({
      path: '/Faults/$/Cancel',
      fault: {
        status: 400,
        code: 'FABRIC_E_FAULT_ANALYSIS_SERVICE_NOT_ENABLED',
        message: 'The Fault Analysis Service is not enabled.',
      },
    });
    const refused = await cancel(gw, { 'operation-id': other, certificate });
    assertFailed(
      refused,
      /FABRIC_E_FAULT_ANALYSIS_SERVICE_NOT_ENABLED: The Fault Analysis Service/,
      'Failed',
    );
    assert.match(refused.stdout, /Enable the Fault Analysis Service/);
    assert.equal(gw.cancelCalls(other).length, 1);
  });
});
