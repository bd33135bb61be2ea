import type { ArmClient } from '../azure/arm-client.ts';
import type { Observation, PollOptions, PollOutcome } from '../waiting/poller.ts';
import type { Facts, Outcome } from '../report/report.ts';

/** What every operation is handed by main: its clients, where to record what it learns, how to wait. */
export interface OperationContext {
  facts: Facts;
  signal: AbortSignal;
  log(line: string): void;
  warn(line: string): void;
  /** Waits through the one poller, logging one line per poll. */
  poll<T>(
    observe: () => Promise<Observation<T>>,
    options?: Pick<PollOptions, 'initialRetryAfterMs' | 'lookFirst'>,
  ): Promise<PollOutcome<T>>;
  /** The outcome when waiting stopped early: TimedOut or Interrupted, with what to do next. */
  stopped(lastState: string | undefined, resume: string): Outcome;
}

export interface AksOperationContext extends OperationContext {
  arm: ArmClient;
}
