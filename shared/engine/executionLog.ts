/** Building execution logs, shared by the in-process engine and the pipeline's writer. */
import type { Redactor } from '../core/redact';
import { formatLogTimestamp } from '../core/time';
import type { ExecutionLog } from '../ports/executionLog';

export interface ExecutionLogFacts {
  extractionName: string;
  extractionId: string;
  configName: string;
  configId: string;
  runId: string;
  startedAt: Date;
  finishedAt: Date;
  success: boolean;
  error: string | null;
  rows: number;
  destiny: string | null;
  last: unknown;
  pages: number;
  requests: number;
  retries: number;
  detailRequests: number;
  warnings: number;
  warningMessages: string[];
}

export function buildExecutionLog(f: ExecutionLogFacts, redactor: Redactor): ExecutionLog {
  return {
    extraction_name: f.extractionName,
    extraction_id: f.extractionId,
    config_name: f.configName,
    config_id: f.configId,
    success: f.success ? 'true' : 'false',
    error: f.error === null ? null : redactor.redact(f.error),
    data_inserted_len: String(f.rows),
    destiny: f.destiny,
    last: redactor.redactDeep(f.last ?? null),
    created_at: formatLogTimestamp(f.finishedAt),
    run_id: f.runId,
    started_at: formatLogTimestamp(f.startedAt),
    finished_at: formatLogTimestamp(f.finishedAt),
    pages: f.pages,
    requests: f.requests,
    retries: f.retries,
    detail_requests: f.detailRequests,
    warnings: f.warnings,
    warning_messages: f.warningMessages.map((m) => redactor.redact(m)),
  };
}

/** Errors that repeating the same task cannot fix: they fail the extraction at once. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
