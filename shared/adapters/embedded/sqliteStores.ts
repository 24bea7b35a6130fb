/** `last` records, tokens and execution logs on the embedded SQLite database. */
import { KeyedMutex } from '../../extract/concurrency';
import type { ExecutionLog, ExecutionLogStore } from '../../ports/executionLog';
import type { LastRecordStore, StoredToken, TokenStore } from '../../ports/storage';
import type { Database } from './database';

export class SqliteLastRecordStore implements LastRecordStore {
  constructor(private readonly db: Database) {}
  async get(extractionId: string): Promise<unknown> {
    const row = this.db.prepare('SELECT doc FROM last_records WHERE extraction_id = ?').get(extractionId) as
      { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as unknown) : undefined;
  }
  async set(extractionId: string, record: unknown): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO last_records (extraction_id, doc) VALUES (?, ?) ON CONFLICT (extraction_id) DO UPDATE SET doc = excluded.doc',
      )
      .run(extractionId, JSON.stringify(record));
  }
}

/** One process owns the embedded database: an in-process lock is the whole lease. */
export class SqliteTokenStore implements TokenStore {
  private readonly mutex = new KeyedMutex();
  constructor(private readonly db: Database) {}
  exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.mutex.exclusive(key, work);
  }
  async get(key: string): Promise<StoredToken | undefined> {
    const row = this.db.prepare('SELECT doc FROM tokens WHERE token_key = ?').get(key) as
      { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as StoredToken) : undefined;
  }
  async put(key: string, token: StoredToken): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO tokens (token_key, doc) VALUES (?, ?) ON CONFLICT (token_key) DO UPDATE SET doc = excluded.doc',
      )
      .run(key, JSON.stringify(token));
  }
}

export class SqliteExecutionLogStore implements ExecutionLogStore {
  constructor(private readonly db: Database) {}
  async append(log: ExecutionLog): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO execution_logs (extraction_id, run_id, created_at, doc) VALUES (?, ?, ?, ?)
         ON CONFLICT (extraction_id, run_id) DO UPDATE SET created_at = excluded.created_at, doc = excluded.doc`,
      )
      .run(log.extraction_id, log.run_id, log.created_at, JSON.stringify(log));
  }
  async list(extractionId: string): Promise<ExecutionLog[]> {
    const rows = this.db
      .prepare('SELECT doc FROM execution_logs WHERE extraction_id = ? ORDER BY created_at DESC, rowid DESC')
      .all(extractionId) as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as ExecutionLog);
  }
}
