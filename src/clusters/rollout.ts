// How several clusters are worked through: in waves, at most max-parallel at once, stopping when
// a wave fails, after any failure with fail-fast, or when the step is stopped.
import type { WaveSize } from '../inputs/settings.ts';

/**
 * The sizes of the waves for `total` clusters: each size a count or a percentage (rounded up, at
 * least one) of the clusters not yet in a wave; the last wave takes whatever is left.
 */
export function planWaves(total: number, sizes: readonly WaveSize[]): number[] {
  const waves: number[] = [];
  let left = total;
  for (const [at, size] of sizes.entries()) {
    if (left === 0) break;
    const wanted =
      at === sizes.length - 1
        ? left
        : 'count' in size
          ? size.count
          : Math.max(1, Math.ceil((left * size.percent) / 100));
    const wave = Math.min(left, wanted);
    waves.push(wave);
    left -= wave;
  }
  return waves;
}

export interface RolloutOptions {
  waves: readonly number[];
  maxParallel: number;
  failFast: boolean;
  /** No cluster starts once it is aborted (the step's timeout, a cancelled job). */
  signal: AbortSignal;
  /** Told when a wave starts (1-based), with its size. */
  onWave?: (wave: number, size: number, of: number) => void;
}

/**
 * Runs `work` on the items, wave by wave, at most `maxParallel` at a time. `work` says whether the
 * item passed. Returns the indexes of the items that were started; the others never were.
 */
export async function runRollout(
  count: number,
  options: RolloutOptions,
  work: (index: number) => Promise<boolean>,
): Promise<{ started: Set<number>; stoppedBy: 'failure' | 'wave' | 'signal' | undefined }> {
  const started = new Set<number>();
  let failed = false;
  let stoppedBy: 'failure' | 'wave' | 'signal' | undefined;
  const mayStart = () => {
    if (options.signal.aborted) stoppedBy ??= 'signal';
    else if (failed && options.failFast) stoppedBy ??= 'failure';
    return stoppedBy === undefined;
  };
  let first = 0;
  for (const [wave, size] of options.waves.entries()) {
    if (!mayStart()) break;
    options.onWave?.(wave + 1, size, options.waves.length);
    const queue = Array.from({ length: size }, (_, at) => first + at);
    first += size;
    let waveFailed = false;
    const worker = async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        if (!mayStart()) return;
        started.add(next);
        const passed = await work(next);
        if (!passed) {
          failed = true;
          waveFailed = true;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.maxParallel, size) }, worker));
    if (waveFailed && wave < options.waves.length - 1) {
      stoppedBy ??= options.signal.aborted
        ? 'signal'
        : failed && options.failFast
          ? 'failure'
          : 'wave';
      break;
    }
  }
  return { started, stoppedBy };
}
