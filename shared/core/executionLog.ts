/** Execution logs: one per extraction per run, whichever way the run was carried out. */
import type { CarolLoadLog, ExecutionLog } from '../ports/executionLog';
import type { Redactor } from './redact';
import { formatLogTimestamp } from './time';

/** Which extraction of which run a log is about. */
export interface LogIdentity {
  extractionName: string;
  extractionId: string;
  configName: string;
  configId: string;
  runId: string;
  startedAt: Date;
}

/** How an extraction ended. */
export interface LogOutcome {
  success: boolean;
  error: string | null;
  rows: number;
  /** Where the rows went (`s3://bucket/key`), or null when nothing was written. */
  destiny: string | null;
  /** The record the next run starts after. */
  last: unknown;
  /** What was loaded into Carol, when the extraction loads into Carol. */
  carol?: CarolLoadLog;
}

/** What the extraction did on the way. */
export interface LogCounts {
  pages: number;
  requests: number;
  retries: number;
  detailRequests: number;
  warnings: number;
  /** The first warnings' texts (at most {@link MAX_WARNING_MESSAGES}). */
  warningMessages: string[];
}

/** Warning texts kept per extraction; every warning is counted, only the first ones are kept. */
export const MAX_WARNING_MESSAGES = 20;

export const NO_COUNTS: LogCounts = {
  pages: 0,
  requests: 0,
  retries: 0,
  detailRequests: 0,
  warnings: 0,
  warningMessages: [],
};

/** The log, every text in it redacted. */
export function buildExecutionLog(
  identity: LogIdentity,
  outcome: LogOutcome,
  counts: LogCounts,
  finishedAt: Date,
  redactor: Redactor,
): ExecutionLog {
  return {
    extraction_name: identity.extractionName,
    extraction_id: identity.extractionId,
    config_name: identity.configName,
    config_id: identity.configId,
    success: outcome.success ? 'true' : 'false',
    error: outcome.error === null ? null : redactor.redact(outcome.error),
    data_inserted_len: String(outcome.rows),
    destiny: outcome.destiny,
    last: redactor.redactDeep(outcome.last ?? null),
    created_at: formatLogTimestamp(finishedAt),
    run_id: identity.runId,
    started_at: formatLogTimestamp(identity.startedAt),
    finished_at: formatLogTimestamp(finishedAt),
    pages: counts.pages,
    requests: counts.requests,
    retries: counts.retries,
    detail_requests: counts.detailRequests,
    warnings: counts.warnings,
    warning_messages: counts.warningMessages.map((m) => redactor.redact(m)),
    ...(outcome.carol ? { carol: { ...outcome.carol } } : {}),
  };
}

/** The log of an extraction that failed: nothing written, `last` where it was. */
export function failureLog(
  identity: LogIdentity,
  error: string,
  previousLast: unknown,
  finishedAt: Date,
  redactor: Redactor,
  counts: LogCounts = NO_COUNTS,
): ExecutionLog {
  return buildExecutionLog(
    identity,
    { success: false, error, rows: 0, destiny: null, last: previousLast ?? null },
    counts,
    finishedAt,
    redactor,
  );
}

/**
 * Warnings of one extraction: every one counted, the first {@link MAX_WARNING_MESSAGES}
 * texts kept.
 */
export class WarningLog {
  count = 0;
  readonly messages: string[] = [];

  add(message: string): void {
    this.count++;
    if (this.messages.length < MAX_WARNING_MESSAGES) this.messages.push(message);
  }
}
