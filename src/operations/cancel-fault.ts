import { ActionError } from '../base/errors.ts';
import type { Observation } from '../waiting/poller.ts';
import type { Facts, Outcome } from '../report/report.ts';
import type { FaultOperationEntry, ServiceFabricClient } from '../service-fabric/client.ts';
import type { CancelFaultSettings } from '../inputs/settings.ts';
import { formatDuration } from '../waiting/timing.ts';
import type { OperationContext } from './context.ts';
import { STATUS } from '../inputs/contract.ts';

/** The states a fault operation ends in; Running and RollingBack are still moving. */
const FINAL_STATES = new Set<string>([
  STATUS.Completed,
  STATUS.Faulted,
  STATUS.Cancelled,
  STATUS.ForceCancelled,
]);

/**
 * Cancels a Service Fabric fault operation: always a graceful cancel first; with `force`, a forced
 * one when no final state came within `force-after`. Then waits for a final state.
 */
/** The outputs cancel-fault sets (and the summary rows it adds). */
export type CancelFaultFacts = Pick<Facts, 'operationId' | 'result' | 'details'>;
type CancelFaultContext = OperationContext<CancelFaultFacts>;

export async function cancelFault(
  ctx: CancelFaultContext,
  settings: CancelFaultSettings,
  client: ServiceFabricClient,
): Promise<Outcome<CancelFaultFacts>> {
  const id = settings.operationId;
  ctx.record({ operationId: id });
  ctx.log(`Cancelling fault operation ${id} gracefully (Force=false).`);
  if ((await client.cancel(id, false)) === 'not-found') return alreadyOver(ctx, client, id);
  if (!settings.wait) {
    if (settings.force)
      ctx.warn(
        'force is not applied with wait: false: the forced cancel is only sent while waiting.',
      );
    return { status: STATUS.Accepted, verdict: 'pass' };
  }
  const watch = watchCancel(ctx, settings, client);
  const outcome = await ctx.poll(watch.observe);
  if (!outcome.done) {
    if (outcome.last) ctx.record({ result: outcome.last.value });
    return ctx.stopped(
      outcome.last?.status,
      `The cancel stays requested on the cluster; run cancel-fault again with operation-id ${id} to keep watching${settings.force ? '' : ' (force: true to force it)'}.`,
    );
  }
  const forcedAfterMs = watch.forcedAfterMs();
  return judge(ctx, outcome.last.value, 'before the cancel took effect', [
    ['Fault type', outcome.last.value.Type],
    [
      'Cancel',
      forcedAfterMs === undefined
        ? 'graceful'
        : `graceful, then forced after ${formatDuration(forcedAfterMs)}`,
    ],
  ]);
}

/**
 * The one observe step of the poller: sends the forced cancel when it is due, then reads the list.
 * Escalating here keeps a single waiting loop, with its timeout and interruption, for both cancels.
 */
function watchCancel(
  ctx: CancelFaultContext,
  settings: CancelFaultSettings,
  client: ServiceFabricClient,
) {
  const id = settings.operationId;
  const gracefulAt = Date.now();
  let forcedAt: number | undefined;
  let last: FaultOperationEntry | undefined;

  async function forceIfDue(): Promise<void> {
    const waited = Date.now() - gracefulAt;
    if (!settings.force || forcedAt !== undefined || waited < settings.forceAfterMs) return;
    forcedAt = Date.now();
    ctx.log(
      `No final state ${formatDuration(waited)} after the graceful cancel (force-after ${formatDuration(settings.forceAfterMs)}): sending a forced cancel (Force=true).`,
    );
    if ((await client.cancel(id, true)) === 'not-found')
      ctx.log('The operation ended before the forced cancel reached it.');
    else ctx.log('Forced cancel accepted.');
  }

  /** Time left before the forced cancel falls due, so the poller looks again no later than that. */
  function forceDueInMs(): number | undefined {
    if (!settings.force || forcedAt !== undefined) return undefined;
    return Math.max(0, settings.forceAfterMs - (Date.now() - gracefulAt));
  }

  function note(entry: FaultOperationEntry): void {
    if (!last) {
      ctx.log(`Fault operation ${id}: ${entry.Type}, ${entry.State}.`);
      if (entry.Type === 'NodeTransition' && !FINAL_STATES.has(entry.State)) {
        if (settings.force)
          ctx.log(
            `Node transitions ignore a graceful cancel: it will be forced after ${formatDuration(settings.forceAfterMs)}.`,
          );
        else
          ctx.warn(
            'This is a NodeTransition: node transitions ignore a graceful cancel and only stop when forced, so it will most likely run to its end. Set force: true to stop it.',
          );
      }
    } else if (entry.State !== last.State) {
      ctx.log(`State changed: ${last.State} → ${entry.State}.`);
    }
    last = entry;
  }

  return {
    forcedAfterMs: () => (forcedAt === undefined ? undefined : forcedAt - gracefulAt),
    async observe(): Promise<Observation<FaultOperationEntry>> {
      await forceIfDue();
      const entry = await client.findFault(id);
      if (!entry) {
        throw new ActionError(
          `Fault operation ${id} accepted the cancel but is not in the cluster's list of fault operations (GET /Faults/).`,
        );
      }
      if (entry.State === 'Invalid') {
        throw new ActionError(
          `The cluster reports fault operation ${id} (${entry.Type}) in state Invalid.`,
          'Look at the Fault Analysis Service health in Service Fabric Explorer.',
        );
      }
      note(entry);
      return {
        done: FINAL_STATES.has(entry.State),
        status: entry.State,
        value: entry,
        lookWithinMs: forceDueInMs(),
      };
    },
  };
}

/** The cancel answered FABRIC_E_KEY_NOT_FOUND: the operation either ended already or never was. */
async function alreadyOver(
  ctx: CancelFaultContext,
  client: ServiceFabricClient,
  id: string,
): Promise<Outcome<CancelFaultFacts>> {
  const entry = await client.findFault(id);
  if (!entry) {
    throw new ActionError(
      `Fault operation ${id} does not exist on the cluster (the cancel answered FABRIC_E_KEY_NOT_FOUND and GET /Faults/ does not list it).`,
      'Check operation-id: it is the OperationId given to StartDataLoss, StartQuorumLoss, StartPartitionRestart or StartNodeTransition, on this cluster. Records of finished operations are kept about 7 days.',
    );
  }
  if (!FINAL_STATES.has(entry.State)) {
    throw new ActionError(
      `The cluster answered FABRIC_E_KEY_NOT_FOUND to the cancel of ${id}, yet lists it as ${entry.State}.`,
      'Run the step again.',
    );
  }
  ctx.log(
    `Fault operation ${id} (${entry.Type}) had already ended, ${entry.State}: nothing to cancel.`,
  );
  return judge(ctx, entry, 'before the cancel was sent', [['Fault type', entry.Type]]);
}

/** Cancelled and ForceCancelled pass; Completed and Faulted (it was over first) pass with a warning. */
function judge(
  ctx: CancelFaultContext,
  entry: FaultOperationEntry,
  ended: string,
  details: [string, string][],
): Outcome<CancelFaultFacts> {
  const learned = { result: entry, details };
  switch (entry.State) {
    case STATUS.Cancelled:
      ctx.log(
        'Cancelled: the operation was stopped and its internal state cleaned up (an effect that already happened, such as data loss, is not undone).',
      );
      return { status: entry.State, verdict: 'pass', learned };
    case STATUS.ForceCancelled:
      ctx.log(
        'ForceCancelled: the operation was stopped; the cluster may keep some of its internal state.',
      );
      return { status: entry.State, verdict: 'pass', learned };
    default:
      return {
        status: entry.State,
        verdict: 'warn',
        message: `The fault operation ended ${entry.State} ${ended}: nothing was cancelled.`,
        learned,
      };
  }
}
