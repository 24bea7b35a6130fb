/** RunStore on the embedded SQLite database; each conditional write is one transaction. */
import type { ExecutionLog } from '../../ports/executionLog';
import type {
  ExtractionRunState,
  ExtractionStatus,
  PageRecord,
  PageState,
  RunCounters,
  RunRecord,
  RunStatus,
  RunStore,
} from '../../ports/runs';
import { ZERO_COUNTERS } from '../../ports/runs';
import { type Database, transaction } from './database';

const PAGE_ORDER: Record<PageState, number> = { staged: 0, dispatched: 1, done: 2 };

export class SqliteRunStore implements RunStore {
  constructor(private readonly db: Database) {}

  async createRun(run: RunRecord, extractions: ExtractionRunState[]): Promise<void> {
    transaction(this.db, () => {
      // A repeated create (a re-delivered start) keeps the stored run and its progress.
      const created = this.db
        .prepare(
          'INSERT INTO runs (run_id, config_id, created_at, doc) VALUES (?, ?, ?, ?) ON CONFLICT (run_id) DO NOTHING',
        )
        .run(run.runId, run.configId, run.createdAt, JSON.stringify(run));
      if (created.changes === 0) return;
      const insert = this.db.prepare(
        'INSERT INTO extraction_runs (run_id, extraction_id, doc) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      );
      for (const e of extractions) insert.run(e.runId, e.extractionId, JSON.stringify(e));
    });
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    return this.readRun(runId);
  }

  private readRun(runId: string): RunRecord | undefined {
    const row = this.db.prepare('SELECT doc FROM runs WHERE run_id = ?').get(runId) as
      { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as RunRecord) : undefined;
  }

  private writeRun(run: RunRecord): void {
    this.db.prepare('UPDATE runs SET doc = ? WHERE run_id = ?').run(JSON.stringify(run), run.runId);
  }

  async listRuns(configId: string, limit: number): Promise<RunRecord[]> {
    const rows = this.db
      .prepare('SELECT doc FROM runs WHERE config_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?')
      .all(configId, limit) as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as RunRecord);
  }

  async listRunning(): Promise<RunRecord[]> {
    const rows = this.db
      .prepare("SELECT doc FROM runs WHERE json_extract(doc, '$.status') = 'running' ORDER BY created_at")
      .all() as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as RunRecord);
  }

  async getExtraction(runId: string, extractionId: string): Promise<ExtractionRunState | undefined> {
    return this.readExtraction(runId, extractionId);
  }

  private readExtraction(runId: string, extractionId: string): ExtractionRunState | undefined {
    const row = this.db
      .prepare('SELECT doc FROM extraction_runs WHERE run_id = ? AND extraction_id = ?')
      .get(runId, extractionId) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as ExtractionRunState) : undefined;
  }

  private writeExtraction(state: ExtractionRunState): void {
    this.db
      .prepare('UPDATE extraction_runs SET doc = ? WHERE run_id = ? AND extraction_id = ?')
      .run(JSON.stringify(state), state.runId, state.extractionId);
  }

  private mustExtraction(runId: string, extractionId: string): ExtractionRunState {
    const state = this.readExtraction(runId, extractionId);
    if (!state) throw new Error(`no extraction ${extractionId} in run ${runId}`);
    return state;
  }

  async getPage(runId: string, extractionId: string, index: number): Promise<PageRecord | undefined> {
    const row = this.db
      .prepare('SELECT doc FROM pages WHERE run_id = ? AND extraction_id = ? AND page_index = ?')
      .get(runId, extractionId, index) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as PageRecord) : undefined;
  }

  async savePage(page: PageRecord): Promise<boolean> {
    return transaction(this.db, () => {
      const current = this.db
        .prepare(
          'SELECT state, chunks_done FROM pages WHERE run_id = ? AND extraction_id = ? AND page_index = ?',
        )
        .get(page.runId, page.extractionId, page.index) as
        { state: PageState; chunks_done: string } | undefined;
      if (current && PAGE_ORDER[current.state] >= PAGE_ORDER[page.state]) return false;
      // Chunks may complete while the page is being dispatched: the stored count wins.
      if (current) page = { ...page, chunksDone: (JSON.parse(current.chunks_done) as number[]).length };
      this.db
        .prepare(
          `INSERT INTO pages (run_id, extraction_id, page_index, state, doc) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (run_id, extraction_id, page_index) DO UPDATE SET state = excluded.state, doc = excluded.doc`,
        )
        .run(page.runId, page.extractionId, page.index, page.state, JSON.stringify(page));
      if (!current && page.state === 'staged')
        this.count(page.runId, { pages: 1, rows: page.rows }, page.extractionId);
      return true;
    });
  }

  async markPageDone(runId: string, extractionId: string, index: number): Promise<number | undefined> {
    return transaction(this.db, () => {
      const row = this.db
        .prepare('SELECT state, doc FROM pages WHERE run_id = ? AND extraction_id = ? AND page_index = ?')
        .get(runId, extractionId, index) as { state: PageState; doc: string } | undefined;
      if (!row) throw new Error(`page ${index} of ${extractionId} in run ${runId} was never staged`);
      if (row.state === 'done') return undefined;
      const page = { ...(JSON.parse(row.doc) as PageRecord), state: 'done' as const };
      this.db
        .prepare(
          "UPDATE pages SET state = 'done', doc = ? WHERE run_id = ? AND extraction_id = ? AND page_index = ?",
        )
        .run(JSON.stringify(page), runId, extractionId, index);
      const state = this.mustExtraction(runId, extractionId);
      state.pagesDone += 1;
      this.writeExtraction(state);
      return state.pagesDone;
    });
  }

  async completeChunk(
    runId: string,
    extractionId: string,
    index: number,
    chunk: number,
    counts: Partial<RunCounters> = {},
  ): Promise<number | undefined> {
    return transaction(this.db, () => {
      const row = this.db
        .prepare(
          'SELECT chunks_done, doc FROM pages WHERE run_id = ? AND extraction_id = ? AND page_index = ?',
        )
        .get(runId, extractionId, index) as { chunks_done: string; doc: string } | undefined;
      if (!row) throw new Error(`page ${index} of ${extractionId} in run ${runId} was never staged`);
      const done = JSON.parse(row.chunks_done) as number[];
      if (done.includes(chunk)) return undefined;
      done.push(chunk);
      const page = { ...(JSON.parse(row.doc) as PageRecord), chunksDone: done.length };
      this.db
        .prepare(
          'UPDATE pages SET chunks_done = ?, doc = ? WHERE run_id = ? AND extraction_id = ? AND page_index = ?',
        )
        .run(JSON.stringify(done), JSON.stringify(page), runId, extractionId, index);
      this.count(runId, counts, extractionId);
      return done.length;
    });
  }

  async setEnd(runId: string, extractionId: string, index: number): Promise<ExtractionRunState> {
    return transaction(this.db, () => {
      const state = this.mustExtraction(runId, extractionId);
      if (state.endIndex === undefined || index < state.endIndex) {
        state.endIndex = index;
        this.writeExtraction(state);
      }
      return state;
    });
  }

  async recordPageFailure(
    runId: string,
    extractionId: string,
    index: number,
    error: string,
  ): Promise<ExtractionRunState> {
    return transaction(this.db, () => {
      const state = this.mustExtraction(runId, extractionId);
      if (!state.failedPage || index < state.failedPage.index) {
        state.failedPage = { index, error };
        this.writeExtraction(state);
      }
      return state;
    });
  }

  async countDonePagesBelow(runId: string, extractionId: string, index: number): Promise<number> {
    const row = this.db
      .prepare(
        "SELECT COUNT(*) AS n FROM pages WHERE run_id = ? AND extraction_id = ? AND page_index < ? AND state = 'done'",
      )
      .get(runId, extractionId, index) as { n: number };
    return row.n;
  }

  async transitionExtraction(
    runId: string,
    extractionId: string,
    from: ExtractionStatus[],
    to: ExtractionStatus,
    log?: ExecutionLog,
  ): Promise<boolean> {
    return transaction(this.db, () => {
      const state = this.mustExtraction(runId, extractionId);
      if (!from.includes(state.status)) return false;
      state.status = to;
      if (log) state.log = log;
      this.writeExtraction(state);
      return true;
    });
  }

  async addCounters(runId: string, deltas: Partial<RunCounters>, extractionId?: string): Promise<void> {
    transaction(this.db, () => this.count(runId, deltas, extractionId));
  }

  /** Adds to the counters; only ever called inside a transaction. */
  private count(runId: string, deltas: Partial<RunCounters>, extractionId?: string): void {
    const run = this.readRun(runId);
    if (!run) return;
    const entries = Object.entries(deltas) as Array<[keyof RunCounters, number]>;
    for (const [name, delta] of entries) run.counters[name] += delta;
    run.updatedAt = new Date().toISOString();
    this.writeRun(run);
    const state = extractionId === undefined ? undefined : this.readExtraction(runId, extractionId);
    if (!state) return;
    const counters = (state.counters ??= { ...ZERO_COUNTERS });
    for (const [name, delta] of entries) counters[name] += delta;
    this.writeExtraction(state);
  }

  async finishRun(runId: string, status: Exclude<RunStatus, 'running'>, error?: string): Promise<boolean> {
    return transaction(this.db, () => {
      const run = this.readRun(runId);
      if (!run || run.status !== 'running') return false;
      run.status = status;
      if (error !== undefined) run.error = error;
      run.finishedAt = run.updatedAt = new Date().toISOString();
      this.writeRun(run);
      return true;
    });
  }
}
