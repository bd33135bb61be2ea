// `npm run demo`: starts the emulator, runs the committed bundle (dist/index.js) the way the runner
// does, and shows what a workflow would see: the step log, the outputs and the job summary.
import { startEmulator } from '../emulator/index.ts';
import { displayedLog } from '../harness/workflow-commands.ts';
import { runAction, type ActionRun } from '../harness/run-action.ts';

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

function show(title: string, run: ActionRun): void {
  console.log(`\n${bold(`=== ${title}`)}`);
  console.log(bold('--- step log'));
  console.log(displayedLog(run.stdout).trimEnd().replace(/^/gm, '  '));
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
