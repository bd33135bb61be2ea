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
  /** Fixed ports (0 = random, the default). */
  armPort?: number;
  entraPort?: number;
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
  addCluster(spec: ClusterSpec): ClusterHandle;
  inject(rule: FaultRule): void;
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
  operation?: OperationSpec;
  maxBodyBytes?: number;
}

export interface OperationSpec {
  id?: string;
  name?: string;
  durationSeconds: number;
  outcome?: 'Succeeded' | 'Failed' | 'Canceled';
  error?: { code: string; message: string };
  statusWord?: string;
  abort?: 'async' | 'no-content' | 'conflict';
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
}

export type RequestKind =
  | 'runCommand'
  | 'commandResult'
  | 'cluster'
  | 'abort'
  | 'operationStatus'
  | 'operationLocation'
  | 'operations'
  | 'token'
  | 'openid'
  | 'idtoken'
  | 'unknown';

export interface RequestRecord {
  time: number;
  server: 'arm' | 'entra' | 'oidc';
  method: string;
  /** Path including the query string. */
  path: string;
  /** 0 when the connection was dropped without an answer. */
  status: number;
  kind: string;
  fault?: string;
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
  | { moveLocation: true; origin?: string };

export interface FaultRule {
  kind?: string;
  cluster?: string;
  times?: number;
  skip?: number;
  fault: Fault;
}
