import { randomUUID } from 'node:crypto';
import * as core from '@actions/core';
import type { PollProgress } from './poller.ts';
import { formatDuration } from './timing.ts';

/**
 * Makes service-supplied text safe to print on its own line: the runner reads any stdout line that
 * starts with `::` (or carries `##[`) as a workflow command, so a zero-width space breaks those
 * markers up on such lines; what people read stays the same.
 */
export function inert(text: string): string {
  return text
    .split(/\r?\n|\r/)
    .map((line) =>
      /^\s*::|##\[/.test(line)
        ? line.replace(/::/g, ':\u200b:').replace(/##\[/g, '#\u200b#[')
        : line,
    )
    .join('\n');
}

/**
 * Prints untrusted output in a collapsible group, verbatim, with workflow commands switched off
 * around it by a token the output cannot guess.
 */
export function printUntrustedBlock(title: string, text: string): void {
  const token = randomUUID().replace(/-/g, '');
  core.startGroup(title);
  process.stdout.write(`::stop-commands::${token}\n`);
  process.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
  process.stdout.write(`::${token}::\n`);
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
