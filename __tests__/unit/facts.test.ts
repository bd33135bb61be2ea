// The one writer of what an operation learned: fields replace, undefined clears, details append.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeFacts, type Facts } from '../../src/report/report.ts';

describe('recording what an operation learned', () => {
  it('replaces each field given and leaves the others', () => {
    const facts: Facts = { operationId: 'a', reason: 'first' };
    mergeFacts(facts, { reason: 'second', percentComplete: 40 });
    assert.deepEqual(facts, { operationId: 'a', reason: 'second', percentComplete: 40 });
  });

  it('clears a field given as undefined (show-logs: false drops the logs)', () => {
    const facts: Facts = { logs: 'output', exitCode: 0 };
    mergeFacts(facts, { logs: undefined, logsHidden: true });
    assert.equal(facts.logs, undefined);
    assert.equal(facts.logsHidden, true);
    assert.equal(facts.exitCode, 0);
  });

  it('appends details rows in the order they were recorded', () => {
    const facts: Facts = {};
    mergeFacts(facts, { details: [['Node pool', 'np1']] });
    mergeFacts(facts, { operationId: 'x' });
    mergeFacts(facts, { details: [['Node pool state before abort', 'Upgrading']] });
    mergeFacts(facts, { details: [['Outcome', 'aborted']] });
    assert.deepEqual(facts.details, [
      ['Node pool', 'np1'],
      ['Node pool state before abort', 'Upgrading'],
      ['Outcome', 'aborted'],
    ]);
  });
});
