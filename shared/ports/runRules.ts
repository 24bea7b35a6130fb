/**
 * The run store's rules, written once for every adapter. {@link RuleBasedRunStore}
 * implements {@link RunStore} from a few raw reads and conditional writes that each
 * adapter supplies (a DynamoDB condition expression or transaction, an SQLite
 * statement in a transaction); it decides what each write is conditioned on and
 * what it counts:
 *
 * - a page only moves forward, in the order of {@link PAGE_STATES};
 * - creating a page as `staged` counts it (`pages` + 1, `rows` + its rows) in the
 *   same write, and a detail chunk's counts are added with the write that marks the
 *   chunk counted, so nothing is counted twice or lost whatever crashes;
 * - the end of pagination and the failed page keep the smallest index;
 * - an extraction moves only from the states the caller allows, a run finishes once;
 * - a change to a page or an extraction that does not exist is an error, never
 *   "already done".
 */
import type { ExecutionLog } from './executionLog';
import { systemClock, type Clock } from './logger';
import {
  COUNTER_NAMES,
  ZERO_COUNTERS,
  type ExtractionRunState,
  type ExtractionStatus,
  type PageRecord,
  type PageState,
  type RunCounters,
  type RunListPage,
  type RunListQuery,
  type RunRecord,
  type RunStatus,
  type RunStore,
} from './runs';

/** The order a page moves in; it never moves back. */
export const PAGE_STATES: readonly PageState[] = ['staged', 'dispatched', 'done'];

/** The states a page may move to `state` from: those before it (none for `staged`: only a new page is staged). */
export function statesBefore(state: PageState): PageState[] {
  return PAGE_STATES.slice(0, PAGE_STATES.indexOf(state));
}

/** A run is finished only from this status, so only once. */
export const FINISHES_FROM: readonly RunStatus[] = ['running'];

/** The counters one write adds: only the non-zero ones, in {@link COUNTER_NAMES} order. */
export type CounterChanges = ReadonlyArray<readonly [keyof RunCounters, number]>;

export function counterChanges(deltas: Partial<RunCounters>): CounterChanges {
  return COUNTER_NAMES.flatMap((name) => (deltas[name] ? [[name, deltas[name]] as const] : []));
}

/**
 * What creating `page` counts in the same write: a staged page is one page and its rows,
 * plus `extra` (the requests that fetched it); a page first saved in a later state counts nothing.
 */
export function countsOfNewPage(
  page: Pick<PageRecord, 'state' | 'rows'>,
  extra: Partial<RunCounters> = {},
): CounterChanges {
  return page.state === 'staged' ? counterChanges(sumCounts(extra, { pages: 1, rows: page.rows })) : [];
}

/** Two sets of counter deltas added up. */
export function sumCounts(a: Partial<RunCounters>, b: Partial<RunCounters>): Partial<RunCounters> {
  const sum: Partial<RunCounters> = { ...a };
  for (const name of COUNTER_NAMES) if (b[name]) sum[name] = (sum[name] ?? 0) + b[name];
  return sum;
}

/** `counters` (zero when absent) plus `changes`, as a new object. */
export function addCounters(counters: RunCounters | undefined, changes: CounterChanges): RunCounters {
  const sum = { ...ZERO_COUNTERS, ...counters };
  for (const [name, delta] of changes) sum[name] += delta;
  return sum;
}

/** What a conditional write did: wrote, was refused by its condition, or found no record to write to. */
export type WriteOutcome = 'written' | 'refused' | 'missing';

/** The extraction field whose smallest index wins, and its value. */
export type SmallestChange =
  { field: 'endIndex'; index: number } | { field: 'failedPage'; index: number; error: string };

/** A run's final status, with when it finished. */
export interface RunFinish {
  status: Exclude<RunStatus, 'running'>;
  error?: string;
  /** ISO-8601, for `finishedAt` and `updatedAt`. */
  at: string;
}

/**
 * The rules of {@link RunStore} over an adapter's primitives (the model of
 * aws-powertools' idempotency `BasePersistenceLayer`). Each `write*` primitive is
 * one atomic conditional write; a record that does not exist is never created by
 * one, except a page by {@link writePage}.
 *
 * @example
 * class MyRunStore extends RuleBasedRunStore { ...the reads and the write* primitives... }
 */
export abstract class RuleBasedRunStore implements RunStore {
  protected constructor(protected readonly clock: Clock = systemClock) {}

  /** Creates the run and its extractions, each only if absent (a repeat keeps the stored ones and their progress). */
  abstract createRun(run: RunRecord, extractions: ExtractionRunState[]): Promise<void>;
  abstract getRun(runId: string): Promise<RunRecord | undefined>;
  abstract listRuns(configId: string, limit: number): Promise<RunRecord[]>;
  abstract listAllRuns(query: RunListQuery): Promise<RunListPage>;
  abstract listRunning(): Promise<RunRecord[]>;
  abstract getExtraction(runId: string, extractionId: string): Promise<ExtractionRunState | undefined>;
  abstract getPage(runId: string, extractionId: string, index: number): Promise<PageRecord | undefined>;
  /** How many pages with an index below `index` are in state `done`. */
  abstract countDonePagesBelow(runId: string, extractionId: string, index: number): Promise<number>;
  abstract countedChunks(runId: string, extractionId: string, index: number): Promise<number>;

  /**
   * Writes `page` if it has no record, or its record's state is one of `from` (an
   * empty `from`: only if it has none). `counts`, when not empty, are added to the
   * run's and the extraction's counters in the same atomic write; 'missing' when
   * either of those records does not exist (and nothing is written).
   */
  protected abstract writePage(
    page: PageRecord,
    from: readonly PageState[],
    counts: CounterChanges,
  ): Promise<WriteOutcome>;

  /** Sets the page's state to `done` if it is one of `from`, adding 1 to the extraction's `pagesDone` in the same atomic write. */
  protected abstract writePageDone(
    runId: string,
    extractionId: string,
    index: number,
    from: readonly PageState[],
  ): Promise<WriteOutcome>;

  /** Adds `chunk` to the page's counted chunks unless it is there, adding `counts` (when not empty) to the run's and the extraction's counters in the same atomic write. */
  protected abstract writeChunkCounted(
    runId: string,
    extractionId: string,
    index: number,
    chunk: number,
    counts: CounterChanges,
  ): Promise<WriteOutcome>;

  /** Sets the extraction's `change.field` unless it already holds an index at or below `change.index`. Nothing when there is no such extraction. */
  protected abstract writeSmallest(
    runId: string,
    extractionId: string,
    change: SmallestChange,
  ): Promise<void>;

  /** Sets the extraction's status to `to` (and its log, when given) if it is one of `from`. */
  protected abstract writeExtractionStatus(
    runId: string,
    extractionId: string,
    from: readonly ExtractionStatus[],
    to: ExtractionStatus,
    log: ExecutionLog | undefined,
  ): Promise<WriteOutcome>;

  /** Sets the run's status, error, `finishedAt` and `updatedAt` if its status is one of `from`; false otherwise, or without such a run. */
  protected abstract writeRunFinish(
    runId: string,
    from: readonly RunStatus[],
    finish: RunFinish,
  ): Promise<boolean>;

  /** Adds `changes` (never empty) to the run's counters and, with `extractionId`, to that extraction's; a record that does not exist is left alone. */
  protected abstract writeCounters(
    runId: string,
    changes: CounterChanges,
    extractionId?: string,
  ): Promise<void>;

  /** The error for a change to a record that does not exist; adapters raise their own kind. */
  protected missingRecord(message: string): Error {
    return new Error(message);
  }

  protected now(): string {
    return this.clock.now().toISOString();
  }

  async savePage(page: PageRecord, counts: Partial<RunCounters> = {}): Promise<boolean> {
    const outcome = await this.writePage(page, statesBefore(page.state), countsOfNewPage(page, counts));
    return this.written(
      outcome,
      `the run or extraction of page ${page.index} of ${page.extractionId} in run ${page.runId}`,
    );
  }

  async markPageDone(
    runId: string,
    extractionId: string,
    index: number,
  ): Promise<ExtractionRunState | undefined> {
    const what = `page ${index} of ${extractionId} in run ${runId}`;
    if (!this.written(await this.writePageDone(runId, extractionId, index, statesBefore('done')), what)) {
      return undefined;
    }
    // The state is read back (strongly consistent): its count includes this page, and
    // concurrent calls may both see the final count, which is why what follows
    // (finalizing) is itself a conditional transition. The caller needs no read of its own.
    return this.extraction(runId, extractionId);
  }

  async countChunk(
    runId: string,
    extractionId: string,
    index: number,
    chunk: number,
    counts: Partial<RunCounters>,
  ): Promise<boolean> {
    const outcome = await this.writeChunkCounted(runId, extractionId, index, chunk, counterChanges(counts));
    return this.written(outcome, `page ${index} of ${extractionId} in run ${runId}`);
  }

  async setEnd(runId: string, extractionId: string, index: number): Promise<ExtractionRunState> {
    await this.writeSmallest(runId, extractionId, { field: 'endIndex', index });
    return this.extraction(runId, extractionId);
  }

  async recordPageFailure(
    runId: string,
    extractionId: string,
    index: number,
    error: string,
  ): Promise<ExtractionRunState> {
    await this.writeSmallest(runId, extractionId, { field: 'failedPage', index, error });
    return this.extraction(runId, extractionId);
  }

  async transitionExtraction(
    runId: string,
    extractionId: string,
    from: ExtractionStatus[],
    to: ExtractionStatus,
    log?: ExecutionLog,
  ): Promise<boolean> {
    if (from.length === 0) return false;
    const outcome = await this.writeExtractionStatus(runId, extractionId, from, to, log);
    return this.written(outcome, `extraction ${extractionId} of run ${runId}`);
  }

  async addCounters(runId: string, deltas: Partial<RunCounters>, extractionId?: string): Promise<void> {
    const changes = counterChanges(deltas);
    if (changes.length > 0) await this.writeCounters(runId, changes, extractionId);
  }

  finishRun(runId: string, status: Exclude<RunStatus, 'running'>, error?: string): Promise<boolean> {
    return this.writeRunFinish(runId, FINISHES_FROM, {
      status,
      ...(error !== undefined ? { error } : {}),
      at: this.now(),
    });
  }

  /** True when written, false when refused; a missing record is an error, never "already done". */
  private written(outcome: WriteOutcome, what: string): boolean {
    if (outcome === 'missing') throw this.missingRecord(`${what} does not exist`);
    return outcome === 'written';
  }

  private async extraction(runId: string, extractionId: string): Promise<ExtractionRunState> {
    const state = await this.getExtraction(runId, extractionId);
    if (!state) throw this.missingRecord(`extraction ${extractionId} of run ${runId} does not exist`);
    return state;
  }
}
