/**
 * Run state for the distributed pipeline. Every method that changes state is a
 * conditional write, so a repeated (re-delivered) call reports "already done"
 * instead of counting twice. The rules behind those writes are in `runRules.ts`,
 * written once for every adapter.
 */
import type { ExecutionLog } from './executionLog';

export type RunStatus = 'running' | 'succeeded' | 'failed';
export type ExtractionStatus = 'running' | 'finalizing' | 'succeeded' | 'failed';

export interface RunCounters {
  pages: number;
  rows: number;
  requests: number;
  retries: number;
  details: number;
  warnings: number;
}

export const ZERO_COUNTERS: RunCounters = {
  pages: 0,
  rows: 0,
  requests: 0,
  retries: 0,
  details: 0,
  warnings: 0,
};

/** Every counter, in a fixed order. */
export const COUNTER_NAMES = Object.keys(ZERO_COUNTERS) as (keyof RunCounters)[];

export interface RunRecord {
  runId: string;
  configId: string;
  configName: string;
  trigger: 'api' | 'schedule' | 'cli';
  status: RunStatus;
  error?: string;
  /** ISO-8601. */
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  /** The config as it was when the run started, as JSON text (key order kept). */
  configJson: string;
  extractionIds: string[];
  counters: RunCounters;
}

export interface ExtractionRunState {
  runId: string;
  extractionId: string;
  status: ExtractionStatus;
  /** Index of the page that said "no more"; pages after it are discarded. */
  endIndex?: number;
  pagesDone: number;
  /** The earliest page that failed for good, and why. */
  failedPage?: { index: number; error: string };
  /** The previous successful run's `last` record, as of this run's start. */
  previousLast: unknown;
  /** This extraction's share of the run's counters (absent until something is counted). */
  counters?: RunCounters;
  log?: ExecutionLog;
}

export interface PageCursorData {
  index: number;
  url?: string;
  query?: Record<string, string>;
}

export type PageState = 'staged' | 'dispatched' | 'done';

export interface PageRecord {
  runId: string;
  extractionId: string;
  index: number;
  state: PageState;
  /** What fetching this page decided, kept so a re-delivered task never fetches it again. */
  last: boolean;
  next?: PageCursorData;
  rows: number;
  /** Detail chunks of this page (0 without mapping_fetch). */
  chunks: number;
}

/** Where a page of {@link RunStore.listAllRuns} starts: after this run, in newest-first order. */
export interface RunListPosition {
  createdAt: string;
  runId: string;
}

export interface RunListQuery {
  /** Only this config's runs. */
  configId?: string;
  /** Only runs in this status. */
  status?: RunStatus;
  /** At most this many runs (at least 1). */
  limit: number;
  /** Continue after this run (the `next` of the previous page). */
  after?: RunListPosition;
}

export interface RunListPage {
  /** Newest first (created_at, then run id, both descending). */
  runs: RunRecord[];
  /** Where the next page starts; absent on the last page. */
  next?: RunListPosition;
}

export interface RunStore {
  createRun(run: RunRecord, extractions: ExtractionRunState[]): Promise<void>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  /** Newest first. */
  listRuns(configId: string, limit: number): Promise<RunRecord[]>;
  /** Every config's runs, newest first, filtered and a page at a time. */
  listAllRuns(query: RunListQuery): Promise<RunListPage>;
  /** Every run still running (the scheduler looks for stuck ones). */
  listRunning(): Promise<RunRecord[]>;
  getExtraction(runId: string, extractionId: string): Promise<ExtractionRunState | undefined>;
  getPage(runId: string, extractionId: string, index: number): Promise<PageRecord | undefined>;
  /**
   * Creates the page record, or moves it forward; false when it was already at or past `page.state`.
   * Creating it as `staged` also counts it, in the same write: `pages` + 1 and `rows` + `page.rows`
   * on the run and on the extraction. So the counters are exactly the staged pages, whatever crashes.
   * `counts` (the requests that fetched it) are added in that same write, and only by it: when
   * the call returns false they were not added.
   */
  savePage(page: PageRecord, counts?: Partial<RunCounters>): Promise<boolean>;
  /**
   * Marks a page done once: the extraction's state read back after it (its `pagesDone`
   * includes this page), or undefined if the page already was done.
   */
  markPageDone(runId: string, extractionId: string, index: number): Promise<ExtractionRunState | undefined>;
  /**
   * Counts a detail chunk of a page once: true when this call counted it, false when it
   * already was. `counts` (what the chunk staged: details, warnings; the requests that fetched it) are added to the run's
   * and the extraction's counters in the same write, so a chunk is counted exactly once
   * however often it is completed.
   */
  countChunk(
    runId: string,
    extractionId: string,
    index: number,
    chunk: number,
    counts: Partial<RunCounters>,
  ): Promise<boolean>;
  /**
   * How many detail chunks of a page `countChunk` has counted (read consistently; 0 for a
   * page that does not exist). Every counted chunk is staged, so a page whose count
   * reaches its `chunks` is complete.
   */
  countedChunks(runId: string, extractionId: string, index: number): Promise<number>;
  /** Records the end of pagination; the smallest index wins. Returns the state after. */
  setEnd(runId: string, extractionId: string, index: number): Promise<ExtractionRunState>;
  /** Records a page that failed for good; the smallest index wins. Returns the state after. */
  recordPageFailure(
    runId: string,
    extractionId: string,
    index: number,
    error: string,
  ): Promise<ExtractionRunState>;
  /** How many pages with an index below `index` are done. */
  countDonePagesBelow(runId: string, extractionId: string, index: number): Promise<number>;
  /** Moves an extraction from one of `from` to `to`; false when it was in no state of `from`. */
  transitionExtraction(
    runId: string,
    extractionId: string,
    from: ExtractionStatus[],
    to: ExtractionStatus,
    log?: ExecutionLog,
  ): Promise<boolean>;
  /** Adds to the run's counters and, with `extractionId`, to that extraction's too. */
  addCounters(runId: string, deltas: Partial<RunCounters>, extractionId?: string): Promise<void>;
  /** running -> succeeded/failed, once. */
  finishRun(runId: string, status: Exclude<RunStatus, 'running'>, error?: string): Promise<boolean>;
}
