import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as core from '@actions/core';
import { errorMessage } from '../base/errors.ts';
import type { OutputName } from '../inputs/contract.ts';
import type { ClusterResult, Report } from './report.ts';
import { shardMatrix } from '../clusters/shards.ts';
import { redact, redactDeep } from './secrets.ts';
import { renderSummary } from './summary.ts';

/** The step's outputs, every one of them written in every case (empty when unknown). */
export function outputValues(report: Report): Record<OutputName, string> {
  return {
    status: report.status,
    'exit-code': report.exitCode?.toString() ?? '',
    logs: report.logs ?? '',
    'logs-file': report.logsFile ?? '',
    'command-id': report.commandId ?? '',
    'operation-id': report.operationId ?? '',
    reason: report.reason ?? '',
    'started-at': report.startedAt ?? '',
    'finished-at': report.finishedAt ?? '',
    'percent-complete': report.percentComplete?.toString() ?? '',
    result: resultOutput(report),
    'correlation-id': report.correlationId ?? '',
    ...clusterOutputs(report),
  };
}

/** One entry of the results output, in the contract's words. */
function resultEntry(result: ClusterResult): Record<string, string | number | null> {
  return {
    cluster: result.cluster,
    status: result.status,
    'exit-code': result.exitCode ?? null,
    'command-id': result.commandId ?? null,
    'operation-id': result.operationId ?? null,
    reason: result.reason ?? null,
    'started-at': result.startedAt ?? null,
    'finished-at': result.finishedAt ?? null,
    'logs-file': result.logsFile ?? null,
  };
}

/** A single cluster's run as the one entry of its results. */
function singleResult(report: Report): ClusterResult[] {
  const [cluster] = report.resolved ?? [];
  if (cluster === undefined || report.operation === 'list-clusters') return [];
  return [{ ...report, cluster, name: '', resourceGroup: '' }];
}

function clusterOutputs(
  report: Report,
): Pick<Record<OutputName, string>, 'results' | 'failed-clusters' | 'clusters' | 'matrix'> {
  const results = report.fleet?.results ?? singleResult(report);
  // A cluster never started did not fail: it is in results as NotStarted.
  const failed = results.filter((result) => result.verdict === 'fail');
  return {
    results: report.resolved ? JSON.stringify(results.map(resultEntry)) : '',
    'failed-clusters': report.resolved
      ? JSON.stringify(failed.map((result) => result.cluster))
      : '',
    clusters: report.resolved ? JSON.stringify(report.resolved) : '',
    matrix: report.shards ? JSON.stringify(shardMatrix(report.shards)) : '',
  };
}

/** GitHub keeps at most 1 MB of outputs per job; leave room for the other outputs and steps. */
const OUTPUTS_BUDGET_BYTES = 900 * 1024;

/**
 * The final service response as JSON. A command result carries the whole output a second time;
 * when both would not fit the job's output budget, the copy inside `result` gives way (the `logs`
 * output and `logs-file` keep it).
 */
function resultOutput(report: Report): string {
  if (report.result === undefined) return '';
  const json = JSON.stringify(report.result);
  const logsBytes = Buffer.byteLength(report.logs ?? '');
  if (Buffer.byteLength(json) + logsBytes <= OUTPUTS_BUDGET_BYTES) return json;
  return JSON.stringify(report.result, (key, value: unknown) =>
    key === 'logs' && typeof value === 'string'
      ? `(${Buffer.byteLength(value)} bytes, omitted here: see the logs output or logs-file)`
      : value,
  );
}

/** A name that stays one file name, whatever the service called things. */
function safeFileName(name: string): string {
  return name.replace(/[^\w.-]/g, '_').replace(/^\.+/, '_');
}

/** The folder under RUNNER_TEMP that holds one logs file per cluster; undefined without RUNNER_TEMP. */
export function logsFolderPath(folder: string): string | undefined {
  const temp = process.env.RUNNER_TEMP;
  return temp ? join(temp, safeFileName(folder)) : undefined;
}

/**
 * Keeps the whole output where actions/upload-artifact can pick it up. A private file (show-logs:
 * false) is readable by the runner user alone, also when an earlier step left one of that name.
 */
export function writeLogsFile(
  name: string,
  logs: string,
  options: { private?: boolean; folder?: string } = {},
): string | undefined {
  const temp = process.env.RUNNER_TEMP;
  if (!temp) return undefined;
  const dir = options.folder ? join(temp, safeFileName(options.folder)) : temp;
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${safeFileName(name)}.log`);
  if (options.private) {
    writeFileSync(path, '', { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  writeFileSync(path, redact(logs));
  return path;
}

/** Everything a run hands on, in the form it is handed on. */
export interface Published {
  outputs: Record<string, string>;
  summary: string;
  /** The text of the error annotation (fail) or warning (warn); undefined when there is none. */
  annotation: string | undefined;
}

/**
 * What the report becomes once published. Every string is redacted first (registered secrets,
 * bearer tokens, JWTs), so nothing a service echoed back reaches a later step, the annotation or
 * the summary.
 */
export function publishedForm(unredacted: Report): Published {
  const report = redactDeep(unredacted);
  const outputs = Object.fromEntries(
    Object.entries(outputValues(report)).map(([name, value]) => [name, redact(value)]),
  );
  const text = [report.message, report.fix ? `Fix: ${report.fix}` : ''].filter(Boolean).join('\n');
  const annotation =
    report.verdict === 'fail'
      ? text || `${report.operation} ended with status ${report.status}`
      : report.verdict === 'warn' && text
        ? text
        : undefined;
  return { outputs, summary: renderSummary(report), annotation };
}

/** The one place that hands the result on: outputs, job summary, and the step's verdict. */
export async function publish(report: Report): Promise<void> {
  const published = publishedForm(report);
  for (const [name, value] of Object.entries(published.outputs)) core.setOutput(name, value);
  if (process.env.GITHUB_STEP_SUMMARY) {
    try {
      await core.summary.addRaw(published.summary).write();
    } catch (error) {
      core.warning(redact(`Could not write the job summary: ${errorMessage(error)}`));
    }
  }
  if (published.annotation === undefined) return;
  if (report.verdict === 'fail') core.setFailed(published.annotation);
  else core.warning(published.annotation);
}
