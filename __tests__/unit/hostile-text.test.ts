// Property tests of what the contract says "never" about text from services: whatever a service
// sends, nothing the action prints is a line the runner would process, nothing changes the job
// summary's structure, and nothing it publishes carries a registered secret.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { createCa, issueCertificate } from '../../emulator/certs.ts';
import { ActionError } from '../../src/base/errors.ts';
import { formatProgress, inert } from '../../src/report/log.ts';
import { publishedForm } from '../../src/report/outputs.ts';
import { commandIdFrom } from '../../src/operations/run-command.ts';
import { isCommandId, parseAksCluster } from '../../src/inputs/parsers.ts';
import type { Report } from '../../src/report/report.ts';
import { redact, registerSecret } from '../../src/report/secrets.ts';
import { checkValidity } from '../../src/network/tls.ts';
import { workflowCommands } from '../../harness/workflow-commands.ts';

const RUNS = 2_000;
let generated = 0;
after(() => console.log(`hostile-text properties: ${generated} generated cases`));

/**
 * Hostile text: anything, and text built from the pieces that matter (every white space .NET or
 * JavaScript knows, every line break, `::`, `##[`, command names, Markdown and HTML).
 */
const PIECES = [
  '\n',
  '\r',
  '\r\n',
  '\u0085',
  '\u2028',
  '\u2029',
  '\u00a0',
  '\u1680',
  '\u2000',
  '\u200a',
  '\u202f',
  '\u205f',
  '\u3000',
  '\ufeff',
  '\u180e',
  '\u200b',
  '\t',
  '\v',
  '\f',
  ' ',
  '\u001c',
  '::',
  ':',
  '##[',
  '#',
  '[',
  ']',
  'warning',
  'add-mask',
  'stop-commands',
  'error',
  '::warning::x',
  '::add-mask::x',
  '##[warning]x',
  '',
  '# Deploy approved',
  '[link](https://evil.example)',
  '![img](https://evil.example/p.png)',
  'https://evil.example/auto',
  '<img src=x>',
  '</pre>',
  '</details>',
  '<script>',
  '</td></tr></table>',
  '&amp;',
  '---',
  '    indented',
  '> quote',
  '| a | b |',
  'text',
];
const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.array(fc.constantFrom(...PIECES), { maxLength: 14 }).map((parts) => parts.join('')),
);

describe('no line the runner would process', () => {
  it('inert(text): no workflow command, whatever the text', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        generated++;
        assert.deepEqual(workflowCommands(`${inert(text)}\n`), [], JSON.stringify(text));
      }),
      { numRuns: RUNS },
    );
  });

  it('a poll line with a hostile status: no workflow command', () => {
    fc.assert(
      fc.property(hostile, fc.option(fc.double({ min: 0, max: 100 })), (status, percent) => {
        generated++;
        const line = formatProgress({
          poll: 3,
          status,
          elapsedMs: 1234,
          nextDelayMs: 500,
          ...(percent === null ? {} : { percent }),
        } as Parameters<typeof formatProgress>[0]);
        assert.deepEqual(workflowCommands(`${line}\n`), []);
      }),
      { numRuns: RUNS },
    );
  });

  it('U+0085, U+2028 and U+2029 before :: are neutralised (the runner trims them)', () => {
    for (const space of ['\u0085', '\u2028', '\u2029', '\u00a0', '\u3000']) {
      const text = `ok\n${space}::warning::pwned`;
      assert.deepEqual(workflowCommands(`${text}\n`).length, 1, 'the model sees the command');
      assert.deepEqual(workflowCommands(`${inert(text)}\n`), []);
    }
  });
});

/** A report whose every service-supplied field is hostile. */
const hostileReport = fc
  .record({
    status: hostile,
    reason: hostile,
    message: hostile,
    fix: hostile,
    commandId: hostile,
    operationId: hostile,
    logs: hostile,
    detail: hostile,
    startedAt: hostile,
  })
  .map((h): Report => ({
    operation: 'run-command',
    cluster:
      '/subscriptions/x/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c',
    status: h.status,
    verdict: 'fail',
    message: h.message,
    fix: h.fix,
    reason: h.reason,
    commandId: h.commandId,
    operationId: h.operationId,
    logs: h.logs,
    logsFile: '/tmp/x.log',
    startedAt: h.startedAt,
    details: [['Fault type', h.detail]],
    result: { properties: { reason: h.reason, logs: h.logs } },
    durationMs: 1000,
    polls: 2,
    retries: 0,
    requests: 3,
  }));

/** The one blank line the summary has on purpose: between the folded output's title and its <pre>. */
const OWN_BLANK_LINE = '</summary>\n\n<pre>';

function renderGfm(markdowns: string[]): string[] {
  // One cmark-gfm process for many documents: each ends with a marker paragraph of its own.
  const marker = (i: number) => `END-OF-DOCUMENT-${i}`;
  const input = markdowns.map((md, i) => `${md}\n\n${marker(i)}\n\n`).join('');
  const result = spawnSync(
    'cmark-gfm',
    ['-e', 'table', '-e', 'autolink', '-e', 'strikethrough', '-e', 'tagfilter', '--unsafe'],
    { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  if (result.error) throw result.error;
  assert.equal(result.status, 0, result.stderr);
  const parts = result.stdout.split(/<p>END-OF-DOCUMENT-\d+<\/p>\n/);
  return parts.slice(0, markdowns.length);
}

describe("the job summary's structure", () => {
  it('holds no blank line but its own, whatever the values (fast structural check)', () => {
    fc.assert(
      fc.property(hostileReport, (report) => {
        generated++;
        const { summary } = publishedForm(report);
        const [head, rest = ''] = summary.split(OWN_BLANK_LINE);
        assert.doesNotMatch(head!, /\n[ \t]*\n/, 'a value ended the HTML block');
        // After the <pre> opens, only `</pre>` ends it, and the escaped output cannot hold one.
        assert.equal(rest.split('</pre>').length, 2);
      }),
      { numRuns: RUNS },
    );
  });

  it('renders with cmark-gfm (as GitHub) exactly as the HTML it is: no Markdown from any value', () => {
    const reports = fc.sample(hostileReport, { numRuns: 300, seed: 1105 });
    const summaries = reports.map((report) => publishedForm(report).summary);
    const rendered = renderGfm(summaries);
    summaries.forEach((summary, i) => {
      generated++;
      // Raw HTML blocks pass through verbatim; Markdown anywhere would have changed the text.
      // cmark-gfm normalises line endings to \n and NUL to U+FFFD; UTF-8 replaces lone surrogates.
      const expected = Buffer.from(summary.replace(OWN_BLANK_LINE, '</summary>\n<pre>'))
        .toString('utf8')
        .replace(/\r\n|\r/g, '\n')
        .replace(/\0/g, '\ufffd');
      assert.equal(rendered[i], expected, `summary ${i} was rendered as Markdown`);
      assert.doesNotMatch(rendered[i]!, /<a\s|<img\s|<h[124-6]/i);
    });
  });
});

/** Secrets as credentials look: base64, base64url, JWT-like, with the odd punctuation. */
const secret = fc.string({
  unit: fc.constantFrom(
    ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_.~!$%',
  ),
  minLength: 8,
  maxLength: 40,
});

describe('no registered secret in anything published', () => {
  it('every output, the summary and the annotation are free of every registered secret', () => {
    fc.assert(
      fc.property(
        fc.array(secret, { minLength: 1, maxLength: 4 }),
        hostileReport,
        fc.nat(),
        (secrets, base, pick) => {
          generated++;
          secrets.forEach(registerSecret);
          const s = secrets[pick % secrets.length]!;
          // The service echoes a secret (or all of them) into every field it controls.
          const echo = (text: string) => `${text} ${s} Bearer ${s} ${secrets.join('')} ${text}`;
          const report: Report = {
            ...base,
            status: echo(base.status),
            reason: echo(base.reason ?? ''),
            message: echo(base.message ?? ''),
            logs: echo(base.logs ?? ''),
            details: [['Echo', echo('')]],
            result: { error: { message: echo('') }, nested: [echo('x')] },
          };
          const published = publishedForm(report);
          const places = [
            ...Object.values(published.outputs),
            published.summary,
            published.annotation ?? '',
          ];
          for (const place of places) {
            for (const known of secrets) {
              assert.ok(!place.includes(known), `a secret survived in ${place.slice(0, 80)}`);
              // In the summary, the secret would be HTML-escaped.
              assert.ok(!place.includes(known.replace(/&/g, '&#38;')));
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('bearer tokens and JWTs are taken out even when nobody registered them', () => {
    const jwt =
      'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vcjpyZWYiLCJhdWQiOiJhcGk6Ly9BenVyZUFEVG9rZW5FeGNoYW5nZSJ9.c2lnbmF0dXJl';
    assert.equal(redact(`Authorization: Bearer abcdef0123456789xyz`), 'Authorization: Bearer ***');
    assert.equal(redact(`token ${jwt} end`), 'token *** end');
    assert.equal(redact('Bearer of bad news'), 'Bearer of bad news');
    assert.equal(redact('uses Bearer authentication'), 'uses Bearer authentication');
  });
});

describe('a command id from Location', () => {
  it('is a valid id, or an ActionError; never another exception', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 80 }),
          fc
            .tuple(hostile, fc.constantFrom('%E9', '%', '%0A%C2%85', '\u00ff', '', '%41', '/x'))
            .map(
              ([junk, escape]) =>
                `https://management.azure.com/subscriptions/s/commandResults/0123456789abcdef0123456789abcdef${escape}${junk}?api-version=1`,
            ),
        ),
        (location) => {
          generated++;
          try {
            const id = commandIdFrom(location);
            assert.ok(isCommandId(id), id);
          } catch (error) {
            assert.ok(error instanceof ActionError, `${String(error)} for ${location}`);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('inputs checked by the rules Azure applies', () => {
  const SUB = '00000000-0000-0000-0000-000000000000';
  it('resource group names: Unicode letters accepted, the rest of ARM’s rule enforced', () => {
    for (const rg of ['rg-données', '東京-rg', 'rg_(test).1', 'Ωmega', 'a'.repeat(90)]) {
      assert.equal(parseAksCluster(`${rg}/aks`, SUB).resourceGroup, rg);
    }
    for (const rg of ['rg.', 'a'.repeat(91), 'rg/x', 'rg x', 'rg\u0085', 'rg#', '']) {
      assert.throws(() => parseAksCluster(`${rg}/aks`, SUB), /cluster|resource group/);
    }
  });

  it('a client certificate outside its validity is refused, saying when', () => {
    const ca = createCa('unit CA');
    const pair = issueCertificate(ca, { commonName: 'admin', client: true, validDays: 30 });
    const cert = new X509Certificate(pair.certPem);
    assert.doesNotThrow(() => checkValidity(cert));
    assert.throws(
      () => checkValidity(cert, new Date(Date.now() + 60 * 86_400_000)),
      /Input 'certificate': the client certificate .*admin.* expired on \d{4}-/,
    );
    assert.throws(
      () => checkValidity(cert, new Date(Date.now() - 60 * 86_400_000)),
      /Input 'certificate': the client certificate .*admin.* is not valid before \d{4}-/,
    );
  });
});
