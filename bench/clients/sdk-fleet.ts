// A fleet script as users write it on the official Azure SDK for JavaScript, with its defaults:
// one credential, one ContainerServiceClient per subscription, and Promise.all over the clusters
// of managedClusters.beginRunCommandAndWait (default poller: every 2 s; default retry policy,
// which honours Retry-After on a 429).
import type { ContainerServiceClient } from '@azure/arm-containerservice';
import { sdkClient, sdkCredential } from './azure-sdk.ts';
import { fleetFromEnv } from './config.ts';

const { config, clusters } = fleetFromEnv();
const credential = sdkCredential(config);
const clients = new Map<string, ContainerServiceClient>();
const clientFor = (subscriptionId: string): ContainerServiceClient => {
  let client = clients.get(subscriptionId);
  if (!client) {
    client = sdkClient(config, subscriptionId, { credential, endpointScope: true });
    clients.set(subscriptionId, client);
  }
  return client;
};

const results = await Promise.all(
  clusters.map((c) =>
    clientFor(c.subscriptionId).managedClusters.beginRunCommandAndWait(c.resourceGroup, c.name, {
      command: config.command ?? 'true',
    }),
  ),
);
const succeeded = results.filter((r) => r.provisioningState === 'Succeeded').length;
console.log(`${succeeded}/${clusters.length} clusters Succeeded`);
if (succeeded !== clusters.length) process.exitCode = 1;
