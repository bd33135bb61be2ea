// What the benchmark's own clients (sdk.ts, cli-model.ts) are told, through the environment.
export interface ClientConfig {
  armEndpoint: string;
  authorityHost: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  subscriptionId: string;
  resourceGroup: string;
  cluster: string;
  /** The command to run; undefined means: abort the cluster's latest operation. */
  command?: string;
}

const VARS = {
  armEndpoint: 'BENCH_ARM_ENDPOINT',
  authorityHost: 'BENCH_AUTHORITY_HOST',
  tenantId: 'AZURE_TENANT_ID',
  clientId: 'AZURE_CLIENT_ID',
  clientSecret: 'AZURE_CLIENT_SECRET',
  subscriptionId: 'BENCH_SUBSCRIPTION_ID',
  resourceGroup: 'BENCH_RESOURCE_GROUP',
  cluster: 'BENCH_CLUSTER',
} as const;

export function toEnv(config: ClientConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, name] of Object.entries(VARS)) env[name] = config[key as keyof typeof VARS];
  if (config.command !== undefined) env.BENCH_COMMAND = config.command;
  return env;
}

export function fromEnv(env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const read = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`${name} is not set`);
    return value;
  };
  const config = Object.fromEntries(
    Object.entries(VARS).map(([key, name]) => [key, read(name)]),
  ) as unknown as ClientConfig;
  return { ...config, command: env.BENCH_COMMAND };
}

/** One cluster of a fleet client's list (sdk-fleet.ts). */
export interface FleetTarget {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

const FLEET_VAR = 'BENCH_FLEET';

/** A fleet client's environment: the sign-in of `config`, and the clusters as JSON. */
export function fleetToEnv(
  config: Omit<ClientConfig, 'subscriptionId' | 'resourceGroup' | 'cluster'>,
  clusters: FleetTarget[],
): Record<string, string> {
  const first = clusters[0];
  if (!first) throw new Error('a fleet needs at least one cluster');
  return {
    ...toEnv({ ...config, ...first, cluster: first.name }),
    [FLEET_VAR]: JSON.stringify(clusters),
  };
}

export function fleetFromEnv(env: NodeJS.ProcessEnv = process.env): {
  config: ClientConfig;
  clusters: FleetTarget[];
} {
  const parsed: unknown = JSON.parse(env[FLEET_VAR] ?? '[]');
  const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
  if (
    !Array.isArray(parsed) ||
    parsed.length === 0 ||
    !parsed.every(
      (c: Partial<Record<keyof FleetTarget, unknown>>) =>
        isText(c.subscriptionId) && isText(c.resourceGroup) && isText(c.name),
    )
  ) {
    throw new Error(`${FLEET_VAR} is not a list of {subscriptionId, resourceGroup, name}`);
  }
  return { config: fromEnv(env), clusters: parsed as FleetTarget[] };
}
