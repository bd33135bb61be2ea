// The timing model of a run command, and what a polling schedule spends and achieves under it.
// Pure and deterministic: the duration-mix figures of `npm run bench` are computed here from the
// clients' schedules (the action's is the real nextPollDelay of src/poller.ts), and bench/mix.ts
// checks them against measured runs.
//
// A command started by a POST at t = 0 finishes at T = S + D: S is the pod start delay (the
// command cannot finish sooner), D the command's own duration. A client looks at times
// t1 < t2 < …; it sees the end at the first look at or after T. Detection latency (here: lateness)
// is that look minus T; requests per run are the client's calls before the looks plus the looks.
import { nextPollDelay } from '../src/waiting/poller.ts';

/** Start delays the benchmark judges on (seconds). AKS takes a few; a recorded live run took 7. */
export const START_DELAYS = [0, 4, 10] as const;
/** The fixed intervals of the frontier (seconds). */
export const FRONTIER_INTERVALS = [1, 2, 3, 5, 8, 12, 20] as const;

export interface Mix {
  id: string;
  label: string;
  /** Command durations (seconds), equally likely. */
  durations: number[];
  /** The same range, densely: "every possible finish time" (log-uniform between the ends). */
  dense: number[];
}

export function logSpaced(from: number, to: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from * (to / from) ** (i / (count - 1)));
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

/** The mix the targets are judged on: eight durations from 2 s to 90 s, log-spaced. */
export const SHORT_MIX: Mix = {
  id: 'short',
  label: 'eight commands, 2 s to 90 s (log-spaced)',
  durations: logSpaced(2, 90, 8).map(round1),
  dense: logSpaced(2, 90, 2000),
};

/** A wider spread, with the minutes-long commands: twenty durations from 5 s to 10 min. */
export const WIDE_MIX: Mix = {
  id: 'wide',
  label: 'twenty commands, 5 s to 10 min (log-spaced)',
  durations: logSpaced(5, 600, 20).map(round1),
  dense: logSpaced(5, 600, 2000),
};

/** How a client polls a run command, as a function of time since the POST (seconds). */
export interface ClientModel {
  id: string;
  label: string;
  /** ARM calls before the first look, the POST included. */
  callsBeforeLooks: number;
  /** The look times, ascending, up to `horizon` seconds. */
  looks(horizon: number): number[];
  /** The client gives up waiting at this time (seconds), if it does. */
  givesUpAt?: number;
}

function looksFrom(first: number, wait: (t: number) => number, horizon: number): number[] {
  const looks = [first];
  while (looks.at(-1)! < horizon - 1e-9) looks.push(looks.at(-1)! + wait(looks.at(-1)!));
  return looks;
}

/** The action with `poll-interval: auto` (or a number of seconds): the real schedule function. */
export function actionModel(interval: 'auto' | number = 'auto'): ClientModel {
  const wait = (t: number): number =>
    nextPollDelay(t * 1000, interval === 'auto' ? 'auto' : interval * 1000, undefined) / 1000;
  return {
    id: interval === 'auto' ? 'action' : `fixed-${interval}`,
    label: interval === 'auto' ? 'action (auto)' : `fixed ${interval} s`,
    callsBeforeLooks: 1,
    looks: (horizon) => looksFrom(wait(0), wait, horizon),
  };
}

/** The JS SDK's poller: a look at once, then every 2 s (no Retry-After on run command). */
export const SDK_MODEL: ClientModel = {
  id: 'sdk',
  label: 'JS SDK',
  callsBeforeLooks: 1,
  looks: (horizon) => looksFrom(0, () => 2, horizon),
};

/** Azure CLI: GET of the cluster, the POST, a look at once, then every 5 s; gives up at 300 s. */
export const CLI_MODEL: ClientModel = {
  id: 'cli',
  label: 'CLI model',
  callsBeforeLooks: 2,
  looks: (horizon) => looksFrom(0, () => 5, horizon),
  givesUpAt: 300,
};

export interface Outcome {
  /** Undefined when the client gave up first. */
  latency: number | undefined;
  requests: number;
}

/** What `client` spends and how late it is for a command finishing `finish` s after the POST. */
export function outcomeAt(client: ClientModel, finish: number): Outcome {
  const looks = client.looks(finish);
  const seen = looks.findIndex((t) => t >= finish - 1e-9);
  const look = looks[seen]!;
  if (client.givesUpAt !== undefined && look > client.givesUpAt) {
    const made = looks.filter((t) => t <= client.givesUpAt!).length;
    return { latency: undefined, requests: client.callsBeforeLooks + made };
  }
  return { latency: look - finish, requests: client.callsBeforeLooks + seen + 1 };
}

export interface MixFigures {
  meanLatency: number;
  medianLatency: number;
  meanRequests: number;
  /** Finish times the client gave up on. */
  missed: number;
}

export function figures(client: ClientModel, startDelay: number, durations: number[]): MixFigures {
  const outcomes = durations.map((d) => outcomeAt(client, startDelay + d));
  const latencies = outcomes.flatMap((o) => (o.latency === undefined ? [] : [o.latency]));
  return {
    meanLatency: mean(latencies),
    medianLatency: median(latencies),
    meanRequests: mean(outcomes.map((o) => o.requests)),
    missed: outcomes.length - latencies.length,
  };
}

export interface FrontierPoint {
  interval: number;
  meanRequests: number;
  meanLatency: number;
}

/** What each fixed interval spends and achieves on the same durations: the frontier. */
export function frontier(startDelay: number, durations: number[]): FrontierPoint[] {
  return FRONTIER_INTERVALS.map((interval) => {
    const f = figures(actionModel(interval), startDelay, durations);
    return { interval, meanRequests: f.meanRequests, meanLatency: f.meanLatency };
  });
}

/**
 * The frontier's latency at `requests` per run: linear between the fixed intervals on either
 * side; fewer requests than the sparsest interval spends has no fixed interval to match, so the
 * sparsest one's latency stands for it (a schedule must then beat it outright).
 */
export function frontierLatencyAt(points: FrontierPoint[], requests: number): number {
  const sorted = [...points].sort((a, b) => a.meanRequests - b.meanRequests);
  if (requests <= sorted[0]!.meanRequests) return sorted[0]!.meanLatency;
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1]!, sorted[i]!];
    if (requests <= b.meanRequests) {
      const share = (requests - a.meanRequests) / (b.meanRequests - a.meanRequests);
      return a.meanLatency + share * (b.meanLatency - a.meanLatency);
    }
  }
  return sorted.at(-1)!.meanLatency;
}

/** The ten-minute command, averaged over where its end falls between two looks (600–630 s). */
export function tenMinutes(client: ClientModel, startDelay: number): MixFigures {
  const ends = Array.from({ length: 300 }, (_, i) => 600 + i * 0.1);
  return figures(client, startDelay, ends);
}

export function mean(values: number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The model's own optimum, for comparison with `auto`: where T = S + D with S uniform over 0–10 s
 * and D log-uniform, 80 % of commands within 2–90 s and 20 % within 90 s–1 h, the looks that
 * minimise mean latency + `costPerLook` × looks are spaced 1 / √(hazard / (2 × costPerLook))
 * apart (Keller's optimal checking density, 1974), never further than `ceiling` seconds.
 */
export function modelOptimum(costPerLook = 0.2, ceiling = 15): ClientModel {
  const parts = [
    { share: 0.8, from: 2, to: 90 },
    { share: 0.2, from: 90, to: 3600 },
  ];
  const maxStartDelay = 10;
  const steps = 50;
  const densityD = (d: number): number =>
    parts.reduce(
      (sum, p) => sum + (d >= p.from && d <= p.to ? p.share / (d * Math.log(p.to / p.from)) : 0),
      0,
    );
  const shareDoneD = (d: number): number =>
    parts.reduce(
      (sum, p) =>
        sum +
        (d <= p.from
          ? 0
          : d >= p.to
            ? p.share
            : (p.share * Math.log(d / p.from)) / Math.log(p.to / p.from)),
      0,
    );
  const overStartDelay = (f: (d: number) => number, t: number): number => {
    let sum = 0;
    for (let i = 0; i < steps; i++) sum += f(t - (maxStartDelay * (i + 0.5)) / steps);
    return sum / steps;
  };
  const looks: number[] = [];
  let owed = 0;
  const dt = 0.05;
  for (let t = dt; t < 1200; t += dt) {
    const hazard = overStartDelay(densityD, t) / Math.max(1e-9, 1 - overStartDelay(shareDoneD, t));
    owed += Math.max(Math.sqrt(hazard / (2 * costPerLook)), 1 / ceiling) * dt;
    if (owed >= 1) {
      looks.push(Math.round(t * 100) / 100);
      owed -= 1;
    }
  }
  return {
    id: 'optimum',
    label: 'model optimum',
    callsBeforeLooks: 1,
    looks: (horizon) => {
      const until = looks.findIndex((t) => t >= horizon);
      if (until >= 0) return looks.slice(0, until + 1);
      const out = [...looks];
      while (out.at(-1)! < horizon) out.push(out.at(-1)! + ceiling);
      return out;
    },
  };
}
