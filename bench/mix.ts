// The duration-mix figures: computed from each client's schedule under the model (bench/model.ts)
// for every start delay, and checked against a smaller measured sample on the emulator (real
// processes, real HTTPS, the emulator's own clock for the POST and the command's end).
import type { Emulator } from '../emulator/index.ts';
import { measureRun, type ClientName, type RunResult } from './measure.ts';
import {
  actionModel,
  CLI_MODEL,
  figures,
  frontier,
  modelOptimum,
  outcomeAt,
  SDK_MODEL,
  SHORT_MIX,
  START_DELAYS,
  tenMinutes,
  WIDE_MIX,
  type ClientModel,
  type FrontierPoint,
  type Mix,
  type MixFigures,
  type Outcome,
} from './model.ts';

export const MODELS = { action: actionModel(), sdk: SDK_MODEL, cli: CLI_MODEL } as const;
export type ModelId = keyof typeof MODELS;
/** The measured interval the frontier is checked against. */
export const MEASURED_INTERVAL_SECONDS = 5;

export interface MixCase {
  mix: string;
  label: string;
  startDelay: number;
  /** `dense`: every possible finish time in the range; `durations`: the listed durations only. */
  basis: 'dense' | 'durations';
  clients: Record<ModelId, MixFigures>;
  /** The model's own optimum (Keller's schedule over start delays 0–10 s), for comparison. */
  optimum: MixFigures;
  frontier: FrontierPoint[];
}

export interface ComputedMix {
  cases: MixCase[];
  /** The 10-minute command (4 s start delay), averaged over where its end falls. */
  tenMinutes: Record<ModelId, MixFigures>;
}

export function computeMix(mixes: Mix[] = [SHORT_MIX, WIDE_MIX]): ComputedMix {
  const cases: MixCase[] = [];
  const optimum = modelOptimum();
  for (const mix of mixes) {
    for (const startDelay of START_DELAYS) {
      for (const basis of ['dense', 'durations'] as const) {
        const durations = basis === 'dense' ? mix.dense : mix.durations;
        cases.push({
          mix: mix.id,
          label: mix.label,
          startDelay,
          basis,
          clients: mapModels((model) => figures(model, startDelay, durations)),
          optimum: figures(optimum, startDelay, durations),
          frontier: frontier(startDelay, durations),
        });
      }
    }
  }
  return { cases, tenMinutes: mapModels((model) => tenMinutes(model, 4)) };
}

function mapModels<T>(fn: (model: ClientModel) => T): Record<ModelId, T> {
  return { action: fn(MODELS.action), sdk: fn(MODELS.sdk), cli: fn(MODELS.cli) };
}

/** One measured run next to what the model predicts for the finish time the emulator recorded. */
export interface SampleRun {
  client: ModelId | `fixed-${number}`;
  startDelay: number;
  duration: number;
  /** Seconds from the POST to the command's end, by the emulator's clock. */
  finish: number | undefined;
  measured: {
    /** The emulator's end of the command to the client's exit. */
    latency: number | undefined;
    /** The emulator's end of the command to the first read after it: the schedule's part. */
    lateness: number | undefined;
    requests: number;
  };
  /** The model's outcome for that finish time. */
  predicted: Outcome | undefined;
  ok: boolean;
}

export interface SamplePlan {
  startDelay: number;
  durations: number[];
}

const SAMPLE_CLIENTS: SampleRun['client'][] = [
  'action',
  'sdk',
  'cli',
  `fixed-${MEASURED_INTERVAL_SECONDS}`,
];

function modelOf(client: SampleRun['client']): ClientModel {
  if (client === 'action' || client === 'sdk' || client === 'cli') return MODELS[client];
  return actionModel(Number(client.slice('fixed-'.length)));
}

/** Runs every client on every planned duration, `parallel` processes at a time. */
export async function measureSample(
  emu: Emulator,
  plans: SamplePlan[],
  parallel: number,
  onRun: (run: SampleRun, raw: RunResult) => void,
): Promise<SampleRun[]> {
  const jobs = plans.flatMap((plan) =>
    plan.durations.flatMap((duration) =>
      SAMPLE_CLIENTS.map((client) => ({ client, duration, startDelay: plan.startDelay })),
    ),
  );
  // Longest first, so the slowest runs do not end up alone at the tail.
  jobs.sort((a, b) => b.duration + b.startDelay - (a.duration + a.startDelay));
  const runs: SampleRun[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let job = jobs[next++]; job; job = jobs[next++]) {
      const raw = await measureRun(
        emu,
        (job.client.startsWith('fixed-') ? 'action' : job.client) as ClientName,
        {
          id: `mix-${job.startDelay}s-${job.duration}s`,
          label: `sleep ${job.duration}, start delay ${job.startDelay} s`,
          command: `sleep ${job.duration}`,
          startDelaySeconds: job.startDelay,
          ...(job.client.startsWith('fixed-')
            ? { pollInterval: job.client.slice('fixed-'.length) }
            : {}),
        },
        `mix-${job.client}-${job.startDelay}-${String(job.duration).replace('.', '_')}`,
        { timeoutMs: (job.duration + job.startDelay + 60) * 1000, concurrent: true },
      );
      const run = judgeSampleRun(job.client, job.startDelay, job.duration, raw);
      runs.push(run);
      onRun(run, raw);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return runs;
}

/**
 * A real poller drifts from its model: each wait starts after the previous answer, and a busy
 * machine adds to every step. A run agrees with the model when some finish time within the drift
 * allowance of the recorded one gives the same requests and a lateness within that allowance.
 */
export function driftAllowance(requests: number): number {
  return 0.5 + 0.05 * requests;
}

export function judgeSampleRun(
  client: SampleRun['client'],
  startDelay: number,
  duration: number,
  raw: Pick<
    RunResult,
    'ok' | 'postAt' | 'doneAt' | 'latencyMs' | 'armReads' | 'armWrites' | 'readTimes'
  >,
): SampleRun {
  const { postAt, doneAt } = raw;
  const finish =
    postAt !== undefined && doneAt !== undefined ? (doneAt - postAt) / 1000 : undefined;
  const decidingRead =
    doneAt === undefined ? undefined : raw.readTimes?.find((time) => time >= doneAt);
  const measured = {
    latency: raw.latencyMs === undefined ? undefined : raw.latencyMs / 1000,
    lateness:
      decidingRead === undefined || doneAt === undefined
        ? undefined
        : (decidingRead - doneAt) / 1000,
    requests: raw.armReads + raw.armWrites,
  };
  const model = modelOf(client);
  const predicted = finish === undefined ? undefined : outcomeAt(model, finish);
  const allowance = driftAllowance(measured.requests);
  const steps = Math.round(allowance / 0.1);
  const ok =
    raw.ok &&
    finish !== undefined &&
    measured.lateness !== undefined &&
    Array.from({ length: 2 * steps + 1 }, (_, i) =>
      outcomeAt(model, finish + (i - steps) * 0.1),
    ).some(
      (p) =>
        p.latency !== undefined &&
        p.requests === measured.requests &&
        Math.abs(measured.lateness! - p.latency) <= allowance,
    );
  return { client, startDelay, duration, finish, measured, predicted, ok };
}
