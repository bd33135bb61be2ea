import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { INPUTS, OPERATIONS, OUTPUTS, STATUS } from '../../src/inputs/contract.ts';
import { outputValues } from '../../src/report/outputs.ts';

/** The contract's names are kept once in src/inputs/contract.ts; action.yml is what users read. */

interface ActionYaml {
  inputs: Record<string, { description: string }>;
  outputs: Record<string, { description: string }>;
}

const action = parse(
  readFileSync(resolve(import.meta.dirname, '../../action.yml'), 'utf8'),
) as ActionYaml;

const sorted = (names: Iterable<string>) => [...names].sort();

/** The PascalCase words of a description, without the service names that label them. */
function statusWords(description: string): string[] {
  const labels = new Set(['AKS', 'Service', 'Fabric']);
  return (description.match(/\b[A-Z][A-Za-z]+\b/g) ?? []).filter((word) => !labels.has(word));
}

describe('contract names', () => {
  it('lists every input of action.yml, and no other', () => {
    assert.deepEqual(sorted(INPUTS), sorted(Object.keys(action.inputs)));
  });

  it('lists every output of action.yml, and no other', () => {
    assert.deepEqual(sorted(OUTPUTS), sorted(Object.keys(action.outputs)));
  });

  it('writes every output it lists', () => {
    assert.deepEqual(
      sorted(
        Object.keys(
          outputValues({
            operation: 'abort',
            cluster: 'c',
            durationMs: 0,
            polls: 0,
            retries: 0,
            requests: 0,
            status: STATUS.Canceled,
            verdict: 'pass',
          }),
        ),
      ),
      sorted(OUTPUTS),
    );
  });

  it('holds the status words the status output of action.yml names', () => {
    const described = action.outputs.status?.description ?? '';
    assert.deepEqual(sorted(Object.values(STATUS)), sorted(statusWords(described)));
    for (const [key, word] of Object.entries(STATUS)) assert.equal(key, word);
  });

  it('names the operations the operation input of action.yml describes', () => {
    const described = action.inputs.operation?.description ?? '';
    const named = (described.split('(')[0] ?? '').split(/,\s*|\s+or\s+/).map((name) => name.trim());
    assert.deepEqual(sorted(OPERATIONS), sorted(named));
  });
});
