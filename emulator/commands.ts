import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import type { CommandRecord } from './types.ts';

/** The command pod has kubectl: the emulator's stand-in lives beside this file. */
const KUBECTL_DIR = fileURLToPath(new URL('./bin', import.meta.url));

/** AKS keeps the first 512 kB of a command's output. */
export const OUTPUT_CAP_BYTES = 512 * 1024;
const TIMEOUT_EXIT_CODE = 124;
// Background children may hold the pipes open after bash exits; do not wait for them forever.
const PIPE_GRACE_MS = 1000;

export class ContextError extends Error {}

export interface RunningCommand {
  record: CommandRecord;
  /** True once the result is final (exit code and output known). */
  isFinal(): boolean;
  output(): string;
  kill(): void;
}

/** Unzips the base64 `context` into dir; returns the posix paths of the files it wrote. */
export function extractContext(contextB64: string | undefined, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  if (!contextB64) return [];
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(Buffer.from(contextB64, 'base64'));
  } catch (err) {
    throw new ContextError(
      `context is not a valid base64-encoded zip file: ${(err as Error).message}`,
    );
  }
  const files: string[] = [];
  for (const [name, data] of Object.entries(entries)) {
    const target = path.resolve(dir, name);
    if (path.isAbsolute(name) || !target.startsWith(dir + path.sep)) {
      throw new ContextError(
        `context entry '${name}' points outside the command's working directory`,
      );
    }
    if (name.endsWith('/')) {
      mkdirSync(target, { recursive: true });
      continue;
    }
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, data);
    files.push(path.relative(dir, target).split(path.sep).join('/'));
  }
  return files.sort();
}

export function failedCommand(
  record: CommandRecord,
  reason: string,
  delayMs: number,
): RunningCommand {
  const finishAt = Date.now() + delayMs;
  const settle = (): boolean => {
    if (Date.now() < finishAt) return false;
    if (record.finishedAt === undefined) {
      record.finishedAt = finishAt;
      record.provisioningState = 'Failed';
      record.reason = reason;
    }
    return true;
  };
  return { record, isFinal: settle, output: () => '', kill: () => undefined };
}

/**
 * Runs the command as AKS does: its pod is scheduled first, so the command starts `startDelayMs`
 * after the call (and cannot finish sooner); `startedAt` is when it really started.
 */
export function runCommand(
  record: CommandRecord,
  dir: string,
  timeoutSeconds: number,
  startDelayMs = 0,
): RunningCommand {
  if (startDelayMs <= 0) return startProcess(record, dir, timeoutSeconds);
  let started: RunningCommand | undefined;
  const timer = setTimeout(() => {
    record.startedAt = Date.now();
    started = startProcess(record, dir, timeoutSeconds);
  }, startDelayMs);
  timer.unref();
  return {
    record,
    isFinal: () => started?.isFinal() ?? false,
    output: () => started?.output() ?? '',
    kill: () => {
      clearTimeout(timer);
      started?.kill();
    },
  };
}

function startProcess(record: CommandRecord, dir: string, timeoutSeconds: number): RunningCommand {
  const child = spawn('bash', ['-c', record.command], {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: `${KUBECTL_DIR}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: dir,
      LANG: 'C.UTF-8',
    },
  });
  const chunks: Buffer[] = [];
  let size = 0;
  let final = false;
  let timedOut = false;
  const collect = (chunk: Buffer): void => {
    if (size >= OUTPUT_CAP_BYTES) return;
    const part = chunk.subarray(0, OUTPUT_CAP_BYTES - size);
    chunks.push(part);
    size += part.length;
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);

  const killGroup = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, timeoutSeconds * 1000);
  timer.unref();

  let outcome: Pick<CommandRecord, 'provisioningState' | 'reason'> = {
    provisioningState: 'Succeeded',
  };
  const finalize = (): void => {
    if (final) return;
    final = true;
    Object.assign(record, outcome);
    child.stdout.destroy();
    child.stderr.destroy();
  };
  child.on('exit', (code, signal) => {
    record.finishedAt = Date.now();
    clearTimeout(timer);
    if (timedOut) {
      record.exitCode = TIMEOUT_EXIT_CODE;
      outcome = { provisioningState: 'Failed', reason: 'CommandTimedOut' };
    } else {
      record.exitCode = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
    }
    setTimeout(finalize, PIPE_GRACE_MS).unref();
  });
  child.on('close', finalize);
  child.on('error', (err) => {
    collect(Buffer.from(`failed to start: ${err.message}\n`));
    record.finishedAt = Date.now();
    record.exitCode = 127;
    finalize();
  });

  return {
    record,
    isFinal: () => final,
    output: () => Buffer.concat(chunks).toString('utf8'),
    kill: () => {
      clearTimeout(timer);
      killGroup();
    },
  };
}
