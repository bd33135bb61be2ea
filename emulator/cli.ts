// `npm run emulator`: starts the emulator with a demo cluster and prints how to point the action at it.
// With EMULATOR_ENV_FILE set, it also writes the same settings as KEY=value lines to that file (for
// $GITHUB_ENV in a workflow) once it is ready.
import { writeFileSync } from 'node:fs';
import { startEmulator } from './index.ts';

const port = (name: string): number => Number(process.env[name] ?? 0);

const emu = await startEmulator({
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

const demo = emu.addCluster({ resourceGroup: 'rg-demo', name: 'demo' });
const upgrading = emu.addCluster({
  resourceGroup: 'rg-demo',
  name: 'upgrading',
  operation: { name: 'Upgrade', durationSeconds: 600 },
});
const aad = emu.addCluster({ resourceGroup: 'rg-demo', name: 'aad', aadManaged: true });

console.log(`Azure emulator is up.

  ARM endpoint     ${emu.armEndpoint}
  Authority host   ${emu.authorityHost}
  OIDC request URL ${emu.oidcRequestUrl}
  CA certificate   ${emu.caPath}

  demo cluster       ${demo.resourceId}
  upgrading cluster  ${upgrading.resourceId}  (operation ${upgrading.operationId ?? ''}, 10 minutes)
  AAD cluster        ${aad.resourceId}

export NODE_EXTRA_CA_CERTS='${emu.caPath}'
export AZURE_TENANT_ID='${emu.tenantId}'
export AZURE_CLIENT_ID='${emu.clientId}'
export AZURE_CLIENT_SECRET='${emu.clientSecret}'
export AZURE_SUBSCRIPTION_ID='${emu.subscriptionId}'
export ACTIONS_ID_TOKEN_REQUEST_URL='${emu.oidcRequestUrl}'
export ACTIONS_ID_TOKEN_REQUEST_TOKEN='${emu.oidcRequestToken}'

Action inputs:
  arm-endpoint: ${emu.armEndpoint}
  authority-host: ${emu.authorityHost}
  cluster: ${demo.resourceId}

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
    EMULATOR_DEMO_CLUSTER: demo.resourceId,
    EMULATOR_UPGRADING_CLUSTER: upgrading.resourceId,
    EMULATOR_AAD_CLUSTER: aad.resourceId,
  };
  writeFileSync(
    process.env.EMULATOR_ENV_FILE,
    Object.entries(settings)
      .map(([key, value]) => `${key}=${value}\n`)
      .join(''),
  );
}

const shutdown = (): void => {
  void emu.stop().then(() => process.exit(0));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
