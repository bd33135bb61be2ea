import { buildAttachment, type Attachment } from './attachments.ts';
import { AKS_SERVER_APP_ID, defaultScope } from '../inputs/cloud.ts';
import { ActionError, ServiceError } from '../base/errors.ts';
import { decodeComponentOrKeep, isCommandId } from '../inputs/parsers.ts';
import { retryAfterMs } from '../network/retry.ts';
import type { ArmResponse } from '../azure/arm-client.ts';
import type { Facts, Outcome } from '../report/report.ts';
import type { RunCommandSettings } from '../inputs/settings.ts';
import {
  RUN_COMMAND_API_VERSION,
  awaitCommandResult,
  type CommandResult,
  type CommandResultFacts,
} from './command-result.ts';
import { explainRefusal } from './refusals.ts';
import type { AksOperationContext } from './context.ts';
import { clip, formatBytes } from '../base/format.ts';
import type { TokenSource } from '../azure/auth.ts';
import { STATUS } from '../inputs/contract.ts';

const CLUSTER_TOKEN_SCOPE = defaultScope(AKS_SERVER_APP_ID);

/** Checks the attachment before anything is sent: a refused file never costs a call. */
export async function prepareRunCommand(
  settings: Pick<RunCommandSettings, 'files' | 'workspace' | 'command'>,
  signal?: AbortSignal,
  log?: (line: string) => void,
): Promise<Attachment | undefined> {
  return buildAttachment(
    settings.files,
    settings.workspace,
    Buffer.byteLength(settings.command),
    signal,
    log,
  );
}

/** The outputs run-command sets: command-result's, and what it sent. */
export type RunCommandFacts = CommandResultFacts & Pick<Facts, 'attachments' | 'attempts'>;
type RunCommandContext = AksOperationContext<RunCommandFacts>;

export async function runCommand(
  ctx: RunCommandContext,
  settings: RunCommandSettings,
  attachment: Attachment | undefined,
  tokens: TokenSource,
): Promise<Outcome<RunCommandFacts>> {
  if (attachment) {
    ctx.record({
      attachments: {
        count: attachment.files.length,
        bytes: attachment.bytes,
        zipBytes: attachment.zipBytes,
      },
    });
    ctx.log(
      `Attaching ${attachment.files.length} files (${formatBytes(attachment.bytes)}, ${formatBytes(attachment.zipBytes)} zipped):`,
    );
    for (const file of attachment.files) ctx.log(`  ${file.path} (${formatBytes(file.bytes)})`);
  }
  const allowed = 1 + settings.startRetries;
  for (let made = 1; ; made++) {
    ctx.record({ attempts: { made, allowed } });
    const submitted = await submitOnce(ctx, settings, attachment, tokens);
    if (submitted.neverStarted && made < allowed) {
      resubmitNotice(ctx, submitted.neverStarted, made, allowed);
      continue;
    }
    if (submitted.neverStarted) throw submitted.neverStarted.error;
    const { accepted } = submitted;
    const location = accepted.headers.location;
    const url = Array.isArray(location) ? location[0] : location;
    if (!url)
      throw new ActionError(
        'The service accepted the command but sent no Location to read its result from.',
      );
    const commandId = commandIdFrom(url);
    ctx.record({ commandId });
    ctx.log(`Command accepted: command-id ${commandId}.`);
    if (!settings.wait) {
      return { status: STATUS.Accepted, verdict: 'pass', message: undefined };
    }
    const { outcome, result } = await awaitCommandResult(ctx, settings, url, {
      lookFirst: false,
      initialRetryAfterMs: retryAfterMs(accepted.headers),
    });
    if (!result || !commandPodNeverStarted(result)) return outcome;
    if (made >= allowed) return afterAllAttempts(outcome, made);
    resubmitNotice(ctx, { reason: result.reason ?? '', commandId }, made, allowed);
  }
}

/**
 * When AKS could not start the command pod, the command never ran, so submitting it again is safe.
 * The rule: the result is Failed, has no exit code, and its reason is a scheduling or start-up
 * failure of the pod (KubernetesPerformanceError "…did not start within 30s…, retry may help",
 * FailedScheduling, Unschedulable, insufficient CPU or memory, an untolerated taint). Anything
 * else, including a 404 on the result, a failed image pull and every command that produced an
 * exit code, is never resubmitted.
 */
export function commandPodNeverStarted(result: CommandResult): boolean {
  return (
    result.provisioningState?.toLowerCase() === 'failed' &&
    result.exitCode === undefined &&
    POD_START_FAILURE.test(result.reason ?? '')
  );
}

const POD_START_FAILURE =
  /KubernetesPerformanceError|did not start within|FailedScheduling|Unschedulable|Insufficient (cpu|memory)|untolerated taint|didn't tolerate|had taints?\b/i;

/** A submission whose pod AKS reported as not started (the POST itself can say so). */
interface NeverStarted {
  reason: string;
  commandId?: string;
  error?: ServiceError;
}

async function submitOnce(
  ctx: RunCommandContext,
  settings: RunCommandSettings,
  attachment: Attachment | undefined,
  tokens: TokenSource,
): Promise<
  | { accepted: ArmResponse; neverStarted?: undefined }
  | { neverStarted: NeverStarted & { error: ServiceError } }
> {
  try {
    return { accepted: await submit(ctx, settings, attachment, tokens) };
  } catch (error) {
    if (error instanceof ServiceError && POD_START_FAILURE.test(error.code)) {
      return { neverStarted: { reason: `${error.code}: ${error.serviceMessage}`, error } };
    }
    throw await explainRefusal(ctx, settings, error);
  }
}

function resubmitNotice(
  ctx: RunCommandContext,
  why: NeverStarted,
  made: number,
  allowed: number,
): void {
  const which = why.commandId ? ` (command-id ${why.commandId})` : '';
  ctx.log(
    `The command pod could not start${which}: ${clip(why.reason, 300)}. The command never ran, so it is submitted again (attempt ${made + 1} of ${allowed}; start-retries: ${allowed - 1}).`,
  );
}

function afterAllAttempts(outcome: Outcome, made: number): Outcome {
  if (made < 2) return outcome;
  return {
    ...outcome,
    message:
      `${outcome.message ?? ''} The command pod could not start on any of ${made} attempts.`.trim(),
  };
}

/**
 * POSTs the command. With `cluster-token: auto` the first try goes without a cluster token, so a
 * cluster without AKS-managed Entra ID costs no extra call; a `MissingAADClusterToken` answer means
 * the cluster needs one, and the same request goes again with it.
 */
async function submit(
  ctx: RunCommandContext,
  settings: RunCommandSettings,
  attachment: Attachment | undefined,
  tokens: TokenSource,
) {
  const path = `${settings.cluster.resourceId}/runCommand?api-version=${settings.apiVersion ?? RUN_COMMAND_API_VERSION}`;
  const post = async (withToken: boolean) => {
    const clusterToken = withToken ? await tokens.getToken(CLUSTER_TOKEN_SCOPE) : undefined;
    return ctx.arm.send('POST', path, {
      body: {
        command: settings.command,
        ...(attachment ? { context: attachment.context } : {}),
        ...(clusterToken ? { clusterToken } : {}),
      },
      accept: [200, 202],
    });
  };
  ctx.log(`Sending the command to ${settings.cluster.name} (POST runCommand).`);
  try {
    return await post(settings.clusterToken === 'true');
  } catch (error) {
    if (!(error instanceof ServiceError) || error.code !== 'MissingAADClusterToken') throw error;
    if (settings.clusterToken !== 'auto') throw missingClusterToken(error, settings.clusterToken);
    ctx.log(
      'The cluster uses AKS-managed Entra ID: sending the command again with a cluster token.',
    );
  }
  try {
    return await post(true);
  } catch (error) {
    if (error instanceof ServiceError && error.code === 'MissingAADClusterToken')
      throw missingClusterToken(error, 'auto');
    throw error;
  }
}

function missingClusterToken(
  error: ServiceError,
  setting: RunCommandSettings['clusterToken'],
): ServiceError {
  const fix =
    setting === 'false'
      ? 'The cluster uses AKS-managed Entra ID: set cluster-token: auto (or true) so the action sends a token for the AKS server application.'
      : `The cluster refused the cluster token: the identity needs a Kubernetes role on the cluster (Azure Kubernetes Service RBAC Writer or Cluster Admin with Azure RBAC, or a Kubernetes RoleBinding for its object id), and the token must be for the AKS server application ${AKS_SERVER_APP_ID}.`;
  return error.explained(error.serviceMessage, fix);
}

/**
 * The command id is the last path segment of the `commandResults/{id}` Location, held to the rule
 * the `command-id` input is: whatever else the service put in the header (raw non-ASCII bytes, a
 * malformed escape) neither breaks reading it nor reaches the log or the outputs.
 */
export function commandIdFrom(location: string): string {
  let pathname: string;
  try {
    pathname = new URL(location, 'https://placeholder').pathname;
  } catch {
    throw new ActionError(
      `The service accepted the command but its Location is not a URL: ${clip(location)}`,
    );
  }
  const match = /\/commandResults\/([^/?#]+)/i.exec(pathname);
  if (!match?.[1]) {
    throw new ActionError(
      `The service accepted the command but its Location does not name a command result: ${clip(pathname)}`,
    );
  }
  const id = decodeComponentOrKeep(match[1]);
  if (!isCommandId(id)) {
    throw new ActionError(
      `The service accepted the command but its Location names no valid command id ('${clip(id)}'), so its result cannot be read safely; the Location was: ${clip(location, 300)}`,
      'Look for the command under the cluster in the Azure portal (Run command); report the answer to Azure support if it repeats.',
    );
  }
  return id;
}
