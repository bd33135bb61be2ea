/** Resolves after `ms`, or as soon as `signal` aborts (then it rejects with the signal's reason). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Settles like `promise`, or rejects as soon as `signal` aborts: a request in flight cannot hold up an interrupt. */
export function raceAbort<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** `1m 05s`, `42.3s`: a duration for people. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const mmss = `${minutes}m ${String(seconds).padStart(2, '0')}s`;
  return hours > 0 ? `${hours}h ${mmss}` : mmss;
}

/**
 * The `auto` polling schedule, derived in the README (Polling) from a model of run-command timing:
 * a command pod takes seconds to be scheduled (a command cannot finish sooner), most commands
 * (`kubectl apply`) end within a minute and a half, the rest (`rollout status`, `helm --wait`)
 * within minutes, a few within hours. Minimising mean detection latency for a request budget
 * under that model gives: a first look once the pod can have run, even looks while short
 * commands are still ending, then waits that grow once only long commands are left, up to a
 * ceiling that keeps a hundred clusters polled at once far inside ARM's read limits.
 */
export const AUTO_SCHEDULE = {
  /** The first look, seconds after the operation started. */
  firstLookSeconds: 4,
  /** The wait between looks while short commands are still ending. */
  shortWaitSeconds: 4.5,
  /** Until when (seconds after the start) the short wait applies; then waits grow as (t/this)². */
  shortUntilSeconds: 80,
  /** The longest wait (reached 146 s after the start), once on its grid. */
  ceilingSeconds: 15,
  /**
   * At the ceiling, looks fall on this many seconds past a multiple of the ceiling (308, 608 s …):
   * commands that run into their deadline (`helm --wait` 5 min, a rollout's 10-minute progress
   * deadline) end just after 300 or 600 s plus the pod start delay, and are seen at once.
   */
  ceilingPhaseSeconds: 8,
} as const;

/** The `auto` wait before the next look, given the time since the operation started. */
export function autoWaitMs(elapsedMs: number): number {
  const { firstLookSeconds, shortWaitSeconds, shortUntilSeconds, ceilingSeconds } = AUTO_SCHEDULE;
  const elapsed = Math.max(0, elapsedMs) / 1000;
  if (elapsed < firstLookSeconds) return Math.round((firstLookSeconds - elapsed) * 1000);
  const growing = shortWaitSeconds * Math.max(1, elapsed / shortUntilSeconds) ** 2;
  if (growing < ceilingSeconds) return Math.round(growing * 1000);
  // At the ceiling, the looks keep to its grid; joining it costs one shorter wait (a wait of
  // under a second would be a wasted read, so that one joins the grid point after).
  const sincePhase = (elapsed - AUTO_SCHEDULE.ceilingPhaseSeconds) % ceilingSeconds;
  const toGrid = ceilingSeconds - sincePhase;
  return Math.round((toGrid < 1 ? toGrid + ceilingSeconds : toGrid) * 1000);
}
