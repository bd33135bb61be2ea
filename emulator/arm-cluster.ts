// The managed cluster as a live GET returns it (fields and their order as in the recorded
// cassettes of 2022 and 2025), so the official SDK's models and `az aks show` can read it.
import type { ArmContext } from './arm-context.ts';
import type { ClusterState } from './clusters.ts';
import { clusterStateFor } from './operations.ts';

/** The version as requested (`1.31`: AKS picks the patch) and the one running. */
const DEFAULT_VERSIONS = { kubernetesVersion: '1.31', currentKubernetesVersion: '1.31.7' };
/** While an upgrade runs, the requested version is the target and the running one is older. */
const UPGRADE_VERSIONS = { kubernetesVersion: '1.32', currentKubernetesVersion: '1.31.7' };

/** The resource id as the live service spells it in bodies: `resourcegroups` in lower case. */
export function returnedResourceId(cluster: ClusterState): string {
  return `/subscriptions/${cluster.subscriptionId}/resourcegroups/${cluster.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${cluster.name}`;
}

export function clusterProvisioningState(cluster: ClusterState): string {
  return cluster.operation
    ? clusterStateFor(cluster.operation)
    : (cluster.spec.provisioningState ?? 'Succeeded');
}

function versions(cluster: ClusterState): {
  kubernetesVersion: string;
  currentKubernetesVersion: string;
} {
  const upgrading = cluster.operation?.name.toLowerCase() === 'upgrade';
  const base = upgrading ? UPGRADE_VERSIONS : DEFAULT_VERSIONS;
  return {
    kubernetesVersion: cluster.spec.kubernetesVersion ?? base.kubernetesVersion,
    currentKubernetesVersion:
      cluster.spec.currentKubernetesVersion ?? base.currentKubernetesVersion,
  };
}

export function clusterBody(ctx: ArmContext, cluster: ClusterState): Record<string, unknown> {
  const { spec } = cluster;
  const provisioningState = clusterProvisioningState(cluster);
  const { kubernetesVersion, currentKubernetesVersion } = versions(cluster);
  const dnsPrefix = `${cluster.name}-dns`;
  const hcp = `${dnsPrefix}-00000000.hcp.${cluster.location}.azmk8s.io`;
  return {
    id: returnedResourceId(cluster),
    location: cluster.location,
    name: cluster.name,
    type: 'Microsoft.ContainerService/ManagedClusters',
    ...(spec.tags ? { tags: { ...spec.tags } } : {}),
    properties: {
      provisioningState,
      powerState: { code: spec.powerState ?? 'Running' },
      kubernetesVersion,
      currentKubernetesVersion,
      dnsPrefix,
      fqdn: hcp,
      azurePortalFQDN: hcp.replace('.hcp.', '.portal.hcp.'),
      agentPoolProfiles: [
        {
          name: 'nodepool1',
          count: 3,
          vmSize: 'Standard_DS2_v2',
          osDiskSizeGB: 128,
          osDiskType: 'Managed',
          kubeletDiskType: 'OS',
          maxPods: 250,
          type: 'VirtualMachineScaleSets',
          enableAutoScaling: false,
          scaleDownMode: 'Delete',
          provisioningState,
          powerState: { code: 'Running' },
          orchestratorVersion: kubernetesVersion,
          currentOrchestratorVersion: currentKubernetesVersion,
          enableNodePublicIP: false,
          mode: 'System',
          enableEncryptionAtHost: false,
          enableUltraSSD: false,
          osType: 'Linux',
          osSKU: 'Ubuntu',
          nodeImageVersion: 'AKSUbuntu-2204gen2containerd-202504.28.0',
          upgradeSettings: { maxSurge: '10%' },
          enableFIPS: false,
          securityProfile: { enableVTPM: false, enableSecureBoot: false },
        },
      ],
      // A cluster with a managed identity reports the placeholder client id `msi`.
      servicePrincipalProfile: { clientId: 'msi' },
      ...(spec.aadManaged
        ? { aadProfile: { managed: true, enableAzureRBAC: true, tenantID: ctx.tenantId } }
        : {}),
      nodeResourceGroup: `MC_${cluster.resourceGroup}_${cluster.name}_${cluster.location}`,
      enableRBAC: true,
      supportPlan: 'KubernetesOfficial',
      networkProfile: {
        networkPlugin: 'azure',
        networkPluginMode: 'overlay',
        networkPolicy: 'none',
        networkDataplane: 'azure',
        loadBalancerSku: 'standard',
        loadBalancerProfile: {
          managedOutboundIPs: { count: 1 },
          backendPoolType: 'nodeIPConfiguration',
        },
        podCidr: '10.244.0.0/16',
        serviceCidr: '10.0.0.0/16',
        dnsServiceIP: '10.0.0.10',
        outboundType: 'loadBalancer',
        podCidrs: ['10.244.0.0/16'],
        serviceCidrs: ['10.0.0.0/16'],
        ipFamilies: ['IPv4'],
      },
      maxAgentPools: 100,
      apiServerAccessProfile: { disableRunCommand: spec.runCommandDisabled === true },
      autoUpgradeProfile: { nodeOSUpgradeChannel: 'NodeImage' },
      disableLocalAccounts: false,
      securityProfile: {},
      storageProfile: {
        diskCSIDriver: { enabled: true },
        fileCSIDriver: { enabled: true },
        snapshotController: { enabled: true },
      },
      oidcIssuerProfile: { enabled: false },
      workloadAutoScalerProfile: {},
      resourceUID: cluster.resourceUid,
      metricsProfile: { costAnalysis: { enabled: false } },
      bootstrapProfile: { artifactSource: 'Direct' },
    },
    identity: { type: 'SystemAssigned', principalId: cluster.principalId, tenantId: ctx.tenantId },
    sku: { name: 'Base', tier: 'Free' },
  };
}

/** An agent pool as a GET of `…/agentPools/{name}` returns it. */
export function agentPoolBody(pool: ClusterState): Record<string, unknown> {
  const version = pool.nodePool?.orchestratorVersion ?? '1.30.6';
  return {
    id: pool.resourceId,
    name: pool.name,
    type: 'Microsoft.ContainerService/managedClusters/agentPools',
    properties: {
      provisioningState: clusterProvisioningState(pool),
      count: 3,
      vmSize: 'Standard_D4s_v5',
      mode: 'User',
      osType: 'Linux',
      orchestratorVersion: version,
      currentOrchestratorVersion: version,
      powerState: { code: 'Running' },
    },
  };
}
