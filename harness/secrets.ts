// Where a run shows a secret it was handed: the tests assert there is none
// (__tests__/helpers/action.ts), the chaos oracle counts one as a wrong run.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Emulator } from '../emulator/index.ts';
import type { ActionRun } from './run-action.ts';
import { visibleStdout } from './workflow-commands.ts';

/** Names of variables and inputs whose values are secrets. */
const SECRET_NAMES = /SECRET|PASSWORD|INPUT_CERTIFICATE$|TOKEN$/;

/** The secrets handed to a run: whole values, and every long line of a PEM key or a PFX. */
function secretsIn(env: Record<string, string | undefined>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => SECRET_NAMES.test(name) && value)
    .flatMap(([, value]) => [
      value!,
      ...value!.split(/\r?\n/).filter((line) => line.length >= 40 && !line.startsWith('-----')),
    ])
    .filter((value) => value.length >= 8);
}

/** The secrets of a run: those the emulator issued and those in the run's environment. */
export function secretsOfRun(run: ActionRun, emu: Emulator | undefined): string[] {
  return [...(emu?.issuedSecrets() ?? []), ...secretsIn(run.env)];
}

/**
 * Each secret that appears where people or later steps can read it, with where
 * (::add-mask:: registrations are consumed by the runner and never shown).
 */
export function shownSecrets(run: ActionRun, secrets: string[]): string[] {
  const logsFile = run.outputs['logs-file'];
  const places: Record<string, string> = {
    stdout: visibleStdout(run.stdout),
    stderr: run.stderr,
    outputs: JSON.stringify(run.outputs),
    summary: run.summary,
    'logs-file': logsFile ? logsFileText(logsFile) : '',
  };
  return secrets.flatMap((secret) =>
    Object.entries(places)
      .filter(([, text]) => text.includes(secret))
      .map(([where]) => `a secret (${secret.slice(0, 6)}…) appears in ${where}`),
  );
}

/** The logs file, or with several clusters every file of the logs folder. */
function logsFileText(path: string): string {
  if (!existsSync(path)) return '';
  if (!statSync(path).isDirectory()) return readFileSync(path, 'utf8');
  return readdirSync(path)
    .map((name) => logsFileText(join(path, name)))
    .join('\n');
}
