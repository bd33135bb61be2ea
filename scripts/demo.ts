// `npm run demo`: starts the emulator, runs the committed bundle (dist/index.js) the way the runner
// does, and shows what a workflow would see: the step log, the outputs and the job summary.
import { parseArgs } from 'node:util';
import { startEmulator, startFleetEmulator } from '../emulator/index.ts';
import { addFleetScenario } from '../emulator/fleet.ts';
import { displayedLog } from '../harness/workflow-commands.ts';
import { runAction, type ActionRun } from '../harness/run-action.ts';

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

const { values: args } = parseArgs({ options: { fleet: { type: 'boolean', default: false } } });

/**
 * The step log as GitHub first shows it: a group is one line until it is opened. With many
 * clusters, only the first `openGroups` are shown open.
 */
function foldedLog(stdout: string, openGroups: number): string {
  let seen = 0;
  let open = true;
  const lines: string[] = [];
  for (const line of displayedLog(stdout).split('\n')) {
    if (line.startsWith('::group::')) {
      const title = line.slice('::group::'.length);
      // The resolved list is long; the clusters' own groups are what the demo shows.
      const isList = title.startsWith('The cluster input names');
      if (!isList) seen++;
      open = isList ? openGroups === Infinity : seen <= openGroups;
      lines.push(`${open ? '▾' : '▸'} ${title}`);
    } else if (line === '::endgroup::') open = true;
    else if (open) lines.push(line);
  }
  return lines.join('\n');
}

function show(title: string, run: ActionRun, openGroups = Infinity): void {
  console.log(`\n${bold(`=== ${title}`)}`);
  console.log(bold('--- step log'));
  console.log(foldedLog(run.stdout, openGroups).trimEnd().replace(/^/gm, '  '));
  console.log(
    bold(
      `--- step ${run.code === 0 ? 'passed' : `failed (exit code ${run.code})`} in ${(run.durationMs / 1000).toFixed(1)} s; outputs`,
    ),
  );
  for (const [name, value] of Object.entries(run.outputs)) {
    const shown = value.length > 120 ? `${value.slice(0, 117)}...` : value;
    console.log(`  ${name.padEnd(17)} ${JSON.stringify(shown)}`);
  }
  console.log(bold('--- job summary (HTML)'));
  console.log(run.summary.trimEnd().replace(/^/gm, '  '));
}

if (args.fleet) await fleetDemo();
else await singleClusterDemo();

async function singleClusterDemo(): Promise<void> {
  const emu = await startEmulator();
  try {
    // As on AKS, each command's pod takes a few seconds to be scheduled before the command starts.
    const cluster = emu.addCluster({
      resourceGroup: 'rg-demo',
      name: 'aks-demo',
      commandStartDelaySeconds: 3,
    });
    console.log(`Emulator: ARM ${emu.armEndpoint}, Entra ${emu.authorityHost}, CA ${emu.caPath}`);
    console.log(`Cluster:  ${cluster.resourceId}`);

    show(
      'run-command: a command that passes the gate',
      await runAction(
        {
          cluster: cluster.resourceId,
          command: 'echo "deploying"; sleep 2; echo "rollout complete"',
        },
        emu,
      ),
    );
    show(
      'run-command with files: kubectl apply -f k8s/ (manifests attached from the workspace)',
      await runAction(
        { cluster: cluster.resourceId, files: 'k8s/', command: 'kubectl apply -f k8s/' },
        emu,
        {
          files: {
            'k8s/namespace.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n',
            'k8s/web/deployment.yaml':
              'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\n',
          },
        },
      ),
    );
    show(
      'run-command: a command that fails the gate (exit code 3)',
      await runAction(
        {
          cluster: cluster.resourceId,
          command: 'echo "checking health"; echo "pods not ready" >&2; exit 3',
        },
        emu,
      ),
    );
  } finally {
    await emu.stop();
  }
}

/**
 * `npm run demo -- --fleet`: 50 clusters in three subscriptions and three regions, members of one
 * Fleet Manager fleet, with ARM's request limits enforced: the clusters are listed and sharded,
 * then one step rolls a command out to the fleet in waves (a canary, a tenth, the rest).
 */
async function fleetDemo(): Promise<void> {
  const emu = await startFleetEmulator();
  try {
    const fleet = addFleetScenario(emu, {
      count: 50,
      subscriptions: 3,
      seed: 16,
      startDelaySeconds: [1, 5],
      durationSeconds: [5, 30],
      failing: ['aks-47'],
      tags: { env: 'prod' },
    });
    console.log(`Emulator: ARM ${emu.armEndpoint} (request limits on), Entra ${emu.authorityHost}`);
    console.log(
      `Fleet:    ${fleet.fleetId}\n          ${fleet.clusters.length} clusters in ${fleet.subscriptions.length} subscriptions; aks-47 exits 1`,
    );
    show(
      'list-clusters: the prod clusters of the first subscription, in 2 shards',
      await runAction(
        {
          operation: 'list-clusters',
          cluster: 'tag:env=prod',
          'subscription-id': emu.subscriptionId,
          shards: '2',
        },
        emu,
      ),
    );
    show(
      'run-command on the fleet: a canary, then 10 %, then the rest, 50 at most at once',
      await runAction(
        {
          cluster: `fleet:${fleet.fleetId}`,
          command: 'echo "deploying to $(hostname)"; echo "rollout complete"',
          rollout: '1, 10%, 100%',
          'max-parallel': '50',
          'fail-fast': 'false',
        },
        emu,
      ),
      3,
    );
    console.log(
      `\nEmulator: ${emu.requests.filter((r) => r.server === 'arm').length} ARM requests, ${emu.throttled()} throttled (429), ${emu.requests.filter((r) => r.kind === 'token').length} token requests.`,
    );
  } finally {
    await emu.stop();
  }
}
