/**
 * The embedded database: one SQLite file (Node's built-in `node:sqlite`, no native
 * add-on to build) holding what DynamoDB and SQS hold in the cloud, so a killed
 * process loses nothing: queue messages, runs, pages, execution logs, `last`
 * records and tokens.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

const MIGRATIONS: string[] = [
  `CREATE TABLE IF NOT EXISTS queue_messages (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     queue TEXT NOT NULL,
     body TEXT NOT NULL,
     receive_count INTEGER NOT NULL DEFAULT 0,
     visible_at INTEGER NOT NULL,
     dead INTEGER NOT NULL DEFAULT 0,
     dead_reason TEXT
   );
   CREATE INDEX IF NOT EXISTS queue_ready ON queue_messages (queue, dead, visible_at, seq);
   CREATE TABLE IF NOT EXISTS runs (
     run_id TEXT PRIMARY KEY,
     config_id TEXT NOT NULL,
     created_at TEXT NOT NULL,
     doc TEXT NOT NULL
   );
   CREATE INDEX IF NOT EXISTS runs_by_config ON runs (config_id, created_at);
   CREATE INDEX IF NOT EXISTS runs_by_created ON runs (created_at, run_id);
   CREATE TABLE IF NOT EXISTS extraction_runs (
     run_id TEXT NOT NULL,
     extraction_id TEXT NOT NULL,
     doc TEXT NOT NULL,
     PRIMARY KEY (run_id, extraction_id)
   );
   CREATE TABLE IF NOT EXISTS pages (
     run_id TEXT NOT NULL,
     extraction_id TEXT NOT NULL,
     page_index INTEGER NOT NULL,
     state TEXT NOT NULL,
     doc TEXT NOT NULL,
     chunks_done TEXT NOT NULL DEFAULT '[]',
     PRIMARY KEY (run_id, extraction_id, page_index)
   );
   CREATE TABLE IF NOT EXISTS execution_logs (
     extraction_id TEXT NOT NULL,
     run_id TEXT NOT NULL,
     created_at TEXT NOT NULL,
     doc TEXT NOT NULL,
     PRIMARY KEY (extraction_id, run_id)
   );
   CREATE TABLE IF NOT EXISTS last_records (extraction_id TEXT PRIMARY KEY, doc TEXT NOT NULL);
   CREATE TABLE IF NOT EXISTS tokens (token_key TEXT PRIMARY KEY, doc TEXT NOT NULL);`,
  // The config API: every version of every config (the newest is the current one,
  // see shared/ports/configs.ts) and the API keys, hashed.
  `CREATE TABLE IF NOT EXISTS config_versions (
     config_id TEXT NOT NULL,
     version INTEGER NOT NULL,
     doc TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     updated_by TEXT NOT NULL,
     deleted INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (config_id, version)
   );
   CREATE TABLE IF NOT EXISTS api_keys (
     name TEXT PRIMARY KEY,
     key_hash TEXT NOT NULL UNIQUE,
     root INTEGER NOT NULL DEFAULT 0,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );`,
  `CREATE TABLE IF NOT EXISTS schedule_slots (config_id TEXT PRIMARY KEY, last_slot TEXT NOT NULL);`,
  // A page remembers which detail chunks were counted, not how many completed.
  `ALTER TABLE pages RENAME COLUMN chunks_done TO counted_chunks;
   UPDATE pages SET doc = json_remove(doc, '$.chunksDone');`,
];

export type Database = DatabaseSync;

/** Opens (creating when needed) the database at `path` (`:memory:` for tests) and migrates it. */
export function openDatabase(path: string): Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  let version = row?.version ?? 0;
  if (!row) db.prepare('INSERT INTO schema_version (version) VALUES (0)').run();
  for (; version < MIGRATIONS.length; version++) {
    db.exec('BEGIN');
    try {
      db.exec(MIGRATIONS[version]!);
      db.prepare('UPDATE schema_version SET version = ?').run(version + 1);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
  return db;
}

/** Runs `work` in a transaction (SQLite serialises writers; `IMMEDIATE` takes the lock up front). */
export function transaction<T>(db: Database, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
