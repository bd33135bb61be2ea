import { VERDICT_ICONS, tallyClusters, type FleetReport, type Report } from './report.ts';
import { progressBar } from './log.ts';
import { formatDuration } from '../waiting/timing.ts';
import { formatBytes } from '../base/format.ts';

/**
 * The most command output a summary shows. A summary is for reading: longer output shows its
 * end (where failures show), and the step log and logs-file keep all of it. Escaping can grow it
 * (`<` is five bytes escaped); GitHub's own limit of 1 MiB per step stays far away.
 */
const SUMMARY_LOGS_BYTES = 64 * 1024;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A value for a table cell, the heading or the error paragraph. The summary is one run of HTML
 * blocks, and Markdown ends an HTML block at a blank line: a value with a line break in it could
 * end the block and have the rest rendered as Markdown (links, images, headings). So values carry
 * no line break at all: each becomes `<br>`, after the HTML is escaped.
 */
function escapeInline(text: string): string {
  return escapeHtml(text).replace(/\r\n|\r|\n/g, '<br>');
}

const ICONS = VERDICT_ICONS;
const HEADLINES: Record<Report['verdict'], string> = {
  pass: 'passed',
  warn: 'passed with a warning',
  fail: 'failed',
};

/** ` passed: Succeeded, exit code 0`, or the operation's own plain words when it has them. */
function headingText(report: Report): string {
  if (report.headline) return `: ${escapeInline(report.headline)}`;
  const exit = report.exitCode === undefined ? '' : `, exit code ${report.exitCode}`;
  return ` ${HEADLINES[report.verdict]}: ${escapeInline(report.status)}${exit}`;
}

/** The job summary as HTML: a table at a glance, the output folded, the error and its fix. Everything escaped. */
export function renderSummary(report: Report): string {
  if (report.fleet) return renderFleetSummary(report, report.fleet);
  if (report.operation === 'list-clusters' && report.resolved) return renderClusterList(report);
  return renderSingleSummary(report);
}

function renderSingleSummary(report: Report): string {
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
    ['Attempts', describeAttempts(report.attempts)],
    ['Requests', String(report.requests)],
    ['Polls', String(report.polls)],
    ['Retries', String(report.retries)],
    ['Correlation id', report.correlationId],
    [
      'Attached files',
      report.attachments
        ? `${report.attachments.count} files, ${formatBytes(report.attachments.bytes)} (${formatBytes(report.attachments.zipBytes)} zipped)`
        : undefined,
    ],
    ...(report.details ?? []),
  ];
  const parts = [
    `<h3>${ICONS[report.verdict]} ${escapeInline(report.operation)}${headingText(report)}</h3>`,
    labelledTable(rows),
  ];
  const error = errorParagraph(report);
  if (error) parts.push(error);
  if (report.logs !== undefined) parts.push(renderLogs(report.logs, report.logsFile));
  if (report.logsHidden) {
    parts.push(
      `<p><i>Command output not shown (show-logs: false)${report.logsFile ? `; it is in logs-file (${escapeInline(report.logsFile)}), readable by the runner user only` : ''}.</i></p>`,
    );
  }
  if (report.logsCut) {
    parts.push(
      "<p><i>The output reached AKS's limit of 512 kB and was cut by the service: its end is missing. Write large output to a file or a ConfigMap and print only what you need.</i></p>",
    );
  }
  return `${parts.join('\n')}\n`;
}

/** A two-column table of label and value; rows without a value are left out. */
function labelledTable(rows: readonly (readonly [string, string | undefined])[]): string {
  const body = rows
    .filter((row): row is readonly [string, string] => row[1] !== undefined && row[1] !== '')
    .map(
      ([label, value]) =>
        `<tr><th align="left">${escapeInline(label)}</th><td>${escapeInline(value)}</td></tr>`,
    )
    .join('\n');
  return `<table>\n${body}\n</table>`;
}

function errorParagraph(report: Report): string | undefined {
  if (!report.message) return undefined;
  const fix = report.fix ? `<br>\n<b>Fix:</b> ${escapeInline(report.fix)}` : '';
  return `<p><b>${report.verdict === 'fail' ? 'Error' : 'Warning'}:</b> ${escapeInline(report.message)}${fix}</p>`;
}

/** At most this much output shown for failed clusters in all; the logs files keep all of it. */
const FLEET_TAILS_BYTES = 256 * 1024;

/**
 * Several clusters: the totals on top, then one row per cluster (status, exit code, duration,
 * and for a failure why and the last lines of its output), in the order the input named them.
 */
function renderFleetSummary(report: Report, fleet: FleetReport): string {
  const { results } = fleet;
  const { passed, failed, notStarted } = tallyClusters(results);
  const totals = [
    `${passed} passed`,
    failed ? `${failed} failed` : '',
    notStarted ? `${notStarted} not started` : '',
  ].filter(Boolean);
  const heading = `<h3>${ICONS[report.verdict]} ${escapeInline(report.operation)} on ${results.length} clusters: ${escapeInline(report.status)} (${totals.join(', ')})</h3>`;
  const summaryTable = labelledTable([
    ['Operation', report.operation],
    [
      'Clusters',
      `${results.length}${report.resolved && report.resolved.length !== results.length ? ` of ${report.resolved.length} (this shard)` : ''}`,
    ],
    ['Passed', String(passed)],
    ['Failed', failed ? String(failed) : undefined],
    [
      'Not started',
      notStarted ? `${notStarted} (${fleet.notStartedBecause ?? 'the run stopped'})` : undefined,
    ],
    ['Waves', fleet.waves.length > 1 ? fleet.waves.join(', ') : undefined],
    ['Duration', formatDuration(report.durationMs)],
    ['Requests', String(report.requests)],
    ['Polls', String(report.polls)],
    ['Retries', String(report.retries)],
    ['Throttled (429)', fleet.throttled ? String(fleet.throttled) : undefined],
    [
      'Waited for the request budget',
      fleet.budgetWaitMs >= 1000 ? formatDuration(fleet.budgetWaitMs) : undefined,
    ],
    ['Correlation id', report.correlationId],
    ['Logs folder', report.logsFile],
  ]);
  let tailBudget = FLEET_TAILS_BYTES;
  const rows = results.map((result) => {
    const icon = result.verdict ? ICONS[result.verdict] : '⏸️';
    let details =
      result.verdict === 'fail' || result.verdict === 'warn'
        ? escapeInline(result.message ?? result.reason ?? '')
        : '';
    if (result.tail && tailBudget > 0) {
      tailBudget -= Buffer.byteLength(result.tail);
      details += `<details><summary>Last lines of output</summary><pre>${escapeHtml(result.tail)}</pre></details>`;
    }
    const cells = [
      `<td title="${escapeHtml(result.cluster)}">${escapeInline(`${result.resourceGroup}/${result.name}`)}</td>`,
      `<td>${icon} ${escapeInline(result.status)}</td>`,
      `<td>${result.exitCode ?? ''}</td>`,
      `<td>${result.durationMs === undefined ? '' : formatDuration(result.durationMs)}</td>`,
      `<td>${details}</td>`,
    ];
    return `<tr>${cells.join('')}</tr>`;
  });
  const clusterTable = `<table>\n<tr><th align="left">Cluster</th><th align="left">Status</th><th align="left">Exit code</th><th align="left">Duration</th><th align="left">Details</th></tr>\n${rows.join('\n')}\n</table>`;
  return `${[heading, summaryTable, errorParagraph(report), clusterTable].filter(Boolean).join('\n')}\n`;
}

/** list-clusters: what the input resolved to, and the shards of the matrix. */
function renderClusterList(report: Report): string {
  const clusters = report.resolved ?? [];
  const heading = `<h3>${ICONS[report.verdict]} list-clusters: ${clusters.length} clusters${report.shards && report.shards > 1 ? ` in ${report.shards} shards` : ''}</h3>`;
  const table = labelledTable([
    ['Clusters', String(clusters.length)],
    ['Shards', String(report.shards ?? 1)],
    ['Requests', String(report.requests)],
    ['Correlation id', report.correlationId],
  ]);
  const list = `<details><summary>Resolved clusters</summary>\n\n<pre>${escapeHtml(clusters.join('\n'))}</pre>\n</details>`;
  return `${[heading, table, errorParagraph(report), list].filter(Boolean).join('\n')}\n`;
}

function describeAttempts(attempts: Report['attempts']): string | undefined {
  if (!attempts) return undefined;
  const resubmitted = attempts.made - 1;
  return `${attempts.made} of at most ${attempts.allowed}${resubmitted ? ` (resubmitted ${resubmitted}× after the command pod could not start)` : ''}`;
}

function renderLogs(logs: string, logsFile: string | undefined): string {
  const bytes = Buffer.byteLength(logs);
  let shown = logs === '' ? '(no output)' : logs;
  let note = '';
  if (bytes > SUMMARY_LOGS_BYTES) {
    shown = tailUtf8(logs, SUMMARY_LOGS_BYTES);
    note = `<p><i>The output is ${formatBytes(bytes)}; the summary shows only its end (the last ${formatBytes(SUMMARY_LOGS_BYTES)} at most). The step log and the logs-file output${logsFile ? ` (${escapeInline(logsFile)})` : ''} keep all of it.</i></p>`;
  }
  return `${note}<details><summary>Command output${note ? ' (end)' : ''}</summary>\n\n<pre>${escapeHtml(shown)}</pre>\n</details>`;
}

/**
 * The last `bytes` of UTF-8 text or less, without splitting a character, starting at a line when a
 * line break comes soon enough (a cut line at the top reads as garbage).
 */
export function tailUtf8(text: string, bytes: number): string {
  const buffer = Buffer.from(text);
  if (buffer.length <= bytes) return text;
  let start = buffer.length - bytes;
  // Continuation bytes (10xxxxxx) belong to the character before them.
  while (start < buffer.length && ((buffer[start] ?? 0) & 0xc0) === 0x80) start++;
  const tail = buffer.subarray(start).toString('utf8');
  const newline = tail.indexOf('\n');
  return newline >= 0 && newline < 1024 ? tail.slice(newline + 1) : tail;
}
