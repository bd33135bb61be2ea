// `npm run screenshots`: runs the demo operations against the emulator (a command that passes the
// gate, one that fails it, an abort, a Service Fabric cancel), renders each job summary the way
// GitHub does (scripts/summary-page.ts) and writes docs/summary-*.png for the README.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '../emulator/index.ts';
import { startServiceFabricGateway } from '../emulator/service-fabric.ts';
import { ROOT, runAction, type ActionRun } from '../harness/run-action.ts';
import { Browser, missingRenderer, summaryPage } from './summary-page.ts';

interface Shot {
  file: string;
  title: string;
  run: (emu: Emulator) => Promise<ActionRun>;
}

const SHOTS: Shot[] = [
  {
    file: 'summary-passed.png',
    title: 'Apply the manifests',
    run: (emu) => {
      const c = emu.addCluster({ resourceGroup: 'rg-shop', name: 'aks-shop' });
      return runAction(
        {
          cluster: c.resourceId,
          command:
            'echo "deployment.apps/web configured"; sleep 2; echo \'deployment "web" successfully rolled out\'',
        },
        emu,
      );
    },
  },
  {
    file: 'summary-gate-failed.png',
    title: 'Check the database migration',
    run: (emu) => {
      const c = emu.addCluster({ resourceGroup: 'rg-shop', name: 'aks-shop-gate' });
      return runAction(
        {
          cluster: c.resourceId,
          command: 'echo "checking migrations"; echo "2 migrations pending" >&2; exit 3',
        },
        emu,
      );
    },
  },
  {
    file: 'summary-abort.png',
    title: 'Abort the upgrade',
    run: (emu) => {
      const c = emu.addCluster({
        resourceGroup: 'rg-shop',
        name: 'aks-shop-upgrading',
        operation: { durationSeconds: 120, cancelSeconds: 2, abort: 'async' },
      });
      return runAction({ operation: 'abort', cluster: c.resourceId, 'poll-interval': '1' }, emu);
    },
  },
  {
    file: 'summary-fleet.png',
    title: 'Apply the manifests to every cluster',
    run: (emu) => {
      const clusters = ['eastus', 'westeurope', 'southeastasia'].flatMap((region) =>
        [1, 2].map((n) =>
          emu.addCluster({
            resourceGroup: `rg-shop-${region}`,
            name: `aks-shop-${n}`,
            location: region,
            ...(region === 'westeurope' && n === 2 ? { commandExitCode: 1 } : {}),
          }),
        ),
      );
      return runAction(
        {
          cluster: clusters.map((c) => c.resourceId).join('\n'),
          command:
            'echo "deployment.apps/web configured"; echo \'Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available...\'',
          rollout: '1, 100%',
          'fail-fast': 'false',
        },
        emu,
      );
    },
  },
  {
    file: 'summary-cancel-fault.png',
    title: 'Stop the chaos experiment',
    run: async (emu) => {
      const gw = await startServiceFabricGateway({ ca: emu.ca });
      try {
        const id = gw.addFaultOperation({
          type: 'PartitionDataLoss',
          durationSeconds: 120,
          rollbackSeconds: 1,
        });
        const admin = gw.issueAdminClientCert();
        return await runAction(
          {
            operation: 'cancel-fault',
            cluster: gw.url,
            'operation-id': id,
            certificate: `${admin.certPem}\n${admin.keyPem}`,
            'poll-interval': '0.5',
          },
          undefined,
          { env: { NODE_EXTRA_CA_CERTS: emu.caPath } },
        );
      } finally {
        await gw.stop();
      }
    },
  },
];

const missing = missingRenderer();
if (missing) {
  console.error(`Cannot render summaries: ${missing}.`);
  process.exit(1);
}
const emu = await startEmulator();
const browser = await Browser.launch();
try {
  for (const shot of SHOTS) {
    const run = await shot.run(emu);
    await browser.open(summaryPage(run.summary, shot.title));
    // Open the collapsible output, as a reader would.
    if (await browser.evaluate<boolean>('document.querySelector("summary") !== null'))
      await browser.click('summary');
    const path = join(ROOT, 'docs', shot.file);
    writeFileSync(path, await browser.screenshot());
    console.log(`docs/${shot.file}: ${run.outputs.status} (exit ${run.code})`);
  }
} finally {
  await browser.close();
  await emu.stop();
}
