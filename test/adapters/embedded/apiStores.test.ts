/** What only the config API's embedded adapters promise (their contracts run in test/embedded/contracts.test.ts). */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../../shared/adapters/embedded/database';
import { FileSecretAdmin, SecretFileError } from '../../../shared/adapters/embedded/fileSecretAdmin';
import { SqliteApiKeyStore } from '../../../shared/adapters/embedded/sqliteApiKeyStore';
import { hashApiKey } from '../../../shared/ports/apiKeys';

test('SqliteApiKeyStore keeps only the SHA-256 of a key, never the key', async () => {
  const db = openDatabase(':memory:');
  try {
    const { apiKey } = await new SqliteApiKeyStore(db).create('ana');
    const rows = db.prepare('SELECT * FROM api_keys').all() as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.key_hash).toBe(hashApiKey(apiKey));
    expect(JSON.stringify(rows)).not.toContain(apiKey);
  } finally {
    db.close();
  }
});

describe('FileSecretAdmin', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'secret-admin-'));
    path = join(dir, 'secrets.json');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('keeps the other entries and their order, writes the file private to its owner, leaves no temp file', async () => {
    await writeFile(path, JSON.stringify({ b: 1, a: 2 }));
    await new FileSecretAdmin(path).set('c', 'three');
    expect(await readFile(path, 'utf8')).toBe(JSON.stringify({ b: 1, a: 2, c: 'three' }, null, 2));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['secrets.json']);
  });

  test.each([
    ['not JSON', '{"token": hunter2-secret'],
    ['an array', '["hunter2-secret"]'],
  ])('refuses a file that is %s, without repeating its text', async (_what, text) => {
    await writeFile(path, text);
    const error = await new FileSecretAdmin(path).set('x', 'y').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SecretFileError);
    expect(String((error as Error).message)).not.toContain('hunter2');
    expect(String((error as Error).cause ?? '')).not.toContain('hunter2');
    expect(await readFile(path, 'utf8')).toBe(text);
  });
});
