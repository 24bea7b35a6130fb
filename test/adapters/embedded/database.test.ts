/** The embedded database's schema migrations: a database an earlier version wrote still opens and keeps its state. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../../shared/adapters/embedded/database';
import { SqliteRunStore } from '../../../shared/adapters/embedded/sqliteRunStore';
import { makeExtraction, makePage, makeRun } from '../../contract/factories';

test('a database whose pages counted chunks in chunks_done opens, and its counted chunks stay counted', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'api-extractor-migration-'));
  const path = join(dir, 'api-extractor.db');
  try {
    const run = makeRun();
    const page = makePage(run, 'ext-deals', 0, { state: 'dispatched', chunks: 2 });
    // The schema and records as the version before countChunk wrote them (schema version 3).
    const old = openDatabase(path);
    old.exec(
      'ALTER TABLE pages RENAME COLUMN counted_chunks TO chunks_done; UPDATE schema_version SET version = 3',
    );
    await new SqliteRunStore(old).createRun(run, [makeExtraction(run, 'ext-deals')]);
    old
      .prepare(
        'INSERT INTO pages (run_id, extraction_id, page_index, state, doc, chunks_done) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(run.runId, 'ext-deals', 0, page.state, JSON.stringify({ ...page, chunksDone: 1 }), '[1]');
    old.close();

    const db = openDatabase(path);
    try {
      const store = new SqliteRunStore(db);
      expect(await store.getPage(run.runId, 'ext-deals', 0)).toEqual(page);
      expect(await store.countChunk(run.runId, 'ext-deals', 0, 1, { details: 5 })).toBe(false);
      expect(await store.countChunk(run.runId, 'ext-deals', 0, 0, { details: 5 })).toBe(true);
      expect((await store.getRun(run.runId))?.counters.details).toBe(5);
    } finally {
      db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
