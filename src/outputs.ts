import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as core from '@actions/core';
import type { Report } from './report.ts';
import { renderSummary } from './summary.ts';

/** The step's outputs, every one of them written in every case (empty when unknown). */
export function outputValues(report: Report): Record<string, string> {
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
    result: report.result === undefined ? '' : JSON.stringify(report.result),
  };
}

/** Keeps the whole output where actions/upload-artifact can pick it up. */
export function writeLogsFile(name: string, logs: string): string | undefined {
  const dir = process.env.RUNNER_TEMP;
  if (!dir) return undefined;
  const path = join(dir, `${name.replace(/[^\w.-]/g, '_')}.log`);
  writeFileSync(path, logs);
  return path;
}

/** The one place that hands the result on: outputs, job summary, and the step's verdict. */
export async function publish(report: Report): Promise<void> {
  for (const [name, value] of Object.entries(outputValues(report))) core.setOutput(name, value);
  if (process.env.GITHUB_STEP_SUMMARY) {
    try {
      await core.summary.addRaw(renderSummary(report)).write();
    } catch (error) {
      core.warning(
        `Could not write the job summary: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  const text = [report.message, report.fix ? `Fix: ${report.fix}` : ''].filter(Boolean).join('\n');
  if (report.verdict === 'fail')
    core.setFailed(text || `${report.operation} ended with status ${report.status}`);
  else if (report.verdict === 'warn' && text) core.warning(text);
}
