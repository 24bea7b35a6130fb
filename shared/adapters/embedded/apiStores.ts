/**
 * The config API's stores on the embedded adapters: configs and API keys in the
 * same SQLite file as the pipeline (a connection of their own; SQLite in WAL mode
 * serialises writers across connections), secrets in `<data-dir>/secrets.json`.
 */
import { join } from 'node:path';
import type { ApiKeyRepository } from '../../ports/apiKeys';
import type { ConfigRepository } from '../../ports/configs';
import { type Clock, systemClock } from '../../ports/logger';
import type { SecretAdmin } from '../../ports/secrets';
import { localLayout } from '../local/engineDeps';
import { openDatabase } from './database';
import { FileSecretAdmin } from './fileSecretAdmin';
import { SqliteApiKeyStore } from './sqliteApiKeyStore';
import { SqliteConfigStore } from './sqliteConfigStore';

export interface EmbeddedApiStores {
  configs: ConfigRepository;
  apiKeys: ApiKeyRepository;
  secretAdmin: SecretAdmin;
  /** Closes the database connection. */
  close(): void;
}

/** Opens the stores under `dataDir` (the embedded system's data directory). */
export function openEmbeddedApiStores(dataDir: string, clock: Clock = systemClock): EmbeddedApiStores {
  const layout = localLayout(dataDir);
  const db = openDatabase(join(layout.dataDir, 'api-extractor.db'));
  return {
    configs: new SqliteConfigStore(db),
    apiKeys: new SqliteApiKeyStore(db, clock),
    secretAdmin: new FileSecretAdmin(layout.secretsFile),
    close: () => db.close(),
  };
}
