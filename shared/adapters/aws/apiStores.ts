/**
 * The config API's and the scheduler's stores on AWS: configs, API keys and
 * schedule slots in the configs table (DynamoDB), secrets in the extractor secret
 * (Secrets Manager, changed under a lease item in the configs table). The AWS counterpart of `embedded/apiStores.ts`.
 */
import type { ApiKeyRepository } from '../../ports/apiKeys';
import type { ConfigRepository } from '../../ports/configs';
import type { SlotStore } from '../../ports/scheduler';
import type { SecretAdmin } from '../../ports/secrets';
import type { AwsClients, AwsSettings } from './config';
import { DynamoApiKeyStore } from './dynamoApiKeyStore';
import { DynamoConfigStore } from './dynamoConfigStore';
import { DynamoLease } from './dynamoLease';
import { DynamoSlotStore } from './dynamoSlotStore';
import { SecretsManagerAdmin, type SecretsManagerAdminOptions } from './secretsManagerAdmin';

/** The lease that serialises changes of the extractor secret across config-api replicas. */
export const SECRET_LOCK = 'extractor-secret';

export interface AwsApiStores {
  configs: ConfigRepository;
  apiKeys: ApiKeyRepository;
  secretAdmin: SecretAdmin;
  slots: SlotStore;
}

/**
 * @example
 * const { deps, clients } = awsPipelineDeps(settings, { logger });
 * const stores = awsApiStores(settings, clients);
 */
export function awsApiStores(
  settings: Pick<AwsSettings, 'names'>,
  clients: Pick<AwsClients, 'documents' | 'secrets'>,
  secretOptions: Omit<SecretsManagerAdminOptions, 'mutex'> = {},
): AwsApiStores {
  const table = settings.names.tables.configs;
  return {
    configs: new DynamoConfigStore(clients.documents, table),
    apiKeys: new DynamoApiKeyStore(clients.documents, table),
    secretAdmin: new SecretsManagerAdmin(clients.secrets, settings.names.extractorSecret, {
      ...secretOptions,
      // Secrets Manager has no conditional put: replicas take turns through a lease.
      mutex: new DynamoLease(clients.documents, table, SECRET_LOCK),
    }),
    slots: new DynamoSlotStore(clients.documents, table),
  };
}
