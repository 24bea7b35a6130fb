/**
 * The config API's stores on the embedded adapters: configs and API keys on the
 * embedded system's one database connection (see `services/embedded/system.ts`),
 * secrets in `<data-dir>/secrets.json`.
 */
import type { ApiKeyRepository } from '../../ports/apiKeys';
import type { ConfigRepository } from '../../ports/configs';
import { type Clock, systemClock } from '../../ports/logger';
import type { SecretAdmin } from '../../ports/secrets';
import { localLayout } from '../local/engineDeps';
import type { Database } from './database';
import { FileSecretAdmin } from './fileSecretAdmin';
import { SqliteApiKeyStore } from './sqliteApiKeyStore';
import { SqliteConfigStore } from './sqliteConfigStore';

export interface EmbeddedApiStores {
  configs: ConfigRepository;
  apiKeys: ApiKeyRepository;
  secretAdmin: SecretAdmin;
}

/** The stores on `db` (whoever opened it closes it), secrets under `dataDir`. */
export function embeddedApiStores(
  db: Database,
  dataDir: string,
  clock: Clock = systemClock,
): EmbeddedApiStores {
  return {
    configs: new SqliteConfigStore(db),
    apiKeys: new SqliteApiKeyStore(db, clock),
    secretAdmin: new FileSecretAdmin(localLayout(dataDir).secretsFile),
  };
}
