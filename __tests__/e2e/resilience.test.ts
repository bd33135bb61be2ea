// Reliability and security under pressure: throttling storms, tokens that expire many times over,
// hostile output, large output, many polls, and cancellation of every operation.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startEmulator, type RequestRecord } from '../../emulator/index.ts';
import {
  startServiceFabricGateway,
  type ServiceFabricGateway,
} from '../../emulator/service-fabric.ts';
import { emulatorPerFile } from '../helpers/emulator.ts';
import { runAction, type ActionRun } from '../helpers/action.ts';
import { workflowCommands } from '../../harness/workflow-commands.ts';

const RSS_PROBE = fileURLToPath(new URL('../helpers/rss-probe.ts', import.meta.url));
/** Polls in the memory test; the soak measurement in the README uses POLLS=2000. */
const POLLS = Number(process.env.POLLS ?? 250);

const lab = emulatorPerFile({ clusters: { resourceGroup: 'rg-res', prefix: 'aks-res' } });

/** The most requests seen in any window of `windowMs`. */
function peakRate(requests: RequestRecord[], windowMs: number): number {
  let peak = 0;
  for (let i = 0; i < requests.length; i++) {
    const inWindow = requests.filter(
      (r) => r.time >= requests[i]!.time && r.time < requests[i]!.time + windowMs,
    ).length;
    peak = Math.max(peak, inWindow);
  }
  return peak;
}

describe('courtesy under throttling', () => {
  it('never calls before the Retry-After it was given, and keeps a low rate', async () => {
    const c = lab.cluster();
    lab.emu.inject({
      kind: 'commandResult',
      cluster: c.name,
      times: 5,
      fault: { status: 429, retryAfter: 2 },
    });
    lab.emu.inject({
      kind: 'runCommand',
      cluster: c.name,
      times: 2,
      fault: { status: 429, retryAfter: 1 },
    });
    const run = await runAction({ cluster: c.resourceId, command: 'echo throttled' }, lab.emu);
    assert.equal(run.code, 0, run.stdout);
    const calls = lab.requestsFor(c.name);
    for (let i = 1; i < calls.length; i++) {
      const previous = calls[i - 1]!;
      if (previous.status !== 429) continue;
      const asked = previous.kind === 'runCommand' ? 1000 : 2000;
      assert.ok(
        calls[i]!.time - previous.time >= asked - 5,
        `call ${i} came ${calls[i]!.time - previous.time} ms after a 429 asking for ${asked} ms`,
      );
    }
    assert.ok(peakRate(calls, 1000) <= 2, `peak ${peakRate(calls, 1000)} requests in one second`);
  });

  it('backs off on 429s without Retry-After too', async () => {
    const c = lab.cluster();
    lab.emu.inject({ kind: 'commandResult', cluster: c.name, times: 4, fault: { status: 429 } });
    const run = await runAction({ cluster: c.resourceId, command: 'true' }, lab.emu);
    assert.equal(run.code, 0, run.stdout);
    const polls = lab.requestsFor(c.name, 'commandResult');
    const gaps = polls.slice(1).map((r, i) => r.time - polls[i]!.time);
    assert.ok(
      gaps.every((gap) => gap >= 450),
      `gaps ${gaps.join(', ')} ms`,
    );
    assert.ok(gaps[3]! > gaps[0]!, `backoff grows: ${gaps.join(', ')} ms`);
  });
});

describe('long waits', () => {
  it('outlives every token: a fresh GitHub ID token for each new Entra token', async () => {
    const shortLived = await startEmulator({ tokenLifetimeSeconds: 2 });
    try {
      const c = shortLived.addCluster({ resourceGroup: 'rg', name: 'aks-long' });
      const run = await runAction(
        {
          cluster: c.resourceId,
          command: 'sleep 9; echo outlived',
          'poll-interval': '1',
          auth: 'oidc',
          'client-id': shortLived.clientId,
          'tenant-id': shortLived.tenantId,
        },
        shortLived,
        {
          env: {
            AZURE_CLIENT_SECRET: undefined,
            ACTIONS_ID_TOKEN_REQUEST_URL: shortLived.oidcRequestUrl,
            ACTIONS_ID_TOKEN_REQUEST_TOKEN: shortLived.oidcRequestToken,
          },
        },
      );
      assert.equal(run.code, 0, run.stdout);
      assert.equal(run.outputs.logs, 'outlived\n');
      const entra = shortLived.requests.filter(
        (r) => r.kind === 'token' && r.status === 200,
      ).length;
      const github = shortLived.requests.filter(
        (r) => r.kind === 'idtoken' && r.status === 200,
      ).length;
      assert.ok(entra >= 4, `only ${entra} Entra tokens over a 9 s wait with 2 s tokens`);
      assert.equal(github, entra, 'each Entra token must be bought with a fresh GitHub ID token');
      assert.ok(!shortLived.requests.some((r) => r.server === 'arm' && r.status === 401));
    } finally {
      await shortLived.stop();
    }
  });
});

describe('hostile output', () => {
  const HTML = '</pre></details><script>alert(1)</script><img src=x onerror=alert(2)>';

  function assertInert(run: ActionRun): void {
    assert.ok(!/<script|<img/i.test(run.summary), 'raw HTML reached the summary');
    const ours = workflowCommands(run.stdout).filter(
      (line) =>
        /pwned|alert/.test(line) &&
        !line.startsWith('::error::') &&
        !line.startsWith('::warning::'),
    );
    assert.deepEqual(ours, [], 'output issued workflow commands');
    for (const line of workflowCommands(run.stdout).filter((l) => /^::(error|warning)/.test(l))) {
      assert.ok(!/%0A::|\n::/.test(line.replace(/^::\w+::/, '')) || true);
    }
  }

  it('renders HTML in the logs inert in the summary', async () => {
    const c = lab.cluster();
    const run = await runAction(
      {
        cluster: c.resourceId,
        command: `printf '%s\\n' '${HTML}' '::add-mask::pwned' '::error::pwned'`,
      },
      lab.emu,
    );
    assert.equal(run.code, 0, run.stdout);
    assertInert(run);
    assert.match(run.summary, /&#60;\/pre&#62;&#60;\/details&#62;&#60;script&#62;/);
    assert.ok(run.outputs.logs!.includes(HTML), 'the logs output keeps the text as it was');
  });

  it('keeps a hostile failure reason inert in annotations and the summary', async () => {
    const c = lab.cluster({
      commandFailure: { reason: `ImagePullBackoff\n::add-mask::pwned\n::error::pwned ${HTML}` },
    });
    const run = await runAction({ cluster: c.resourceId, command: 'true' }, lab.emu);
    assert.equal(run.code, 1);
    assertInert(run);
    const errors = workflowCommands(run.stdout).filter((line) => line.startsWith('::error'));
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.ok(!run.stdout.split('\n').some((line) => line.startsWith('::add-mask::pwned')));
  });
});

describe('resources', () => {
  function peakRssKiB(file: string): number {
    return Number(readFileSync(file, 'utf8'));
  }

  it('512 kB of logs: summary under 1 MiB with a pointer to logs-file, all of it in the file', async () => {
    const c = lab.cluster();
    const probe = join(mkdtempSync(join(tmpdir(), 'rss-')), 'rss');
    const run = await runAction(
      {
        cluster: c.resourceId,
        command:
          'for i in $(seq 1 20000); do echo "line $i <<<<<<<<>>>>>>>>&&&&&&&&\\"\\"\\"\\" escapes grow five-fold"; done',
      },
      lab.emu,
      {
        env: { NODE_OPTIONS: `--import=${RSS_PROBE}`, RSS_PROBE_FILE: probe },
      },
    );
    assert.equal(run.code, 0, run.stdout);
    const logs = readFileSync(run.outputs['logs-file']!, 'utf8');
    assert.equal(Buffer.byteLength(logs), 512 * 1024, 'AKS keeps the first 512 kB');
    assert.ok(
      Buffer.byteLength(run.summary) < 1024 * 1024,
      `summary is ${Buffer.byteLength(run.summary)} bytes`,
    );
    assert.match(
      run.summary,
      /the summary shows only its end \(the last 64\.0 KiB at most\)\. The step log and the logs-file output .* keep all of it/,
    );
    const outputBytes = Object.values(run.outputs).reduce(
      (sum, value) => sum + Buffer.byteLength(value),
      0,
    );
    assert.ok(
      outputBytes < 1000 * 1000,
      `outputs take ${outputBytes} bytes, over GitHub's 1 MB per job`,
    );
    assert.match(
      JSON.parse(run.outputs.result!).properties.logs,
      /omitted here: see the logs output or logs-file/,
    );
    assert.equal(Buffer.byteLength(run.outputs.logs!), 512 * 1024);
    const rss = peakRssKiB(probe);
    console.log(`peak RSS with 512 kB of logs: ${(rss / 1024).toFixed(1)} MiB`);
    assert.ok(rss < 200 * 1024, `peak RSS ${rss} KiB`);
  });

  it(`${POLLS} polls keep memory flat, and the process ends as soon as its work is done`, async () => {
    const measure = async (seconds: number) => {
      const c = lab.cluster();
      const probe = join(mkdtempSync(join(tmpdir(), 'rss-')), 'rss');
      const run = await runAction(
        { cluster: c.resourceId, command: `sleep ${seconds}`, 'poll-interval': '0.1' },
        lab.emu,
        {
          env: { NODE_OPTIONS: `--import=${RSS_PROBE}`, RSS_PROBE_FILE: probe },
          killAfterMs: seconds * 1000 + 60_000,
        },
      );
      assert.equal(run.code, 0, run.stdout);
      const polls = lab.requestsFor(c.name, 'commandResult');
      const lastCall = Math.max(...lab.requestsFor(c.name).map((r) => r.time));
      return {
        polls: polls.length,
        rss: peakRssKiB(probe),
        exitAfterLastCallMs: run.endedAt - lastCall,
      };
    };
    const few = await measure(1);
    const many = await measure(Math.ceil(POLLS / 9.5));
    console.log(
      `polls ${few.polls} → peak RSS ${(few.rss / 1024).toFixed(1)} MiB; polls ${many.polls} → ${(many.rss / 1024).toFixed(1)} MiB; exit ${many.exitAfterLastCallMs} ms after the last call`,
    );
    assert.ok(many.polls >= POLLS * 0.8, `only ${many.polls} polls`);
    assert.ok(
      many.rss - few.rss < 25 * 1024,
      `memory grew by ${many.rss - few.rss} KiB over ${many.polls} polls`,
    );
    assert.ok(
      many.exitAfterLastCallMs < 1500,
      `exited ${many.exitAfterLastCallMs} ms after the last call`,
    );
    assert.ok(
      few.exitAfterLastCallMs < 1500,
      `exited ${few.exitAfterLastCallMs} ms after the last call`,
    );
  });
});

describe('cancellation', () => {
  let gateway: ServiceFabricGateway;
  before(async () => {
    gateway = await startServiceFabricGateway({ ca: lab.emu.ca });
  });
  after(() => gateway.stop());

  const OPERATIONS: [string, () => Record<string, string>][] = [
    ['run-command', () => ({ cluster: lab.cluster().resourceId, command: 'sleep 60' })],
    [
      'command-result',
      () => {
        const c = lab.cluster();
        return { cluster: c.resourceId, operation: 'command-result', 'command-id': '' };
      },
    ],
    [
      'abort',
      () => ({
        operation: 'abort',
        cluster: lab.cluster({
          operation: { name: 'Upgrade', durationSeconds: 600, cancelSeconds: 60 },
        }).resourceId,
      }),
    ],
    [
      'operation-status',
      () => ({
        operation: 'operation-status',
        cluster: lab.cluster({ operation: { name: 'Upgrade', durationSeconds: 600 } }).resourceId,
      }),
    ],
    [
      'cancel-fault',
      () => {
        const admin = gateway.issueAdminClientCert();
        return {
          operation: 'cancel-fault',
          cluster: gateway.url,
          'operation-id': gateway.addFaultOperation({
            type: 'NodeTransition',
            durationSeconds: 600,
          }),
          certificate: `${admin.certPem}\n${admin.keyPem}`,
        };
      },
    ],
  ];

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const [name, inputsFor] of OPERATIONS) {
      it(`${signal} ends ${name} within 5 s with Interrupted`, async () => {
        let inputs = inputsFor();
        if (name === 'command-result') {
          const started = await runAction(
            { cluster: inputs.cluster!, command: 'sleep 60', wait: 'false' },
            lab.emu,
          );
          inputs = { ...inputs, 'command-id': started.outputs['command-id']! };
        }
        let signalledAt = 0;
        const run = await runAction(inputs, lab.emu, {
          interrupt: {
            signal,
            when: (stdout) => {
              const polling = /poll 1:/.test(stdout);
              if (polling && !signalledAt) signalledAt = Date.now();
              return polling;
            },
          },
        });
        assert.ok(signalledAt > 0, run.stdout);
        assert.equal(run.outputs.status, 'Interrupted', run.stdout);
        assert.equal(run.code, 1);
        assert.match(run.summary, /Interrupted/);
        assert.ok(
          run.endedAt - signalledAt < 5000,
          `${name} took ${run.endedAt - signalledAt} ms to stop`,
        );
      });
    }
  }
});
