import type { Cloud } from './cloud.ts';

/** The cluster an AKS operation acts on, as the cluster input named it. */
export interface AksClusterRef {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  /** The canonical resource ID, used for every call. */
  resourceId: string;
}

export const AUTH_KINDS = [
  'auto',
  'oidc',
  'azure-cli',
  'environment',
  'managed-identity',
  'certificate',
  'none',
] as const;
export type AuthKind = (typeof AUTH_KINDS)[number];

export interface Endpoints extends Omit<Cloud, 'armAudience'> {
  /**
   * The ARM token audience: the cloud's documented one, or undefined for a custom `arm-endpoint`
   * (Azure Stack Hub), whose metadata names it.
   */
  armAudience: string | undefined;
  /** The OIDC audience actually used (the cloud's, or the `audience` override). */
  audience: string;
  /** True when `authority-host` points somewhere else than a public cloud: no instance discovery. */
  customAuthority: boolean;
}

/** What every operation shares. */
export interface CommonSettings {
  wait: boolean;
  timeoutMs: number;
  pollInterval: 'auto' | number;
  auth: AuthKind;
  clientId: string;
  tenantId: string;
  endpoints: Endpoints;
}

export interface AksSettings extends CommonSettings {
  cluster: AksClusterRef;
  apiVersion: string | undefined;
}

export interface RunCommandSettings extends AksSettings {
  operation: 'run-command';
  command: string;
  files: string[];
  workspace: string;
  successExitCodes: ReadonlySet<number>;
  clusterToken: 'auto' | 'true' | 'false';
  /** false: the command's output goes only to logs-file (show-logs). */
  showLogs: boolean;
  /** How many times to submit again when the command pod could not start. */
  startRetries: number;
}

export interface CommandResultSettings extends AksSettings {
  operation: 'command-result';
  commandId: string;
  successExitCodes: ReadonlySet<number>;
  showLogs: boolean;
}

export interface AbortSettings extends AksSettings {
  operation: 'abort';
  /** Act on this agent pool of the cluster instead of the cluster itself. */
  nodePool: string | undefined;
}

export interface OperationStatusSettings extends AksSettings {
  operation: 'operation-status';
  operationId: string;
  nodePool: string | undefined;
}

export interface CancelFaultSettings extends CommonSettings {
  operation: 'cancel-fault';
  gatewayUrl: string;
  operationId: string;
  force: boolean;
  forceAfterMs: number;
  certificate: string;
  certificatePassword: string;
  serverCertThumbprints: string[];
  caCertificate: string;
}

export type Settings =
  | RunCommandSettings
  | CommandResultSettings
  | AbortSettings
  | OperationStatusSettings
  | CancelFaultSettings;

export type AksOperationSettings = Exclude<Settings, CancelFaultSettings>;
