// The official Azure SDK for JavaScript doing what the action does, with default polling options:
// ContainerServiceClient.managedClusters.beginRunCommandAndWait / beginAbortLatestOperationAndWait.
import { sdkClient } from './azure-sdk.ts';
import { fromEnv } from './config.ts';

const config = fromEnv();
const client = sdkClient(config, config.subscriptionId, { endpointScope: true });

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
