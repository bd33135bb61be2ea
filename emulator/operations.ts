import { randomUUID } from 'node:crypto';
import type { OperationSpec } from './types.ts';

export interface OperationState {
  id: string;
  name: string;
  spec: OperationSpec;
  startMs: number;
  /** False until the first request about the cluster (see startOperationClock). */
  clockRunning: boolean;
  abortedAt?: number;
  percentAtAbort?: number;
  /** The abort of this operation: an operation of its own, with its own id and status. */
  abort?: AbortState;
}

export interface AbortState {
  id: string;
  startMs: number;
  endMs: number;
  outcome: 'Succeeded' | 'Failed';
  error?: { code: string; message: string };
}

export interface OperationView {
  status: string;
  final: boolean;
  percentComplete: number;
  startMs: number;
  endMs?: number;
  error?: { code: string; message: string };
}

const DEFAULT_CANCEL_SECONDS = 2;

export function newOperation(spec: OperationSpec, now = Date.now()): OperationState {
  return {
    id: spec.id ?? randomUUID(),
    name: spec.name ?? 'Upgrade',
    spec,
    startMs: now,
    clockRunning: false,
  };
}

/**
 * The operation's clock starts at the first request about its cluster, not when the scenario was
 * set up: a test that takes a while to start its client (a loaded machine) still sees the whole
 * timeline it asked for.
 */
export function startOperationClock(op: OperationState, now = Date.now()): void {
  if (op.clockRunning) return;
  op.clockRunning = true;
  op.startMs = now;
}

function percentAt(op: OperationState, now: number): number {
  const duration = op.spec.durationSeconds * 1000;
  if (duration <= 0) return 100;
  return Math.min(100, Math.floor(((now - op.startMs) / duration) * 100));
}

function naturalEnd(op: OperationState): OperationView {
  const outcome = op.spec.outcome ?? 'Succeeded';
  const view: OperationView = {
    status: outcome,
    final: true,
    percentComplete: 100,
    startMs: op.startMs,
    endMs: op.startMs + op.spec.durationSeconds * 1000,
  };
  if (outcome === 'Failed') {
    view.error = op.spec.error ?? {
      code: 'UpgradeFailed',
      message: `The ${op.name} operation failed.`,
    };
  }
  return view;
}

export function viewOperation(op: OperationState, now = Date.now()): OperationView {
  if (op.abortedAt !== undefined) {
    const endMs = op.abortedAt + (op.spec.cancelSeconds ?? DEFAULT_CANCEL_SECONDS) * 1000;
    const base = { percentComplete: op.percentAtAbort ?? 0, startMs: op.startMs };
    return now < endMs
      ? { ...base, status: 'Canceling', final: false }
      : { ...base, status: 'Canceled', final: true, endMs };
  }
  if (now >= op.startMs + op.spec.durationSeconds * 1000) return naturalEnd(op);
  return {
    status: op.spec.statusWord ?? 'InProgress',
    final: false,
    percentComplete: percentAt(op, now),
    startMs: op.startMs,
  };
}

/**
 * Starts the abort of the operation and returns it; undefined when the operation can no longer be
 * aborted (already final, or the spec says conflict). A `failed` abort leaves the operation running.
 */
export function abortOperation(op: OperationState, now = Date.now()): AbortState | undefined {
  const view = viewOperation(op, now);
  if (view.final || op.spec.abort === 'conflict') return undefined;
  if (op.abort) return op.abort;
  const failed = op.spec.abort === 'failed';
  if (!failed) {
    op.abortedAt = now;
    op.percentAtAbort = view.percentComplete;
  }
  op.abort = {
    id: randomUUID(),
    startMs: now,
    endMs: now + (op.spec.cancelSeconds ?? DEFAULT_CANCEL_SECONDS) * 1000,
    outcome: failed ? 'Failed' : 'Succeeded',
    ...(failed
      ? {
          error: op.spec.abortError ?? {
            code: 'OperationNotAllowed',
            message: `The ${op.name} operation could not be canceled at its current stage.`,
          },
        }
      : {}),
  };
  return op.abort;
}

/** The abort's own status: InProgress until the cancellation is done, then Succeeded (or Failed). */
export function viewAbort(abort: AbortState, now = Date.now()): OperationView {
  if (now < abort.endMs)
    return { status: 'InProgress', final: false, percentComplete: 0, startMs: abort.startMs };
  return {
    status: abort.outcome,
    final: true,
    percentComplete: 100,
    startMs: abort.startMs,
    endMs: abort.endMs,
    ...(abort.error ? { error: abort.error } : {}),
  };
}

const RUNNING_STATE: Record<string, string> = {
  upgrade: 'Upgrading',
  scale: 'Scaling',
  create: 'Creating',
};

/** The cluster's properties.provisioningState while / after this operation. */
export function clusterStateFor(op: OperationState, now = Date.now()): string {
  const view = viewOperation(op, now);
  if (view.final || view.status === 'Canceling') return view.status;
  return RUNNING_STATE[op.name.toLowerCase()] ?? 'Updating';
}
