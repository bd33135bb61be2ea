// The bench:ci gate: the action must not fall behind the official SDK on median detection latency
// or median ARM requests in any scenario. Pure, so it can be unit tested.
import type { ScenarioSummary } from './report.ts';

export interface GateOptions {
  /** Latency the action may lose to the SDK before it counts as behind (timer and exit noise). */
  latencySlackMs: number;
}

export const DEFAULT_GATE: GateOptions = { latencySlackMs: 100 };

export interface Verdict {
  ok: boolean;
  reasons: string[];
}

export function checkAgainstSdk(
  summaries: ScenarioSummary[],
  options: GateOptions = DEFAULT_GATE,
): Verdict {
  const reasons: string[] = [];
  for (const { label, clients } of summaries) {
    const action = clients.action;
    const sdk = clients.sdk;
    if (!action || !sdk) {
      reasons.push(`${label}: no ${action ? 'SDK' : 'action'} runs to compare`);
      continue;
    }
    if (action.failed > 0) reasons.push(`${label}: ${action.failed} action run(s) failed`);
    const latency = [action.metrics.latencyMs?.median, sdk.metrics.latencyMs?.median];
    const requests = [action.metrics.armRequests?.median, sdk.metrics.armRequests?.median];
    if (latency[0] === undefined || latency[1] === undefined) {
      reasons.push(`${label}: detection latency missing`);
    } else if (latency[0] > latency[1] + options.latencySlackMs) {
      reasons.push(
        `${label}: median detection latency ${ms(latency[0])} is behind the SDK's ${ms(latency[1])} (slack ${ms(options.latencySlackMs)})`,
      );
    }
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

const ms = (value: number): string => `${Math.round(value)} ms`;
