/**
 * The contract's names, once: the inputs and outputs of action.yml and the status words the
 * action reports. Workflows depend on every one of them; a unit test holds these lists against
 * action.yml.
 */

export const INPUTS = [
  'operation',
  'cluster',
  'subscription-id',
  'command',
  'files',
  'command-id',
  'node-pool',
  'operation-id',
  'force',
  'force-after',
  'wait',
  'timeout',
  'poll-interval',
  'success-exit-codes',
  'auth',
  'client-id',
  'tenant-id',
  'environment',
  'arm-endpoint',
  'authority-host',
  'audience',
  'api-version',
  'cluster-token',
  'certificate',
  'certificate-password',
  'server-cert-thumbprint',
  'ca-certificate',
  'show-logs',
  'start-retries',
  'max-parallel',
  'rollout',
  'fail-fast',
  'shard',
  'shards',
] as const;
export type InputName = (typeof INPUTS)[number];

export const OUTPUTS = [
  'status',
  'exit-code',
  'logs',
  'logs-file',
  'command-id',
  'operation-id',
  'reason',
  'started-at',
  'finished-at',
  'percent-complete',
  'result',
  'correlation-id',
  'results',
  'failed-clusters',
  'clusters',
  'matrix',
] as const;
export type OutputName = (typeof OUTPUTS)[number];

/** The values of the operation input. */
export const OPERATIONS = [
  'run-command',
  'command-result',
  'abort',
  'operation-status',
  'cancel-fault',
  'list-clusters',
] as const;
export type OperationName = (typeof OPERATIONS)[number];

/**
 * The status words of the contract: AKS's final words, Service Fabric's, and the action's own.
 * Other words a service sends while an operation is still running pass through as it spelled them.
 */
export const STATUS = {
  // AKS (ARM)
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  Canceled: 'Canceled',
  // Service Fabric
  Completed: 'Completed',
  Faulted: 'Faulted',
  Cancelled: 'Cancelled',
  ForceCancelled: 'ForceCancelled',
  // The action's own
  Accepted: 'Accepted',
  AlreadyCompleted: 'AlreadyCompleted',
  TimedOut: 'TimedOut',
  Interrupted: 'Interrupted',
  /** Many clusters: a cluster the step never started on (fail-fast, a failed wave, an interrupt). */
  NotStarted: 'NotStarted',
} as const;
