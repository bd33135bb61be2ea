// A fleet script as users write it on the official Azure SDK for JavaScript, with its defaults:
// one credential, one ContainerServiceClient per subscription, and Promise.all over the clusters
// of managedClusters.beginRunCommandAndWait (default poller: every 2 s; default retry policy,
// which honours Retry-After on a 429).
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { ClientSecretCredential } from '@azure/identity';
import { fleetFromEnv } from './config.ts';

const { config, clusters } = fleetFromEnv();
const credential = new ClientSecretCredential(
  config.tenantId,
  config.clientId,
  config.clientSecret,
  { authorityHost: config.authorityHost, disableInstanceDiscovery: true },
);
const clients = new Map<string, ContainerServiceClient>();
const clientFor = (subscriptionId: string): ContainerServiceClient => {
  let client = clients.get(subscriptionId);
  if (!client) {
    // The modular (TypeSpec) client takes `endpoint` and `credentials.scopes` for a custom cloud.
    client = new ContainerServiceClient(credential, subscriptionId, {
      endpoint: config.armEndpoint,
      credentials: { scopes: [`${config.armEndpoint.replace(/\/$/, '')}/.default`] },
    });
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
