import type { ArmClient } from '../azure/arm-client.ts';
import type { Observation, PollOptions, PollOutcome } from '../waiting/poller.ts';
import type { Facts, Learned, Outcome } from '../report/report.ts';

/**
 * What every operation is handed by main: its clients, the one way to record what it learns, how
 * to wait. `F` names the facts (outputs and summary rows) the operation may set, so each
 * operation's signature says which outputs it writes.
 */
export interface OperationContext<F extends Facts = Facts> {
  /** What was recorded so far, to read; `record` is the one writer. */
  readonly facts: Readonly<F>;
  /**
   * Records what the operation learned, as soon as it learns it, so a timeout or an error still
   * hands it on. Each field given replaces the one recorded (undefined clears it); `details`
   * rows are appended after the rows recorded before.
   */
  record(learned: Learned<F>): void;
  log(line: string): void;
  warn(line: string): void;
  /** Prints text from a service or cluster, in a group, neutralised so it cannot drive the runner. */
  printUntrusted(title: string, text: string): void;
  /**
   * Keeps a command's whole output in a file under RUNNER_TEMP (redacted; private: readable by the
   * runner user only). Undefined when there is no RUNNER_TEMP.
   */
  keepLogs(name: string, logs: string, options?: { private?: boolean }): string | undefined;
  /** Waits through the one poller, logging one line per poll. */
  poll<T>(
    observe: () => Promise<Observation<T>>,
    options?: Pick<PollOptions, 'initialRetryAfterMs' | 'lookFirst'>,
  ): Promise<PollOutcome<T>>;
  /** The outcome when waiting stopped early: TimedOut or Interrupted, with what to do next. */
  stopped(lastState: string | undefined, resume: string): Outcome;
}

export interface AksOperationContext<F extends Facts = Facts> extends OperationContext<F> {
  arm: ArmClient;
}
