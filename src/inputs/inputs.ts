import { isKnownAuthority, lookupCloud, sameOrigin, CLOUD_NAMES } from './cloud.ts';
import { InputError } from '../base/errors.ts';
import { parseClusterSelection, parseRollout, parseShard, singleCluster } from './clusters.ts';
import {
  parseApiVersion,
  parseBoolean,
  parseChoice,
  parseClientId,
  parseCommandId,
  parseCount,
  parseDuration,
  parseEndpoint,
  parseExitCodes,
  parseLines,
  parseNodePool,
  parseOperationId,
  parsePollInterval,
  parseTenantId,
  parseThumbprints,
  parseUuid,
} from './parsers.ts';
import {
  AUTH_KINDS,
  type CommonSettings,
  type Endpoints,
  type FleetOptions,
  type ListClustersSettings,
  type ReadSettings,
} from './settings.ts';
import { clip } from '../base/format.ts';
import { OPERATIONS, type InputName, type OperationName } from './contract.ts';

/** Each resubmission waits for a new pod; a handful is plenty (AKS says a retry may help). */
const MAX_START_RETRIES = 5;

/** Where inputs come from: the runner's `INPUT_*` variables in production, a map in unit tests. */
export interface InputSource {
  input(name: InputName): string;
  env(name: string): string;
}

export function runnerInputs(env: NodeJS.ProcessEnv = process.env): InputSource {
  return {
    // The runner upper-cases the name and keeps dashes; spaces become underscores.
    input: (name) => (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim(),
    env: (name) => (env[name] ?? '').trim(),
  };
}

/** The most clusters worked on at once: beyond this, ARM's limits, not the runner, decide. */
const MAX_PARALLEL = 256;

/** Reads and checks every input once, before any call is made. */
export function readSettings(source: InputSource): ReadSettings {
  const operation = parseChoice('operation', source.input('operation'), OPERATIONS, 'run-command');
  const common = readCommon(source, operation);
  if (operation === 'cancel-fault') return readCancelFault(source, common);
  const selection = parseClusterSelection(
    source.input('cluster'),
    source.input('subscription-id') || source.env('AZURE_SUBSCRIPTION_ID'),
  );
  const aks: Omit<ListClustersSettings, 'operation'> = {
    ...common,
    selection,
    fleet: readFleetOptions(source),
    apiVersion: parseApiVersion('api-version', source.input('api-version')),
  };
  if (operation === 'list-clusters') return { ...aks, operation };
  const cluster = singleCluster(selection);
  if (!cluster && operation === 'command-result')
    throw new InputError(
      'cluster',
      'names several clusters; command-result reads one command of one cluster (see the results output of the run-command step for each cluster)',
    );
  const exitCodes = () => parseExitCodes('success-exit-codes', source.input('success-exit-codes'));
  const showLogs = () => parseBoolean('show-logs', source.input('show-logs'), true);
  const nodePool = parseNodePool('node-pool', source.input('node-pool'));
  if (nodePool && operation !== 'abort' && operation !== 'operation-status') {
    throw new InputError(
      'node-pool',
      `applies to abort and operation-status only; ${operation} acts on the cluster (leave node-pool empty)`,
    );
  }
  switch (operation) {
    case 'run-command':
      return {
        ...aks,
        cluster,
        operation,
        command: required(
          source,
          'command',
          'the shell command to run on the cluster, e.g. kubectl get pods -A',
        ),
        files: parseLines(source.input('files')),
        workspace: source.env('GITHUB_WORKSPACE') || process.cwd(),
        successExitCodes: exitCodes(),
        clusterToken: parseChoice(
          'cluster-token',
          source.input('cluster-token'),
          ['auto', 'true', 'false'],
          'auto',
        ),
        showLogs: showLogs(),
        startRetries: parseCount(
          'start-retries',
          source.input('start-retries'),
          1,
          MAX_START_RETRIES,
        ),
      };
    case 'command-result':
      return {
        ...aks,
        cluster,
        operation,
        commandId: parseCommandId(
          'command-id',
          required(source, 'command-id', 'the command-id output of an earlier run-command step'),
        ),
        successExitCodes: exitCodes(),
        showLogs: showLogs(),
      };
    case 'abort':
      return { ...aks, cluster, operation, nodePool };
    case 'operation-status':
      return {
        ...aks,
        cluster,
        operation,
        operationId: parseOperationId('operation-id', source.input('operation-id')),
        nodePool,
      };
  }
}

function readFleetOptions(source: InputSource): FleetOptions {
  const atLeastOne = (input: 'max-parallel' | 'shards', fallback: number) => {
    const value = parseCount(input, source.input(input), fallback, MAX_PARALLEL);
    if (value < 1) throw new InputError(input, `must be at least 1 (at most ${MAX_PARALLEL})`);
    return value;
  };
  return {
    maxParallel: atLeastOne('max-parallel', 10),
    rollout: parseRollout(source.input('rollout')),
    failFast: parseBoolean('fail-fast', source.input('fail-fast'), true),
    shard: parseShard(source.input('shard')),
    shards: atLeastOne('shards', 1),
  };
}

function readCommon(source: InputSource, operation: OperationName): CommonSettings {
  const auth = parseChoice('auth', source.input('auth'), AUTH_KINDS, 'auto');
  if (operation !== 'cancel-fault' && (auth === 'certificate' || auth === 'none')) {
    throw new InputError(
      'auth',
      `'${auth}' is for Service Fabric clusters; ${operation} signs in to Azure with oidc, azure-cli, environment or managed-identity`,
    );
  }
  return {
    wait: parseBoolean('wait', source.input('wait'), true),
    timeoutMs: parseTimeout(source.input('timeout')),
    pollInterval: parsePollInterval('poll-interval', source.input('poll-interval')),
    auth,
    clientId: fromInputOrEnv(source, 'client-id', 'AZURE_CLIENT_ID', parseClientId),
    tenantId: fromInputOrEnv(source, 'tenant-id', 'AZURE_TENANT_ID', parseTenantId),
    endpoints: readEndpoints(source),
  };
}

/** Below this a step could not make a single call; `0.0001` is a slip, not a wish. */
const MIN_TIMEOUT_MS = 1_000;

function parseTimeout(raw: string): number {
  const ms = parseDuration('timeout', raw || '30m');
  if (ms < MIN_TIMEOUT_MS)
    throw new InputError('timeout', 'must be at least 1 second (1s); the default is 30m');
  return ms;
}

/** An input, or the variable that stands in for it, checked by the same parser. */
function fromInputOrEnv(
  source: InputSource,
  input: InputName,
  variable: string,
  parse: (input: string, raw: string, from?: string) => string,
): string {
  const value = source.input(input);
  return value !== '' ? parse(input, value) : parse(input, source.env(variable), variable);
}

function readEndpoints(source: InputSource): Endpoints {
  const name = source.input('environment') || 'AzureCloud';
  const cloud = lookupCloud(name);
  if (!cloud)
    throw new InputError('environment', `'${clip(name)}' is not one of: ${CLOUD_NAMES.join(', ')}`);
  const armOverride = source.input('arm-endpoint');
  const authorityOverride = source.input('authority-host');
  const authorityHost = authorityOverride
    ? parseEndpoint('authority-host', authorityOverride)
    : cloud.authorityHost;
  const armEndpoint = armOverride ? parseEndpoint('arm-endpoint', armOverride) : cloud.armEndpoint;
  return {
    ...cloud,
    armEndpoint,
    // Another ARM than the cloud's (Azure Stack Hub) names its own audience in its metadata.
    armAudience: sameOrigin(armEndpoint, cloud.armEndpoint) ? cloud.armAudience : undefined,
    authorityHost,
    audience: source.input('audience') || cloud.oidcAudience,
    customAuthority: !isKnownAuthority(authorityHost),
  };
}

function readCancelFault(source: InputSource, common: CommonSettings): ReadSettings {
  const gateway = source.input('cluster');
  if (gateway === '')
    throw new InputError(
      'cluster',
      'is required: the Service Fabric HTTP gateway URL, https://{host}:19080',
    );
  const gatewayUrl = parseEndpoint('cluster', gateway, true);
  if (gatewayUrl.startsWith('http:') && common.auth !== 'none' && common.auth !== 'auto') {
    throw new InputError(
      'cluster',
      `'${gatewayUrl}' is plain http; use https, or set auth: none for an unsecured cluster`,
    );
  }
  const certificatePassword = source.input('certificate-password');
  return {
    ...common,
    operation: 'cancel-fault',
    gatewayUrl,
    operationId: parseUuid(
      'operation-id',
      required(source, 'operation-id', 'the fault operation id (a UUID)'),
    ),
    force: parseBoolean('force', source.input('force'), false),
    forceAfterMs: parseDuration('force-after', source.input('force-after') || '30s'),
    certificate: source.input('certificate'),
    certificatePassword,
    serverCertThumbprints: parseThumbprints(
      'server-cert-thumbprint',
      source.input('server-cert-thumbprint'),
    ),
    caCertificate: source.input('ca-certificate'),
  };
}

function required(source: InputSource, name: InputName, what: string): string {
  const value = source.input(name);
  if (value === '') throw new InputError(name, `is required: ${what}`);
  return value;
}
