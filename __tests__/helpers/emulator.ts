// One emulator per test file (and the Service Fabric gateways it asks for): started before its
// tests, stopped after them, with the file's own cluster names and the queries the end-to-end files share.
import { after, before } from 'node:test';
import {
  startEmulator,
  type ClusterHandle,
  type ClusterSpec,
  type Emulator,
  type EmulatorOptions,
  type RequestRecord,
} from '../../emulator/index.ts';
import {
  startServiceFabricGateway,
  type ServiceFabricGateway,
  type ServiceFabricGatewayOptions,
} from '../../emulator/service-fabric.ts';

/** How a file names its clusters: `{prefix}-1`, `{prefix}-2`, … in `resourceGroup`. */
export interface ClusterNaming {
  resourceGroup: string;
  prefix: string;
}

export interface Lab {
  /** The file's emulator (available inside tests and hooks). */
  readonly emu: Emulator;
  /** 1, 2, 3, …: for unique cluster names within the file. */
  seq(): number;
  /** Adds a cluster with the file's next name (the spec may name it otherwise). */
  cluster(spec?: Partial<ClusterSpec>): ClusterHandle & { name: string };
  /** The requests about cluster `name` (its path and everything below it), of these kinds if given. */
  requestsFor(name: string, ...kinds: string[]): RequestRecord[];
  /** A Service Fabric gateway whose certificates chain to the emulator's CA; stopped after the file. */
  gateway(options?: Omit<ServiceFabricGatewayOptions, 'ca'>): Promise<ServiceFabricGateway>;
}

const DEFAULT_NAMING: ClusterNaming = { resourceGroup: 'rg-e2e', prefix: 'aks' };

export function emulatorPerFile(
  setup: { clusters?: ClusterNaming; options?: EmulatorOptions } = {},
): Lab {
  const naming = setup.clusters ?? DEFAULT_NAMING;
  let emu: Emulator | undefined;
  let counter = 0;
  const gateways: ServiceFabricGateway[] = [];
  before(async () => {
    emu = await startEmulator(setup.options);
  });
  after(async () => {
    await Promise.all(gateways.map((gw) => gw.stop()));
    await emu?.stop();
  });
  const lab: Lab = {
    get emu() {
      if (!emu) throw new Error('the emulator starts in before(): use it inside tests and hooks');
      return emu;
    },
    seq: () => ++counter,
    cluster(spec = {}) {
      const name = spec.name ?? `${naming.prefix}-${lab.seq()}`;
      const handle = lab.emu.addCluster({ resourceGroup: naming.resourceGroup, ...spec, name });
      return { ...handle, name };
    },
    async gateway(options = {}) {
      const gw = await startServiceFabricGateway({ ca: lab.emu.ca, ...options });
      gateways.push(gw);
      return gw;
    },
    requestsFor(name, ...kinds) {
      return lab.emu.requests.filter(
        (r) => (kinds.length === 0 || kinds.includes(r.kind)) && isAbout(r.path, name),
      );
    },
  };
  return lab;
}

/** True when `path` is cluster `name`'s resource or below it (aks-1 is not aks-10). */
function isAbout(path: string, name: string): boolean {
  const marker = `/managedclusters/${name.toLowerCase()}`;
  const lower = path.toLowerCase();
  const at = lower.indexOf(marker);
  return at >= 0 && /^(?:[/?]|$)/.test(lower.slice(at + marker.length));
}
