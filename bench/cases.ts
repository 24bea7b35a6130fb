/**
 * The benchmark's extraction configs, built over the fake API's Zoho-like deals.
 * Shared by the orchestrator (bench/run.ts) and the engine child (bench/engineRun.ts).
 */

/** What an engine child runs. */
export type BenchKind = 'rows' | 'pages' | 'details' | 'carol';

export interface EngineJob {
  kind: BenchKind;
  /** Fake API base URL, no trailing slash. */
  url: string;
  /** Records the fake API serves = rows the run must write. */
  records: number;
  /** Rows per page (`per_page`). */
  pageSize: number;
  /** `pagination.parameters.pages_in_flight`. */
  pagesInFlight: number;
  /** `mapping_fetch.concurrency` (details only). */
  detailConcurrency: number;
  /** The fake Carol's base URL (carol only): the rows case's rows, loaded into Carol instead of a file. */
  carolUrl?: string;
}

/** Bucket and key of the output file (under `<dataDir>/s3/`). */
export const OUTPUT_BUCKET = 'bench';

export function outputKey(job: EngineJob): string {
  return `bench/${job.kind}-${job.records}.csv`;
}

/** Eight columns over the nested deal record. */
export const DEALS_SCHEMA = {
  id: 'id',
  Deal_Name: 'deal_name',
  Amount: 'amount',
  Stage: 'stage',
  Description: 'description',
  Owner: { name: 'owner_name', email: 'owner_email' },
  Account_Name: { name: 'account_name' },
} as const;

/** Upper on one column (in place), replace into a new prefixed column. */
export const DEALS_TRANSFORMATIONS = [
  { action: 'upper', on: ['stage'] },
  {
    action: 'replace',
    on: ['description'],
    new_column_prefix: 'clean_',
    params: { to_replace: ';', value: '.' },
  },
];

/** `?page=n` from 1 while the body's `info.more_records` is true. */
export function pageNumberPagination(maxPages: number, pagesInFlight = 1): Record<string, unknown> {
  return {
    type: 'sequential',
    parameters: {
      param_name: 'page',
      start_from: 1,
      there_are_more_pages: 'info.more_records',
      pages_in_flight: pagesInFlight,
      max_pages: maxPages,
    },
  };
}

/** The config document (before validation) for a job. */
export function benchConfig(job: EngineJob): Record<string, unknown> {
  const pages = Math.ceil(job.records / job.pageSize);
  const extraction: Record<string, unknown> = {
    name: `${job.kind}-${job.records}`,
    endpoint: { url: `${job.url}/crm/v2/deals`, query_params: { per_page: job.pageSize } },
    data_key: 'data',
    format: 'csv',
    data_schema: DEALS_SCHEMA,
    transformations: DEALS_TRANSFORMATIONS,
    // Room for the pages requested past the end while several are in flight.
    pagination: pageNumberPagination(pages + 128, job.pagesInFlight),
    s3_destiny: { bucket: OUTPUT_BUCKET, folder: 'bench/', filename: `${job.kind}-${job.records}` },
  };
  if (job.kind === 'details') {
    extraction.mapping_fetch = {
      endpoint: { url: `${job.url}/details/\${extracted_item::id}` },
      prefix: 'detail_',
      data_schema: { detail: { owner_phone: 'owner_phone', score: 'score' } },
      concurrency: job.detailConcurrency,
    };
  }
  if (job.kind === 'carol') {
    if (!job.carolUrl) throw new Error('the carol case needs the fake Carol URL');
    // The fake Carol's default connector and key; the schema is created from the columns.
    extraction.carol_destiny = {
      url: job.carolUrl,
      connector_id: 'conn0001',
      table: 'deals',
      auth: { type: 'connector_token', api_key: 'carol-api-key' },
      crosswalk: ['id'],
      schema: 'create',
      write_file: false,
    };
  }
  return { name: `bench ${job.kind}`, extractions: [extraction] };
}

/** What an engine child prints on stdout (one JSON line). */
export interface EngineResult {
  kind: BenchKind;
  job: EngineJob;
  success: boolean;
  error: string | null;
  /** `data_inserted_len` of the execution log. */
  rows: number;
  pages: number;
  requests: number;
  detailRequests: number;
  /** runConfig alone, from call to return (process start-up and config parse excluded). */
  wallMs: number;
  /** `process.resourceUsage().maxRSS` at the end: the child's peak RSS in KiB. */
  maxRssKb: number;
  /** RSS after start-up, before the run, in KiB. */
  startRssKb: number;
  /** CPU time of the child during the run, in ms. */
  userCpuMs: number;
  systemCpuMs: number;
  /** Output file size in bytes (0 when none was written). */
  outputBytes: number;
  outputPath: string;
  /** Peak V8 heap used, sampled every 50 ms, in KiB. */
  peakHeapUsedKb: number;
  /** carol: the log's `carol` field (requests and records of the batch). */
  carol?: { requests: number; records: number; batchId: string };
}
