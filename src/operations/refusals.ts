import { ServiceError } from '../base/errors.ts';
import { isRecord, propertiesOf } from '../base/json.ts';
import { isTerminalStatus } from '../azure/lro.ts';
import type { RunCommandSettings } from '../inputs/settings.ts';
import { RUN_COMMAND_API_VERSION } from './command-result.ts';
import type { AksOperationContext } from './context.ts';
import type { Facts } from '../report/report.ts';

type RefusalContext = AksOperationContext<Pick<Facts, 'reason'>>;
import type { AksClusterRef } from '../inputs/settings.ts';

/** Why AKS refused to run a command, in plain words, and what to do about it. */
export interface Refusal {
  kind: 'run-command-disabled' | 'cluster-stopped' | 'operation-in-progress';
  message: string;
  fix: string;
}

/** Refusal answers worth one read of the cluster to explain (bad requests and conflicts). */
const EXPLAINED_STATUS = new Set([400, 409]);
/** Refusals that already explain themselves (the cluster token, the request body). */
const SELF_EXPLAINED =
  /^(MissingAADClusterToken|InvalidAADClusterToken|InvalidParameter|InvalidRequestContent|RequestEntityTooLarge)$/;

/**
 * A refused run command, explained. The error codes AKS uses for a cluster whose run command is
 * disabled or that is stopped are not documented, so the cluster itself is read once (only when a
 * command was refused) and its properties decide: `apiServerAccessProfile.disableRunCommand`,
 * `powerState.code`, and a `provisioningState` that is not final (another operation holds it).
 */
export async function explainRefusal(
  ctx: RefusalContext,
  settings: RunCommandSettings,
  error: unknown,
): Promise<unknown> {
  if (
    !(error instanceof ServiceError) ||
    !EXPLAINED_STATUS.has(error.status) ||
    SELF_EXPLAINED.test(error.code)
  )
    return error;
  const cluster = await readClusterQuietly(ctx, settings);
  const refusal = describeRefusal(error.code, error.serviceMessage, cluster, settings.cluster);
  if (!refusal) return error;
  ctx.record({ reason: refusal.message });
  return error.explained(
    `${refusal.message} The service said: ${error.serviceMessage}`,
    refusal.fix,
  );
}

async function readClusterQuietly(
  ctx: RefusalContext,
  settings: RunCommandSettings,
): Promise<unknown> {
  try {
    const path = `${settings.cluster.resourceId}?api-version=${settings.apiVersion ?? RUN_COMMAND_API_VERSION}`;
    return (await ctx.arm.send('GET', path)).body;
  } catch {
    // Only an explanation: without the read, the service's own words stand.
    return undefined;
  }
}

/** The refusal in plain words, from the error code and the cluster's properties. */
export function describeRefusal(
  code: string,
  serviceMessage: string,
  clusterBody: unknown,
  cluster: Pick<AksClusterRef, 'name' | 'resourceGroup'>,
): Refusal | undefined {
  const properties = propertiesOf(clusterBody);
  const access = isRecord(properties.apiServerAccessProfile)
    ? properties.apiServerAccessProfile
    : {};
  const power = isRecord(properties.powerState) ? properties.powerState.code : undefined;
  const state =
    typeof properties.provisioningState === 'string' ? properties.provisioningState : undefined;
  const az = `--resource-group ${cluster.resourceGroup} --name ${cluster.name}`;
  if (access.disableRunCommand === true || /RunCommandDisabled/i.test(code)) {
    return {
      kind: 'run-command-disabled',
      message: `Run command is disabled on cluster ${cluster.name} (apiServerAccessProfile.disableRunCommand is true), so AKS accepts no command for it.`,
      fix: `Enable run command on the cluster: az aks update ${az} --enable-run-command (Azure CLI 2.76 or later; or the cluster's Run command page in the Azure portal), if your organisation allows it. Otherwise run kubectl from a runner that can reach the API server.`,
    };
  }
  if (typeof power === 'string' && power.toLowerCase() === 'stopped') {
    return {
      kind: 'cluster-stopped',
      message: `Cluster ${cluster.name} is stopped (powerState Stopped): it has no running nodes to run the command on.`,
      fix: `Start the cluster (az aks start ${az}), wait until it is running, then run the step again.`,
    };
  }
  const busy = state !== undefined && !isTerminalStatus(state);
  if (busy || code === 'OperationNotAllowed' || /another operation/i.test(serviceMessage)) {
    return {
      kind: 'operation-in-progress',
      message: `Another operation holds cluster ${cluster.name}${busy ? ` (it is ${state})` : ''}, and AKS runs no command until it ends.`,
      fix: 'Wait for it in an earlier step with operation: operation-status (operation-id: latest, the default), then run the command again; or stop it with operation: abort.',
    };
  }
  return undefined;
}
