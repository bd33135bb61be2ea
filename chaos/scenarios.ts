import type {
  ClusterHandle,
  ClusterSpec,
  Emulator,
  FaultRule,
  OperationSpec,
} from '../emulator/index.ts';
import { runAction, type ActionRun } from '../harness/run-action.ts';
import { startServiceFabricGateway, type SfFaultRule } from '../emulator/service-fabric.ts';
import { planFaults, planServiceFabricFaults } from './faults.ts';
import { between, pick } from './prng.ts';

/** What really happened on the emulator's side, and so what the action must report. */
export interface Truth {
  status: string;
  /** pass and warn both let the step succeed. */
  verdict: 'pass' | 'warn' | 'fail';
  exitCode?: number | undefined;
}

export interface ScenarioRun {
  name: string;
  rules: FaultRule[];
  run: ActionRun;
  /** Undefined when the emulator never saw the operation (the action must then fail). */
  truth: Truth | undefined;
  timeoutMs: number;
  /** Faults injected outside the ARM emulator's log (the Service Fabric gateway's). */
  otherFaultsInjected?: number;
  /** Several clusters: what the results output says that the emulator contradicts, if anything. */
  contradiction?: (() => string | undefined) | undefined;
}

export const RUN_TIMEOUT = '40s';
const RUN_TIMEOUT_MS = 40_000;

type Scenario = (emu: Emulator, random: () => number, id: string) => Promise<ScenarioRun>;

/** A cluster of the run, named by its id. */
function chaosCluster(emu: Emulator, id: string, spec: Partial<ClusterSpec> = {}): ClusterHandle {
  return emu.addCluster({ resourceGroup: 'rg-chaos', name: id, ...spec });
}

/** A cluster of the run in the middle of an upgrade. */
function upgrading(emu: Emulator, id: string, operation: OperationSpec): ClusterHandle {
  return chaosCluster(emu, id, { operation: { name: 'Upgrade', ...operation } });
}

/** Injects the planned faults into the emulator and returns them. */
function injected(emu: Emulator, rules: FaultRule[]): FaultRule[] {
  rules.forEach((rule) => emu.inject(rule));
  return rules;
}

const runCommand: Scenario = async (emu, random, id) => {
  const failure =
    random() < 0.15
      ? {
          reason: pick(random, [
            'ImagePullBackoff',
            'KubernetesPerformanceError: the command pod did not start within 30s',
          ]),
        }
      : undefined;
  const cluster = chaosCluster(emu, id, {
    lowerCaseStates: random() < 0.3,
    ...(failure ? { commandFailure: failure } : {}),
  });
  const exitCode = pick(random, [0, 0, 0, 1, 3]);
  const successCodes = pick(random, ['0', '0,3']);
  const sleep = pick(random, ['0', '0.5', '1.5', '3']);
  const rules = injected(emu, planFaults(random, id, ['runCommand'], ['commandResult']));
  const run = await runAction(
    {
      cluster: cluster.resourceId,
      command: `sleep ${sleep}; echo chaos; exit ${exitCode}`,
      timeout: RUN_TIMEOUT,
      'success-exit-codes': successCodes,
    },
    emu,
  );
  const record = cluster.commands().find((c) => c.id === run.outputs['command-id']);
  return {
    name: `run-command exit ${exitCode}${failure ? ' (pod fails)' : ''}`,
    rules,
    run,
    truth: record ? commandTruth(record, successCodes) : undefined,
    timeoutMs: RUN_TIMEOUT_MS,
  };
};

const commandResult: Scenario = async (emu, random, id) => {
  const cluster = chaosCluster(emu, id);
  const exitCode = pick(random, [0, 2]);
  const started = await runAction(
    {
      cluster: cluster.resourceId,
      command: `sleep ${pick(random, ['0', '2'])}; exit ${exitCode}`,
      wait: 'false',
    },
    emu,
  );
  const commandId = started.outputs['command-id'] ?? '';
  const rules = injected(emu, planFaults(random, id, [], ['commandResult']));
  const run = await runAction(
    {
      operation: 'command-result',
      cluster: cluster.resourceId,
      'command-id': commandId,
      timeout: RUN_TIMEOUT,
    },
    emu,
  );
  const record = cluster.commands().find((c) => c.id === commandId);
  return {
    name: `command-result exit ${exitCode}`,
    rules,
    run,
    truth: record ? commandTruth(record, '0') : undefined,
    timeoutMs: RUN_TIMEOUT_MS,
  };
};

const abort: Scenario = async (emu, random, id) => {
  const mode = pick(random, ['async', 'async', 'no-content', 'conflict'] as const);
  const cluster = upgrading(emu, id, {
    durationSeconds: 600,
    abort: mode,
    cancelSeconds: between(random, 1, 3),
  });
  const rules = injected(
    emu,
    planFaults(random, id, ['abort'], ['cluster', 'operationStatus', 'operationLocation']),
  );
  const run = await runAction(
    { operation: 'abort', cluster: cluster.resourceId, timeout: RUN_TIMEOUT },
    emu,
  );
  const truth: Truth =
    mode === 'conflict'
      ? { status: 'AlreadyCompleted', verdict: 'warn' }
      : { status: 'Canceled', verdict: 'pass' };
  const reached = emu.requests.some(
    (r) =>
      r.kind === 'abort' &&
      r.status >= 200 &&
      r.status < 500 &&
      r.path.toLowerCase().includes(`/${id}/`),
  );
  return {
    name: `abort (${mode})`,
    rules,
    run,
    truth: reached ? truth : undefined,
    timeoutMs: RUN_TIMEOUT_MS,
  };
};

const operationStatus: Scenario = async (emu, random, id) => {
  const outcome = pick(random, ['Succeeded', 'Succeeded', 'Failed', 'Canceled'] as const);
  const cluster = upgrading(emu, id, {
    durationSeconds: between(random, 1, 4),
    outcome,
    statusWord: pick(random, ['InProgress', 'Running', 'Preparing']),
    ...(outcome === 'Failed'
      ? { error: { code: 'UpgradeFailed', message: 'node pool drain timed out' } }
      : {}),
  });
  const rules = injected(emu, planFaults(random, id, [], ['operations']));
  const run = await runAction(
    { operation: 'operation-status', cluster: cluster.resourceId, timeout: RUN_TIMEOUT },
    emu,
  );
  return {
    name: `operation-status ${outcome}`,
    rules,
    run,
    truth: { status: outcome, verdict: outcome === 'Succeeded' ? 'pass' : 'fail' },
    timeoutMs: RUN_TIMEOUT_MS,
  };
};

const cancelFault: Scenario = async (emu, random, _id) => {
  const gateway = await startServiceFabricGateway({ ca: emu.ca });
  try {
    const kind = pick(random, ['graceful', 'graceful', 'forced', 'already-over'] as const);
    const operationId =
      kind === 'already-over'
        ? gateway.addFinishedOperation(pick(random, ['Completed', 'Faulted'] as const))
        : gateway.addFaultOperation({
            type:
              kind === 'forced'
                ? 'NodeTransition'
                : pick(random, [
                    'PartitionDataLoss',
                    'PartitionQuorumLoss',
                    'PartitionRestart',
                  ] as const),
            durationSeconds: 120,
            rollbackSeconds: between(random, 1, 2),
          });
    const rules: SfFaultRule[] = planServiceFabricFaults(random);
    rules.forEach((rule) => gateway.inject(rule));
    const admin = gateway.issueAdminClientCert();
    const run = await runAction(
      {
        operation: 'cancel-fault',
        cluster: gateway.url,
        'operation-id': operationId,
        certificate: `${admin.certPem}\n${admin.keyPem}`,
        force: kind === 'forced' ? 'true' : 'false',
        'force-after': '2s',
        timeout: RUN_TIMEOUT,
      },
      emu,
    );
    const finished =
      kind === 'already-over'
        ? undefined
        : gateway.cancelCalls(operationId).some((call) => call.status === 200);
    const truth: Truth | undefined =
      kind === 'already-over'
        ? { status: run.outputs.status === 'Faulted' ? 'Faulted' : 'Completed', verdict: 'warn' }
        : finished
          ? { status: kind === 'forced' ? 'ForceCancelled' : 'Cancelled', verdict: 'pass' }
          : undefined;
    return {
      name: `cancel-fault (${kind})`,
      rules: rules.map(asArmRule),
      run,
      truth,
      timeoutMs: RUN_TIMEOUT_MS,
      otherFaultsInjected: gateway.requests.filter((r) => r.fault).length,
    };
  } finally {
    await gateway.stop();
  }
};

/** Service Fabric rules shown like ARM ones in a failing run's report. */
function asArmRule(rule: SfFaultRule): FaultRule {
  return {
    kind: `sf ${rule.path ?? 'any'}`,
    skip: rule.skip,
    times: rule.times,
    fault: rule.fault as FaultRule['fault'],
  };
}

/**
 * Several clusters at once, each with its own faults and failures, in random waves: the step passes
 * only when every cluster's command really succeeded, and every entry of `results` must say what
 * the emulator saw on that cluster (a cluster NotStarted was never sent a command).
 */
const fleet: Scenario = async (emu, random, id) => {
  const count = between(random, 3, 6);
  const handles = Array.from({ length: count }, (_, at) => {
    const name = `${id}-${at + 1}`;
    const failure = random() < 0.15 ? { commandFailure: { reason: 'ImagePullBackoff' } } : {};
    const exitCode = random() < 0.2 ? { commandExitCode: 3 } : {};
    return { name, handle: chaosCluster(emu, name, { ...failure, ...exitCode }) };
  });
  const rules = injected(
    emu,
    handles.flatMap(({ name }) => planFaults(random, name, ['runCommand'], ['commandResult'])),
  );
  const rollout = pick(random, ['100%', '1, 100%', '1, 50%, 100%']);
  const failFast = pick(random, ['true', 'false']);
  const run = await runAction(
    {
      cluster: handles.map(({ handle }) => handle.resourceId).join('\n'),
      command: `sleep ${pick(random, ['0', '1'])}; echo chaos`,
      timeout: RUN_TIMEOUT,
      rollout,
      'fail-fast': failFast,
      'max-parallel': String(between(random, 1, 4)),
    },
    emu,
  );
  const truths = handles.map(({ handle }) => {
    const [record] = handle.commands();
    return record ? commandTruth(record, '0') : undefined;
  });
  const allPassed = truths.every((truth) => truth?.verdict === 'pass');
  return {
    name: `fleet of ${count} (rollout ${rollout}, fail-fast ${failFast})`,
    rules,
    run,
    truth: allPassed
      ? { status: 'Succeeded', verdict: 'pass' }
      : { status: 'Failed', verdict: 'fail' },
    timeoutMs: RUN_TIMEOUT_MS,
    contradiction: () => contradictedResults(run.outputs.results, handles),
  };
};

/** The first entry of `results` that the emulator's record of its cluster contradicts. */
function contradictedResults(
  results: string | undefined,
  handles: { name: string; handle: ClusterHandle }[],
): string | undefined {
  let entries: {
    cluster: string;
    status: string;
    'exit-code': number | null;
    'command-id': string | null;
  }[];
  try {
    entries = JSON.parse(results ?? '') as typeof entries;
  } catch {
    return `results is not JSON: ${String(results).slice(0, 100)}`;
  }
  if (entries.length !== handles.length)
    return `${entries.length} results for ${handles.length} clusters`;
  for (const [at, entry] of entries.entries()) {
    const { name, handle } = handles[at]!;
    const records = handle.commands();
    if (entry.status === 'NotStarted' && records.length > 0)
      return `${name} is NotStarted but was sent ${records.length} command(s)`;
    const record = records.find((r) => r.id === entry['command-id']);
    if (entry.status === 'Succeeded' && record?.exitCode !== (entry['exit-code'] ?? undefined))
      return `${name}: exit-code ${entry['exit-code']}, emulator ${record?.exitCode}`;
  }
  return undefined;
}

function commandTruth(
  record: { provisioningState: string; exitCode?: number | undefined },
  successCodes: string,
): Truth {
  const state = record.provisioningState.toLowerCase();
  if (state !== 'succeeded')
    return { status: state === 'failed' ? 'Failed' : record.provisioningState, verdict: 'fail' };
  const ok = successCodes
    .split(',')
    .map(Number)
    .includes(record.exitCode ?? -1);
  return { status: 'Succeeded', verdict: ok ? 'pass' : 'fail', exitCode: record.exitCode };
}

export const SCENARIOS: readonly Scenario[] = [
  runCommand,
  runCommand,
  runCommand,
  commandResult,
  abort,
  operationStatus,
  cancelFault,
  fleet,
];
