/**
 * RunStore on the embedded SQLite database: the raw reads and the conditional writes
 * (statements in one transaction each) behind the rules in `shared/ports/runRules.ts`.
 * Records are JSON documents; a condition is a `WHERE` on the document, and a write
 * that changes nothing was refused.
 */
import type { ExecutionLog } from '../../ports/executionLog';
import type { Clock } from '../../ports/logger';
import {
  addCounters,
  RuleBasedRunStore,
  type CounterChanges,
  type RunFinish,
  type SmallestChange,
  type WriteOutcome,
} from '../../ports/runRules';
import type {
  ExtractionRunState,
  ExtractionStatus,
  PageRecord,
  PageState,
  RunListPage,
  RunListQuery,
  RunRecord,
  RunStatus,
} from '../../ports/runs';
import { type Database, transaction } from './database';

const PAGE = 'run_id = ? AND extraction_id = ? AND page_index = ?';
const EXTRACTION = 'run_id = ? AND extraction_id = ?';
/** `?, ?, …` for a list of values (SQLite takes an empty `IN ()`: nothing matches). */
const placeholders = (values: readonly unknown[]): string => values.map(() => '?').join(', ');

export class SqliteRunStore extends RuleBasedRunStore {
  constructor(
    private readonly db: Database,
    clock?: Clock,
  ) {
    super(clock);
  }

  async createRun(run: RunRecord, extractions: ExtractionRunState[]): Promise<void> {
    transaction(this.db, () => {
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

  async listRuns(configId: string, limit: number): Promise<RunRecord[]> {
    const rows = this.db
      .prepare('SELECT doc FROM runs WHERE config_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?')
      .all(configId, limit) as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as RunRecord);
  }

  async listAllRuns(query: RunListQuery): Promise<RunListPage> {
    const where: string[] = [];
    const values: Array<string | number> = [];
    if (query.configId !== undefined) {
      where.push('config_id = ?');
      values.push(query.configId);
    }
    if (query.status !== undefined) {
      where.push("json_extract(doc, '$.status') = ?");
      values.push(query.status);
    }
    if (query.after) {
      where.push('(created_at < ? OR (created_at = ? AND run_id < ?))');
      values.push(query.after.createdAt, query.after.createdAt, query.after.runId);
    }
    const limit = Math.max(1, query.limit);
    // One more than asked: whether there is a next page.
    const rows = this.db
      .prepare(
        `SELECT doc FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY created_at DESC, run_id DESC LIMIT ?`,
      )
      .all(...values, limit + 1) as Array<{ doc: string }>;
    const runs = rows.slice(0, limit).map((r) => JSON.parse(r.doc) as RunRecord);
    const last = runs[runs.length - 1];
    return rows.length > limit && last
      ? { runs, next: { createdAt: last.createdAt, runId: last.runId } }
      : { runs };
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

  async getPage(runId: string, extractionId: string, index: number): Promise<PageRecord | undefined> {
    const row = this.db.prepare(`SELECT doc FROM pages WHERE ${PAGE}`).get(runId, extractionId, index) as
      { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as PageRecord) : undefined;
  }

  async countedChunks(runId: string, extractionId: string, index: number): Promise<number> {
    const row = this.db
      .prepare(`SELECT json_array_length(counted_chunks) AS n FROM pages WHERE ${PAGE}`)
      .get(runId, extractionId, index) as { n: number } | undefined;
    return row?.n ?? 0;
  }

  async countDonePagesBelow(runId: string, extractionId: string, index: number): Promise<number> {
    const row = this.db
      .prepare(`SELECT COUNT(*) AS n FROM pages WHERE ${EXTRACTION} AND page_index < ? AND state = 'done'`)
      .get(runId, extractionId, index) as { n: number };
    return row.n;
  }

  protected async writePage(
    page: PageRecord,
    from: readonly PageState[],
    counts: CounterChanges,
  ): Promise<WriteOutcome> {
    return transaction(this.db, () => {
      if (counts.length > 0 && !this.hasRunAndExtraction(page.runId, page.extractionId)) return 'missing';
      const saved = this.db
        .prepare(
          `INSERT INTO pages (run_id, extraction_id, page_index, state, doc) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (run_id, extraction_id, page_index) DO UPDATE SET state = excluded.state, doc = excluded.doc
           WHERE pages.state IN (${placeholders(from)})`,
        )
        .run(page.runId, page.extractionId, page.index, page.state, JSON.stringify(page), ...from);
      if (saved.changes === 0) return 'refused';
      this.count(page.runId, counts, page.extractionId);
      return 'written';
    });
  }

  protected async writePageDone(
    runId: string,
    extractionId: string,
    index: number,
    from: readonly PageState[],
  ): Promise<WriteOutcome> {
    return transaction(this.db, () => {
      if (!this.readExtraction(runId, extractionId)) return 'missing';
      const done = this.db
        .prepare(
          `UPDATE pages SET state = 'done', doc = json_set(doc, '$.state', 'done')
           WHERE ${PAGE} AND state IN (${placeholders(from)})`,
        )
        .run(runId, extractionId, index, ...from);
      if (done.changes === 0) return this.refusedOrMissing('pages', PAGE, [runId, extractionId, index]);
      this.db
        .prepare(
          `UPDATE extraction_runs SET doc = json_set(doc, '$.pagesDone', json_extract(doc, '$.pagesDone') + 1)
           WHERE ${EXTRACTION}`,
        )
        .run(runId, extractionId);
      return 'written';
    });
  }

  protected async writeChunkCounted(
    runId: string,
    extractionId: string,
    index: number,
    chunk: number,
    counts: CounterChanges,
  ): Promise<WriteOutcome> {
    return transaction(this.db, () => {
      if (counts.length > 0 && !this.hasRunAndExtraction(runId, extractionId)) return 'missing';
      const counted = this.db
        .prepare(
          `UPDATE pages SET counted_chunks = json_insert(counted_chunks, '$[#]', ?)
           WHERE ${PAGE} AND NOT EXISTS (SELECT 1 FROM json_each(counted_chunks) WHERE value = ?)`,
        )
        .run(chunk, runId, extractionId, index, chunk);
      if (counted.changes === 0) return this.refusedOrMissing('pages', PAGE, [runId, extractionId, index]);
      this.count(runId, counts, extractionId);
      return 'written';
    });
  }

  protected async writeSmallest(runId: string, extractionId: string, change: SmallestChange): Promise<void> {
    const [path, value] =
      change.field === 'endIndex'
        ? ['$.endIndex', 'CAST(? AS INTEGER)']
        : ['$.failedPage', "json_object('index', CAST(? AS INTEGER), 'error', ?)"];
    const current = change.field === 'endIndex' ? '$.endIndex' : '$.failedPage.index';
    const values = change.field === 'endIndex' ? [change.index] : [change.index, change.error];
    this.db
      .prepare(
        `UPDATE extraction_runs SET doc = json_set(doc, '${path}', ${value})
         WHERE ${EXTRACTION} AND (json_extract(doc, '${current}') IS NULL OR json_extract(doc, '${current}') > ?)`,
      )
      .run(...values, runId, extractionId, change.index);
  }

  protected async writeExtractionStatus(
    runId: string,
    extractionId: string,
    from: readonly ExtractionStatus[],
    to: ExtractionStatus,
    log: ExecutionLog | undefined,
  ): Promise<WriteOutcome> {
    return transaction(this.db, () => {
      const sets = log === undefined ? "'$.status', ?" : "'$.status', ?, '$.log', json(?)";
      const values = log === undefined ? [to] : [to, JSON.stringify(log)];
      const moved = this.db
        .prepare(
          `UPDATE extraction_runs SET doc = json_set(doc, ${sets})
           WHERE ${EXTRACTION} AND json_extract(doc, '$.status') IN (${placeholders(from)})`,
        )
        .run(...values, runId, extractionId, ...from);
      if (moved.changes > 0) return 'written';
      return this.refusedOrMissing('extraction_runs', EXTRACTION, [runId, extractionId]);
    });
  }

  protected async writeRunFinish(
    runId: string,
    from: readonly RunStatus[],
    finish: RunFinish,
  ): Promise<boolean> {
    const sets = ["'$.status', ?", "'$.finishedAt', ?", "'$.updatedAt', ?"];
    const values = [finish.status, finish.at, finish.at];
    if (finish.error !== undefined) {
      sets.push("'$.error', ?");
      values.push(finish.error);
    }
    const finished = this.db
      .prepare(
        `UPDATE runs SET doc = json_set(doc, ${sets.join(', ')})
         WHERE run_id = ? AND json_extract(doc, '$.status') IN (${placeholders(from)})`,
      )
      .run(...values, runId, ...from);
    return finished.changes > 0;
  }

  protected async writeCounters(
    runId: string,
    changes: CounterChanges,
    extractionId?: string,
  ): Promise<void> {
    transaction(this.db, () => this.count(runId, changes, extractionId));
  }

  /** Adds to the counters of the records that exist; only ever called inside a transaction. */
  private count(runId: string, changes: CounterChanges, extractionId?: string): void {
    if (changes.length === 0) return;
    const run = this.readRun(runId);
    if (!run) return;
    this.db
      .prepare('UPDATE runs SET doc = ? WHERE run_id = ?')
      .run(
        JSON.stringify({ ...run, counters: addCounters(run.counters, changes), updatedAt: this.now() }),
        runId,
      );
    const state = extractionId === undefined ? undefined : this.readExtraction(runId, extractionId);
    if (!state) return;
    this.db
      .prepare(`UPDATE extraction_runs SET doc = ? WHERE ${EXTRACTION}`)
      .run(
        JSON.stringify({ ...state, counters: addCounters(state.counters, changes) }),
        runId,
        state.extractionId,
      );
  }

  private readRun(runId: string): RunRecord | undefined {
    const row = this.db.prepare('SELECT doc FROM runs WHERE run_id = ?').get(runId) as
      { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as RunRecord) : undefined;
  }

  private readExtraction(runId: string, extractionId: string): ExtractionRunState | undefined {
    const row = this.db
      .prepare(`SELECT doc FROM extraction_runs WHERE ${EXTRACTION}`)
      .get(runId, extractionId) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as ExtractionRunState) : undefined;
  }

  private hasRunAndExtraction(runId: string, extractionId: string): boolean {
    return this.readRun(runId) !== undefined && this.readExtraction(runId, extractionId) !== undefined;
  }

  /** After a conditional write changed nothing: refused if the record exists, else missing. */
  private refusedOrMissing(table: string, where: string, key: Array<string | number>): WriteOutcome {
    return this.db.prepare(`SELECT 1 FROM ${table} WHERE ${where}`).get(...key) ? 'refused' : 'missing';
  }
}
