// Azure Kubernetes Fleet Manager as far as a fleet's members go: `GET {fleet}` and the paged
// `GET {fleet}/members` (and one member), bodies shaped as the 2025-03-01 API returns them.
import { createHash } from 'node:crypto';
import type { ArmContext, ArmRoute } from './arm-context.ts';
import { sendPage } from './arm-lists.ts';
import type { FleetMemberState, FleetState } from './fleets.ts';
import { type Exchange, armError, send } from './http.ts';

/** A stable etag per resource, quoted as ARM sends it. */
function eTag(id: string): string {
  return `"${createHash('sha256').update(id.toLowerCase()).digest('hex').slice(0, 32)}"`;
}

function fleetBody(fleet: FleetState): Record<string, unknown> {
  return {
    id: fleet.resourceId,
    name: fleet.name,
    type: 'Microsoft.ContainerService/fleets',
    location: fleet.location,
    eTag: eTag(fleet.resourceId),
    properties: { provisioningState: 'Succeeded' },
  };
}

function memberBody(fleet: FleetState, member: FleetMemberState): Record<string, unknown> {
  const id = `${fleet.resourceId}/members/${member.name}`;
  return {
    id,
    name: member.name,
    type: 'Microsoft.ContainerService/fleets/members',
    eTag: eTag(id),
    properties: {
      clusterResourceId: member.clusterResourceId,
      ...(member.group === undefined ? {} : { group: member.group }),
      provisioningState: 'Succeeded',
    },
  };
}

function notFound(ex: Exchange, route: ArmRoute, type: string): void {
  armError(
    ex,
    404,
    'ResourceNotFound',
    `The Resource '${type}' under resource group '${route.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

/** `fleet`, `fleetMembers` and `fleetMember` routes (GET only; the router checked the method). */
export function handleFleet(
  ex: Exchange,
  ctx: ArmContext,
  route: ArmRoute,
  apiVersion: string,
): void {
  const fleetName = route.fleetName ?? '';
  const fleet = ctx.fleets.find(route.subscriptionId, route.resourceGroup, fleetName);
  if (!fleet) {
    if (!ctx.clusters.hasResourceGroup(route.subscriptionId, route.resourceGroup)) {
      return armError(
        ex,
        404,
        'ResourceGroupNotFound',
        `Resource group '${route.resourceGroup}' could not be found.`,
      );
    }
    return notFound(ex, route, `Microsoft.ContainerService/fleets/${fleetName}`);
  }
  if (route.kind === 'fleet') return send(ex, 200, fleetBody(fleet));
  if (route.kind === 'fleetMembers') {
    return sendPage(ex, ctx, fleet.members, (m) => memberBody(fleet, m), apiVersion);
  }
  const member = fleet.members.find((m) => m.name.toLowerCase() === route.id.toLowerCase());
  if (!member)
    return notFound(
      ex,
      route,
      `Microsoft.ContainerService/fleets/${fleet.name}/members/${route.id}`,
    );
  send(ex, 200, memberBody(fleet, member));
}
