// Runs the bundle the way the runner does: INPUT_* variables, GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY files, a workspace and RUNNER_TEMP, and the emulator's CA trusted through
// Node's ordinary NODE_EXTRA_CA_CERTS. Shared by the tests, the chaos suite, the benchmark and the
// demo scripts; the tests add their leak check on top (__tests__/helpers/action.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Emulator } from '../emulator/index.ts';
import { parseOutputFile } from './outputs.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The bundle under test; ACTION_BUNDLE points at another build (say, the previous release's). */
export const BUNDLE = process.env.ACTION_BUNDLE ?? join(ROOT, 'dist', 'index.js');

export interface ActionRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  durationMs: number;
  /** Date.now() when the process was spawned and when it closed. */
  startedAt: number;
  endedAt: number;
  workspace: string;
  runnerTemp: string;
  /** The environment the process ran with (inputs included). */
  env: Record<string, string | undefined>;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Files to create in the workspace before the run (path -> content). */
  files?: Record<string, string>;
  /** Sends this signal after the given time (ms), or when `when` first returns true. */
  interrupt?: { signal: NodeJS.Signals; afterMs?: number; when?: (stdout: string) => boolean };
  /** Kill the process if it runs longer than this (a hang). */
  killAfterMs?: number;
  workspace?: string;
}

/** The inputs and environment that point the action at the emulator with environment sign-in. */
function emulatorEnv(emu: Emulator): Record<string, string> {
  return {
    'INPUT_ARM-ENDPOINT': emu.armEndpoint,
    'INPUT_AUTHORITY-HOST': emu.authorityHost,
    AZURE_CLIENT_ID: emu.clientId,
    AZURE_TENANT_ID: emu.tenantId,
    AZURE_CLIENT_SECRET: emu.clientSecret,
    NODE_EXTRA_CA_CERTS: emu.caPath,
  };
}

function inputEnv(inputs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v]),
  );
}

export function runAction(
  inputs: Record<string, string>,
  emu: Emulator | undefined,
  options: RunOptions = {},
): Promise<ActionRun> {
  const base = mkdtempSync(join(tmpdir(), 'action-run-'));
  const workspace = options.workspace ?? join(base, 'workspace');
  const runnerTemp = join(base, 'temp');
  mkdirSync(workspace, { recursive: true });
  mkdirSync(runnerTemp, { recursive: true });
  for (const [path, content] of Object.entries(options.files ?? {})) {
    mkdirSync(dirname(join(workspace, path)), { recursive: true });
    writeFileSync(join(workspace, path), content);
  }
  const outputFile = join(base, 'output');
  const summaryFile = join(base, 'summary');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: base,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: runnerTemp,
    GITHUB_ACTIONS: 'true',
    ...(emu ? emulatorEnv(emu) : {}),
    ...inputEnv(inputs),
    ...options.env,
  };
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BUNDLE], {
      env: env as NodeJS.ProcessEnv,
      cwd: workspace,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    const interrupt = () => {
      if (!interrupted && options.interrupt) {
        interrupted = true;
        child.kill(options.interrupt.signal);
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (options.interrupt?.when?.(stdout)) interrupt();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timers = [setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 120_000)];
    if (options.interrupt?.afterMs !== undefined)
      timers.push(setTimeout(interrupt, options.interrupt.afterMs));
    child.on('close', (code, signal) => {
      timers.forEach(clearTimeout);
      const result: ActionRun = {
        code,
        signal,
        stdout,
        stderr,
        outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
        summary: readFileSync(summaryFile, 'utf8'),
        durationMs: Date.now() - started,
        startedAt: started,
        endedAt: Date.now(),
        workspace,
        runnerTemp,
        env,
      };
      resolve(result);
    });
  });
}
