import type { Cloud } from './cloud.ts';

/** The cluster an AKS operation acts on, as the cluster input named it. */
export interface AksClusterRef {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  /** The canonical resource ID, used for every call. */
  resourceId: string;
}

/** One line of the cluster input. */
export type ClusterEntry =
  | { kind: 'cluster'; ref: AksClusterRef }
  /** Every AKS cluster of the subscription with this tag (name case-insensitive, value exact). */
  | { kind: 'tag'; subscriptionId: string; name: string; value: string; text: string }
  /** The member clusters of an Azure Kubernetes Fleet Manager fleet. */
  | { kind: 'fleet'; subscriptionId: string; fleetId: string; text: string };

/** What the cluster input names, before the tags and fleets in it are looked up. */
export interface ClusterSelection {
  include: ClusterEntry[];
  exclude: ClusterEntry[];
}

/** A wave of a rollout: a count, or a percentage of the clusters not yet started. */
export type WaveSize = { count: number } | { percent: number };

/** How several clusters are worked on. */
export interface FleetOptions {
  maxParallel: number;
  rollout: WaveSize[];
  failFast: boolean;
  /** `shard: i/n` (1-based). */
  shard: { index: number; count: number } | undefined;
  /** list-clusters: how many shards the matrix holds. */
  shards: number;
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
  /** The one cluster the operation acts on (each cluster's own copy when there are several). */
  cluster: AksClusterRef;
  apiVersion: string | undefined;
  /** What the cluster input named, and how several clusters are worked on. */
  selection: ClusterSelection;
  fleet: FleetOptions;
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

export interface ListClustersSettings extends Omit<AksSettings, 'cluster'> {
  operation: 'list-clusters';
}

export type Settings =
  | RunCommandSettings
  | CommandResultSettings
  | AbortSettings
  | OperationStatusSettings
  | CancelFaultSettings;

export type AksOperationSettings = Exclude<Settings, CancelFaultSettings>;

/**
 * The settings as the inputs give them: an AKS operation's cluster is known only when the input
 * names exactly one by its ID; otherwise the tags and fleets it names are looked up first.
 */
export type ReadSettings =
  | CancelFaultSettings
  | ListClustersSettings
  | (AksOperationSettings extends infer S
      ? S extends AksOperationSettings
        ? Omit<S, 'cluster'> & { cluster: AksClusterRef | undefined }
        : never
      : never);
