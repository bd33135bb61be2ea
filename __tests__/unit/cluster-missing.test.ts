// "Is the cluster itself missing?" is decided in one place (isClusterMissing): a 404 naming the
// subscription, resource group or cluster points at the cluster input, never at command-id or
// operation-id.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isClusterMissing, type ArmClient } from '../../src/azure/arm-client.ts';
import { ServiceError } from '../../src/base/errors.ts';
import type { CommandResultSettings } from '../../src/inputs/settings.ts';
import { readSettings } from '../../src/inputs/inputs.ts';
import type { AksOperationContext } from '../../src/operations/context.ts';
import { commandResult } from '../../src/operations/command-result.ts';
import { mergeFacts, type Facts } from '../../src/report/report.ts';

const CLUSTER =
  '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-1';
const COMMAND_ID = '0123456789abcdef0123456789abcdef';
const CLUSTER_FIX = 'Check the cluster input (subscription, resource group and name).';

function settings(): CommandResultSettings {
  const inputs: Record<string, string> = {
    operation: 'command-result',
    cluster: CLUSTER,
    'command-id': COMMAND_ID,
    wait: 'false',
  };
  const read = readSettings({ input: (name) => inputs[name] ?? '', env: () => '' });
  assert.equal(read.operation, 'command-result');
  return read as CommandResultSettings;
}

/** A context whose one ARM call fails with `error`; everything recorded is kept in `facts`. */
function failingContext(error: ServiceError): { ctx: AksOperationContext; facts: Facts } {
  const facts: Facts = {};
  const arm = {
    send: () => Promise.reject(error),
  } as unknown as ArmClient;
  const ctx: AksOperationContext = {
    arm,
    facts,
    record: (learned) => mergeFacts(facts, learned),
    log: () => {},
    warn: () => {},
    printUntrusted: () => {},
    keepLogs: () => undefined,
    poll: () => Promise.reject(new Error('not polled with wait: false')),
    stopped: () => ({ status: 'TimedOut', verdict: 'fail' }),
  };
  return { ctx, facts };
}

describe('a missing cluster', () => {
  for (const code of ['SubscriptionNotFound', 'ResourceGroupNotFound', 'ResourceNotFound']) {
    it(`${code} names the cluster itself`, () => {
      assert.equal(isClusterMissing(new ServiceError(404, code, 'gone', CLUSTER_FIX)), true);
    });
  }

  it('is not any other 404, nor an error without a code', () => {
    assert.equal(isClusterMissing(new ServiceError(404, 'NotFound', 'no such command')), false);
    assert.equal(isClusterMissing(new Error('SubscriptionNotFound')), false);
  });

  it('command-result on a deleted subscription points at the cluster input, not command-id', async () => {
    const gone = new ServiceError(
      404,
      'SubscriptionNotFound',
      "The subscription '00000000-0000-0000-0000-000000000001' could not be found.",
      CLUSTER_FIX,
    );
    const { ctx, facts } = failingContext(gone);
    await assert.rejects(commandResult(ctx, settings()), (error: unknown) => {
      assert.ok(error instanceof ServiceError);
      assert.equal(error.fix, CLUSTER_FIX);
      assert.doesNotMatch(error.message, /command-id/);
      return true;
    });
    assert.equal(facts.commandId, COMMAND_ID, 'the command id is recorded before the call');
  });

  it('command-result on a missing command result points at command-id', async () => {
    const { ctx } = failingContext(new ServiceError(404, 'NotFound', 'no such command result'));
    await assert.rejects(commandResult(ctx, settings()), (error: unknown) => {
      assert.ok(error instanceof ServiceError);
      assert.match(error.fix ?? '', /^Check command-id/);
      return true;
    });
  });
});
