import type { OperationName } from '../inputs/contract.ts';

/** pass: the step succeeds; warn: it succeeds with a warning; fail: the step fails. */
export type Verdict = 'pass' | 'warn' | 'fail';

/** Everything learned about the operation: what the outputs and the summary are made of. */
export interface Facts {
  commandId?: string;
  operationId?: string;
  exitCode?: number;
  logs?: string;
  logsFile?: string;
  reason?: string;
  startedAt?: string;
  finishedAt?: string;
  percentComplete?: number;
  result?: unknown;
  /** Extra summary rows (label, value), e.g. what was running before an abort. */
  details?: [string, string][];
  attachments?: { count: number; bytes: number; zipBytes: number };
  /** The x-ms-correlation-request-id sent on every ARM request of the run. */
  correlationId?: string;
  /** run-command: submissions made, and the most allowed (1 + start-retries). */
  attempts?: { made: number; allowed: number };
  /** show-logs: false: the output is only in logs-file. */
  logsHidden?: boolean;
  /** The output reached AKS's 512 kB cap: the service cut it. */
  logsCut?: boolean;
}

/** What an operation hands on at once: the fields it sets, and summary rows to add. */
export type Learned<F extends Facts = Facts> = Partial<F>;

/**
 * The one merge of what was learned into what was recorded: each field given replaces the one
 * recorded (undefined clears it), `details` rows are appended in the order they came.
 */
export function mergeFacts(facts: Facts, learned: Learned): void {
  const { details, ...fields } = learned;
  Object.assign(facts, fields);
  if (details) facts.details = [...(facts.details ?? []), ...details];
}

/** How an operation ended, as the action judges it; `F`: the facts it may hand on with it. */
export interface Outcome<F extends Facts = Facts> {
  status: string;
  verdict: Verdict;
  /** Why it failed or warned, for the log, the annotation and the summary. */
  message?: string | undefined;
  fix?: string | undefined;
  /** The summary heading in plain words, when the status word alone would mislead (a command that ran and exited 3 has status Succeeded). */
  headline?: string | undefined;
  /** What the operation learned last, handed on with its outcome (merged like `record`). */
  learned?: Learned<F> | undefined;
}

export interface Report extends Facts, Omit<Outcome, 'learned'> {
  operation: OperationName | 'unknown';
  cluster: string;
  durationMs: number;
  polls: number;
  retries: number;
  requests: number;
}
