import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { ArmContext } from './arm-context.ts';
import { DEFAULT_MAX_BODY_BYTES, type ClusterState } from './clusters.ts';
import {
  ContextError,
  extractContext,
  failedCommand,
  runCommand as startProcess,
  type RunningCommand,
} from './commands.ts';
import { AKS_SERVER_APP } from './entra.ts';
import { type Exchange, armError, isoTime, pollLocation, readBody, send } from './http.ts';
import { clusterStateFor, viewOperation } from './operations.ts';
import type { ClusterSpec, CommandRecord } from './types.ts';

// A pod that never runs is reported failed shortly after submission, not instantly.
const FAILED_POD_DELAY_MS = 300;

interface RunCommandBody {
  command: string;
  context?: string;
  clusterToken?: string;
}

export async function runCommand(
  ex: Exchange,
  ctx: ArmContext,
  cluster: ClusterState,
  apiVersion: string,
): Promise<void> {
  const raw = await readBody(ex.req, cluster.spec.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
  if (!raw) return armError(ex, 413, 'RequestEntityTooLarge', 'Request Entity Too Large');
  const body = parseBody(ex, raw);
  if (!body) return;
  if (body.clusterToken) ctx.remember(body.clusterToken);
  if (cluster.spec.runCommandDisabled) {
    return armError(
      ex,
      400,
      'RunCommandDisabled',
      `Run command is disabled for managed cluster '${cluster.name}' (apiServerAccessProfile.disableRunCommand).`,
    );
  }
  if (refused(ex, cluster)) return;
  if (podRefusedAtSubmit(ex, cluster)) return;
  if (cluster.spec.aadManaged && !checkClusterToken(ex, ctx, body.clusterToken)) return;
  const id = randomBytes(16).toString('hex');
  const dir = path.join(ctx.dataDir, 'commands', id);
  let files: string[];
  try {
    files = extractContext(body.context, dir);
  } catch (err) {
    if (err instanceof ContextError) return armError(ex, 400, 'InvalidParameter', err.message);
    throw err;
  }
  cluster.commands.set(
    id,
    startCommand(
      ctx,
      cluster,
      {
        id,
        command: body.command,
        clusterToken: body.clusterToken,
        files,
        startedAt: Date.now(),
        provisioningState: 'Running',
      },
      dir,
    ),
  );
  // As recorded: `managedclusters` in lower case in the Location the live service hands out.
  const resultPath = `${encodeURI(cluster.resourceId).replace(/\/managedClusters\//, '/managedclusters/')}/commandResults/${id}`;
  const location = `${ctx.armEndpoint()}${resultPath}?api-version=${encodeURIComponent(apiVersion)}`;
  send(ex, 202, undefined, { location });
}

/** A stopped cluster, or one that another operation holds (when the spec asks), takes no command. */
function refused(ex: Exchange, cluster: ClusterState): boolean {
  if (cluster.spec.powerState === 'Stopped') {
    armError(
      ex,
      400,
      'OperationNotAllowed',
      `Managed cluster '${cluster.name}' is in stopped state; run command is not allowed.`,
    );
    return true;
  }
  const op = cluster.operation;
  if (cluster.spec.commandsRefusedWhileBusy && op && !viewOperation(op).final) {
    armError(
      ex,
      409,
      'OperationNotAllowed',
      `Operation is not allowed: Another operation (${clusterStateFor(op)}) is in progress, please wait for it to finish before starting a new operation. See https://aka.ms/aks-pending-operation for more details`,
    );
    return true;
  }
  return false;
}

function parseBody(ex: Exchange, raw: Buffer): RunCommandBody | undefined {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    armError(
      ex,
      400,
      'InvalidRequestContent',
      'The request content was invalid and could not be deserialized.',
    );
    return undefined;
  }
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (typeof b.command !== 'string' || b.command.trim() === '') {
    armError(
      ex,
      400,
      'InvalidParameter',
      "The value of parameter 'command' is invalid: it is required.",
    );
    return undefined;
  }
  for (const key of ['context', 'clusterToken'] as const) {
    if (b[key] !== undefined && b[key] !== null && typeof b[key] !== 'string') {
      armError(ex, 400, 'InvalidParameter', `The value of parameter '${key}' must be a string.`);
      return undefined;
    }
  }
  return {
    command: b.command,
    context: (b.context as string | null) ?? undefined,
    clusterToken: (b.clusterToken as string | null) ?? undefined,
  };
}

function checkClusterToken(ex: Exchange, ctx: ArmContext, token: string | undefined): boolean {
  if (!token) {
    armError(
      ex,
      400,
      'MissingAADClusterToken',
      'Managed Entra ID (AAD) cluster requires a clusterToken issued for the AKS server application 6dae42f8-4368-4678-94ff-3960e28e3630 to run commands.',
    );
    return false;
  }
  const result = ctx.accessSigner.verify(token);
  if (!result.ok) {
    armError(
      ex,
      400,
      'InvalidAADClusterToken',
      `The clusterToken is not valid (${result.reason}).`,
    );
    return false;
  }
  if (result.claims.aud !== AKS_SERVER_APP) {
    armError(
      ex,
      400,
      'InvalidAADClusterToken',
      `The clusterToken was issued for audience '${String(result.claims.aud)}', expected '${AKS_SERVER_APP}'.`,
    );
    return false;
  }
  return true;
}

function startCommand(
  ctx: ArmContext,
  cluster: ClusterState,
  record: CommandRecord,
  dir: string,
): RunningCommand {
  const failure = cluster.spec.commandFailure;
  if (failure) return failedCommand(record, failure.reason, FAILED_POD_DELAY_MS);
  // Counted per submission, not by time: the first `count` pods never start.
  const startFailures = cluster.spec.startFailures;
  if (startFailures && startFailures.at !== 'submit') {
    cluster.submitted += 1;
    if (cluster.submitted <= startFailures.count) {
      return failedCommand(
        record,
        startFailures.reason ?? podDidNotStart(record.id),
        FAILED_POD_DELAY_MS,
      );
    }
  }
  const running = startProcess(
    record,
    dir,
    ctx.commandTimeoutSeconds,
    (cluster.spec.commandStartDelaySeconds ?? 0) * 1000,
  );
  ctx.running.add(running);
  return shaped(running, cluster.spec);
}

/**
 * The cluster's commandDurationSeconds and commandExitCode over what the command really did: its
 * result stays Running until the duration since its start has passed, and reports that exit code.
 */
function shaped(running: RunningCommand, spec: ClusterSpec): RunningCommand {
  const { commandDurationSeconds: duration, commandExitCode: exitCode } = spec;
  if (duration === undefined && exitCode === undefined) return running;
  const { record } = running;
  return {
    record,
    output: () => running.output(),
    kill: () => running.kill(),
    isFinal: () => {
      if (!running.isFinal()) return false;
      const due = record.startedAt + (duration ?? 0) * 1000;
      if (Date.now() < due) return false;
      // A pod that never ran has no exit code to replace.
      if (exitCode !== undefined && record.exitCode !== undefined) record.exitCode = exitCode;
      if (record.finishedAt !== undefined && record.finishedAt < due) record.finishedAt = due;
      return true;
    },
  };
}

/** The `at: 'submit'` flavour of startFailures: the POST waits for the pod and gives up. */
function podRefusedAtSubmit(ex: Exchange, cluster: ClusterState): boolean {
  const failures = cluster.spec.startFailures;
  if (failures?.at !== 'submit') return false;
  cluster.submitted += 1;
  if (cluster.submitted > failures.count) return false;
  const reason = podDidNotStart(randomBytes(16).toString('hex'));
  armError(
    ex,
    400,
    'KubernetesPerformanceError',
    reason.replace(/^KubernetesPerformanceError: /, ''),
  );
  return true;
}

/** AKS's words when the command pod is not running within 30 s. */
function podDidNotStart(id: string): string {
  return `KubernetesPerformanceError: Failed to run command due to cluster perf issue, container command-${id} in aks-command namespace did not start within 30s on your cluster, retry may helps. If issue persist, you may need to tune your cluster with better performance (larger node/paid tier).`;
}

export function commandResult(
  ex: Exchange,
  ctx: ArmContext,
  cluster: ClusterState,
  id: string,
): void {
  const command = cluster.commands.get(id.toLowerCase());
  if (!command) {
    return armError(
      ex,
      404,
      'NotFound',
      `Command result '${id}' was not found for managed cluster '${cluster.name}'.`,
    );
  }
  const state = (word: string): string =>
    cluster.spec.lowerCaseStates ? word.toLowerCase() : word;
  const { record } = command;
  if (!command.isFinal()) {
    const headers: Record<string, string> = { location: pollLocation(ex, ctx.armEndpoint()) };
    if (cluster.spec.commandResultRetryAfter !== undefined)
      headers['retry-after'] = String(cluster.spec.commandResultRetryAfter);
    // As recorded: a running result has only its provisioningState.
    return send(ex, 202, { id, properties: { provisioningState: state('Running') } }, headers);
  }
  // A pod that never ran has no times, exit code or logs: only its state and why (as the
  // official example of a failed result).
  const ran = record.exitCode !== undefined;
  send(ex, 200, {
    id,
    properties: {
      provisioningState: state(record.provisioningState),
      ...(ran
        ? {
            exitCode: record.exitCode,
            startedAt: isoTime(record.startedAt),
            finishedAt: record.finishedAt === undefined ? undefined : isoTime(record.finishedAt),
            logs: command.output(),
          }
        : {}),
      reason: record.reason,
    },
  });
}
