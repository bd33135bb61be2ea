// The official Azure SDK for JavaScript doing what the action does, with default polling options:
// ContainerServiceClient.managedClusters.beginRunCommandAndWait / beginAbortLatestOperationAndWait.
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { ClientSecretCredential } from '@azure/identity';
import { fromEnv } from './config.ts';

const config = fromEnv();
const credential = new ClientSecretCredential(
  config.tenantId,
  config.clientId,
  config.clientSecret,
  {
    authorityHost: config.authorityHost,
    disableInstanceDiscovery: true,
  },
);
// The modular (TypeSpec) client takes `endpoint` and `credentials.scopes` for a custom cloud.
const client = new ContainerServiceClient(credential, config.subscriptionId, {
  endpoint: config.armEndpoint,
  credentials: { scopes: [`${config.armEndpoint.replace(/\/$/, '')}/.default`] },
});

if (config.command !== undefined) {
  const result = await client.managedClusters.beginRunCommandAndWait(
    config.resourceGroup,
    config.cluster,
    { command: config.command },
  );
  console.log(`provisioningState=${result.provisioningState} exitCode=${result.exitCode}`);
} else {
  try {
    await client.managedClusters.beginAbortLatestOperationAndWait(
      config.resourceGroup,
      config.cluster,
    );
    console.log('abort: Succeeded');
  } catch (err) {
    // core-lro rejects a poll that ends Canceled; for an abort that is the expected end.
    if ((err as Error).message !== 'Operation was canceled') throw err;
    console.log('abort: Canceled');
  }
}
