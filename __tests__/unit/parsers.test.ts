import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/base/errors.ts';
import {
  parseAksCluster,
  parseBoolean,
  parseDuration,
  parseEndpoint,
  parseExitCodes,
  parseOperationId,
  parsePollInterval,
  parseThumbprints,
  parseUuid,
} from '../../src/inputs/parsers.ts';

const SUB = '0b1f6471-1bf0-4dda-aec3-111122223333';

function rejects(fn: () => unknown, input: string): void {
  assert.throws(
    fn,
    (error: unknown) =>
      error instanceof InputError && error.input === input && error.message.includes(`'${input}'`),
  );
}

describe('durations', () => {
  it('reads seconds and units', () => {
    assert.equal(parseDuration('timeout', '90'), 90_000);
    assert.equal(parseDuration('timeout', '90s'), 90_000);
    assert.equal(parseDuration('timeout', '15m'), 900_000);
    assert.equal(parseDuration('timeout', '1h30m'), 5_400_000);
    assert.equal(parseDuration('timeout', '1H30M'), 5_400_000);
    assert.equal(parseDuration('timeout', '500ms'), 500);
    assert.equal(parseDuration('timeout', '1.5s'), 1_500);
  });
  it('refuses what is not a duration, naming the input', () => {
    for (const bad of ['', 'soon', '-5', '0', '10x', '1m1m', 's', '9999h'])
      rejects(() => parseDuration('timeout', bad), 'timeout');
  });
  it('poll-interval is auto or at least 0.1 s', () => {
    assert.equal(parsePollInterval('poll-interval', ''), 'auto');
    assert.equal(parsePollInterval('poll-interval', 'AUTO'), 'auto');
    assert.equal(parsePollInterval('poll-interval', '5'), 5_000);
    rejects(() => parsePollInterval('poll-interval', '50ms'), 'poll-interval');
  });
});

describe('booleans and exit codes', () => {
  it('reads YAML core booleans', () => {
    assert.equal(parseBoolean('wait', 'True', false), true);
    assert.equal(parseBoolean('wait', 'false', true), false);
    assert.equal(parseBoolean('wait', '', true), true);
    rejects(() => parseBoolean('wait', 'yes', true), 'wait');
  });
  it('reads lists and ranges of exit codes', () => {
    assert.deepEqual([...parseExitCodes('success-exit-codes', '')], [0]);
    assert.deepEqual([...parseExitCodes('success-exit-codes', '0, 2,3-5')], [0, 2, 3, 4, 5]);
    for (const bad of ['x', '256', '5-3', '-1', '1.5'])
      rejects(() => parseExitCodes('success-exit-codes', bad), 'success-exit-codes');
  });
});

describe('clusters', () => {
  const id = `/subscriptions/${SUB}/resourceGroups/rg-1/providers/Microsoft.ContainerService/managedClusters/aks-1`;
  it('reads a resource ID, whatever its case', () => {
    const ref = parseAksCluster(id.toLowerCase().replace('aks-1', 'Aks-1'), '');
    assert.equal(ref.name, 'Aks-1');
    assert.equal(ref.resourceGroup, 'rg-1');
    assert.match(
      ref.resourceId,
      /^\/subscriptions\/.+\/resourceGroups\/rg-1\/providers\/Microsoft\.ContainerService\/managedClusters\/Aks-1$/,
    );
  });
  it('reads {resource-group}/{name} with a subscription', () => {
    assert.equal(parseAksCluster('rg-1/aks-1', SUB).resourceId, id);
  });
  it('asks for subscription-id when the short form has none', () =>
    rejects(() => parseAksCluster('rg-1/aks-1', ''), 'subscription-id'));
  it('refuses malformed clusters', () => {
    for (const bad of [
      '',
      'aks-1',
      'a/b/c',
      '/subscriptions/x/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/a',
      'rg/-bad-',
    ]) {
      assert.throws(() => parseAksCluster(bad, SUB), InputError);
    }
  });
});

describe('ids, endpoints and thumbprints', () => {
  it('reads UUIDs and operation ids', () => {
    assert.equal(
      parseUuid('operation-id', ' 6A2B1C3D-0000-4000-8000-000000000001 '),
      '6a2b1c3d-0000-4000-8000-000000000001',
    );
    rejects(() => parseUuid('operation-id', 'not-a-uuid'), 'operation-id');
    assert.equal(parseOperationId('operation-id', ''), 'latest');
    assert.equal(parseOperationId('operation-id', 'Latest'), 'latest');
    rejects(() => parseOperationId('operation-id', '../x'), 'operation-id');
  });
  it('accepts bare https endpoints only', () => {
    assert.equal(
      parseEndpoint('arm-endpoint', 'https://management.azure.com/'),
      'https://management.azure.com',
    );
    for (const bad of ['http://x', 'https://u:p@x', 'https://x/path', 'nope'])
      rejects(() => parseEndpoint('arm-endpoint', bad), 'arm-endpoint');
  });
  it('reads SHA-1 and SHA-256 thumbprints with or without colons', () => {
    const sha1 = 'AB'.repeat(20);
    const sha256 = Array.from({ length: 32 }, () => 'cd').join(':');
    assert.deepEqual(parseThumbprints('server-cert-thumbprint', `${sha1}, ${sha256}`), [
      'ab'.repeat(20),
      'cd'.repeat(32),
    ]);
    rejects(() => parseThumbprints('server-cert-thumbprint', 'abc'), 'server-cert-thumbprint');
  });
});
