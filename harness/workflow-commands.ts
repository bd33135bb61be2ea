// How the runner reads the action's stdout: workflow commands, masks, what a person sees.

/**
 * .NET's `char.IsWhiteSpace`, which the runner's `TrimStart()` strips before it looks for `::`:
 * U+0009-U+000D, space, U+0085, U+00A0 and the Unicode separators (Zs, U+2028, U+2029).
 * Written from .NET's documentation, independently of the action's own guard.
 */
const DOTNET_WHITESPACE = /^[\t-\r \u0085\u00a0\p{Zs}\u2028\u2029]+/u;

/** A line as the runner's TrimStart() leaves it. */
function runnerTrimStart(line: string): string {
  return line.replace(DOTNET_WHITESPACE, '');
}

/**
 * The workflow commands the runner would process from stdout: it reads lines with .NET's
 * StreamReader (a line ends at \n, \r or \r\n), and takes a line as a command when, after
 * TrimStart(), it starts with `::`, or when it contains `##[` (the old form), unless commands are
 * stopped by `::stop-commands::{token}` until `::{token}::`. Returned trimmed.
 */
export function workflowCommands(stdout: string): string[] {
  const commands: string[] = [];
  let stopToken: string | undefined;
  for (const raw of stdout.split(/\r\n|\r|\n/)) {
    const line = runnerTrimStart(raw);
    if (stopToken) {
      if (line.trimEnd() === `::${stopToken}::`) stopToken = undefined;
      continue;
    }
    const stop = /^::stop-commands::(.+)$/.exec(line);
    if (stop) {
      stopToken = stop[1];
      continue;
    }
    if (line.startsWith('::') || raw.includes('##[')) commands.push(line.trim());
  }
  return commands;
}

/** stdout as the runner displays it: mask registrations consumed, masked values shown as ***. */
export function displayedLog(stdout: string): string {
  const secrets = [...stdout.matchAll(/^::add-mask::(.+)$/gm)].map((m) => m[1]!).filter(Boolean);
  // Debug lines are shown only when step debugging is on.
  let text = visibleStdout(stdout)
    .split('\n')
    .filter((line) => !line.startsWith('::debug::'))
    .join('\n');
  for (const secret of secrets) text = text.split(secret).join('***');
  return text;
}

/** stdout as the runner shows it: ::add-mask:: lines are consumed by the runner, never displayed. */
export function visibleStdout(stdout: string): string {
  return stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
}
