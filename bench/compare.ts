// The bench:ci gates: the action must not spend more requests than the official SDK in any
// single-duration scenario, nor fall behind the fixed-interval frontier or its budget on the
// duration mix. Pure, so they can be unit tested.
import type { ComputedMix, SampleRun } from './mix.ts';
import { frontierLatencyAt } from './model.ts';
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
