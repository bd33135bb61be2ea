import { ActionError } from '../errors.ts';
import type { Transport } from '../http.ts';
import type { Outcome } from '../report.ts';
import type { CancelFaultSettings } from '../settings.ts';
import type { OperationContext } from './context.ts';

export async function cancelFault(
  _ctx: OperationContext,
  _settings: CancelFaultSettings,
  _transport: Transport,
): Promise<Outcome> {
  throw new ActionError('cancel-fault is not available yet.');
}
