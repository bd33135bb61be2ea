// What the two fleet examples promise beyond being valid workflows (examples.test.ts checks that):
// waves gated by an environment, a plan → shards → gather matrix wired through job outputs,
// pinned actions, and shell steps that are safe with hostile cluster text. The shell steps are
// run for real (bash and jq, as on a GitHub runner) on results holding hostile text, and the
// table they write is rendered with cmark-gfm, as GitHub renders the summary.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parse } from 'yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ACTION_REF = 'your-org/aks-operation-action@v1';

type Mapping = Record<string, unknown>;
interface Step extends Mapping {
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Mapping;
  env?: Record<string, string>;
}
interface Job extends Mapping {
  needs?: string | string[];
  if?: string;
  environment?: unknown;
  outputs?: Record<string, string>;
  strategy?: Mapping;
  steps: Step[];
}
interface Workflow {
  permissions?: Mapping;
  jobs: Record<string, Job>;
}

function read(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

const rolloutText = read('examples/fleet-rollout.yml');
const matrixText = read('examples/fleet-matrix.yml');
const rollout = parse(rolloutText) as Workflow;
const matrix = parse(matrixText) as Workflow;

function needsOf(job: Job): string[] {
  return job.needs === undefined ? [] : [job.needs].flat();
}

function ourSteps(job: Job): Step[] {
  return job.steps.filter((s) => s.uses === ACTION_REF);
}

function oneOf<T>(items: T[], what: string): T {
  assert.equal(items.length, 1, `exactly one ${what}`);
  return items[0]!;
}

/** A step is found by what it does, so that renaming a step does not break the test. */
function stepRunning(job: Job, pattern: RegExp): Step {
  return oneOf(
    job.steps.filter((s) => typeof s.run === 'string' && pattern.test(s.run)),
    `step running ${pattern}`,
  );
}

function stepUsing(job: Job, action: string): Step[] {
  return job.steps.filter((s) => typeof s.uses === 'string' && s.uses.startsWith(`${action}@`));
}

const scratch = mkdtempSync(join(tmpdir(), 'fleet-examples-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let scratchCount = 0;

/** Runs a `run:` script as the runner does (bash -e, in a fresh work folder, env as given). */
function runScript(
  script: string,
  env: Record<string, string>,
  prepare: (dir: string) => void = () => {},
): { dir: string; stdout: string; stderr: string; status: number | null } {
  const dir = join(scratch, `run-${++scratchCount}`);
  mkdirSync(dir);
  prepare(dir);
  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { dir, stdout: result.stdout, stderr: result.stderr, status: result.status };
}

const haveJq = spawnSync('jq', ['--version']).status === 0;
const haveCmark = spawnSync('cmark-gfm', ['--version']).status === 0;
const JQ_SKIP = haveJq ? false : 'jq is not installed (GitHub runners have it: apt-get install jq)';

function clusterId(group: string, name: string, subscription = 1): string {
  const sub = `00000000-0000-0000-0000-${String(subscription).padStart(12, '0')}`;
  return `/subscriptions/${sub}/resourceGroups/${group}/providers/Microsoft.ContainerService/managedClusters/${name}`;
}

describe('examples/fleet-rollout.yml', () => {
  const canaryJob = Object.entries(rollout.jobs).find(([, job]) => needsOf(job).length === 0);
  const [canaryId, canary] = canaryJob ?? assert.fail('no job without needs (the canary)');
  const [fleetId, fleet] = oneOf(
    Object.entries(rollout.jobs).filter(([, job]) => needsOf(job).includes(canaryId)),
    'job after the canary',
  );

  it('signs in with OIDC and reads nothing else', () => {
    assert.deepEqual(rollout.permissions, { 'id-token': 'write', contents: 'read' });
  });

  it('runs one canary cluster, then the rest behind an environment with reviewers', () => {
    const first = oneOf(ourSteps(canary), 'action step in the canary job');
    assert.ok(first.with?.cluster, 'the canary names its cluster');
    assert.doesNotMatch(String(first.with?.cluster), /\n|^(tag|fleet):/, 'one cluster only');
    assert.equal(fleet.environment, 'production-rollout', `job ${fleetId} waits for approval`);
    assert.equal(canary.environment, undefined, 'the canary needs no approval');
    const rest = oneOf(ourSteps(fleet), `action step in job ${fleetId}`);
    const entries = String(rest.with?.cluster).trim().split('\n');
    assert.ok(entries.length >= 2, 'the fleet job names the fleet and excludes the canary');
    assert.ok(
      entries.some((e) => e.startsWith('!') && e.slice(1) === String(first.with?.cluster)),
      'the fleet job excludes exactly the canary cluster',
    );
    assert.match(String(rest.with?.rollout), /%/, 'the rest goes in waves');
    // The same change on every cluster: only the cluster differs between the two jobs.
    assert.equal(rest.with?.command, first.with?.command);
    assert.equal(rest.with?.files, first.with?.files);
  });

  it('keeps every cluster’s output and reads results and failed-clusters', () => {
    for (const [id, job] of [
      [canaryId, canary],
      [fleetId, fleet],
    ] as const) {
      const ours = oneOf(ourSteps(job), `action step in job ${id}`);
      const upload = oneOf(stepUsing(job, 'actions/upload-artifact'), `upload in job ${id}`);
      assert.match(String(upload.if), /always\(\)/, `job ${id} uploads also after a failure`);
      assert.equal(upload.with?.path, `\${{ steps.${ours.id}.outputs.logs-file }}`);
    }
    const rest = oneOf(ourSteps(fleet), 'fleet step');
    const report = stepRunning(fleet, /jq/);
    assert.equal(report.env?.RESULTS, `\${{ steps.${rest.id}.outputs.results }}`);
    assert.equal(report.env?.FAILED, `\${{ steps.${rest.id}.outputs.failed-clusters }}`);
  });

  it(
    'its failure report runs, on hostile results, printing no line the runner would obey',
    {
      skip: JQ_SKIP,
    },
    () => {
      const report = stepRunning(fleet, /jq/);
      const failed = [clusterId('rg-a', 'aks-2'), clusterId('rg-b', 'aks-9', 2)];
      const results = [
        {
          cluster: failed[0],
          status: 'Failed',
          reason: '::error::x\n::add-mask::y\n$(touch pwned)',
        },
        { cluster: failed[1], status: 'Succeeded', 'exit-code': 4 },
        { cluster: clusterId('rg-b', 'aks-10', 2), status: 'NotStarted' },
        { cluster: clusterId('rg-b', 'aks-11', 2), status: 'NotStarted' },
      ];
      const run = runScript(report.run!, {
        RESULTS: JSON.stringify(results),
        FAILED: JSON.stringify(failed),
      });
      assert.equal(run.status, 0, run.stderr);
      const lines = run.stdout.trimEnd().split('\n');
      assert.deepEqual(
        lines.slice(1, 3),
        failed.map((id) => JSON.stringify(id)),
      );
      assert.match(lines[3]!, /Never started .*: 2$/);
      for (const line of lines) assert.doesNotMatch(line.trimStart(), /^(::|##\[)/);
      assert.deepEqual(readdirSync(run.dir), [], 'nothing ran from the results');
    },
  );
});

describe('examples/fleet-matrix.yml', () => {
  const plan = matrix.jobs.plan ?? assert.fail('a plan job');
  const shardEntry = Object.entries(matrix.jobs).find(([, job]) => job.strategy !== undefined);
  const [shardsId, shards] = shardEntry ?? assert.fail('a matrix job');
  const gatherEntry = Object.entries(matrix.jobs).find(([, job]) =>
    needsOf(job).includes(shardsId),
  );
  const [, gather] = gatherEntry ?? assert.fail('a job gathering the shards');
  const list = oneOf(ourSteps(plan), 'action step in the plan job');
  const check = oneOf(ourSteps(shards), 'action step in the matrix job');
  const save = stepRunning(shards, /fleet-results/);
  const table = stepRunning(gather, /GITHUB_STEP_SUMMARY/);

  it('plans with list-clusters and exposes its matrix and clusters as job outputs', () => {
    assert.equal(list.with?.operation, 'list-clusters');
    assert.ok(Number(list.with?.shards) > 1, 'several shards');
    assert.deepEqual(plan.outputs, {
      clusters: `\${{ steps.${list.id}.outputs.clusters }}`,
      matrix: `\${{ steps.${list.id}.outputs.matrix }}`,
    });
  });

  it('runs one job per shard from the plan’s matrix, each on the planned list', () => {
    assert.deepEqual(needsOf(shards), ['plan']);
    assert.equal(shards.strategy?.['fail-fast'], false, 'one failing shard must not cancel others');
    assert.equal(shards.strategy?.matrix, '${{ fromJSON(needs.plan.outputs.matrix) }}');
    assert.equal(check.with?.shard, '${{ matrix.shard }}');
    assert.equal(check.with?.cluster, '${{ needs.plan.outputs.clusters }}');
    assert.equal(check.with?.operation ?? 'run-command', 'run-command');
  });

  it('uploads each shard’s results from a file written through env, under a unique name', () => {
    assert.equal(save.env?.RESULTS, `\${{ steps.${check.id}.outputs.results }}`);
    assert.match(String(save.if), /always\(\)/);
    const upload = oneOf(stepUsing(shards, 'actions/upload-artifact'), 'upload in the matrix job');
    assert.match(String(upload.if), /always\(\)/);
    // Artifact names must be unique in a run and cannot hold the "/" of "1/4".
    assert.match(String(upload.with?.name), /\$\{\{ strategy\.job-index \}\}/);
  });

  it('gathers after every shard, failed or not, into the run summary', () => {
    assert.deepEqual(needsOf(gather).sort(), ['plan', shardsId].sort());
    assert.match(String(gather.if), /^always\(\)/);
    const download = oneOf(stepUsing(gather, 'actions/download-artifact'), 'download step');
    assert.equal(download.with?.['merge-multiple'], true);
    assert.equal(table.env?.CLUSTERS, '${{ needs.plan.outputs.clusters }}');
  });

  /** Runs the save step, then the gather step, as their jobs would, on the given shards' outputs. */
  function gatherRun(
    clusters: string[],
    shardOutputs: { results: unknown[]; failed: string[] }[],
  ): { summary: string; status: number | null; stderr: string } {
    const saved = shardOutputs.map((outputs, index) =>
      runScript(save.run!, {
        RESULTS: JSON.stringify(outputs.results),
        FAILED: JSON.stringify(outputs.failed),
        SHARD_INDEX: String(index),
      }),
    );
    for (const run of saved) assert.equal(run.status, 0, run.stderr);
    const summaryFile = join(scratch, `summary-${++scratchCount}.md`);
    writeFileSync(summaryFile, '');
    const run = runScript(
      table.run!,
      { CLUSTERS: JSON.stringify(clusters), GITHUB_STEP_SUMMARY: summaryFile },
      // download-artifact with merge-multiple: every shard's files in one folder.
      (dir) => {
        mkdirSync(join(dir, 'fleet-results'));
        for (const shard of saved)
          for (const file of readdirSync(join(shard.dir, 'fleet-results')))
            writeFileSync(
              join(dir, 'fleet-results', file),
              readFileSync(join(shard.dir, 'fleet-results', file)),
            );
      },
    );
    return { summary: readFileSync(summaryFile, 'utf8'), status: run.status, stderr: run.stderr };
  }

  /** The table's body rows, as cmark-gfm renders them (GitHub's renderer, raw HTML allowed). */
  function renderedRows(summary: string): string[][] {
    const html = spawnSync(
      'cmark-gfm',
      ['-e', 'table', '-e', 'autolink', '-e', 'strikethrough', '-e', 'tagfilter', '--unsafe'],
      { input: summary, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    assert.equal(html.status, 0, html.stderr);
    // No tag from a value, and no link but to an e-mail address: cmark-gfm finds those in the
    // text after references are decoded, so escaping cannot stop them (harmless: mailto: only).
    const rendered = html.stdout.replace(/<a href="mailto:[^"<>]*">|<\/a>/g, '');
    const tags = new Set([...rendered.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1]));
    const allowed = ['h3', 'p', 'strong', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'br'];
    assert.deepEqual(
      [...tags].filter((t) => !allowed.includes(t!)),
      [],
      'no tag from a value',
    );
    const body = rendered.split('<tbody>')[1] ?? '';
    return [...body.matchAll(/<tr>\n([\s\S]*?)<\/tr>/g)].map((row) =>
      [...row[1]!.matchAll(/<td>([\s\S]*?)<\/td>\n/g)].map((cell) => cell[1]!),
    );
  }

  function decode(cell: string): string {
    return cell
      .replace(/<br>/g, '\n')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&');
  }

  /** The text a cell should show: 300 characters at most, line breaks kept, controls as spaces. */
  function shown(text: string): string {
    return [...[...text].slice(0, 300).join('').replace(/\r\n?/g, '\n')]
      .map((c) => {
        const code = c.codePointAt(0)!;
        if ([0x0a, 0x85, 0x2028, 0x2029].includes(code)) return '\n';
        return code < 0x20 || code === 0x7f ? ' ' : c;
      })
      .join('')
      .replace(/^[ \t]+|[ \t]+$/g, ''); // a table cell is trimmed
  }

  const hostileReason =
    'boom\n\n| x | y |\n<img src=x onerror=alert(1)> `code` \\| *b* $(touch pwned)';
  const evil = clusterId('rg-x', 'aks|evil<script>alert(1)</script>\nnext | row');
  const sample = {
    clusters: [
      clusterId('rg-a', 'aks-1'),
      evil,
      clusterId('rg-a', 'aks-3'),
      clusterId('rg-b', 'aks-4'),
    ],
    shards: [
      {
        results: [
          {
            cluster: clusterId('rg-a', 'aks-1'),
            status: 'Succeeded',
            'exit-code': 0,
            'duration-seconds': 41,
          },
          {
            // ARM may spell an ID in another case: the row still matches the planned cluster.
            cluster: evil.toUpperCase(),
            status: 'Failed|x\r\n| a | b |',
            'exit-code': 3,
            'duration-seconds': 125,
            reason: hostileReason,
          },
        ],
        failed: [evil],
      },
      {
        results: [{ cluster: clusterId('rg-a', 'aks-3'), status: 'NotStarted', 'exit-code': null }],
        failed: [],
      },
      // The shard with aks-4 never reported (cancelled, runner lost): no artifact at all.
    ],
  };

  it('writes one row per cluster, whatever the text, failures first', { skip: JQ_SKIP }, () => {
    const { summary, status, stderr } = gatherRun(sample.clusters, sample.shards);
    assert.equal(status, 0, stderr);
    assert.match(
      summary,
      /\*\*4 clusters\*\*: 1 passed, 1 failed, 1 not started, 1 without a result/,
    );
    const lines = summary.trimEnd().split('\n');
    const header = lines.findIndex((l) => l.startsWith('| '));
    const rows = lines.slice(header + 2);
    assert.equal(rows.length, 4, 'one line per cluster');
    // Every line has the header's 7 unescaped pipes: no value added or removed a column.
    for (const line of lines.slice(header)) assert.equal(line.split('|').length, 8, line);
    assert.doesNotMatch(summary, /<script|<img/i);
    assert.match(
      rows[0]!,
      /^\| ❌ \| .*aks&#124;evil&#60;script&#62;.*<br>next &#124; row \| Failed/,
    );
    assert.match(rows[0]!, /\| 3 \| 2m 5s \| boom<br><br>&#124; x &#124; y &#124;<br>&#60;img /);
    assert.match(rows[1]!, /^\| ⚪ \| rg-b\/aks-4 \| no result \|/);
    assert.match(rows[2]!, /^\| ⏭️ \| rg-a\/aks-3 \| NotStarted \|/);
    assert.match(rows[3]!, /^\| ✅ \| rg-a\/aks-1 \| Succeeded \| 0 \| 41s \|/);
  });

  it(
    'renders (cmark-gfm, as GitHub) one table row per cluster showing each text as it is',
    {
      skip:
        JQ_SKIP || (haveCmark ? false : 'cmark-gfm is not installed (apt-get install cmark-gfm)'),
    },
    () => {
      const { summary } = gatherRun(sample.clusters, sample.shards);
      const rows = renderedRows(summary);
      assert.equal(rows.length, 4);
      for (const row of rows) assert.equal(row.length, 6);
      assert.equal(decode(rows[0]![5]!), shown(hostileReason));
      assert.equal(decode(rows[0]![2]!), shown('Failed|x\r\n| a | b |'));
    },
  );

  it(
    'keeps its structure for hundreds of generated hostile texts (one run, every cluster a row)',
    {
      skip:
        JQ_SKIP || (haveCmark ? false : 'cmark-gfm is not installed (apt-get install cmark-gfm)'),
    },
    () => {
      const pieces = [
        '|',
        '\\',
        '\\|',
        '<',
        '>',
        '&',
        '&#124;',
        '&lt;',
        '\n',
        '\r',
        '\r\n',
        '\n\n',
        '\u2028',
        '\u0085',
        '\t',
        '\0',
        '\x1b[31m',
        '`',
        '*',
        '_',
        '[',
        '](',
        ')',
        '~~',
        '#',
        '-',
        '<script>',
        '</td>',
        '<br>',
        '::error::',
        '$(id)',
        '"',
        "'",
        ' ',
        'é',
        '🚀',
        'https://x.test/',
        'www.x.test',
        'a@b.test',
      ];
      const hostile = fc
        .array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 4 })), {
          maxLength: 40,
        })
        .map((parts) => parts.join(''));
      const texts = fc.sample(hostile, { numRuns: 300, seed: 1616 });
      const clusters = texts.map((_, i) => clusterId(`rg-${i}`, `aks-${i}`));
      // Every cluster failed, so the rows keep the plan's order; status and reason are hostile.
      const results = texts.map((text, i) => ({
        cluster: clusters[i],
        status: [...text].slice(0, 20).join(''),
        'exit-code': i,
        reason: text,
      }));
      const { summary, status, stderr } = gatherRun(clusters, [{ results, failed: clusters }]);
      assert.equal(status, 0, stderr);
      const rows = renderedRows(summary);
      assert.equal(rows.length, texts.length, 'one rendered row per cluster');
      rows.forEach((row, i) => {
        assert.equal(row.length, 6, `row ${i}: six cells`);
        assert.equal(decode(row[1]!), `rg-${i}/aks-${i}`);
        assert.equal(decode(row[3]!), String(i));
        assert.equal(decode(row[5]!), shown(texts[i]!), `row ${i}: the reason as sent`);
      });
    },
  );
});

describe('the fleet examples', () => {
  it('pin every other action by full commit SHA with its version, as the repository workflows do', () => {
    // The SHAs the repository's own workflows use, so that one Dependabot update moves them all.
    const known = new Map<string, string>();
    for (const file of readdirSync(join(ROOT, '.github', 'workflows')))
      for (const [, action, sha] of read(`.github/workflows/${file}`).matchAll(
        /uses:\s*([\w.-]+\/[\w./-]+)@([0-9a-f]{40})/g,
      ))
        known.set(action!, sha!);
    for (const [file, text] of [
      ['fleet-rollout.yml', rolloutText],
      ['fleet-matrix.yml', matrixText],
    ] as const) {
      const uses = [...text.matchAll(/^\s*-?\s*uses:\s*(\S+)(.*)$/gm)];
      assert.ok(uses.length > 0);
      for (const [, ref, rest] of uses) {
        if (ref === ACTION_REF) continue;
        const [action, sha] = ref!.split('@');
        assert.match(sha!, /^[0-9a-f]{40}$/, `${file}: ${ref} is not pinned by SHA`);
        assert.match(rest!, /#\s*v\d+\.\d+\.\d+\b/, `${file}: ${ref} has no # vX.Y.Z comment`);
        if (known.has(action!))
          assert.equal(sha, known.get(action!), `${file}: ${action} differs from CI`);
      }
    }
  });

  it('pass every value to run: scripts through env, never as ${{ }} in the script', () => {
    for (const workflow of [rollout, matrix])
      for (const job of Object.values(workflow.jobs))
        for (const step of job.steps)
          if (typeof step.run === 'string') assert.doesNotMatch(step.run, /\$\{\{/);
  });
});
