import { randomUUID } from 'node:crypto';
import * as core from '@actions/core';
import type { PollProgress } from '../waiting/poller.ts';
import { redact } from './secrets.ts';
import { formatDuration } from '../waiting/timing.ts';

/**
 * What the runner strips before it looks for `::`: it reads stdout with .NET's StreamReader (lines
 * end at \n, \r or \r\n) and calls `TrimStart()`, which removes every char for which .NET's
 * `char.IsWhiteSpace` is true: \t-\r, space, U+0085 (NEL), U+00A0 and the Unicode separators
 * (Zs, U+2028, U+2029). JavaScript's `\s` misses U+0085, so it cannot be used for this. U+001C-
 * U+001F, U+180E and U+FEFF are added for safety: a needless guard only costs a zero-width space.
 */
const RUNNER_WHITESPACE =
  '\t\n\v\f\r \u001c-\u001f\u0085\u00a0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';
const COMMAND_START = new RegExp(`^[${RUNNER_WHITESPACE}]*::`);
/** The runner's line breaks (StreamReader.ReadLine). */
const RUNNER_LINE_BREAK = /\r\n|\r|\n/;

/** True when the runner would try to read `line` (one line, no breaks) as a workflow command. */
function isCommandLine(line: string): boolean {
  return COMMAND_START.test(line) || line.includes('##[');
}

/**
 * Makes service-supplied text safe to print: on every line the runner would read as a workflow
 * command (`::` after any white space .NET trims, or `##[` anywhere), a zero-width space breaks
 * those markers up; what people read stays the same. Known secrets and anything shaped like a
 * token are taken out too.
 */
export function inert(text: string): string {
  return redact(text)
    .split(RUNNER_LINE_BREAK)
    .map((line) =>
      isCommandLine(line) ? line.replace(/::/g, ':\u200b:').replace(/##\[/g, '#\u200b#[') : line,
    )
    .join('\n');
}

/** The one way the action prints a line of its own that may carry service or input text. */
export function info(text: string): void {
  core.info(inert(text));
}

/**
 * Prints untrusted output in a collapsible group, verbatim, with workflow commands switched off
 * around it by a token the output cannot guess.
 */
export function printUntrustedBlock(title: string, text: string): void {
  core.startGroup(inert(title));
  printUntrusted(text);
  core.endGroup();
}

/** Prints untrusted text verbatim between stop-commands markers (inside a group already open). */
function printUntrusted(text: string): void {
  const token = randomUUID().replace(/-/g, '');
  process.stdout.write(`::stop-commands::${token}\n`);
  const shown = redact(text);
  process.stdout.write(shown.endsWith('\n') || shown === '' ? shown : `${shown}\n`);
  process.stdout.write(`::${token}::\n`);
}

/** Lines of the action's own (that may carry service text) in one collapsible group. */
export function printGroup(title: string, lines: readonly string[]): void {
  core.startGroup(inert(title));
  for (const line of lines) info(line);
  core.endGroup();
}

/** What one cluster of several printed while it ran, kept until it ends. */
export type ClusterLogEntry =
  | { kind: 'line'; text: string }
  | { kind: 'warning'; text: string }
  | { kind: 'untrusted'; title: string; text: string };

/**
 * Prints one cluster's log as one collapsible group. Groups cannot nest, so the command's output
 * goes inside the cluster's group, under its own title line, still between stop-commands markers.
 */
export function printClusterLog(title: string, entries: readonly ClusterLogEntry[]): void {
  core.startGroup(inert(title));
  for (const entry of entries) {
    if (entry.kind === 'line') info(entry.text);
    else if (entry.kind === 'warning') core.warning(inert(entry.text));
    else {
      info(`${entry.title}:`);
      printUntrusted(entry.text);
    }
  }
  core.endGroup();
}

/** One log line per poll: state, elapsed time, percent where known, wait before the next poll. */
export function formatProgress(progress: PollProgress): string {
  const parts = [
    `poll ${progress.poll}: ${progress.status}`,
    `elapsed ${formatDuration(progress.elapsedMs)}`,
  ];
  if (progress.percent !== undefined)
    parts.push(`${progressBar(progress.percent)} ${Math.round(progress.percent)}%`);
  parts.push(
    progress.nextDelayMs === undefined
      ? 'final'
      : `next poll in ${formatDuration(progress.nextDelayMs)}`,
  );
  return inert(parts.join(' · '));
}

/** `[######----]`: a progress bar in text, for logs and the summary. */
export function progressBar(percent: number, width = 20): string {
  const filled = Math.max(0, Math.min(width, Math.round((percent / 100) * width)));
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}
