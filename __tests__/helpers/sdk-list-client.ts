// Lists managed clusters with the official Azure SDK for JS and its default settings (as
// sdk-client.ts runs it: a child process, so NODE_EXTRA_CA_CERTS makes it trust the emulator).
// Input: one JSON argument; output: one JSON line with the names each list returned, page by page.
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { ClientSecretCredential } from '@azure/identity';

interface Args {
  armEndpoint: string;
  authorityHost: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  subscriptionId: string;
  resourceGroup: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const credential = new ClientSecretCredential(args.tenantId, args.clientId, args.clientSecret, {
  authorityHost: args.authorityHost,
  disableInstanceDiscovery: true,
});
const client = new ContainerServiceClient(credential, args.subscriptionId, {
  endpoint: args.armEndpoint,
});

const all: { name?: string; tags?: Record<string, string> }[] = [];
for await (const cluster of client.managedClusters.list()) all.push(cluster);
const pages: string[][] = [];
for await (const page of client.managedClusters.listByResourceGroup(args.resourceGroup).byPage())
  pages.push(page.map((cluster) => cluster.name ?? ''));

console.log(
  JSON.stringify({
    list: all.map((cluster) => ({ name: cluster.name, tags: cluster.tags })),
    byResourceGroupPages: pages,
  }),
);
