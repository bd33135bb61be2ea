// The emulator's fleet side (issue 16): tags, the paged managed-cluster list, Fleet Manager members,
// clusters deleted (by the handle or by a fault), per-cluster command durations and exit codes, ARM's
// request limits, the seeded fleet scenario, and the official SDK paging through the list.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { addFleetScenario, startFleetEmulator } from '../../emulator/fleet.ts';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { ROOT } from '../../harness/run-action.ts';
import { emulatorPerFile } from '../helpers/emulator.ts';

const lab = emulatorPerFile({ options: { listPageSize: 2 } });

const AKS = '2024-09-01';
const FLEET = '2025-03-01';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

function call(emu: Emulator, method: string, url: string, token: string, body?: unknown) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return new Promise<Answer>((resolve, reject) => {
    const req = request(url, { method, headers, ca: emu.ca.certPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
        });
      });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const tokens = new WeakMap<Emulator, string>();

/** An ARM token of the emulator's service principal (one per emulator). */
async function armToken(emu: Emulator): Promise<string> {
  const known = tokens.get(emu);
  if (known) return known;
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: emu.clientId,
    client_secret: emu.clientSecret,
    scope: 'https://management.azure.com/.default',
  });
  const answer = await new Promise<string>((resolve, reject) => {
    const req = request(
      `${emu.authorityHost}/${emu.tenantId}/oauth2/v2.0/token`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        ca: emu.ca.certPem,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      },
    );
    req.on('error', reject);
    req.end(form.toString());
  });
  const token = (JSON.parse(answer) as { access_token: string }).access_token;
  tokens.set(emu, token);
  return token;
}

/** A request on the emulator's ARM: `pathOrUrl` is a path, or an absolute URL (a nextLink). */
async function arm(emu: Emulator, pathOrUrl: string, method = 'GET', body?: unknown) {
  const url = pathOrUrl.startsWith('https://') ? pathOrUrl : `${emu.armEndpoint}${pathOrUrl}`;
  return call(emu, method, url, await armToken(emu), body);
}

/** Every page of a list, following nextLink. */
async function pages(emu: Emulator, path: string): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next: string | undefined = path;
  while (next !== undefined) {
    const answer = await arm(emu, next);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    answers.push(answer);
    next = answer.body.nextLink as string | undefined;
  }
  return answers;
}

const values = (answers: Answer[]): Record<string, unknown>[] =>
  answers.flatMap((a) => a.body.value as Record<string, unknown>[]);

const errorCode = (answer: Answer): string =>
  (answer.body.error as { code: string } | undefined)?.code ?? '';

const listPath = (sub: string, rg?: string): string =>
  `/subscriptions/${sub}${rg ? `/resourceGroups/${rg}` : ''}/providers/Microsoft.ContainerService/managedClusters?api-version=${AKS}`;

describe('the managed-cluster list', () => {
  it('pages the subscription list with nextLink and $skipToken, tags in the bodies', async () => {
    const emu = lab.emu;
    const other = 'aaaaaaaa-0000-4000-8000-000000000001';
    for (const [rg, name, tags] of [
      ['rg-list-a', 'list-1', { env: 'prod', team: 'a' }],
      ['rg-list-a', 'list-2', { env: 'dev' }],
      ['rg-list-b', 'list-3', { env: 'prod' }],
      ['rg-list-b', 'list-4', undefined],
      ['rg-list-b', 'list-5', { Env: 'prod' }],
    ] as const)
      emu.addCluster({ resourceGroup: rg, name, ...(tags ? { tags } : {}) });
    emu.addCluster({ subscriptionId: other, resourceGroup: 'rg-list-a', name: 'elsewhere' });

    const answers = await pages(emu, listPath(emu.subscriptionId));
    const names = values(answers).map((c) => c.name);
    assert.deepEqual(
      names.filter((n) => String(n).startsWith('list-')),
      ['list-1', 'list-2', 'list-3', 'list-4', 'list-5'],
    );
    assert.ok(!names.includes('elsewhere'), 'another subscription is not listed');
    assert.ok(answers.length >= 3, 'two clusters a page');
    for (const answer of answers.slice(0, -1)) {
      const next = new URL(answer.body.nextLink as string);
      assert.equal(next.origin, emu.armEndpoint, 'an absolute URL on the ARM endpoint');
      assert.equal(next.searchParams.get('api-version'), AKS);
      assert.match(next.searchParams.get('$skipToken') ?? '', /^[\w-]+$/);
      assert.match(answer.body.nextLink as string, /&%24skipToken=/);
    }
    assert.equal(answers.at(-1)!.body.nextLink, undefined, 'the last page has no nextLink');
    const byName = new Map(values(answers).map((c) => [c.name, c]));
    assert.deepEqual(byName.get('list-1')!.tags, { env: 'prod', team: 'a' });
    assert.ok(!('tags' in byName.get('list-4')!), 'no tags, no tags field');
    assert.equal(byName.get('list-1')!.type, 'Microsoft.ContainerService/ManagedClusters');
    // The GET of one cluster has the same tags.
    const one = await arm(
      emu,
      `/subscriptions/${emu.subscriptionId}/resourceGroups/rg-list-a/providers/Microsoft.ContainerService/managedClusters/list-1?api-version=${AKS}`,
    );
    assert.deepEqual(one.body.tags, { env: 'prod', team: 'a' });
    assert.ok(emu.requests.some((r) => r.kind === 'clusterList' && r.status === 200));

    const other1 = values(await pages(emu, listPath(other))).map((c) => c.name);
    assert.deepEqual(other1, ['elsewhere']);
  });

  it('lists a resource group; an unknown group or a forged $skipToken is refused as ARM does', async () => {
    const emu = lab.emu;
    emu.addCluster({ resourceGroup: 'rg-list-c', name: 'c-1' });
    emu.addCluster({ resourceGroup: 'rg-list-c', name: 'c-2' });
    emu.addCluster({ resourceGroup: 'rg-list-c', name: 'c-3' });
    const answers = await pages(emu, listPath(emu.subscriptionId, 'RG-LIST-C'));
    assert.deepEqual(
      answers.map((a) => (a.body.value as { name: string }[]).map((c) => c.name)),
      [['c-1', 'c-2'], ['c-3']],
    );
    const missing = await arm(emu, listPath(emu.subscriptionId, 'rg-nowhere'));
    assert.equal(missing.status, 404);
    assert.equal(errorCode(missing), 'ResourceGroupNotFound');
    const forged = await arm(emu, `${listPath(emu.subscriptionId)}&%24skipToken=not-a-token`);
    assert.equal(forged.status, 400);
    const posted = await arm(emu, listPath(emu.subscriptionId), 'POST', {});
    assert.equal(posted.status, 405);
  });
});

describe('Fleet Manager', () => {
  it('serves a fleet and its members, paged', async () => {
    const emu = lab.emu;
    const clusters = ['m-1', 'm-2', 'm-3'].map(
      (name) => emu.addCluster({ resourceGroup: 'rg-members', name }).resourceId,
    );
    const arc =
      '/subscriptions/bbbbbbbb-0000-4000-8000-000000000002/resourceGroups/rg-arc/providers/Microsoft.Kubernetes/connectedClusters/arc-1';
    const fleet = emu.addFleet({
      resourceGroup: 'rg-fleets',
      name: 'fleet-a',
      members: [
        clusters[0]!,
        { clusterResourceId: clusters[1]!, group: 'canary' },
        { clusterResourceId: clusters[2]!, group: 'rest', name: 'third' },
        { clusterResourceId: arc, name: 'arc' },
      ],
    });
    assert.equal(
      fleet.resourceId,
      `/subscriptions/${emu.subscriptionId}/resourceGroups/rg-fleets/providers/Microsoft.ContainerService/fleets/fleet-a`,
    );
    const got = await arm(emu, `${fleet.resourceId}?api-version=${FLEET}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.type, 'Microsoft.ContainerService/fleets');
    assert.equal(got.body.name, 'fleet-a');

    for (const version of ['2024-04-01', FLEET]) {
      const answers = await pages(emu, `${fleet.resourceId}/members?api-version=${version}`);
      assert.equal(answers.length, 2, 'four members, two a page');
      const members = values(answers);
      assert.deepEqual(
        members.map((m) => m.name),
        ['m-1', 'm-2', 'third', 'arc'],
      );
      assert.deepEqual(members[1], {
        id: `${fleet.resourceId}/members/m-2`,
        name: 'm-2',
        type: 'Microsoft.ContainerService/fleets/members',
        eTag: members[1]!.eTag,
        properties: {
          clusterResourceId: clusters[1],
          group: 'canary',
          provisioningState: 'Succeeded',
        },
      });
      assert.equal(
        (members[3]!.properties as { clusterResourceId: string }).clusterResourceId,
        arc,
      );
      assert.equal(
        new URL(answers[0]!.body.nextLink as string).searchParams.get('api-version'),
        version,
      );
    }
    const one = await arm(emu, `${fleet.resourceId}/members/THIRD?api-version=${FLEET}`);
    assert.equal(one.status, 200);
    assert.equal((one.body.properties as { group: string }).group, 'rest');

    const kinds = emu.requests.filter((r) => r.path.includes('/fleets/')).map((r) => r.kind);
    assert.ok(
      kinds.includes('fleet') && kinds.includes('fleetMembers') && kinds.includes('fleetMember'),
    );

    const noFleet = await arm(
      emu,
      `${fleet.resourceId.replace('fleet-a', 'fleet-z')}/members?api-version=${FLEET}`,
    );
    assert.equal(noFleet.status, 404);
    assert.equal(errorCode(noFleet), 'ResourceNotFound');
    const noMember = await arm(emu, `${fleet.resourceId}/members/nobody?api-version=${FLEET}`);
    assert.equal(errorCode(noMember), 'ResourceNotFound');
    const badVersion = await arm(emu, `${fleet.resourceId}/members?api-version=${AKS}`);
    assert.equal(badVersion.status, 400);
    assert.equal(errorCode(badVersion), 'InvalidApiVersionParameter');
  });
});

/** POSTs a run command; the commandResult URL it hands out. */
async function runCommand(emu: Emulator, resourceId: string, command: string): Promise<string> {
  const posted = await arm(emu, `${resourceId}/runCommand?api-version=${AKS}`, 'POST', { command });
  assert.equal(posted.status, 202, JSON.stringify(posted.body));
  return posted.headers.location!;
}

/** Polls a command result until it is final (every 100 ms, at most `limitMs`). */
async function finalResult(emu: Emulator, location: string, limitMs = 20_000): Promise<Answer> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const answer = await arm(emu, location);
    if (answer.status !== 202) return answer;
    assert.ok(Date.now() < deadline, 'the command did not finish');
    await sleep(100);
  }
}

describe('clusters that go away', () => {
  it('remove(): the cluster answers 404 ResourceNotFound, its command ends, its group stays', async () => {
    const emu = lab.emu;
    const gone = emu.addCluster({ resourceGroup: 'rg-remove', name: 'gone' });
    const location = await runCommand(emu, gone.resourceId, 'sleep 30');
    assert.equal((await arm(emu, location)).status, 202);
    gone.remove();
    gone.remove(); // twice is harmless
    for (const path of [`${gone.resourceId}?api-version=${AKS}`, location]) {
      const answer = await arm(emu, path);
      assert.equal(answer.status, 404, path);
      assert.equal(errorCode(answer), 'ResourceNotFound');
      assert.match(
        (answer.body.error as { message: string }).message,
        /Microsoft\.ContainerService\/managedClusters\/gone' under resource group 'rg-remove' was not found/,
      );
    }
    // Its command's process was killed (SIGKILL: 137), not left to sleep.
    for (let waited = 0; gone.commands()[0]!.exitCode === undefined; waited += 50) {
      assert.ok(waited < 10_000, 'the command still runs');
      await sleep(50);
    }
    assert.equal(gone.commands()[0]!.exitCode, 137);
    const names = values(await pages(emu, listPath(emu.subscriptionId, 'rg-remove')));
    assert.deepEqual(names, [], 'not listed; the group is still there (200, empty)');
  });

  it('the deleteCluster fault deletes the cluster mid-poll, request-driven', async () => {
    const emu = lab.emu;
    const doomed = emu.addCluster({ resourceGroup: 'rg-remove', name: 'doomed' });
    emu.inject({
      kind: 'commandResult',
      cluster: 'doomed',
      skip: 1,
      fault: { deleteCluster: true },
    });
    const location = await runCommand(emu, doomed.resourceId, 'sleep 30');
    assert.equal((await arm(emu, location)).status, 202);
    const deleted = await arm(emu, location);
    assert.equal(deleted.status, 404);
    assert.equal(errorCode(deleted), 'ResourceNotFound');
    const after = await arm(emu, `${doomed.resourceId}?api-version=${AKS}`);
    assert.equal(errorCode(after), 'ResourceNotFound');
    const faulted = emu.requests.filter((r) => r.fault === 'deleteCluster');
    assert.equal(faulted.length, 1);
    assert.equal(faulted[0]!.status, 404);
  });
});

it('commandDurationSeconds and commandExitCode shape the result, whatever the command did', async () => {
  const emu = lab.emu;
  const slow = emu.addCluster({
    resourceGroup: 'rg-shaped',
    name: 'slow',
    commandDurationSeconds: 1,
    commandExitCode: 7,
  });
  const location = await runCommand(emu, slow.resourceId, 'echo quick; exit 0');
  const first = await arm(emu, location);
  assert.equal(first.status, 202, 'still Running right after the start');
  assert.deepEqual(first.body.properties, { provisioningState: 'Running' });
  const done = await finalResult(emu, location);
  const props = done.body.properties as Record<string, unknown>;
  assert.equal(props.provisioningState, 'Succeeded');
  assert.equal(props.exitCode, 7);
  assert.equal(props.logs, 'quick\n');
  const ran = Date.parse(String(props.finishedAt)) - Date.parse(String(props.startedAt));
  assert.ok(ran >= 1000, `finishedAt is at least the duration after startedAt (${ran} ms)`);
  assert.equal(slow.commands()[0]!.exitCode, 7);
  // Without the options a cluster answers as before: the command's own exit code.
  const plain = emu.addCluster({ resourceGroup: 'rg-shaped', name: 'plain' });
  const result = await finalResult(emu, await runCommand(emu, plain.resourceId, 'exit 3'));
  assert.equal((result.body.properties as { exitCode: number }).exitCode, 3);
});

describe('ARM request limits', () => {
  it('are off by default: the remaining headers stay as before', async () => {
    const emu = lab.emu;
    const answers = [];
    for (let i = 0; i < 3; i++)
      answers.push(await arm(emu, listPath(emu.subscriptionId, 'rg-list-c')));
    assert.deepEqual(
      answers.map((a) => a.headers['x-ms-ratelimit-remaining-subscription-reads']),
      ['249', '249', '249'],
    );
    assert.equal(emu.throttled(), 0);
  });

  it('a burst over the bucket gets 429 with Retry-After; buckets are per subscription', async () => {
    const emu = await startEmulator({
      armLimits: {
        reads: { capacity: 4, perSecond: 0.01 },
        writes: { capacity: 2, perSecond: 0.01 },
      },
    });
    try {
      const other = 'cccccccc-0000-4000-8000-000000000003';
      const here = emu.addCluster({ resourceGroup: 'rg-limits', name: 'here' });
      const there = emu.addCluster({
        subscriptionId: other,
        resourceGroup: 'rg-limits',
        name: 'there',
      });
      const get = (id: string) => arm(emu, `${id}?api-version=${AKS}`);
      const burst = [];
      for (let i = 0; i < 6; i++) burst.push(await get(here.resourceId));
      assert.deepEqual(
        burst.map((a) => a.status),
        [200, 200, 200, 200, 429, 429],
      );
      assert.deepEqual(
        burst.map((a) => a.headers['x-ms-ratelimit-remaining-subscription-reads']),
        ['3', '2', '1', '0', '0', '0'],
      );
      const throttled = burst[4]!;
      assert.equal(errorCode(throttled), 'SubscriptionRequestsThrottled');
      const retryAfter = Number(throttled.headers['retry-after']);
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, String(retryAfter));
      assert.match(
        (throttled.body.error as { message: string }).message,
        new RegExp(
          `^Number of 'read' requests for subscription '${emu.subscriptionId}' actor '[0-9a-f-]{36}' exceeded\\. Please try again after '${retryAfter}' seconds after additional tokens are available\\. Refer to https://aka\\.ms/arm-throttling for additional information\\.$`,
        ),
      );
      assert.equal(emu.throttled(), 2);
      const recorded = emu.requests.filter((r) => r.status === 429);
      assert.deepEqual(
        recorded.map((r) => r.fault),
        ['throttled', 'throttled'],
      );
      // Another subscription has its own bucket, and writes have theirs.
      const elsewhere = await get(there.resourceId);
      assert.equal(elsewhere.status, 200);
      assert.equal(elsewhere.headers['x-ms-ratelimit-remaining-subscription-reads'], '3');
      const writes = [];
      for (let i = 0; i < 3; i++)
        writes.push(
          await arm(emu, `${here.resourceId}/runCommand?api-version=${AKS}`, 'POST', {
            command: 'true',
          }),
        );
      assert.deepEqual(
        writes.map((a) => [a.status, a.headers['x-ms-ratelimit-remaining-subscription-writes']]),
        [
          [202, '1'],
          [202, '0'],
          [429, '0'],
        ],
      );
      assert.equal(writes[0]!.headers['x-ms-ratelimit-remaining-subscription-reads'], undefined);
      // Outside a subscription (the subscription list), ARM counts per tenant: not here.
      const subscriptions = await arm(emu, '/subscriptions?api-version=2022-12-01');
      assert.equal(subscriptions.status, 200);
      assert.equal(emu.throttled(), 3);
    } finally {
      await emu.stop();
    }
  });
});

describe('the fleet scenario', () => {
  it('is the same for the same seed, spread over subscriptions and regions, its fleet paged', async () => {
    const options = {
      count: 7,
      subscriptions: 3,
      seed: 42,
      startDelaySeconds: [1, 5] as [number, number],
      durationSeconds: [5, 60] as [number, number],
      failing: 2,
      tags: { owner: 'platform' },
    };
    const [a, b, c] = await Promise.all([
      startFleetEmulator({ listPageSize: 3 }),
      startFleetEmulator(),
      startFleetEmulator(),
    ]);
    try {
      const one = addFleetScenario(a, options);
      const two = addFleetScenario(b, options);
      const shape = (s: typeof one) => ({
        subscriptions: s.subscriptions.slice(1),
        clusters: s.clusters.map((c) => [
          c.name,
          c.location,
          c.startDelaySeconds,
          c.durationSeconds,
          c.failing,
        ]),
      });
      assert.deepEqual(shape(one), shape(two));
      assert.equal(one.subscriptions.length, 3);
      assert.equal(one.subscriptions[0], a.subscriptionId);
      assert.equal(one.clusters.filter((c) => c.failing).length, 2);
      for (const c of one.clusters) {
        assert.ok(c.startDelaySeconds >= 1 && c.startDelaySeconds <= 5);
        assert.ok(c.durationSeconds >= 5 && c.durationSeconds <= 60);
        assert.deepEqual(c.tags, { fleet: 'fleet-1', region: c.location, owner: 'platform' });
      }
      assert.deepEqual(
        new Set(one.clusters.map((c) => c.location)),
        new Set(['eastus', 'westeurope', 'southeastasia']),
      );
      const another = addFleetScenario(c, { ...options, seed: 7 });
      assert.notDeepEqual(shape(another), shape(one), 'another seed, another fleet');

      // Its fleet: every cluster a member, paged three at a time, in the first subscription.
      const members = values(await pages(a, `${one.fleetId}/members?api-version=${FLEET}`));
      assert.deepEqual(
        members.map((m) => (m.properties as { clusterResourceId: string }).clusterResourceId),
        one.clusters.map((c) => c.resourceId),
      );
      // Each subscription lists its own clusters, tagged.
      for (const sub of one.subscriptions) {
        const listed = values(await pages(a, listPath(sub)));
        assert.deepEqual(
          listed.map((c) => c.name),
          one.clusters.filter((c) => c.subscriptionId === sub).map((c) => c.name),
        );
      }
      // startFleetEmulator has ARM's limits on: the documented 250 reads count down.
      const next = await arm(a, listPath(a.subscriptionId));
      const remaining = Number(next.headers['x-ms-ratelimit-remaining-subscription-reads']);
      assert.ok(remaining < 249 && remaining >= 240, String(remaining));
    } finally {
      await Promise.all([a.stop(), b.stop(), c.stop()]);
    }
  });
});

it('the official SDK pages through managedClusters.list() and listByResourceGroup()', async () => {
  const emu = lab.emu;
  for (let i = 1; i <= 5; i++)
    emu.addCluster({ resourceGroup: 'rg-sdk-list', name: `sdk-${i}`, tags: { n: String(i) } });
  const before = emu.requests.length;
  const out = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      [
        join(ROOT, '__tests__/helpers/sdk-list-client.ts'),
        JSON.stringify({
          armEndpoint: emu.armEndpoint,
          authorityHost: emu.authorityHost,
          tenantId: emu.tenantId,
          clientId: emu.clientId,
          clientSecret: emu.clientSecret,
          subscriptionId: emu.subscriptionId,
          resourceGroup: 'rg-sdk-list',
        }),
      ],
      { env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: emu.caPath }, timeout: 90_000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });
  const answers = JSON.parse(out) as {
    list: { name: string; tags?: Record<string, string> }[];
    byResourceGroupPages: string[][];
  };
  const sdk = answers.list.filter((c) => c.name.startsWith('sdk-'));
  assert.deepEqual(
    sdk.map((c) => [c.name, c.tags?.n]),
    [1, 2, 3, 4, 5].map((i) => [`sdk-${i}`, String(i)]),
  );
  assert.deepEqual(answers.byResourceGroupPages, [
    ['sdk-1', 'sdk-2'],
    ['sdk-3', 'sdk-4'],
    ['sdk-5'],
  ]);
  const lists = emu.requests
    .slice(before)
    .filter((r) => r.kind === 'clusterList' && r.path.includes('skipToken'));
  assert.ok(lists.length >= 2, 'the SDK followed the nextLinks');
  assert.ok(lists.every((r) => r.status === 200));
});
