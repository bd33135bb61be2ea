// The Fault Analysis Service side of the emulator: user-induced fault operations and how they
// answer to cancel requests, following /work/shared/notes/azure-apis.md.

export type FaultOperationType =
  'PartitionDataLoss' | 'PartitionQuorumLoss' | 'PartitionRestart' | 'NodeTransition';

export type OperationState =
  'Running' | 'RollingBack' | 'Completed' | 'Faulted' | 'Cancelled' | 'ForceCancelled';

export interface FaultOperationSpec {
  operationId?: string;
  type: FaultOperationType;
  durationSeconds: number;
  ignoresGracefulCancel?: boolean;
  endState?: 'Completed' | 'Faulted';
  rollbackSeconds?: number;
}

export const TYPE_BITS: Record<FaultOperationType, number> = {
  PartitionDataLoss: 1,
  PartitionQuorumLoss: 2,
  PartitionRestart: 4,
  NodeTransition: 8,
};

export const STATE_BITS: Record<OperationState, number> = {
  Running: 1,
  RollingBack: 2,
  Completed: 8,
  Faulted: 16,
  Cancelled: 32,
  ForceCancelled: 64,
};

const FORCE_CANCEL_MS = 300;

export interface FaultOperation {
  id: string;
  type: FaultOperationType;
  /**
   * When the operation's clock started: at the first request about it (see startClock), not when
   * the scenario was set up. Undefined until then: the operation is Running.
   */
  startedAt?: number;
  durationMs: number;
  ignoresGracefulCancel: boolean;
  endState: 'Completed' | 'Faulted';
  rollbackMs: number;
  gracefulAt?: number;
  forcedAt?: number;
  /** Set for operations created already finished. */
  finalState?: OperationState;
}

export function createOperation(id: string, spec: FaultOperationSpec): FaultOperation {
  return {
    id,
    type: spec.type,
    durationMs: spec.durationSeconds * 1000,
    ignoresGracefulCancel: spec.ignoresGracefulCancel ?? spec.type === 'NodeTransition',
    endState: spec.endState ?? 'Completed',
    rollbackMs: (spec.rollbackSeconds ?? 2) * 1000,
  };
}

/**
 * Starts the operation's clock at the first request about it (a cancel naming it, or a list that
 * shows it): a test that takes a while to make its certificate and start the action on a loaded
 * machine still sees the whole timeline it asked for.
 */
export function startClock(op: FaultOperation, now: number): void {
  op.startedAt ??= now;
}

export function isFinal(state: OperationState): boolean {
  return state !== 'Running' && state !== 'RollingBack';
}

/**
 * The state is derived from timestamps rather than timers, so it is exact at any poll and
 * nothing is left running when the gateway stops. The earliest final event wins.
 */
export function stateAt(op: FaultOperation, now: number): OperationState {
  if (op.finalState) return op.finalState;
  const ends = finalEvents(op).filter((e) => e.at <= now);
  ends.sort((a, b) => a.at - b.at);
  if (ends[0]) return ends[0].state;
  const rollingBack = op.gracefulAt !== undefined && !op.ignoresGracefulCancel;
  return rollingBack ? 'RollingBack' : 'Running';
}

function finalEvents(op: FaultOperation): { at: number; state: OperationState }[] {
  if (op.startedAt === undefined) return [];
  const naturalEnd = op.startedAt + op.durationMs;
  const events = [{ at: naturalEnd, state: naturalEndState(op, naturalEnd) }];
  if (op.gracefulAt !== undefined && !op.ignoresGracefulCancel) {
    events.push({ at: op.gracefulAt + op.rollbackMs, state: 'Cancelled' });
  }
  if (op.forcedAt !== undefined) {
    events.push({ at: op.forcedAt + FORCE_CANCEL_MS, state: 'ForceCancelled' });
  }
  return events;
}

// Per the notes, an operation that finishes after a cancel was requested reports the cancel.
function naturalEndState(op: FaultOperation, naturalEnd: number): OperationState {
  if (op.forcedAt !== undefined && op.forcedAt < naturalEnd) return 'ForceCancelled';
  if (op.gracefulAt !== undefined && op.gracefulAt < naturalEnd) return 'Cancelled';
  return op.endState;
}

export type CancelAnswer = { status: 200 } | { status: 400 | 404; code: string; message: string };

/** Applies POST /Faults/$/Cancel to `op` (undefined when the id is unknown). */
export function requestCancel(
  op: FaultOperation | undefined,
  operationId: string,
  force: boolean,
  now: number,
): CancelAnswer {
  if (!op || isFinal(stateAt(op, now))) {
    return {
      status: 404,
      code: 'FABRIC_E_KEY_NOT_FOUND',
      message: `Operation ${operationId} was not found or has already reached a terminal state.`,
    };
  }
  if (force && op.gracefulAt === undefined) {
    return invalidState(
      `Operation ${operationId}: Force=true is only allowed after a cancel with Force=false.`,
    );
  }
  if (!force && op.forcedAt !== undefined) {
    return invalidState(`Operation ${operationId} has already been cancelled with Force=true.`);
  }
  if (force) op.forcedAt ??= now;
  else op.gracefulAt ??= now;
  return { status: 200 };
}

function invalidState(message: string): CancelAnswer {
  return { status: 400, code: 'FABRIC_E_INVALID_TEST_COMMAND_STATE', message };
}
