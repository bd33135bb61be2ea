import { STATUS, type OperationName } from '../inputs/contract.ts';

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

/** One cluster of several: how it ended, for the results output, the log and the summary. */
export interface ClusterResult {
  /** The resource ID. */
  cluster: string;
  name: string;
  resourceGroup: string;
  /** A status word, or NotStarted. */
  status: string;
  /** Undefined for a cluster never started. */
  verdict: Verdict | undefined;
  exitCode?: number | undefined;
  commandId?: string | undefined;
  operationId?: string | undefined;
  reason?: string | undefined;
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
  logsFile?: string | undefined;
  durationMs?: number | undefined;
  /** Why it failed or warned, in the action's words. */
  message?: string | undefined;
  /** The last lines of the command's output, shown for a failure. */
  tail?: string | undefined;
}

/** What a run on several clusters adds to the report. */
export interface FleetReport {
  results: ClusterResult[];
  /** Why clusters were never started (fail-fast, a failed wave, the step stopped). */
  notStartedBecause?: string | undefined;
  waves: number[];
  /** Requests that waited for their subscription's budget, and how long in all. */
  budgetWaitMs: number;
  throttled: number;
}

export interface Report extends Facts, Omit<Outcome, 'learned'> {
  operation: OperationName | 'unknown';
  cluster: string;
  /** Every cluster the input resolved to (all shards); undefined when it was never resolved. */
  resolved?: string[] | undefined;
  /** list-clusters: the shards of the matrix output. */
  shards?: number | undefined;
  /** Set when the step worked on several clusters. */
  fleet?: FleetReport | undefined;
  durationMs: number;
  polls: number;
  retries: number;
  requests: number;
}

/** The icon of each verdict, wherever the action shows one (log group titles, the summary). */
export const VERDICT_ICONS: Record<Verdict, string> = { pass: '✅', warn: '⚠️', fail: '❌' };

/** How many clusters of several passed (warnings included), warned, failed, and were never started. */
export function tallyClusters(results: readonly ClusterResult[]): {
  passed: number;
  warned: number;
  failed: number;
  notStarted: number;
} {
  const count = (test: (result: ClusterResult) => boolean) => results.filter(test).length;
  return {
    passed: count((r) => r.verdict === 'pass' || r.verdict === 'warn'),
    warned: count((r) => r.verdict === 'warn'),
    failed: count((r) => r.verdict === 'fail'),
    notStarted: count((r) => r.status === STATUS.NotStarted),
  };
}
