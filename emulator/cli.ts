// `npm run emulator`: starts the emulator (ARM, Entra ID, the GitHub OIDC endpoint) with demo
// clusters, and a Service Fabric gateway with a running fault operation, then prints the exact
// commands that run the committed bundle against each. With EMULATOR_ENV_FILE set, it also writes
// the settings as KEY=value lines to that file (for $GITHUB_ENV in a workflow) once it is ready.
// `--fleet N` adds a fleet of N clusters (emulator/fleet.ts) and turns ARM's request limits on.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { addFleetScenario } from './fleet.ts';
import { startEmulator, startFleetEmulator } from './index.ts';
import { startServiceFabricGateway } from './service-fabric.ts';

const port = (name: string): number => Number(process.env[name] ?? 0);
const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

const { values: args } = parseArgs({ options: { fleet: { type: 'string' } } });
const fleetSize = args.fleet === undefined ? undefined : Number(args.fleet);
if (fleetSize !== undefined && !(Number.isInteger(fleetSize) && fleetSize >= 1)) {
  console.error(`--fleet takes a number of clusters, not '${args.fleet ?? ''}'`);
  process.exit(2);
}

const emu = await (fleetSize === undefined ? startEmulator : startFleetEmulator)({
  armPort: port('EMULATOR_ARM_PORT'),
  entraPort: port('EMULATOR_ENTRA_PORT'),
  dataDir: process.env.EMULATOR_DATA_DIR,
  tokenLifetimeSeconds: process.env.EMULATOR_TOKEN_LIFETIME
    ? Number(process.env.EMULATOR_TOKEN_LIFETIME)
    : undefined,
  log: process.env.EMULATOR_QUIET
    ? undefined
    : (line) => console.log(`${new Date().toISOString()} ${line}`),
});
const dataDir = path.dirname(emu.caPath);

const demo = emu.addCluster({ resourceGroup: 'rg-demo', name: 'demo' });
const upgrading = emu.addCluster({
  resourceGroup: 'rg-demo',
  name: 'upgrading',
  operation: { name: 'Upgrade', durationSeconds: 600 },
});
const aad = emu.addCluster({ resourceGroup: 'rg-demo', name: 'aad', aadManaged: true });
// Clusters that refuse commands, one per reason, and one whose first command pod does not start.
const refusing = {
  disabled: emu.addCluster({
    resourceGroup: 'rg-demo',
    name: 'no-run-command',
    runCommandDisabled: true,
  }),
  stopped: emu.addCluster({ resourceGroup: 'rg-demo', name: 'stopped', powerState: 'Stopped' }),
  busy: emu.addCluster({
    resourceGroup: 'rg-demo',
    name: 'busy',
    commandsRefusedWhileBusy: true,
    operation: { name: 'Upgrade', durationSeconds: 600 },
  }),
};
const flaky = emu.addCluster({
  resourceGroup: 'rg-demo',
  name: 'flaky-start',
  startFailures: { count: 1 },
});
const pools = emu.addCluster({
  resourceGroup: 'rg-demo',
  name: 'pools',
  nodePools: [{ name: 'np1', operation: { name: 'Upgrade', durationSeconds: 600 } }],
});

// A fleet as the issue's benchmark has it: three subscriptions, three regions, commands starting
// within 5 s and running 5 to 60 s, two clusters failing.
const fleet =
  fleetSize === undefined
    ? undefined
    : addFleetScenario(emu, {
        count: fleetSize,
        subscriptions: Math.min(3, fleetSize),
        startDelaySeconds: [1, 5],
        durationSeconds: [5, 60],
        failing: Math.min(2, fleetSize - 1),
      });

// The gateway's server certificate comes from the emulator's CA, so NODE_EXTRA_CA_CERTS trusts both.
const gateway = await startServiceFabricGateway({
  ca: emu.ca,
  log: process.env.EMULATOR_QUIET
    ? undefined
    : (line) => console.log(`${new Date().toISOString()} service-fabric ${line}`),
});
const fault = gateway.addFaultOperation({ type: 'PartitionDataLoss', durationSeconds: 3600 });
const admin = gateway.issueAdminClientCert();
const clientCertPath = path.join(dataDir, 'service-fabric-admin.pem');
writeFileSync(clientCertPath, `${admin.certPem.trim()}\n${admin.keyPem.trim()}\n`, { mode: 0o600 });

/** Quotes a value for a POSIX shell. */
const shq = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

/** A folder per example for GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and RUNNER_TEMP (emptied per start). */
function runnerFiles(name: string): string[] {
  const dir = path.join(dataDir, 'runs', name);
  mkdirSync(dir, { recursive: true });
  // The runner creates both files before a step starts; @actions/core appends to them.
  for (const file of ['output', 'summary.html']) writeFileSync(path.join(dir, file), '');
  return [
    `GITHUB_OUTPUT=${shq(path.join(dir, 'output'))}`,
    `GITHUB_STEP_SUMMARY=${shq(path.join(dir, 'summary.html'))}`,
    `RUNNER_TEMP=${shq(dir)}`,
  ];
}

/** `env 'NAME=value' … node dist/index.js`: input names have dashes, which `export` cannot set. */
function command(assignments: string[]): string {
  const node = `${shq(process.execPath)} ${shq(path.join(ROOT, 'dist', 'index.js'))}`;
  return ['env', ...assignments, node].join(' \\\n    ');
}

const armCommand = command([
  `NODE_EXTRA_CA_CERTS=${shq(emu.caPath)}`,
  `AZURE_TENANT_ID=${shq(emu.tenantId)}`,
  `AZURE_CLIENT_ID=${shq(emu.clientId)}`,
  `AZURE_CLIENT_SECRET=${shq(emu.clientSecret)}`,
  shq(`INPUT_ARM-ENDPOINT=${emu.armEndpoint}`),
  shq(`INPUT_AUTHORITY-HOST=${emu.authorityHost}`),
  shq(`INPUT_CLUSTER=${demo.resourceId}`),
  shq('INPUT_COMMAND=kubectl get pods -A; echo "hello from $(hostname)"'),
  ...runnerFiles('run-command'),
]);

const fleetCommand = fleet
  ? command([
      `NODE_EXTRA_CA_CERTS=${shq(emu.caPath)}`,
      `AZURE_TENANT_ID=${shq(emu.tenantId)}`,
      `AZURE_CLIENT_ID=${shq(emu.clientId)}`,
      `AZURE_CLIENT_SECRET=${shq(emu.clientSecret)}`,
      shq(`INPUT_ARM-ENDPOINT=${emu.armEndpoint}`),
      shq(`INPUT_AUTHORITY-HOST=${emu.authorityHost}`),
      shq(`INPUT_CLUSTER=fleet:${fleet.fleetId}`),
      shq('INPUT_COMMAND=kubectl get nodes'),
      ...runnerFiles('fleet'),
    ])
  : undefined;

const serviceFabricCommand = command([
  `NODE_EXTRA_CA_CERTS=${shq(emu.caPath)}`,
  shq('INPUT_OPERATION=cancel-fault'),
  shq(`INPUT_CLUSTER=${gateway.url}`),
  shq(`INPUT_OPERATION-ID=${fault}`),
  `"INPUT_CERTIFICATE=$(cat ${shq(clientCertPath)})"`,
  ...runnerFiles('cancel-fault'),
]);

const fleetBanner = fleet
  ? `
  fleet (Fleet Manager)   ${fleet.fleetId}  (${fleet.clusters.length} member clusters)
  fleet clusters          tag:fleet=fleet-1 in subscriptions ${fleet.subscriptions.join(', ')}
  failing clusters        ${fleet.clusters
    .filter((c) => c.failing)
    .map((c) => c.name)
    .join(', ')}  (their commands exit 1)
  ARM request limits      on (per subscription and principal: reads 250 + 25/s, writes 200 + 10/s)
`
  : '';

console.log(`Azure emulator is up.

  ARM endpoint            ${emu.armEndpoint}
  Authority host          ${emu.authorityHost}
  OIDC request URL        ${emu.oidcRequestUrl}
  CA certificate          ${emu.caPath}
  IMDS (plain http)       ${emu.imdsEndpoint}  (auth: managed-identity with AZURE_POD_IDENTITY_AUTHORITY_HOST set to it)

  demo cluster            ${demo.resourceId}
  upgrading cluster       ${upgrading.resourceId}  (operation ${upgrading.operationId ?? ''}, 10 minutes)
  AAD cluster             ${aad.resourceId}
  run command off         ${refusing.disabled.resourceId}
  stopped cluster         ${refusing.stopped.resourceId}
  busy cluster            ${refusing.busy.resourceId}  (refuses commands while upgrading)
  flaky-start             ${flaky.resourceId}  (its first command pod does not start)
  node pool cluster       ${pools.resourceId}  (node pool np1 upgrading, 10 minutes)
${fleetBanner}
  Service Fabric gateway  ${gateway.url}
  admin client cert       ${clientCertPath}  (certificate and key, PEM)
  running fault operation ${fault}

Note: a command sent to these clusters runs as a real shell on this machine, as your user.

Run the action against the demo cluster (a service principal from the environment):

  ${armCommand}

${fleetCommand ? `Run the action on every cluster of the fleet:\n\n  ${fleetCommand}\n\n` : ''}Cancel the fault operation on the Service Fabric gateway (client certificate):

  ${serviceFabricCommand}

Outputs and summaries land in ${path.join(dataDir, 'runs')}/. For OIDC instead of a secret, add
  'ACTIONS_ID_TOKEN_REQUEST_URL=${emu.oidcRequestUrl}' 'ACTIONS_ID_TOKEN_REQUEST_TOKEN=${emu.oidcRequestToken}' 'INPUT_AUTH=oidc'

Press Ctrl+C to stop.`);

if (process.env.EMULATOR_ENV_FILE) {
  const settings = {
    NODE_EXTRA_CA_CERTS: emu.caPath,
    AZURE_TENANT_ID: emu.tenantId,
    AZURE_CLIENT_ID: emu.clientId,
    AZURE_CLIENT_SECRET: emu.clientSecret,
    AZURE_SUBSCRIPTION_ID: emu.subscriptionId,
    EMULATOR_ARM_ENDPOINT: emu.armEndpoint,
    EMULATOR_AUTHORITY_HOST: emu.authorityHost,
    EMULATOR_IMDS_ENDPOINT: emu.imdsEndpoint,
    EMULATOR_DEMO_CLUSTER: demo.resourceId,
    EMULATOR_UPGRADING_CLUSTER: upgrading.resourceId,
    EMULATOR_AAD_CLUSTER: aad.resourceId,
    EMULATOR_SF_GATEWAY: gateway.url,
    EMULATOR_SF_CLIENT_CERTIFICATE_FILE: clientCertPath,
    EMULATOR_SF_FAULT_OPERATION: fault,
    ...(fleet
      ? {
          EMULATOR_FLEET_ID: fleet.fleetId,
          EMULATOR_FLEET_SUBSCRIPTIONS: fleet.subscriptions.join(','),
        }
      : {}),
  };
  writeFileSync(
    process.env.EMULATOR_ENV_FILE,
    Object.entries(settings)
      .map(([key, value]) => `${key}=${value}\n`)
      .join(''),
  );
}

const shutdown = (): void => {
  void Promise.all([emu.stop(), gateway.stop()]).then(() => process.exit(0));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
