import { isClusterMissing, type ArmResponse } from '../azure/arm-client.ts';
import { isRecord, propertiesOf } from '../base/json.ts';
import { ServiceError } from '../base/errors.ts';
import {
  isTerminalStatus,
  observePollingUrl,
  statusWord,
  type Interpretation,
} from '../azure/lro.ts';
import type { Facts, Outcome } from '../report/report.ts';
import type { CommandResultSettings, RunCommandSettings } from '../inputs/settings.ts';
import type { AksOperationContext } from './context.ts';
import { formatBytes } from '../base/format.ts';
import { STATUS } from '../inputs/contract.ts';

export const RUN_COMMAND_API_VERSION = '2024-09-01';

/** The outputs command-result sets; run-command sets them too, through the same functions. */
export type CommandResultFacts = Pick<
  Facts,
  | 'commandId'
  | 'exitCode'
  | 'startedAt'
  | 'finishedAt'
  | 'reason'
  | 'result'
  | 'logs'
  | 'logsFile'
  | 'logsHidden'
  | 'logsCut'
>;
type CommandResultContext = AksOperationContext<CommandResultFacts>;

export interface CommandResult {
  provisioningState: string | undefined;
  exitCode: number | undefined;
  startedAt: string | undefined;
  finishedAt: string | undefined;
  logs: string | undefined;
  reason: string | undefined;
  /** The body as the service sent it, for the `result` output. */
  raw: unknown;
}

/** Reads a `RunCommandResult` body; anything missing or of the wrong type stays undefined. */
export function readCommandResult(body: unknown): CommandResult {
  const properties = propertiesOf(body);
  const text = (key: string) =>
    typeof properties[key] === 'string' ? (properties[key] as string) : undefined;
  return {
    provisioningState: text('provisioningState'),
    exitCode: typeof properties.exitCode === 'number' ? properties.exitCode : undefined,
    startedAt: text('startedAt'),
    finishedAt: text('finishedAt'),
    logs: text('logs'),
    reason: text('reason'),
    raw: body,
  };
}

/** A 200 with a final provisioningState ends the wait; 202, or a body that cannot be read, does not. */
function interpretCommandResult(response: ArmResponse): Interpretation<CommandResult> {
  const result = readCommandResult(response.body);
  const state = result.provisioningState;
  const done = response.status === 200 && isTerminalStatus(state);
  return {
    done,
    status: statusWord(state, done, response.body === undefined ? 'NoReadableBody' : 'Running'),
    value: result,
  };
}

function commandResultPath(
  settings: RunCommandSettings | CommandResultSettings,
  commandId: string,
): string {
  return `${settings.cluster.resourceId}/commandResults/${encodeURIComponent(commandId)}?api-version=${settings.apiVersion ?? RUN_COMMAND_API_VERSION}`;
}

/**
 * Polls a command's result until it is final, then judges it by the contract's failure rules. The
 * final result comes along (run-command decides on it whether to submit again).
 */
export async function awaitCommandResult(
  ctx: CommandResultContext,
  settings: RunCommandSettings | CommandResultSettings,
  url: string,
  options: { lookFirst: boolean; initialRetryAfterMs?: number | undefined },
): Promise<{ outcome: Outcome; result?: CommandResult }> {
  const commandId = ctx.facts.commandId ?? '';
  const outcome = await ctx.poll(
    observePollingUrl(ctx.arm, 'location', url, interpretCommandResult),
    options,
  );
  if (outcome.last) recordResult(ctx, outcome.last.value);
  if (!outcome.done) {
    return {
      outcome: ctx.stopped(
        outcome.last?.status,
        `Read it later with operation: command-result and command-id: ${commandId}.`,
      ),
    };
  }
  const result = outcome.last.value;
  publishResult(ctx, settings, commandId, result);
  return { outcome: judge(outcome.last.status, result, settings.successExitCodes), result };
}

function recordResult(ctx: CommandResultContext, result: CommandResult): void {
  ctx.record({
    startedAt: result.startedAt ?? ctx.facts.startedAt,
    finishedAt: result.finishedAt,
    exitCode: result.exitCode,
    reason: result.reason || undefined,
  });
}

/**
 * AKS keeps the first 512 kB of a command's output. Output of at least 512,000 bytes is taken as
 * cut, whichever kilobyte the service counts in (its cut may also fall inside a character).
 */
const AKS_OUTPUT_CAP_BYTES = 512_000;

/** The final result for the outputs, the log and logs-file; with show-logs: false, logs-file only. */
function publishResult(
  ctx: CommandResultContext,
  settings: RunCommandSettings | CommandResultSettings,
  commandId: string,
  result: CommandResult,
): void {
  const logs = result.logs ?? '';
  const bytes = Buffer.byteLength(logs);
  const fileName = `aks-command-${commandId}`;
  const logsCut = bytes >= AKS_OUTPUT_CAP_BYTES || undefined;
  if (settings.showLogs) {
    ctx.record({ result: result.raw, logs, logsFile: ctx.keepLogs(fileName, logs), logsCut });
    ctx.printUntrusted(`Command output (${bytes} bytes)`, logs);
  } else {
    const logsFile = ctx.keepLogs(fileName, logs, { private: true });
    ctx.record({
      result: withoutLogs(result.raw),
      logs: undefined,
      logsHidden: true,
      logsFile,
      logsCut,
    });
    ctx.log(
      logsFile
        ? `Command output: ${bytes} bytes, not shown (show-logs: false); it is in ${logsFile}, readable by the runner user only.`
        : `Command output: ${bytes} bytes, not shown (show-logs: false), and not kept: RUNNER_TEMP is not set.`,
    );
  }
  if (logsCut) {
    ctx.warn(
      `The command's output is ${formatBytes(bytes)}, at AKS's limit of 512 kB: the service cut it there, so its end is missing. Write large output to a file and print only what you need (e.g. kubectl get pods -A -o json > out.json; jq ... out.json), or keep it in a ConfigMap (kubectl create configmap NAME --from-file=out.json) and read it from there.`,
    );
  }
}

/** The result body with its `properties.logs` replaced, for show-logs: false. */
function withoutLogs(raw: unknown): unknown {
  if (!isRecord(raw) || !isRecord(raw.properties) || raw.properties.logs === undefined) return raw;
  return {
    ...raw,
    properties: { ...raw.properties, logs: '(not shown: show-logs is false; see logs-file)' },
  };
}

/** Failed, Canceled, or an exit code outside `success-exit-codes` fails the step. */
export function judge(
  status: string,
  result: CommandResult,
  successExitCodes: ReadonlySet<number>,
): Outcome {
  if (status !== STATUS.Succeeded) {
    return {
      status,
      verdict: 'fail',
      message: `The command ${status === STATUS.Failed ? 'failed to run' : 'was canceled'}${result.reason ? `: ${result.reason}` : ''}.`,
      fix: fixForReason(result.reason),
    };
  }
  if (result.exitCode === undefined) {
    return {
      status,
      verdict: 'fail',
      message: 'The service reported success but no exit code; the command cannot be judged.',
    };
  }
  if (!successExitCodes.has(result.exitCode)) {
    const codes = [...successExitCodes].join(', ');
    return {
      status,
      verdict: 'fail',
      message: `The command exited with code ${result.exitCode}, which is not in success-exit-codes (${codes}).`,
      headline: `the command ran and exited ${result.exitCode}, which is not in success-exit-codes (${codes})`,
    };
  }
  return { status, verdict: 'pass' };
}

function fixForReason(reason: string | undefined): string | undefined {
  if (!reason) return undefined;
  if (/KubernetesPerformanceError|did not start within/i.test(reason)) {
    return 'The command pod could not be scheduled in time: check node capacity and taints (it needs 200m CPU and 500Mi memory in namespace aks-command).';
  }
  if (/ImagePull/i.test(reason))
    return 'The command pod image could not be pulled: check the cluster egress to mcr.microsoft.com.';
  return undefined;
}

export async function commandResult(
  ctx: CommandResultContext,
  settings: CommandResultSettings,
): Promise<Outcome<CommandResultFacts>> {
  ctx.record({ commandId: settings.commandId });
  const path = commandResultPath(settings, settings.commandId);
  ctx.log(`Reading the result of command ${settings.commandId} on ${settings.cluster.name}.`);
  try {
    if (settings.wait)
      return (await awaitCommandResult(ctx, settings, path, { lookFirst: true })).outcome;
    const response = await ctx.arm.send('GET', path);
    const seen = interpretCommandResult(response);
    recordResult(ctx, seen.value);
    if (!seen.done) return { status: seen.status, verdict: 'pass', message: undefined };
    publishResult(ctx, settings, settings.commandId, seen.value);
    return judge(seen.status, seen.value, settings.successExitCodes);
  } catch (error) {
    if (!(error instanceof ServiceError) || error.status !== 404 || isClusterMissing(error))
      throw error;
    throw error.explained(
      `${error.serviceMessage} (command-id: ${settings.commandId})`,
      'Check command-id (the command-id output of the run-command step, on the same cluster); a 404 can also mean the command pod never started.',
    );
  }
}
