// Runs one client once against a fresh cluster and measures it from the emulator's side.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ClusterHandle, Emulator, RequestRecord } from '../emulator/index.ts';
import { runAction, type ActionRun } from '../harness/run-action.ts';
import { toEnv } from './clients/config.ts';

export const CLIENTS = ['action', 'sdk', 'cli'] as const;
export type ClientName = (typeof CLIENTS)[number];

export interface Scenario {
  id: string;
  label: string;
  /** The command to run; undefined: abort an operation that takes CANCEL_SECONDS to cancel. */
  command?: string;
  /** The command pod's start delay on the emulated cluster (seconds; default none). */
  startDelaySeconds?: number;
  /** The action's `poll-interval` input (default: auto). */
  pollInterval?: string;
}

export const CANCEL_SECONDS = 10;
const RESOURCE_GROUP = 'rg-bench';
const PROBE = pathToFileURL(fileURLToPath(new URL('./probe.ts', import.meta.url))).href;
const CLIENT_SCRIPTS: Record<Exclude<ClientName, 'action'>, string> = {
  sdk: fileURLToPath(new URL('./clients/sdk.ts', import.meta.url)),
  cli: fileURLToPath(new URL('./clients/cli-model.ts', import.meta.url)),
};

export interface RunResult {
  client: ClientName;
  scenario: string;
  cluster: string;
  ok: boolean;
  /** Last line of output, or why it failed. */
  note: string;
  /** Emulator's end of the work (command finished / operation Canceled) to the client's exit. */
  latencyMs?: number;
  /** Emulator times of the call that started the work (the POST) and of the work's end. */
  postAt?: number;
  doneAt?: number;
  /** Emulator times of the client's reads of this run's cluster (its looks, for most clients). */
  readTimes?: number[];
  /** ARM calls for this run's cluster (reads: GET; writes: everything else). */
  armReads: number;
  armWrites: number;
  /** Calls to the Entra endpoint (token, discovery) while the client ran; undefined when clients
   * ran side by side (Entra calls carry no cluster name to tell whose they are). */
  authRequests?: number;
  /** Process spawn to the emulator's first request (any server); undefined when side by side. */
  firstRequestMs?: number;
  peakRssKiB?: number;
  wallMs: number;
}

export interface Exit {
  ok: boolean;
  note: string;
  spawnedAt: number;
  exitedAt: number;
}

export async function measureRun(
  emu: Emulator,
  client: ClientName,
  scenario: Scenario,
  name: string,
  options: { timeoutMs: number; concurrent?: boolean },
): Promise<RunResult> {
  const { timeoutMs, concurrent = false } = options;
  const handle = emu.addCluster({
    resourceGroup: RESOURCE_GROUP,
    name,
    ...(scenario.command === undefined
      ? { operation: { durationSeconds: 600, abort: 'async', cancelSeconds: CANCEL_SECONDS } }
      : {}),
    ...(scenario.startDelaySeconds ? { commandStartDelaySeconds: scenario.startDelaySeconds } : {}),
  });
  const probe = rssProbe();
  const exit =
    client === 'action'
      ? await spawnAction(emu, handle, scenario, probe.env, timeoutMs)
      : await spawnClient(emu, client, name, scenario, probe.env, timeoutMs);
  const peakRssKiB = probe.read();

  const mine = emu.requests.filter((r) => r.server === 'arm' && concerns(r, name, handle));
  const during = emu.requests.filter((r) => r.time >= exit.spawnedAt && r.time <= exit.exitedAt);
  const doneAt = workDoneAt(handle, scenario, mine);
  // A client that exits before the work ended (Azure CLI's 300 s give-up) detected nothing.
  const detected = doneAt !== undefined && doneAt <= exit.exitedAt;
  return {
    client,
    scenario: scenario.id,
    cluster: name,
    ok: exit.ok && detected,
    note: detected ? exit.note : `exited before the work ended: ${exit.note}`,
    latencyMs: detected ? exit.exitedAt - doneAt : undefined,
    postAt: mine.find((r) => r.method === 'POST' && r.status >= 200 && r.status < 300)?.time,
    doneAt,
    readTimes: mine.filter((r) => r.method === 'GET').map((r) => r.time),
    armReads: mine.filter((r) => r.method === 'GET').length,
    armWrites: mine.filter((r) => r.method !== 'GET').length,
    authRequests: concurrent ? undefined : during.filter((r) => r.server !== 'arm').length,
    firstRequestMs:
      concurrent || during.length === 0 ? undefined : during[0]!.time - exit.spawnedAt,
    peakRssKiB,
    wallMs: exit.exitedAt - exit.spawnedAt,
  };
}

/** The emulator's own time for the end of the work. For an abort the emulator does not expose it:
 * it is derived as the abort POST's arrival + cancelSeconds, as emulator/operations.ts computes it. */
function workDoneAt(
  handle: ClusterHandle,
  scenario: Scenario,
  requests: RequestRecord[],
): number | undefined {
  if (scenario.command !== undefined) return handle.commands()[0]?.finishedAt;
  const abort = requests.find((r) => r.kind === 'abort' && r.status === 202);
  return abort && abort.time + CANCEL_SECONDS * 1000;
}

function concerns(record: RequestRecord, name: string, handle: ClusterHandle): boolean {
  const path = record.path.toLowerCase();
  // The operation's own id, and the abort's: its status URLs name only that.
  if (handle.operationIds().some((id) => path.includes(id.toLowerCase()))) return true;
  const at = path.indexOf(`/managedclusters/${name.toLowerCase()}`);
  if (at < 0) return false;
  const next = path[at + '/managedclusters/'.length + name.length];
  return next === undefined || next === '/' || next === '?';
}

async function spawnAction(
  emu: Emulator,
  handle: ClusterHandle,
  scenario: Scenario,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<Exit> {
  const inputs: Record<string, string> =
    scenario.command === undefined
      ? { operation: 'abort', cluster: handle.resourceId }
      : { cluster: handle.resourceId, command: scenario.command };
  if (scenario.pollInterval !== undefined) inputs['poll-interval'] = scenario.pollInterval;
  const calledAt = Date.now();
  let run: ActionRun;
  try {
    run = await runAction(inputs, emu, { env, killAfterMs: timeoutMs });
  } catch (err) {
    return { ok: false, note: (err as Error).message, spawnedAt: calledAt, exitedAt: Date.now() };
  }
  const exitedAt = Date.now();
  const ok = run.code === 0;
  return {
    ok,
    note: ok
      ? `status=${run.outputs.status ?? ''} exit-code=${run.outputs['exit-code'] ?? ''}`
      : lastLine(run.stdout + run.stderr),
    spawnedAt: exitedAt - run.durationMs,
    exitedAt,
  };
}

function spawnClient(
  emu: Emulator,
  client: Exclude<ClientName, 'action'>,
  name: string,
  scenario: Scenario,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<Exit> {
  const config = toEnv({
    armEndpoint: emu.armEndpoint,
    authorityHost: emu.authorityHost,
    tenantId: emu.tenantId,
    clientId: emu.clientId,
    clientSecret: emu.clientSecret,
    subscriptionId: emu.subscriptionId,
    resourceGroup: RESOURCE_GROUP,
    cluster: name,
    command: scenario.command,
  });
  return spawnScript(emu, CLIENT_SCRIPTS[client], { ...config, ...env }, timeoutMs);
}

/** Runs one of the benchmark's own client scripts (Node, the emulator's CA trusted) to its exit. */
export function spawnScript(
  emu: Emulator,
  script: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<Exit> {
  return new Promise((resolve) => {
    const spawnedAt = Date.now();
    const child = spawn(process.execPath, [script], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_EXTRA_CA_CERTS: emu.caPath,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const note = code === 0 ? lastLine(output) : (errorLine(output) ?? lastLine(output));
      resolve({ ok: code === 0, note, spawnedAt, exitedAt: Date.now() });
    });
  });
}

/** The line that says why a script failed (a thrown error's first line), if it printed one. */
function errorLine(output: string): string | undefined {
  return output
    .split('\n')
    .find((line) => /^\s*(\w*Error\b|Uncaught)|"?code"?:\s*'?"?\w+/.test(line))
    ?.trim()
    .slice(0, 200);
}

/**
 * The peak RSS of one measured process: `env` preloads probe.ts, which writes
 * process.resourceUsage().maxRSS at exit; `read()` takes it (KiB) and removes the file.
 */
export function rssProbe(): { env: Record<string, string>; read(): number | undefined } {
  const dir = mkdtempSync(join(tmpdir(), 'bench-run-'));
  const file = join(dir, 'rss');
  return {
    env: { NODE_OPTIONS: `--import=${PROBE}`, BENCH_RSS_FILE: file },
    read() {
      const value = readNumber(file);
      rmSync(dir, { recursive: true, force: true });
      return value;
    },
  };
}

export function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.slice(0, 200) ?? '';
}

function readNumber(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
