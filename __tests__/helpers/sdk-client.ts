// Runs the official Azure SDK for JS against the emulator with its default settings: only the
// endpoint and the credential's authority host point it there. Run as a child process so that
// NODE_EXTRA_CA_CERTS (read once at start-up) makes it trust the emulator's CA, as a user would.
// Input: one JSON argument; output: one JSON line with what each call returned.
import { createDefaultHttpClient, createPipelineRequest } from '@azure/core-rest-pipeline';
import { sdkClient } from '../../bench/clients/azure-sdk.ts';
import type { ClientConfig } from '../../bench/clients/config.ts';

type Args = Omit<ClientConfig, 'cluster' | 'command'> & {
  commandCluster: string;
  abortCluster: string;
  command: string;
};

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
// A private authority host is not in Entra's public instance list: as for Azure Stack Hub, the
// credential is told not to look it up there (which would also leave loopback).
const client = sdkClient(args, args.subscriptionId);
const { resourceGroup: rg } = args;

const cluster = await client.managedClusters.get(rg, args.commandCluster);
const ran = await client.managedClusters.beginRunCommandAndWait(rg, args.commandCluster, {
  command: args.command,
});
const read = await client.managedClusters.getCommandResult(rg, args.commandCluster, ran.id ?? '');
const before = await client.managedClusters.get(rg, args.abortCluster);
const aborted = await client.managedClusters.beginAbortLatestOperationAndWait(
  rg,
  args.abortCluster,
);
const after = await client.managedClusters.get(rg, args.abortCluster);
// operations/{id} has no method in the stable SDK: through the client's own pipeline (token,
// retries, request ids), as a user of the SDK would call it.
const latest = await client.pipeline.sendRequest(
  createDefaultHttpClient(),
  createPipelineRequest({
    url: `${args.armEndpoint}${before.id ?? ''}/operations/latest?api-version=2025-05-02-preview`,
    method: 'GET',
  }),
);
console.log(
  JSON.stringify({
    cluster,
    ran,
    read,
    before,
    aborted: aborted === undefined ? 'resolved' : aborted,
    after,
    latest: { status: latest.status, body: JSON.parse(latest.bodyAsText ?? 'null') as unknown },
  }),
);
