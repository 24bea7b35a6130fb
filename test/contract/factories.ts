/** Small factories of run-state records for the contracts (and the lead's handler tests). */
import type { ExecutionLog } from '../../shared/ports/executionLog';
import {
  ZERO_COUNTERS,
  type ExtractionRunState,
  type PageRecord,
  type RunRecord,
} from '../../shared/ports/runs';

let sequence = 0;
export const unique = (prefix: string): string =>
  `${prefix}-${Date.now().toString(36)}-${(sequence++).toString(36)}`;

/** A running run of one config with the given extractions. */
export function makeRun(overrides: Partial<RunRecord> = {}): RunRecord {
  const createdAt = overrides.createdAt ?? '2026-03-01T10:00:00.000Z';
  return {
    runId: unique('run'),
    configId: 'config-1',
    configName: 'Zoho',
    trigger: 'api',
    status: 'running',
    createdAt,
    updatedAt: createdAt,
    // Key order matters: the snapshot must come back as the same text.
    configJson:
      '{"name":"Zoho","extractions":[{"name":"deals","z":1,"a":2}],"auth":{"access_token":"${secret::t}"}}',
    extractionIds: ['ext-deals', 'ext-tickets'],
    counters: { ...ZERO_COUNTERS },
    ...overrides,
  };
}

export function makeExtraction(
  run: RunRecord,
  extractionId: string,
  overrides: Partial<ExtractionRunState> = {},
): ExtractionRunState {
  return {
    runId: run.runId,
    extractionId,
    status: 'running',
    pagesDone: 0,
    previousLast: { z_last: '2026-01-01', a_id: 7, nested: { b: 1, a: [1, 2] } },
    ...overrides,
  };
}

export function makePage(
  run: RunRecord,
  extractionId: string,
  index: number,
  overrides: Partial<PageRecord> = {},
): PageRecord {
  return {
    runId: run.runId,
    extractionId,
    index,
    state: 'staged',
    last: false,
    next: {
      index: index + 1,
      url: 'https://api.example.com/deals?page=2',
      query: { page: String(index + 2) },
    },
    rows: 100,
    chunks: 0,
    ...overrides,
  };
}

export function makeLog(overrides: Partial<ExecutionLog> = {}): ExecutionLog {
  return {
    extraction_name: 'deals',
    extraction_id: 'ext-deals',
    config_name: 'Zoho',
    config_id: 'config-1',
    success: 'true',
    error: null,
    data_inserted_len: '200',
    destiny: 's3://bucket/deals/2026.csv',
    last: { id: 9, modified: '2026-03-01' },
    created_at: '2026-03-01 10:00:05.123000',
    run_id: 'run-1',
    started_at: '2026-03-01 10:00:00.000000',
    finished_at: '2026-03-01 10:00:05.123000',
    pages: 2,
    requests: 3,
    retries: 0,
    detail_requests: 0,
    warnings: 0,
    warning_messages: [],
    ...overrides,
  };
}
