import type { Report } from './report.ts';
import { progressBar } from './log.ts';
import { formatDuration } from './timing.ts';

/** GitHub refuses a step summary over 1 MiB: the escaped output gets 900 KiB, the table the rest. */
const LOGS_BUDGET_BYTES = 900 * 1024;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A value for a table cell, the heading or the error paragraph. The summary is one run of HTML
 * blocks, and Markdown ends an HTML block at a blank line: a value with a line break in it could
 * end the block and have the rest rendered as Markdown (links, images, headings). So values carry
 * no line break at all: each becomes `<br>`, after the HTML is escaped.
 */
export function escapeInline(text: string): string {
  return escapeHtml(text).replace(/\r\n|\r|\n/g, '<br>');
}

const ICONS: Record<Report['verdict'], string> = { pass: '✅', warn: '⚠️', fail: '❌' };
const HEADLINES: Record<Report['verdict'], string> = {
  pass: 'passed',
  warn: 'passed with a warning',
  fail: 'failed',
};

/** The job summary as HTML: a table at a glance, the output folded, the error and its fix. Everything escaped. */
export function renderSummary(report: Report): string {
  const rows: [string, string | undefined][] = [
    ['Operation', report.operation],
    ['Cluster', report.cluster],
    ['Status', `${ICONS[report.verdict]} ${report.status}`],
    ['Exit code', report.exitCode?.toString()],
    ['Command id', report.commandId],
    ['Operation id', report.operationId],
    [
      'Progress',
      report.percentComplete === undefined
        ? undefined
        : `${progressBar(report.percentComplete)} ${report.percentComplete}%`,
    ],
    ['Reason', report.reason],
    ['Started', report.startedAt],
    ['Finished', report.finishedAt],
    ['Duration', formatDuration(report.durationMs)],
    ['Polls', String(report.polls)],
    ['Retries', String(report.retries)],
    [
      'Attached files',
      report.attachments
        ? `${report.attachments.count} files, ${formatBytes(report.attachments.bytes)} (${formatBytes(report.attachments.zipBytes)} zipped)`
        : undefined,
    ],
    ...(report.details ?? []),
  ];
  const table = rows
    .filter((row): row is [string, string] => row[1] !== undefined && row[1] !== '')
    .map(
      ([label, value]) =>
        `<tr><th align="left">${escapeInline(label)}</th><td>${escapeInline(value)}</td></tr>`,
    )
    .join('\n');
  const parts = [
    `<h3>${ICONS[report.verdict]} ${escapeInline(report.operation)} ${HEADLINES[report.verdict]}: ${escapeInline(report.status)}${report.exitCode === undefined ? '' : `, exit code ${report.exitCode}`}</h3>`,
    `<table>\n${table}\n</table>`,
  ];
  if (report.message) {
    const fix = report.fix ? `<br>\n<b>Fix:</b> ${escapeInline(report.fix)}` : '';
    parts.push(
      `<p><b>${report.verdict === 'fail' ? 'Error' : 'Warning'}:</b> ${escapeInline(report.message)}${fix}</p>`,
    );
  }
  if (report.logs !== undefined) parts.push(renderLogs(report.logs, report.logsFile));
  return `${parts.join('\n')}\n`;
}

function renderLogs(logs: string, logsFile: string | undefined): string {
  let escaped = escapeHtml(logs === '' ? '(no output)' : logs);
  let note = '';
  if (Buffer.byteLength(escaped) > LOGS_BUDGET_BYTES) {
    escaped = truncateUtf8(escaped, LOGS_BUDGET_BYTES).replace(/&[^;]*$/, '');
    note = `<p><i>Output cut to fit the summary; the whole output is in the logs-file output${logsFile ? ` (${escapeInline(logsFile)})` : ''}.</i></p>`;
  }
  return `<details><summary>Command output</summary>\n\n<pre>${escaped}</pre>\n</details>${note}`;
}

/** Cuts to at most `bytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, bytes: number): string {
  const buffer = Buffer.from(text);
  if (buffer.length <= bytes) return text;
  return buffer
    .subarray(0, bytes)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}
