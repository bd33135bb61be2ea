// The API versions each emulated ARM route accepts, as the live service has them, so that a wrong
// default or a typo in a client fails against the emulator as it would against Azure.
//
// Sources: the version folders of azure-rest-api-specs
// specification/containerservice/resource-manager/Microsoft.ContainerService/aks/{stable,preview}
// (runCommand and commandResults appear in 2021-05-01, abort in 2022-10-02-preview and 2023-07-01,
// operations/{operationId} in 2023-10-02-preview), the versions of the Python SDK that the Azure CLI
// 2.45 Debian package ships (azure-mgmt-containerservice v2017_07_01 … v2022_11_02_preview), the JS
// SDK devDependency (@azure/arm-containerservice 25: 2026-04-01), the recorded cassettes
// (2022-04-01, 2026-07-01, and 2016-03-30 on the async-operation URLs), and Microsoft.Resources for
// the subscription and tenant lists.
import { type Exchange, armError } from './http.ts';

const AKS_STABLE = [
  '2017-08-31',
  '2018-03-31',
  '2019-02-01',
  '2019-04-01',
  '2019-06-01',
  '2019-08-01',
  '2019-10-01',
  '2019-11-01',
  '2020-01-01',
  '2020-02-01',
  '2020-03-01',
  '2020-04-01',
  '2020-06-01',
  '2020-07-01',
  '2020-09-01',
  '2020-11-01',
  '2020-12-01',
  '2021-02-01',
  '2021-03-01',
  '2021-05-01',
  '2021-07-01',
  '2021-08-01',
  '2021-09-01',
  '2021-10-01',
  '2022-01-01',
  '2022-02-01',
  '2022-03-01',
  '2022-04-01',
  '2022-06-01',
  '2022-07-01',
  '2022-09-01',
  '2022-11-01',
  '2023-01-01',
  '2023-02-01',
  '2023-03-01',
  '2023-04-01',
  '2023-05-01',
  '2023-06-01',
  '2023-07-01',
  '2023-08-01',
  '2023-09-01',
  '2023-10-01',
  '2023-11-01',
  '2024-01-01',
  '2024-02-01',
  '2024-03-01',
  '2024-05-01',
  '2024-06-01',
  '2024-07-01',
  '2024-08-01',
  '2024-09-01',
  '2024-10-01',
  '2025-01-01',
  '2025-02-01',
  '2025-03-01',
  '2025-04-01',
  '2025-05-01',
  '2025-06-01',
  '2025-07-01',
  '2025-08-01',
  '2025-09-01',
  '2025-10-01',
  '2026-01-01',
  '2026-02-01',
  '2026-03-01',
  '2026-04-01',
  '2026-07-01',
];

const AKS_PREVIEW = [
  '2018-08-01-preview',
  '2019-09-30-preview',
  '2019-10-27-preview',
  '2021-11-01-preview',
  '2022-01-02-preview',
  '2022-02-02-preview',
  '2022-03-02-preview',
  '2022-04-02-preview',
  '2022-05-02-preview',
  '2022-06-02-preview',
  '2022-07-02-preview',
  '2022-08-02-preview',
  '2022-08-03-preview',
  '2022-09-02-preview',
  '2022-10-02-preview',
  '2022-11-02-preview',
  '2023-01-02-preview',
  '2023-02-02-preview',
  '2023-03-02-preview',
  '2023-04-02-preview',
  '2023-05-02-preview',
  '2023-06-02-preview',
  '2023-07-02-preview',
  '2023-08-02-preview',
  '2023-09-02-preview',
  '2023-10-02-preview',
  '2023-11-02-preview',
  '2024-01-02-preview',
  '2024-02-02-preview',
  '2024-03-02-preview',
  '2024-04-02-preview',
  '2024-05-02-preview',
  '2024-06-02-preview',
  '2024-07-02-preview',
  '2024-09-02-preview',
  '2024-10-02-preview',
  '2025-01-02-preview',
  '2025-02-02-preview',
  '2025-03-02-preview',
  '2025-04-02-preview',
  '2025-05-02-preview',
  '2025-06-02-preview',
  '2025-07-02-preview',
  '2025-08-02-preview',
];

const from = (list: string[], first: string): string[] => list.filter((v) => v >= first);

const AKS_ALL = [...AKS_STABLE, ...AKS_PREVIEW];
const RUN_COMMAND = [...from(AKS_STABLE, '2021-05-01'), ...from(AKS_PREVIEW, '2021-11-01')];
const ABORT = [...from(AKS_STABLE, '2023-07-01'), ...from(AKS_PREVIEW, '2022-10-02')];
const OPERATIONS = from(AKS_PREVIEW, '2023-10-02');
/** The async-operation URLs AKS hands out carry 2016-03-30 (both cassettes). */
const ASYNC_OPERATION = ['2016-03-30', ...AKS_ALL];

/** Microsoft.ContainerService/fleets (azure-rest-api-specs, fleet/{stable,preview}). */
const FLEET = [
  '2022-06-02-preview',
  '2022-07-02-preview',
  '2022-09-02-preview',
  '2023-03-15-preview',
  '2023-06-15-preview',
  '2023-08-15-preview',
  '2023-10-15',
  '2024-02-02-preview',
  '2024-04-01',
  '2024-05-02-preview',
  '2025-03-01',
  '2025-04-01-preview',
];

/** Microsoft.Resources: `GET /subscriptions` and `GET /tenants`. */
const SUBSCRIPTIONS = [
  '2014-04-01-preview',
  '2015-01-01',
  '2016-06-01',
  '2018-06-01',
  '2019-06-01',
  '2019-11-01',
  '2020-01-01',
  '2021-01-01',
  '2022-01-01',
  '2022-12-01',
];

/** `{arm}/metadata/endpoints`: 2015-01-01 is what `az cloud register` asks for, 2022-09-01 the SDKs. */
export const METADATA_VERSIONS = [
  '2015-01-01',
  '2018-01-01',
  '2019-05-01',
  '2020-06-01',
  '2022-09-01',
];

const BY_KIND: Record<string, readonly string[]> = {
  cluster: AKS_ALL,
  clusterList: AKS_ALL,
  fleet: FLEET,
  fleetMembers: FLEET,
  fleetMember: FLEET,
  runCommand: RUN_COMMAND,
  commandResult: RUN_COMMAND,
  abort: ABORT,
  operations: OPERATIONS,
  operationStatus: ASYNC_OPERATION,
  operationLocation: ASYNC_OPERATION,
  operationResult: ASYNC_OPERATION,
  subscriptions: SUBSCRIPTIONS,
  tenants: SUBSCRIPTIONS,
  metadata: METADATA_VERSIONS,
};

/** The versions a route accepts; undefined for a route this table does not know (not checked). */
export function supportedApiVersions(kind: string): readonly string[] | undefined {
  return BY_KIND[kind];
}

/**
 * Answers 400 InvalidApiVersionParameter, with the body the live ARM front door gives, when the
 * route does not have this version; true when the request may go on. Versions compare without case.
 */
export function checkApiVersion(ex: Exchange, kind: string, apiVersion: string): boolean {
  const supported = supportedApiVersions(kind);
  if (!supported || supported.includes(apiVersion.toLowerCase())) return true;
  const newestFirst = [...supported].sort().reverse();
  armError(
    ex,
    400,
    'InvalidApiVersionParameter',
    `The api-version '${apiVersion}' is invalid. The supported versions are '${newestFirst.join(',')}'. Please see https://aka.ms/api-version for more details.`,
  );
  return false;
}
