// What every ARM route handler receives: the emulator's shared ARM state and the parsed route.
// Its own module so that arm.ts (the router) and the handlers it calls import it without a cycle.
import type { ClusterRegistry } from './clusters.ts';
import type { RunningCommand } from './commands.ts';
import type { FleetRegistry } from './fleets.ts';
import type { OperationUrlSigner } from './operation-urls.ts';
import type { RateLimiter } from './rate-limits.ts';
import type { ScriptBook } from './scripts.ts';
import type { Signer } from './tokens.ts';
import type { RequestKind } from './types.ts';

export interface ArmContext {
  armEndpoint: () => string;
  authorityHost: () => string;
  tenantId: string;
  /** The subscription the service principal sees (clusters may add more). */
  subscriptionId: string;
  /** Set: ARM as on an Azure Stack Hub, advertising and accepting only this token audience. */
  armAudience?: string;
  accessSigner: Signer;
  clusters: ClusterRegistry;
  dataDir: string;
  commandTimeoutSeconds: number;
  running: Set<RunningCommand>;
  remember: (secret: string) => void;
  /** Signs and checks the location-level polling URLs of asynchronous operations. */
  operationUrls: OperationUrlSigner;
  /** Answers fixed in advance (replays of recorded exchanges). */
  scripts: ScriptBook;
  fleets: FleetRegistry;
  /** Items per page of the paged lists. */
  listPageSize: number;
  /** ARM's request limits, when on. */
  limits?: RateLimiter;
}

export interface ArmRoute {
  kind: RequestKind;
  subscriptionId: string;
  resourceGroup: string;
  clusterName: string;
  location: string;
  /** Command id or operation id. */
  id: string;
  /** The agent pool name, for agentPool* kinds. */
  nodePool?: string;
  /** The fleet's name, for fleet* kinds (`id` is the member's name). */
  fleetName?: string;
}
