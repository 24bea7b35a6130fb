/** The execution log of one extraction run (docs/config.md describes its fields), string-typed as in the original. */
export interface ExecutionLog {
  extraction_name: string;
  extraction_id: string;
  config_name: string;
  config_id: string;
  success: 'true' | 'false';
  error: string | null;
  data_inserted_len: string;
  destiny: string | null;
  last: unknown;
  created_at: string;
  run_id: string;
  started_at: string;
  finished_at: string;
  pages: number;
  requests: number;
  retries: number;
  detail_requests: number;
  warnings: number;
  warning_messages: string[];
  /** Present when the extraction loads into Carol (`carol_destiny`) and the load completed. */
  carol?: CarolLoadLog;
}

/** What an extraction loaded into Carol. */
export interface CarolLoadLog {
  /** Carol's base URL (`carol_destiny.url`). */
  destination: string;
  table: string;
  /** The load's batch id (one per run and extraction). */
  batch_id: string;
  /** Intake requests of the batch. */
  requests: number;
  /** Records sent, the summary's `totalRecords`. */
  records: number;
}

export interface ExecutionLogStore {
  /** Stores a log; idempotent per (extraction_id, run_id), so a repeated write replaces it. */
  append(log: ExecutionLog): Promise<void>;
  /** Newest first. */
  list(extractionId: string): Promise<ExecutionLog[]>;
}
