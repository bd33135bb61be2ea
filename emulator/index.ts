import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  armBaseHeaders,
  classifyArm,
  expiredMessage,
  handleArm,
  parseArmPath,
  unauthorized,
} from './arm.ts';
import { DEFAULT_LIST_PAGE_SIZE } from './arm-lists.ts';
import type { ArmContext } from './arm-context.ts';
import { createCa, issueServerCertificate } from './certs.ts';
import { ClusterRegistry, type ClusterState } from './clusters.ts';
import type { RunningCommand } from './commands.ts';
import { classifyEntra, GITHUB_SUBJECT, handleEntra, type Identity } from './entra.ts';
import { applyFault, describeFault, FaultBook, type FaultHooks } from './faults.ts';
import { FleetRegistry } from './fleets.ts';
import { classifyImds, handleImds, newMachineIdentities } from './imds.ts';
import { type Exchange, armError, send } from './http.ts';
import { createOperationUrlSigner } from './operation-urls.ts';
import { ARM_DOCUMENTED_LIMITS, RateLimiter } from './rate-limits.ts';
import { ScriptBook } from './scripts.ts';
import { createSigner } from './tokens.ts';
import type {
  ClusterHandle,
  ClusterSpec,
  Emulator,
  EmulatorOptions,
  RequestKind,
  RequestRecord,
} from './types.ts';

export type * from './types.ts';
export { issueCertificate, toPfxBase64, sha1Thumbprint } from './certs.ts';

const HOST = '127.0.0.1';

interface Route {
  server: RequestRecord['server'];
  kind: RequestKind;
  cluster?: string;
}

interface Site {
  classify: (req: IncomingMessage, url: URL) => Route;
  baseHeaders: (req: IncomingMessage) => OutgoingHttpHeaders;
  handle: (ex: Exchange) => Promise<void>;
  expired: FaultHooks['expired'];
  /** Only ARM has clusters to delete. */
  deleteCluster?: FaultHooks['deleteCluster'];
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const createdDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'azure-emulator-'));
  mkdirSync(dataDir, { recursive: true });
  const ca = createCa();
  const caPath = path.join(dataDir, 'ca.pem');
  writeFileSync(caPath, ca.certPem);
  const tls = issueServerCertificate(
    ca,
    opts.hostNames ? [opts.hostNames.arm, opts.hostNames.entra] : [],
  );

  const secrets = new Set<string>();
  const remember = (secret: string): void => {
    secrets.add(secret);
  };
  const requests: RequestRecord[] = [];
  const faults = new FaultBook();
  const clusters = new ClusterRegistry();
  const running = new Set<RunningCommand>();
  const endpoints = { arm: '', entra: '', imds: '' };
  const log = opts.log ?? ((): void => undefined);
  const subscriptionId = randomUUID();

  const identity: Identity = {
    tenantId: randomUUID(),
    clientId: randomUUID(),
    clientSecret: `emu~${randomBytes(24).toString('base64url')}`,
    principalId: randomUUID(),
    federatedSubject: opts.federatedSubject ?? GITHUB_SUBJECT,
    oidcRequestToken: randomBytes(32).toString('base64url'),
    tokenLifetimeSeconds: opts.tokenLifetimeSeconds ?? 3600,
    accessSigner: createSigner('emulator-entra'),
    githubSigner: createSigner('emulator-github'),
    authorityHost: () => endpoints.entra,
    remember,
  };
  const machine = newMachineIdentities(opts.managedIdentity, {
    tenantId: identity.tenantId,
    tokenLifetimeSeconds: identity.tokenLifetimeSeconds,
    accessSigner: identity.accessSigner,
    authorityHost: () => endpoints.entra,
    remember,
  });
  const armContext: ArmContext = {
    armEndpoint: () => endpoints.arm,
    authorityHost: () => endpoints.entra,
    tenantId: identity.tenantId,
    subscriptionId,
    armAudience: opts.armAudience,
    accessSigner: identity.accessSigner,
    clusters,
    dataDir,
    commandTimeoutSeconds: opts.commandTimeoutSeconds ?? 900,
    running,
    remember,
    operationUrls: createOperationUrlSigner(ca),
    scripts: new ScriptBook(),
    fleets: new FleetRegistry(),
    listPageSize: pageSize(opts.listPageSize),
    limits: opts.armLimits ? new RateLimiter(opts.armLimits) : undefined,
  };
  /** The cluster is gone: its commands end (their processes killed), its name answers 404. */
  const removeCluster = (cluster: ClusterState): void => {
    if (!clusters.remove(cluster)) return;
    for (const command of cluster.commands.values()) {
      command.kill();
      running.delete(command);
    }
  };

  const armSite: Site = {
    classify: (_req, url) => ({ server: 'arm', ...classifyArm(url, clusters) }),
    baseHeaders: armBaseHeaders,
    handle: (ex) => handleArm(ex, armContext),
    expired: (ex) =>
      unauthorized(
        ex,
        armContext,
        'ExpiredAuthenticationToken',
        expiredMessage(Math.floor(Date.now() / 1000) - 1),
      ),
    deleteCluster: (ex) => {
      const cluster = clusterOfRequest(ex.url, clusters);
      if (cluster) removeCluster(cluster);
    },
  };
  const entraSite: Site = {
    classify: (req, url) => classifyEntra(req.method ?? 'GET', url),
    baseHeaders: entraBaseHeaders,
    handle: (ex) => handleEntra(ex, identity),
    expired: (ex) =>
      send(ex, 401, {
        error: 'invalid_client',
        error_description: 'AADSTS700024: Client assertion is not within its valid time range.',
        error_codes: [700024],
      }),
  };

  const imdsSite: Site = {
    classify: (_req, url) => classifyImds(url),
    baseHeaders: () => ({ server: 'IMDS/150.870.65.1854' }),
    handle: async (ex) => handleImds(ex, machine),
    expired: (ex) => send(ex, 500, { error: 'unknown_error', error_description: 'Internal error' }),
  };

  const serve =
    (site: Site) =>
    async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      const url = new URL(req.url ?? '/', `https://${req.headers.host ?? HOST}`);
      const route = site.classify(req, url);
      const record: RequestRecord = {
        time: Date.now(),
        server: route.server,
        method: req.method ?? '',
        path: req.url ?? '',
        status: 0,
        kind: route.kind,
        ...sentIds(req),
      };
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (bearer) record.tokenHash = createHash('sha256').update(bearer).digest('hex');
      requests.push(record);
      res.on('close', () =>
        log(
          `${record.server} ${record.method} ${record.path} -> ${record.status}${record.fault ? ` [${record.fault}]` : ''}`,
        ),
      );
      const ex: Exchange = {
        req,
        res,
        url,
        record,
        baseHeaders: site.baseHeaders(req),
        moveLocation: false,
      };
      const answeredId = ex.baseHeaders['x-ms-request-id'];
      if (typeof answeredId === 'string') record.requestId = answeredId;
      try {
        const fault = faults.take(route.kind, route.cluster);
        if (fault) {
          record.fault = describeFault(fault);
          const hooks: FaultHooks = {
            expired: site.expired,
            deleteCluster: site.deleteCluster ?? ((): void => undefined),
          };
          if (await applyFault(ex, fault, hooks)) return;
        }
        await site.handle(ex);
      } catch (err) {
        armError(ex, 500, 'InternalServerError', `Emulator error: ${(err as Error).message}`);
      }
    };

  const armServer = createServer({ key: tls.keyPem, cert: tls.certPem }, serve(armSite));
  const entraServer = createServer({ key: tls.keyPem, cert: tls.certPem }, serve(entraSite));
  const names = opts.hostNames ?? { arm: HOST, entra: HOST };
  endpoints.arm = `https://${names.arm}:${await listen(armServer, opts.armPort ?? 0)}`;
  endpoints.entra = `https://${names.entra}:${await listen(entraServer, opts.entraPort ?? 0)}`;
  // IMDS is plain http (it is only reachable from the machine itself).
  const imdsServer = createHttpServer(serve(imdsSite));
  endpoints.imds = `http://${HOST}:${await listen(imdsServer, opts.imdsPort ?? 0)}`;

  return {
    armEndpoint: endpoints.arm,
    authorityHost: endpoints.entra,
    oidcRequestUrl: `${endpoints.entra}/github/idtoken?api-version=2.0`,
    oidcRequestToken: identity.oidcRequestToken,
    caPath,
    ca,
    tenantId: identity.tenantId,
    clientId: identity.clientId,
    clientSecret: identity.clientSecret,
    subscriptionId,
    imdsEndpoint: endpoints.imds,
    managedIdentity: {
      systemAssigned: machine.systemAssigned !== undefined,
      userAssignedClientIds: [...machine.userAssigned.keys()],
    },
    requests,
    addCluster: (spec: ClusterSpec) => {
      const cluster = clusters.add(spec, subscriptionId);
      return clusterHandle(cluster, () => removeCluster(cluster));
    },
    addFleet: (spec) => armContext.fleets.add(spec, subscriptionId, clusters),
    throttled: () => armContext.limits?.throttled() ?? 0,
    inject: (rule) => faults.inject(rule),
    script: (rule) => armContext.scripts.add(rule),
    signOperationUrl: (path) => armContext.operationUrls.sign(endpoints.arm, path),
    clearFaults: () => faults.clear(),
    issuedSecrets: () => [identity.clientSecret, identity.oidcRequestToken, ...secrets],
    verifyToken: (bearer, audience) => {
      const result = identity.accessSigner.verify(bearer);
      return result.ok && result.claims.aud === audience && result.claims.tid === identity.tenantId;
    },
    stop: async () => {
      for (const command of running) command.kill();
      await Promise.all([close(armServer), close(entraServer), close(imdsServer)]);
      if (createdDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The cluster a request is about: by its path, or by the operation an operation URL names. */
function clusterOfRequest(url: URL, clusters: ClusterRegistry): ClusterState | undefined {
  const route = parseArmPath(url.pathname);
  if (!route) return undefined;
  if (route.kind === 'operationStatus' || route.kind === 'operationLocation')
    return clusters.byOperation(route.id);
  if (!route.clusterName) return undefined;
  return clusters.find(route.subscriptionId, route.resourceGroup, route.clusterName);
}

function pageSize(size: number | undefined): number {
  if (size === undefined) return DEFAULT_LIST_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1)
    throw new Error('listPageSize must be a positive integer');
  return size;
}

/** `startEmulator` with ARM's request limits on (ARM's documented values unless given). */
export function startFleetEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ ...opts, armLimits: opts.armLimits ?? { ...ARM_DOCUMENTED_LIMITS } });
}

function clusterHandle(cluster: ClusterState, remove: () => void): ClusterHandle {
  return {
    remove,
    resourceId: cluster.resourceId,
    operationId: cluster.operation?.id,
    nodePools: Object.fromEntries(
      [...cluster.nodePools.values()].map((pool) => [
        pool.name,
        { resourceId: pool.resourceId, operationId: pool.operation?.id },
      ]),
    ),
    operationIds: () =>
      [cluster.operation?.id, cluster.operation?.abort?.id].filter(
        (id): id is string => id !== undefined,
      ),
    commands: () =>
      [...cluster.commands.values()].map((command) => {
        command.isFinal();
        return { ...command.record, files: [...command.record.files] };
      }),
  };
}

function sentIds(
  req: IncomingMessage,
): Pick<RequestRecord, 'clientRequestId' | 'correlationRequestId'> {
  const header = (name: string) => {
    const value = req.headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  const ids: Pick<RequestRecord, 'clientRequestId' | 'correlationRequestId'> = {};
  const client = header('x-ms-client-request-id');
  const correlation = header('x-ms-correlation-request-id');
  if (client !== undefined) ids.clientRequestId = client;
  if (correlation !== undefined) ids.correlationRequestId = correlation;
  return ids;
}

function entraBaseHeaders(req: IncomingMessage): OutgoingHttpHeaders {
  const clientRequestId = req.headers['client-request-id'];
  return {
    'cache-control': 'no-store, no-cache',
    'x-ms-request-id': randomUUID(),
    ...(typeof clientRequestId === 'string' ? { 'client-request-id': clientRequestId } : {}),
  };
}

function listen(server: Server | HttpServer, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: Server | HttpServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
