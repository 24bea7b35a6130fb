/** The execution log of one extraction run (SPEC §5), string-typed as in the original. */
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
}

export interface ExecutionLogStore {
  /** Stores a log; idempotent per (extraction_id, run_id), so a repeated write replaces it. */
  append(log: ExecutionLog): Promise<void>;
  /** Newest first. */
  list(extractionId: string): Promise<ExecutionLog[]>;
}
