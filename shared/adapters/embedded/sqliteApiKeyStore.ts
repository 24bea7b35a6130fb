/**
 * ApiKeyRepository on the embedded SQLite database (`api_keys`): one row per name
 * with the key's SHA-256 (unique, indexed). Plain keys are never written.
 */
import {
  type ApiKeyCreateOptions,
  ApiKeyExistsError,
  type ApiKeyIdentity,
  ApiKeyNotFoundError,
  type ApiKeyRepository,
  ApiKeyStoreError,
  generateApiKey,
  hashApiKey,
  type IssuedApiKey,
  RootApiKeyError,
  sameKeyHash,
} from '../../ports/apiKeys';
import { type Clock, systemClock } from '../../ports/logger';
import type { Database } from './database';

interface KeyRow {
  name: string;
  key_hash: string;
  root: number;
}

/** The only constraint left after `ON CONFLICT (name)`: the unique hash, i.e. a given key used twice. */
const keyInUse = (cause: unknown): ApiKeyStoreError =>
  new ApiKeyStoreError('that key is already in use under another name', { cause });

const identity = (row: KeyRow): ApiKeyIdentity => ({ name: row.name, root: row.root === 1 });

export class SqliteApiKeyStore implements ApiKeyRepository {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock = systemClock,
  ) {}

  async create(name: string, options: ApiKeyCreateOptions = {}): Promise<IssuedApiKey> {
    const apiKey = options.apiKey ?? generateApiKey();
    const now = this.clock.now().toISOString();
    let changes: number | bigint;
    try {
      ({ changes } = this.db
        .prepare(
          `INSERT INTO api_keys (name, key_hash, root, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (name) DO NOTHING`,
        )
        .run(name, hashApiKey(apiKey), options.root ? 1 : 0, now, now));
    } catch (err) {
      throw keyInUse(err);
    }
    if (Number(changes) === 0) throw new ApiKeyExistsError(name);
    return { name, apiKey };
  }

  async refresh(name: string, apiKey: string = generateApiKey()): Promise<IssuedApiKey> {
    let changes: number | bigint;
    try {
      ({ changes } = this.db
        .prepare('UPDATE api_keys SET key_hash = ?, updated_at = ? WHERE name = ?')
        .run(hashApiKey(apiKey), this.clock.now().toISOString(), name));
    } catch (err) {
      throw keyInUse(err);
    }
    if (Number(changes) === 0) throw new ApiKeyNotFoundError(name);
    return { name, apiKey };
  }

  async delete(name: string): Promise<boolean> {
    const { changes } = this.db.prepare('DELETE FROM api_keys WHERE name = ? AND root = 0').run(name);
    if (Number(changes) > 0) return true;
    if ((await this.get(name))?.root) throw new RootApiKeyError(name);
    return false;
  }

  async findByKey(presented: string): Promise<ApiKeyIdentity | undefined> {
    const hash = hashApiKey(presented);
    const row = this.db.prepare('SELECT name, key_hash, root FROM api_keys WHERE key_hash = ?').get(hash) as
      KeyRow | undefined;
    return row && sameKeyHash(row.key_hash, hash) ? identity(row) : undefined;
  }

  async get(name: string): Promise<ApiKeyIdentity | undefined> {
    const row = this.db.prepare('SELECT name, key_hash, root FROM api_keys WHERE name = ?').get(name) as
      KeyRow | undefined;
    return row ? identity(row) : undefined;
  }

  async list(): Promise<ApiKeyIdentity[]> {
    const rows = this.db
      .prepare('SELECT name, key_hash, root FROM api_keys ORDER BY name')
      .all() as unknown as KeyRow[];
    return rows.map(identity);
  }

  async findRoot(): Promise<ApiKeyIdentity | undefined> {
    const row = this.db
      .prepare('SELECT name, key_hash, root FROM api_keys WHERE root = 1 ORDER BY created_at LIMIT 1')
      .get() as KeyRow | undefined;
    return row ? identity(row) : undefined;
  }
}
