// Lists managed clusters with the official Azure SDK for JS and its default settings (as
// sdk-client.ts runs it: a child process, so NODE_EXTRA_CA_CERTS makes it trust the emulator).
// Input: one JSON argument; output: one JSON line with the names each list returned, page by page.
import { sdkClient, type SdkSignIn } from '../../bench/clients/azure-sdk.ts';

interface Args extends SdkSignIn {
  subscriptionId: string;
  resourceGroup: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const client = sdkClient(args, args.subscriptionId);

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
