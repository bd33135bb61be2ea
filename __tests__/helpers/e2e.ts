// What the end-to-end files read from a run and how they judge it, written once.
import assert from 'node:assert/strict';
import { workflowCommands } from '../../harness/workflow-commands.ts';
import type { Emulator } from '../../emulator/index.ts';
import type { ServiceFabricGateway } from '../../emulator/service-fabric.ts';
import type { ActionRun } from './action.ts';

/** The ::error and ::warning commands the runner would take from stdout (of one kind if given). */
export function annotations(stdout: string, kind?: 'error' | 'warning'): string[] {
  const wanted = kind ? new RegExp(`^::${kind}`) : /^::(error|warning)/;
  return workflowCommands(stdout).filter((line) => wanted.test(line));
}

/** The first ::error command, or '' when there is none. */
export function errorLine(stdout: string): string {
  return annotations(stdout, 'error')[0] ?? '';
}

/** The poller's progress lines (`poll N: …`). */
export function pollLines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => /^poll \d+: /.test(line));
}

/** The step passed with this status. */
export function assertPassed(run: ActionRun, status: string): void {
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(run.outputs.status, status, run.stdout);
}

/** The step failed with an ::error:: and stdout matches `pattern`; with the status output too if given. */
export function assertFailed(run: ActionRun, pattern: RegExp, status?: string): void {
  assert.equal(run.code, 1, run.stdout + run.stderr);
  if (status !== undefined) assert.equal(run.outputs.status, status);
  assert.match(run.stdout, /^::error::/m);
  assert.match(run.stdout, pattern);
}

/** A runner with GitHub's OIDC token endpoint and no service principal in its environment. */
export function oidcEnv(emu: Emulator): Record<string, string | undefined> {
  return {
    AZURE_CLIENT_SECRET: undefined,
    AZURE_CLIENT_ID: undefined,
    AZURE_TENANT_ID: undefined,
    ACTIONS_ID_TOKEN_REQUEST_URL: emu.oidcRequestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: emu.oidcRequestToken,
  };
}

/** A new admin client certificate of the gateway, as the PEM text the certificate input takes. */
export function adminPem(gw: ServiceFabricGateway): string {
  const admin = gw.issueAdminClientCert();
  return `${admin.certPem}\n${admin.keyPem}`;
}

/** The inputs that cancel fault operation `id` on the gateway, polling every half second. */
export function cancelFaultInputs(
  gw: ServiceFabricGateway,
  id: string,
  certificate = adminPem(gw),
): Record<string, string> {
  return {
    operation: 'cancel-fault',
    cluster: gw.url,
    'operation-id': id,
    certificate,
    'poll-interval': '0.5',
  };
}
