// The bench:ci gates: the action must not spend more requests than the official SDK in any
// single-duration scenario, nor fall behind the fixed-interval frontier or its budget on the
// duration mix. Pure, so they can be unit tested.
import type { ComputedMix, SampleRun } from './mix.ts';
import { frontierLatencyAt } from './model.ts';
import type { FleetMeasurement } from './fleet.ts';
import type { ScenarioSummary } from './report.ts';

export interface Verdict {
  ok: boolean;
  reasons: string[];
}

/**
 * Single-duration scenarios: every action run succeeds and spends no more requests (median) than
 * the SDK. Their latency is not judged: at one duration the phase of a schedule decides it (a
 * 1 s command with no pod start delay favours a 2 s poller; a 30 s one a poller whose look lands
 * at 30 s), so latency is judged on the duration mix instead (checkMix).
 */
export function checkAgainstSdk(summaries: ScenarioSummary[]): Verdict {
  const reasons: string[] = [];
  for (const { label, clients } of summaries) {
    const action = clients.action;
    const sdk = clients.sdk;
    if (!action || !sdk) {
      reasons.push(`${label}: no ${action ? 'SDK' : 'action'} runs to compare`);
      continue;
    }
    if (action.failed > 0) reasons.push(`${label}: ${action.failed} action run(s) failed`);
    const requests = [action.metrics.armRequests?.median, sdk.metrics.armRequests?.median];
    if (requests[0] === undefined || requests[1] === undefined) {
      reasons.push(`${label}: request counts missing`);
    } else if (requests[0] > requests[1]) {
      reasons.push(
        `${label}: median ARM requests ${requests[0]} is more than the SDK's ${requests[1]}`,
      );
    }
  }
  return { ok: reasons.length === 0, reasons };
}

/**
 * The duration-mix gate. On every start delay and both bases (every finish time; the listed
 * durations) of the short mix, the action's mean latency must be at or below the fixed-interval
 * frontier at its own requests per run; with a 4 s start delay it must spend at most half the
 * SDK's requests; the 10-minute command at most a fifth of the SDK's, with mean latency under
 * 10 s; and every measured run must agree with what the model predicts for it (so the computed
 * figures are the real client's).
 */
export function checkMix(computed: ComputedMix, sample: SampleRun[]): Verdict {
  const reasons: string[] = [];
  for (const c of computed.cases.filter((x) => x.mix === 'short')) {
    const where = `${c.label}, start delay ${c.startDelay} s (${c.basis === 'dense' ? 'every finish time' : 'the durations'})`;
    const action = c.clients.action;
    const bound = frontierLatencyAt(c.frontier, action.meanRequests);
    if (!(action.meanLatency <= bound + 1e-9)) {
      reasons.push(
        `${where}: mean latency ${s(action.meanLatency)} at ${action.meanRequests.toFixed(1)} requests is behind the fixed-interval frontier (${s(bound)})`,
      );
    }
    if (c.startDelay === 4 && action.meanRequests > c.clients.sdk.meanRequests / 2) {
      reasons.push(
        `${where}: ${action.meanRequests.toFixed(1)} requests per run is more than half the SDK's ${c.clients.sdk.meanRequests.toFixed(1)}`,
      );
    }
  }
  const ten = computed.tenMinutes;
  if (ten.action.meanRequests > ten.sdk.meanRequests / 5) {
    reasons.push(
      `10-minute command: ${ten.action.meanRequests.toFixed(1)} requests is more than a fifth of the SDK's ${ten.sdk.meanRequests.toFixed(1)}`,
    );
  }
  if (!(ten.action.meanLatency < 10)) {
    reasons.push(`10-minute command: mean latency ${s(ten.action.meanLatency)} is not under 10 s`);
  }
  if (sample.length === 0) reasons.push('no measured runs to check the model against');
  for (const run of sample.filter((r) => !r.ok)) {
    const p = run.predicted;
    const late = run.measured.lateness;
    reasons.push(
      `measured ${run.client}, sleep ${run.duration} with start delay ${run.startDelay} s: ${run.measured.requests} requests, the deciding read ${late === undefined ? 'missing' : `${s(late)} after the end`}; the model says ${p ? `${p.requests} requests, ${p.latency === undefined ? 'none' : s(p.latency)}` : 'nothing (no finish time)'}`,
    );
  }
  return { ok: reasons.length === 0, reasons };
}

const s = (seconds: number): string => `${seconds.toFixed(2)} s`;

/** The fleet targets of issue 16 ("How fast, how frugal"), as factors of the references. */
export const FLEET_TARGETS = { wallFactor: 1.15, memoryFactor: 1.5 } as const;

/**
 * The fleet gate: the action's run of every cluster in one step succeeds; takes at most 1.15× the
 * wall time of its slowest cluster run alone; spends no more ARM requests than the single runs of
 * every cluster together; meets no 429; peaks at most 1.5× the memory of one single-cluster run;
 * and asks Entra for one token per audience (ARM is a run command's only one: one token request,
 * one bearer token seen by ARM).
 */
export function checkFleet(m: FleetMeasurement): Verdict {
  const reasons: string[] = [];
  const { action, slowest, singles } = m.parts;
  const memory = m.parts.single ?? slowest;
  if (!action) return { ok: false, reasons: ['the action was not measured'] };
  if (!action.ok) reasons.push(`the action's fleet run failed: ${action.note}`);
  for (const [name, ref] of [
    ['the slowest cluster alone', slowest],
    ['the single runs', singles],
  ] as const) {
    if (!ref?.ok) reasons.push(`${name}: ${ref ? `failed: ${ref.note}` : 'not measured'}`);
  }
  if (slowest && action.wallMs > FLEET_TARGETS.wallFactor * slowest.wallMs) {
    reasons.push(
      `wall time ${secs(action.wallMs)} is more than ${FLEET_TARGETS.wallFactor}× the slowest cluster alone (${secs(slowest.wallMs)})`,
    );
  }
  if (singles && action.armRequests > singles.armRequests) {
    reasons.push(
      `${action.armRequests} ARM requests is more than the ${singles.armRequests} of ${singles.processes} single runs`,
    );
  }
  if (action.throttled > 0) reasons.push(`${action.throttled} answer(s) 429`);
  const [peak, ref] = [action.peakRssKiB, memory?.peakRssKiB];
  if (peak === undefined || ref === undefined) reasons.push('peak memory not measured');
  else if (peak > FLEET_TARGETS.memoryFactor * ref) {
    reasons.push(
      `peak RSS ${mib(peak)} is more than ${FLEET_TARGETS.memoryFactor}× a single-cluster run's ${mib(ref)}`,
    );
  }
  if (action.tokenRequests !== 1 || action.armTokens !== 1) {
    reasons.push(
      `${action.tokenRequests} Entra token request(s) and ${action.armTokens} token(s) at ARM, not one`,
    );
  }
  return { ok: reasons.length === 0, reasons };
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;
