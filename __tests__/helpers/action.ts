// Runs the committed bundle the way the runner does: INPUT_* variables, GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY files, a workspace and RUNNER_TEMP, and the emulator's CA trusted through
// Node's ordinary NODE_EXTRA_CA_CERTS.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Emulator } from '../../emulator/index.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
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
export function emulatorEnv(emu: Emulator): Record<string, string> {
  return {
    'INPUT_ARM-ENDPOINT': emu.armEndpoint,
    'INPUT_AUTHORITY-HOST': emu.authorityHost,
    AZURE_CLIENT_ID: emu.clientId,
    AZURE_TENANT_ID: emu.tenantId,
    AZURE_CLIENT_SECRET: emu.clientSecret,
    NODE_EXTRA_CA_CERTS: emu.caPath,
  };
}

export function inputEnv(inputs: Record<string, string>): Record<string, string> {
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
  return new Promise((resolve, reject) => {
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
      };
      try {
        assertNoSecretShown(result, [...(emu?.issuedSecrets() ?? []), ...secretsIn(env)]);
        resolve(result);
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}

/** Names of variables and inputs whose values are secrets. */
const SECRET_NAMES = /SECRET|PASSWORD|INPUT_CERTIFICATE$|TOKEN$/;

/** The secrets handed to a run: whole values, and every long line of a PEM key or a PFX. */
export function secretsIn(env: Record<string, string | undefined>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => SECRET_NAMES.test(name) && value)
    .flatMap(([, value]) => [
      value!,
      ...value!.split(/\r?\n/).filter((line) => line.length >= 40 && !line.startsWith('-----')),
    ])
    .filter((value) => value.length >= 8);
}

/**
 * Every run of the end-to-end suite goes through this check: no secret the emulator or the test
 * handed out may appear where people or later steps can read it (::add-mask:: registrations are
 * consumed by the runner and never shown).
 */
export function assertNoSecretShown(run: ActionRun, secrets: string[]): void {
  const logsFile = run.outputs['logs-file'];
  const places: Record<string, string> = {
    stdout: visibleStdout(run.stdout),
    stderr: run.stderr,
    outputs: JSON.stringify(run.outputs),
    summary: run.summary,
    'logs-file': logsFile && existsSync(logsFile) ? readFileSync(logsFile, 'utf8') : '',
  };
  for (const secret of secrets) {
    for (const [where, text] of Object.entries(places)) {
      if (text.includes(secret))
        throw new Error(`a secret (${secret.slice(0, 6)}…) appears in ${where}`);
    }
  }
  leakChecks.runs++;
  leakChecks.secrets += secrets.length;
}

/** How many runs and secrets the leak check covered in this process. */
export const leakChecks = { runs: 0, secrets: 0 };

/** Reads the `name<<delimiter` blocks that @actions/core writes to GITHUB_OUTPUT. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const header = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!header) continue;
    const [, name, delimiter] = header;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
    outputs[name!] = value.join('\n');
  }
  return outputs;
}

/**
 * .NET's `char.IsWhiteSpace`, which the runner's `TrimStart()` strips before it looks for `::`:
 * U+0009-U+000D, space, U+0085, U+00A0 and the Unicode separators (Zs, U+2028, U+2029).
 * Written from .NET's documentation, independently of the action's own guard.
 */
const DOTNET_WHITESPACE = /^[\t-\r \u0085\u00a0\p{Zs}\u2028\u2029]+/u;

/** A line as the runner's TrimStart() leaves it. */
export function runnerTrimStart(line: string): string {
  return line.replace(DOTNET_WHITESPACE, '');
}

/**
 * The workflow commands the runner would process from stdout: it reads lines with .NET's
 * StreamReader (a line ends at \n, \r or \r\n), and takes a line as a command when, after
 * TrimStart(), it starts with `::`, or when it contains `##[` (the old form), unless commands are
 * stopped by `::stop-commands::{token}` until `::{token}::`. Returned trimmed.
 */
export function workflowCommands(stdout: string): string[] {
  const commands: string[] = [];
  let stopToken: string | undefined;
  for (const raw of stdout.split(/\r\n|\r|\n/)) {
    const line = runnerTrimStart(raw);
    if (stopToken) {
      if (line.trimEnd() === `::${stopToken}::`) stopToken = undefined;
      continue;
    }
    const stop = /^::stop-commands::(.+)$/.exec(line);
    if (stop) {
      stopToken = stop[1];
      continue;
    }
    if (line.startsWith('::') || raw.includes('##[')) commands.push(line.trim());
  }
  return commands;
}

/** stdout as the runner displays it: mask registrations consumed, masked values shown as ***. */
export function displayedLog(stdout: string): string {
  const secrets = [...stdout.matchAll(/^::add-mask::(.+)$/gm)].map((m) => m[1]!).filter(Boolean);
  // Debug lines are shown only when step debugging is on.
  let text = visibleStdout(stdout)
    .split('\n')
    .filter((line) => !line.startsWith('::debug::'))
    .join('\n');
  for (const secret of secrets) text = text.split(secret).join('***');
  return text;
}

/** stdout as the runner shows it: ::add-mask:: lines are consumed by the runner, never displayed. */
export function visibleStdout(stdout: string): string {
  return stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
}
