// One timer for every wait of the run: with many clusters, their looks are kept in one queue in
// time order instead of a timer each, and the run can tell at any moment how many are waiting and
// when the next look falls due.

interface Wake {
  at: number;
  resolve: () => void;
}

export class PollScheduler {
  readonly #queue: Wake[] = [];
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise((resolve, reject) => {
      const wake: Wake = {
        at: this.#now() + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#remove(wake);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#insert(wake);
    });
  }

  /** How many waits are pending. */
  get waiting(): number {
    return this.#queue.length;
  }

  #insert(wake: Wake): void {
    let at = this.#queue.length;
    while (at > 0 && (this.#queue[at - 1]?.at ?? 0) > wake.at) at--;
    this.#queue.splice(at, 0, wake);
    this.#arm();
  }

  #remove(wake: Wake): void {
    const at = this.#queue.indexOf(wake);
    if (at >= 0) this.#queue.splice(at, 1);
    this.#arm();
  }

  /** Keeps the one timer set for the earliest wake-up. */
  #arm(): void {
    const next = this.#queue[0]?.at ?? Infinity;
    if (next === this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timerAt = next;
    this.#timer =
      next === Infinity
        ? undefined
        : setTimeout(() => this.#fire(), Math.max(0, next - this.#now()));
  }

  #fire(): void {
    this.#timerAt = Infinity;
    const now = this.#now();
    while ((this.#queue[0]?.at ?? Infinity) <= now) this.#queue.shift()?.resolve();
    this.#arm();
  }
}
