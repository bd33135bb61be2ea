import type { ScriptHandle, ScriptRule } from './scripts.ts';

export type { ScriptedAnswer, ScriptHandle, ScriptRule } from './scripts.ts';

export interface EmulatorOptions {
  /** Where CA/certs and command folders go; default a fresh mkdtemp (removed by stop()). */
  dataDir?: string;
  /** Lifetime of Entra access tokens; default 3600. */
  tokenLifetimeSeconds?: number;
  /** Commands are killed after this; default 900. */
  commandTimeoutSeconds?: number;
  /** Optional request log sink (default: silent). */
  log?: (line: string) => void;
  /** Subject of the federated credential Entra accepts; default the subject the OIDC endpoint issues. */
  federatedSubject?: string;
  /**
   * Run ARM as an Azure Stack Hub does: its metadata names this token audience and ARM accepts
   * tokens for it alone. Default: the metadata names the emulator's own URL, and ARM accepts that
   * and the public cloud's audiences.
   */
  armAudience?: string;
  /**
   * Host names for ARM and Entra in the URLs the emulator hands out (its certificate covers
   * them); it still listens on 127.0.0.1. For tests through a proxy that alone resolves them.
   */
  hostNames?: { arm: string; entra: string };
  /** Fixed ports (0 = random, the default). */
  armPort?: number;
  entraPort?: number;
  imdsPort?: number;
  /**
   * The machine's managed identities, served by the IMDS stand-in: a system-assigned one (default
   * true) and user-assigned ones (default one, its client id in `Emulator.managedIdentity`).
   */
  managedIdentity?: { systemAssigned?: boolean; userAssigned?: number };
  /** Items per page of the paged lists (managed clusters, fleet members); default 100. */
  listPageSize?: number;
  /**
   * ARM's request limits per subscription and principal (token buckets): `false` or absent, none
   * (the default of startEmulator); an object, on, each bucket ARM's documented size unless given
   * (reads 250 + 25/s, writes 200 + 10/s).
   */
  armLimits?: false | ArmLimits;
}

/** A token bucket: `capacity` requests at once, refilled by `perSecond` (> 0). */
export interface RequestBucket {
  capacity: number;
  perSecond: number;
}

export interface ArmLimits {
  /** GET and HEAD. */
  reads?: RequestBucket;
  /** PUT, PATCH, POST and DELETE. */
  writes?: RequestBucket;
}

/** A member of a Fleet Manager fleet: a cluster's resource id, or the member in full. */
export type FleetMemberSpec = string | { clusterResourceId: string; group?: string; name?: string };

export interface FleetSpec {
  subscriptionId?: string;
  resourceGroup: string;
  name: string;
  location?: string;
  /** Member names default to the last segment of the cluster's resource id. */
  members: FleetMemberSpec[];
}

export interface FleetHandle {
  resourceId: string;
  name: string;
}

export interface Emulator {
  armEndpoint: string;
  authorityHost: string;
  oidcRequestUrl: string;
  oidcRequestToken: string;
  caPath: string;
  ca: { certPem: string; keyPem: string };
  tenantId: string;
  clientId: string;
  clientSecret: string;
  subscriptionId: string;
  /**
   * The Azure Instance Metadata Service stand-in (plain http on loopback, as IMDS is plain http):
   * point @azure/identity at it with AZURE_POD_IDENTITY_AUTHORITY_HOST=imdsEndpoint.
   */
  imdsEndpoint: string;
  managedIdentity: { systemAssigned: boolean; userAssignedClientIds: string[] };
  addCluster(spec: ClusterSpec): ClusterHandle;
  /** An Azure Kubernetes Fleet Manager fleet whose members are served paged. */
  addFleet(spec: FleetSpec): FleetHandle;
  /** How many requests ARM's request limits answered 429 (see `armLimits`). */
  throttled(): number;
  inject(rule: FaultRule): void;
  /** Answers requests for one path with fixed answers, in order (the last repeats). */
  script(rule: ScriptRule): ScriptHandle;
  /** `{armEndpoint}{path}?api-version=2016-03-30&t=…&c=…&s=…&h=…`, signed as the abort's polling URLs are. */
  signOperationUrl(path: string): string;
  clearFaults(): void;
  requests: RequestRecord[];
  issuedSecrets(): string[];
  /** True when `bearer` is a valid, unexpired access token this emulator issued for `audience`. */
  verifyToken(bearer: string, audience: string): boolean;
  stop(): Promise<void>;
}

export interface ClusterSpec {
  resourceGroup: string;
  name: string;
  subscriptionId?: string;
  location?: string;
  aadManaged?: boolean;
  lowerCaseStates?: boolean;
  commandFailure?: { reason: string };
  commandResultRetryAfter?: number;
  /** Seconds the command pod takes to be scheduled before the command starts (AKS: a few). */
  commandStartDelaySeconds?: number;
  runCommandDisabled?: boolean;
  provisioningState?: string;
  /** `properties.kubernetesVersion` (as requested) and `currentKubernetesVersion` (running). */
  kubernetesVersion?: string;
  currentKubernetesVersion?: string;
  operation?: OperationSpec;
  maxBodyBytes?: number;
  /** powerState.code; a Stopped cluster refuses run commands. */
  powerState?: 'Running' | 'Stopped';
  /** While `operation` runs, run commands are refused with 409 OperationNotAllowed. */
  commandsRefusedWhileBusy?: boolean;
  /**
   * The first `count` command pods do not start: the result turns Failed with this reason and no
   * exit code (default: AKS's KubernetesPerformanceError text), or the POST is refused.
   */
  startFailures?: {
    count: number;
    reason?: string;
    /** `submit`: the POST itself is answered 400 KubernetesPerformanceError instead. */
    at?: 'result' | 'submit';
  };
  /** Agent pools, each with its own operation (abort and operations/{id} on the pool). */
  nodePools?: NodePoolSpec[];
  /** The resource's `tags`, in its body (GET and lists). */
  tags?: Record<string, string>;
  /**
   * A command's result stays Running until at least this long after the command started,
   * whatever the command did (its finishedAt is moved to that moment).
   */
  commandDurationSeconds?: number;
  /** A command that ran reports this exit code, whatever it did. */
  commandExitCode?: number;
}

export interface NodePoolSpec {
  name: string;
  provisioningState?: string;
  operation?: OperationSpec;
  orchestratorVersion?: string;
}

export interface OperationSpec {
  id?: string;
  name?: string;
  durationSeconds: number;
  outcome?: 'Succeeded' | 'Failed' | 'Canceled';
  error?: { code: string; message: string };
  statusWord?: string;
  /**
   * How POST abort answers: `async` (default) as the live service does, 202 with the cluster and
   * signed status URLs, the status going InProgress → Succeeded while the cluster goes Canceling →
   * Canceled; `failed`: the same 202, but the abort's status ends Failed (`abortError`) and the
   * operation runs on; `no-content`: 204; `conflict`: 409 OperationNotAllowed.
   */
  abort?: 'async' | 'failed' | 'no-content' | 'conflict';
  abortError?: { code: string; message: string };
  /** Retry-After (seconds) on the abort and its status answers; the live service sends none. */
  abortRetryAfter?: number;
  cancelSeconds?: number;
}

export interface CommandRecord {
  id: string;
  command: string;
  clusterToken?: string;
  files: string[];
  startedAt: number;
  finishedAt?: number;
  exitCode?: number;
  provisioningState: string;
  reason?: string;
}

export interface ClusterHandle {
  resourceId: string;
  commands(): CommandRecord[];
  operationId?: string;
  /** The node pools' resource ids and operation ids, by name. */
  nodePools: Record<string, { resourceId: string; operationId?: string }>;
  /** The cluster's operation id and, once it was aborted with a 202, the abort's own id. */
  operationIds(): string[];
  /**
   * Deletes the cluster: its running commands end, and every request about it answers 404
   * ResourceNotFound as ARM does.
   */
  remove(): void;
}

export type RequestKind =
  | 'runCommand'
  | 'commandResult'
  | 'cluster'
  | 'abort'
  | 'operationStatus'
  | 'operationLocation'
  | 'operations'
  | 'agentPool'
  | 'agentPoolAbort'
  | 'agentPoolOperations'
  | 'clusterList'
  | 'fleet'
  | 'fleetMembers'
  | 'fleetMember'
  | 'imdsToken'
  | 'token'
  | 'openid'
  | 'idtoken'
  | 'metadata'
  | 'account'
  | 'unknown';

export interface RequestRecord {
  time: number;
  server: 'arm' | 'entra' | 'oidc' | 'imds';
  method: string;
  /** Path including the query string. */
  path: string;
  /** 0 when the connection was dropped without an answer. */
  status: number;
  kind: string;
  fault?: string;
  /** The ids the client sent (`x-ms-client-request-id`, `x-ms-correlation-request-id`). */
  clientRequestId?: string;
  correlationRequestId?: string;
  /** The `x-ms-request-id` the emulator answered with. */
  requestId?: string;
  /** SHA-256 of the bearer token the request carried (to tell tokens apart without keeping them). */
  tokenHash?: string;
}

export type Fault =
  | {
      status: number;
      retryAfter?: number | string;
      code?: string;
      body?: string;
      contentType?: string;
    }
  | { drop: 'reset' | 'close' }
  | { delayMs: number }
  | { expireToken: true }
  | { moveLocation: true; origin?: string }
  /**
   * The real answer, cut off: `mid-body` sends the headers and half the body, `after-headers`
   * only the headers; either declares a longer body, waits `stallMs` (default 50 / 500) and
   * closes the connection.
   */
  | { cut: 'mid-body' | 'after-headers'; stallMs?: number }
  /**
   * Routes the request as usual but rewrites the Location it answers with: `{origin}`, `{path}`
   * and `{query}` stand for the parts of the real one. The result is sent as Latin-1, so a
   * character U+0080-U+00FF arrives as one raw non-ASCII byte.
   */
  | { rewriteLocation: string }
  /** Answers this HTTP status with an ARM error whose message echoes the request's headers and body. */
  | { echoRequest: number }
  /**
   * Deletes the cluster the request is about (as ClusterHandle.remove()), then answers the request
   * as ARM does for a missing cluster.
   */
  | { deleteCluster: true };

export interface FaultRule {
  kind?: string;
  cluster?: string;
  times?: number;
  skip?: number;
  fault: Fault;
}

/** A fleet of clusters for tests, chaos, the benchmark and the demo (emulator/fleet.ts). */
export interface FleetScenarioOptions {
  /** How many clusters: `aks-1` … `aks-{count}`. */
  count: number;
  /** Over how many subscriptions (round robin; the first is the emulator's own); default 1. */
  subscriptions?: number;
  /** Round robin; default eastus, westeurope, southeastasia. Resource group `rg-fleet-{region}`. */
  regions?: string[];
  /** Same seed, same fleet (delays, durations, failing clusters, subscription ids); default 1. */
  seed?: number;
  /** Seconds each command pod takes to start, drawn in [min, max]; default [0, 0]. */
  startDelaySeconds?: [number, number];
  /** Seconds each command runs at least, drawn in [min, max]; default [0, 0]. */
  durationSeconds?: [number, number];
  /** Clusters whose commands exit 1: how many (drawn by the seed), or their names. */
  failing?: number | string[];
  /** Tags every cluster has, beside `fleet` (the fleet's name) and `region`. */
  tags?: Record<string, string>;
  /** The Fleet Manager fleet with every cluster as a member (group: its region); default `fleet-1` in `rg-fleet`. */
  fleetName?: string;
}

export interface FleetClusterInfo {
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  resourceId: string;
  tags: Record<string, string>;
  startDelaySeconds: number;
  durationSeconds: number;
  /** True when its commands exit 1. */
  failing: boolean;
  handle: ClusterHandle;
}

export interface FleetScenario {
  clusters: FleetClusterInfo[];
  fleetId: string;
  /** The subscription ids, the emulator's own first. */
  subscriptions: string[];
}
