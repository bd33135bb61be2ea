// A fleet of emulated clusters, the same for the same seed: many clusters across subscriptions
// and regions, tagged, members of one Fleet Manager fleet, each with its own command start delay
// and duration, and chosen ones failing. Used by the fleet tests, chaos, the benchmark and the demo.
import { seeded } from '../chaos/prng.ts';
import type { Emulator, FleetClusterInfo, FleetScenario, FleetScenarioOptions } from './types.ts';

export { startFleetEmulator } from './index.ts';

const DEFAULT_REGIONS = ['eastus', 'westeurope', 'southeastasia'];
const FAILING_EXIT_CODE = 1;

export function addFleetScenario(emu: Emulator, options: FleetScenarioOptions): FleetScenario {
  const { count } = options;
  if (!Number.isInteger(count) || count < 1) throw new Error('count must be a positive integer');
  const random = seeded(options.seed ?? 1);
  const regions = options.regions?.length ? options.regions : DEFAULT_REGIONS;
  const subscriptions = [emu.subscriptionId];
  for (let i = 1; i < (options.subscriptions ?? 1); i++) subscriptions.push(uuidFrom(random));
  const names = Array.from({ length: count }, (_, i) => `aks-${i + 1}`);
  const failing = failingNames(names, options.failing, random);
  const fleetName = options.fleetName ?? 'fleet-1';
  const clusters = names.map((name, i): FleetClusterInfo => {
    const location = regions[i % regions.length]!;
    const subscriptionId = subscriptions[i % subscriptions.length]!;
    const resourceGroup = `rg-fleet-${location}`;
    const tags = { fleet: fleetName, region: location, ...options.tags };
    const startDelaySeconds = drawn(random, options.startDelaySeconds);
    const durationSeconds = drawn(random, options.durationSeconds);
    const fails = failing.has(name);
    const handle = emu.addCluster({
      subscriptionId,
      resourceGroup,
      name,
      location,
      tags,
      ...(startDelaySeconds > 0 ? { commandStartDelaySeconds: startDelaySeconds } : {}),
      ...(durationSeconds > 0 ? { commandDurationSeconds: durationSeconds } : {}),
      ...(fails ? { commandExitCode: FAILING_EXIT_CODE } : {}),
    });
    return {
      name,
      subscriptionId,
      resourceGroup,
      location,
      resourceId: handle.resourceId,
      tags,
      startDelaySeconds,
      durationSeconds,
      failing: fails,
      handle,
    };
  });
  const fleet = emu.addFleet({
    resourceGroup: 'rg-fleet',
    name: fleetName,
    location: regions[0],
    members: clusters.map((c) => ({ clusterResourceId: c.resourceId, group: c.location })),
  });
  return { clusters, fleetId: fleet.resourceId, subscriptions };
}

/** A value in [min, max], in milliseconds' precision; 0 when no range is given. */
function drawn(random: () => number, range: [number, number] | undefined): number {
  const draw = random();
  if (!range) return 0;
  const [min, max] = range;
  return Math.round((min + draw * (max - min)) * 1000) / 1000;
}

function failingNames(
  names: string[],
  failing: number | string[] | undefined,
  random: () => number,
): Set<string> {
  if (Array.isArray(failing)) {
    const unknown = failing.filter((n) => !names.includes(n));
    if (unknown.length > 0) throw new Error(`failing: no cluster named ${unknown.join(', ')}`);
    return new Set(failing);
  }
  // A seeded Fisher-Yates shuffle; the first `failing` names fail.
  const order = [...names];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return new Set(order.slice(0, Math.min(failing ?? 0, names.length)));
}

/** A version-4-shaped GUID from the seeded generator. */
function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
