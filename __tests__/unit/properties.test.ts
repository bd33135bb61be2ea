// Property-based tests of every input parser: whatever a workflow passes, an input either parses
// or fails with an InputError that names it. Nothing else may escape.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { InputError } from '../../src/base/errors.ts';
import { readSettings, type InputSource } from '../../src/inputs/inputs.ts';
import {
  parseAksCluster,
  parseApiVersion,
  parseBoolean,
  parseChoice,
  parseClientId,
  parseCommandId,
  parseDuration,
  parseEndpoint,
  parseExitCodes,
  parseOperationId,
  parsePollInterval,
  parseTenantId,
  parseThumbprints,
  parseUuid,
} from '../../src/inputs/parsers.ts';

const RUNS = 3_000;
let generated = 0;
after(() => console.log(`property tests: ${generated} generated inputs`));

/** Text a workflow might pass: anything, plus the shapes that come close to valid values. */
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({
    unit: fc.constantFrom(...'0123456789abcdefhmsABCDEF-_/.:,* \n\t'.split('')),
    maxLength: 60,
  }),
  fc.constantFrom(
    '',
    ' ',
    'true',
    'False',
    'auto',
    'latest',
    '0',
    '-1',
    '1e9',
    'NaN',
    'Infinity',
    '__proto__',
    'constructor',
  ),
);

function expectParsedOrNamed(input: string, parse: () => unknown): void {
  generated++;
  try {
    parse();
  } catch (error) {
    assert.ok(
      error instanceof InputError,
      `an untyped ${String(error)} escaped for input ${input}`,
    );
    assert.equal(error.input, input);
    assert.ok(error.message.startsWith(`Input '${error.input}': `), error.message);
    assert.ok(error.message.length < 600, 'messages stay short, whatever was passed');
  }
}

const PARSERS: [string, (raw: string) => unknown][] = [
  ['timeout', (raw) => parseDuration('timeout', raw)],
  ['poll-interval', (raw) => parsePollInterval('poll-interval', raw)],
  ['success-exit-codes', (raw) => parseExitCodes('success-exit-codes', raw)],
  ['wait', (raw) => parseBoolean('wait', raw, true)],
  ['operation-id', (raw) => parseUuid('operation-id', raw)],
  ['operation-id', (raw) => parseOperationId('operation-id', raw)],
  ['command-id', (raw) => parseCommandId('command-id', raw)],
  ['client-id', (raw) => parseClientId('client-id', raw)],
  ['tenant-id', (raw) => parseTenantId('tenant-id', raw, 'AZURE_TENANT_ID')],
  ['arm-endpoint', (raw) => parseEndpoint('arm-endpoint', raw)],
  ['api-version', (raw) => parseApiVersion('api-version', raw)],
  ['server-cert-thumbprint', (raw) => parseThumbprints('server-cert-thumbprint', raw)],
  ['auth', (raw) => parseChoice('auth', raw, ['auto', 'oidc', 'none'] as const, 'auto')],
];

describe('every input parser parses or names its input', () => {
  for (const [input, parse] of PARSERS) {
    it(input, () => {
      fc.assert(
        fc.property(text, (raw) => expectParsedOrNamed(input, () => parse(raw))),
        { numRuns: RUNS },
      );
    });
  }

  it('cluster (resource IDs and {resource-group}/{name})', () => {
    const segment = fc.string({
      unit: fc.constantFrom(...'abcXYZ019-_.()/ '.split('')),
      maxLength: 20,
    });
    const resourceId = fc
      .tuple(fc.oneof(fc.uuid(), segment), segment, segment)
      .map(
        ([sub, rg, name]) =>
          `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`,
      );
    fc.assert(
      fc.property(
        fc.oneof(
          text,
          resourceId,
          fc.tuple(segment, segment).map(([a, b]) => `${a}/${b}`),
        ),
        fc.oneof(fc.uuid(), text),
        (raw, subscription) => {
          generated++;
          try {
            const ref = parseAksCluster(raw, subscription);
            assert.match(
              ref.resourceId,
              /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.ContainerService\/managedClusters\/[^/]+$/i,
            );
          } catch (error) {
            assert.ok(error instanceof InputError, String(error));
            assert.ok(['cluster', 'subscription-id'].includes(error.input));
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('readSettings over whole sets of random inputs', () => {
    const names = [
      'operation',
      'cluster',
      'command',
      'command-id',
      'operation-id',
      'timeout',
      'poll-interval',
      'wait',
      'force',
      'force-after',
      'success-exit-codes',
      'auth',
      'environment',
      'arm-endpoint',
      'authority-host',
      'api-version',
      'cluster-token',
      'server-cert-thumbprint',
      'subscription-id',
    ];
    const operation = fc.constantFrom(
      'run-command',
      'command-result',
      'abort',
      'operation-status',
      'cancel-fault',
      'RUN-COMMAND',
      'bogus',
      '',
    );
    const cluster = fc.constantFrom(
      '',
      'rg/aks',
      '/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks',
      'https://sf.example:19080',
      'http://sf:19080',
    );
    fc.assert(
      fc.property(
        operation,
        cluster,
        fc.dictionary(fc.constantFrom(...names), text, { maxKeys: 8 }),
        (op, target, extra) => {
          generated++;
          const inputs: Record<string, string> = { ...extra, operation: op, cluster: target };
          const source: InputSource = {
            input: (name) => (inputs[name] ?? '').trim(),
            env: () => '',
          };
          try {
            const settings = readSettings(source);
            assert.ok(settings.timeoutMs > 0);
          } catch (error) {
            assert.ok(error instanceof InputError, `untyped: ${String(error)}`);
            assert.ok(
              names.includes(error.input) ||
                ['files', 'client-id', 'tenant-id'].includes(error.input),
              error.input,
            );
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});
