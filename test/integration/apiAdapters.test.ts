/**
 * The config API's and the scheduler's ports on the AWS adapters, on an AWS emulator
 * on 127.0.0.1 (a moto server for this file, or the developer's AWS_ENDPOINT_URL):
 * the same contracts the embedded adapters pass, plus what only these adapters
 * promise. Each test gets a stage of its own (only the table or secret it needs is
 * created, which keeps the file fast).
 */
import { randomBytes } from 'node:crypto';
import { CreateTableCommand, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { awsApiStores } from '../../shared/adapters/aws/apiStores';
import { configsTable } from '../../shared/adapters/aws/bootstrap';
import {
  type AwsClients,
  type AwsSettings,
  awsSettingsFromEnv,
  createAwsClients,
  destroyAwsClients,
} from '../../shared/adapters/aws/config';
import { DynamoApiKeyStore } from '../../shared/adapters/aws/dynamoApiKeyStore';
import { DynamoConfigStore } from '../../shared/adapters/aws/dynamoConfigStore';
import { ConfigTooLargeError } from '../../shared/ports/configs';
import { DynamoLease, LeaseBusyError } from '../../shared/adapters/aws/dynamoLease';
import { DynamoSlotStore } from '../../shared/adapters/aws/dynamoSlotStore';
import { SecretAdminError, SecretsManagerAdmin } from '../../shared/adapters/aws/secretsManagerAdmin';
import { SecretsManagerStore } from '../../shared/adapters/aws/secretsManagerStore';
import { splitSecretDocument } from '../../shared/core/secretOrigins';
import { hashApiKey } from '../../shared/ports/apiKeys';
import { describeSlotStoreContract } from '../contract/slotStore.contract';
import { describeApiKeyRepositoryContract } from '../contract/apiKeyRepository.contract';
import { describeConfigRepositoryContract } from '../contract/configRepository.contract';
import { describeSecretAdminContract } from '../contract/secretAdmin.contract';
import { useMoto } from './motoLifecycle';

const moto = useMoto();

interface Stage {
  settings: AwsSettings;
  clients: AwsClients;
  close(): Promise<void>;
}

/** A stage of its own with, as asked, its configs table and its (empty) extractor secret. */
async function freshStage(parts: { table?: boolean; secret?: boolean }): Promise<Stage> {
  const settings = awsSettingsFromEnv({
    ...moto.env,
    STAGE: `a${randomBytes(5).toString('hex')}`,
    DEFAULT_OUTPUT_BUCKET_SUFFIX: 'contract',
  });
  const clients = createAwsClients(settings);
  if (parts.table)
    await clients.dynamodb.send(new CreateTableCommand(configsTable(settings.names.tables.configs)));
  if (parts.secret) {
    await clients.secrets.send(
      new CreateSecretCommand({ Name: settings.names.extractorSecret, SecretString: '{}' }),
    );
  }
  return { settings, clients, close: async () => destroyAwsClients(clients) };
}

describeConfigRepositoryContract('DynamoConfigStore', async () => {
  const stage = await freshStage({ table: true });
  return {
    subject: new DynamoConfigStore(stage.clients.documents, stage.settings.names.tables.configs),
    close: stage.close,
  };
});

describeApiKeyRepositoryContract('DynamoApiKeyStore', async () => {
  const stage = await freshStage({ table: true });
  return {
    subject: new DynamoApiKeyStore(stage.clients.documents, stage.settings.names.tables.configs),
    close: stage.close,
  };
});

describeSecretAdminContract('SecretsManagerAdmin', async () => {
  const stage = await freshStage({ table: true, secret: true });
  const secretId = stage.settings.names.extractorSecret;
  return {
    subject: {
      admin: awsApiStores(stage.settings, stage.clients).secretAdmin,
      reader: new SecretsManagerStore(stage.clients.secrets, secretId, { ttlMs: 0 }),
    },
    close: stage.close,
  };
});

describeSlotStoreContract('DynamoSlotStore', async () => {
  const stage = await freshStage({ table: true });
  return {
    subject: new DynamoSlotStore(stage.clients.documents, stage.settings.names.tables.configs),
    close: stage.close,
  };
});

describe('config API adapters on AWS beyond the contracts', () => {
  let stage: Stage;
  beforeEach(async () => {
    stage = await freshStage({ table: true, secret: true });
  });
  afterEach(() => stage.close());

  it('stores each config version as a JSON string attribute and refuses one too large for an item', async () => {
    const table = stage.settings.names.tables.configs;
    const configs = new DynamoConfigStore(stage.clients.documents, table);
    const json = '{"name":"x","data_schema":{"z":1,"a":2}}';
    await configs.create({ configId: 'c#1', json, at: '2026-03-01T10:00:00.000Z', by: 'ana' });
    const raw = await stage.clients.dynamodb.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'CONFIG#c%231' }, sk: { S: 'V#0000000001' } } }),
    );
    expect(raw.Item?.json).toEqual({ S: json });
    const huge = JSON.stringify({ name: 'big', blob: 'x'.repeat(400 * 1024) });
    await expect(
      configs.update({
        configId: 'c#1',
        expectedVersion: 1,
        json: huge,
        at: '2026-03-01T11:00:00.000Z',
        by: 'ana',
      }),
    ).rejects.toBeInstanceOf(ConfigTooLargeError);
    expect((await configs.history('c#1')).map((v) => v.version)).toEqual([1]);
  });

  it('keeps only SHA-256 hashes of API keys, never a key', async () => {
    const table = stage.settings.names.tables.configs;
    const keys = new DynamoApiKeyStore(stage.clients.documents, table);
    const root = await keys.create('rootkey', { root: true });
    const ana = await keys.create('ana');
    const refreshed = await keys.refresh('ana');
    const items = (await stage.clients.dynamodb.send(new ScanCommand({ TableName: table }))).Items ?? [];
    const text = JSON.stringify(items);
    for (const key of [root.apiKey, ana.apiKey, refreshed.apiKey]) expect(text).not.toContain(key);
    expect(text).toContain(hashApiKey(refreshed.apiKey));
    // The old key's lookup item is gone with the refresh.
    expect(text).not.toContain(hashApiKey(ana.apiKey));
    expect(items).toHaveLength(5); // two name items, two hash items, the root marker
  });

  it('SecretsManagerAdmin creates the secret when absent and tells a reader to drop its copy', async () => {
    const secretId = `${stage.settings.names.extractorSecret}-absent`;
    let changes = 0;
    const admin = new SecretsManagerAdmin(stage.clients.secrets, secretId, { onChange: () => changes++ });
    expect(await admin.listNames()).toEqual([]);
    expect(await admin.remove('nothing')).toBe(false);
    await admin.set('token', 't-1');
    await admin.set('other', { a: 1 });
    expect(await admin.remove('token')).toBe(true);
    expect(changes).toBe(3);
    const stored = await stage.clients.secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
    expect(JSON.parse(stored.SecretString ?? '')).toEqual({ other: { a: 1 } });
  });

  it('SecretsManagerAdmin reads a secret the original tool wrote (values only) as unbound, and binds it inside the value', async () => {
    const secretId = `${stage.settings.names.extractorSecret}-legacy`;
    await stage.clients.secrets.send(
      new CreateSecretCommand({ Name: secretId, SecretString: '{"tok":"legacy-value","obj":{"k":1}}' }),
    );
    const admin = new SecretsManagerAdmin(stage.clients.secrets, secretId);
    expect(await admin.list()).toEqual([
      { name: 'obj', origins: null },
      { name: 'tok', origins: null },
    ]);
    expect(await admin.bind('tok', ['https://api.example.com'])).toEqual(['https://api.example.com']);
    const stored = await stage.clients.secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
    expect(JSON.parse(stored.SecretString ?? '')).toEqual({
      tok: 'legacy-value',
      obj: { k: 1 },
      '@origins': { tok: ['https://api.example.com'] },
    });
    const reader = new SecretsManagerStore(stage.clients.secrets, secretId, { ttlMs: 0 });
    expect(splitSecretDocument(await reader.getAll())).toEqual({
      values: { tok: 'legacy-value', obj: { k: 1 } },
      bindings: { tok: ['https://api.example.com'] },
    });
  });

  it('SecretsManagerAdmin: three admins (three replicas) writing at once lose no entry', async () => {
    const admins = [1, 2, 3].map(() => awsApiStores(stage.settings, stage.clients).secretAdmin);
    const names = Array.from({ length: 12 }, (_, i) => `n${String(i).padStart(2, '0')}`);
    await Promise.all(names.map((n, i) => admins[i % 3]!.set(n, n.toUpperCase())));
    expect(await admins[0]!.listNames()).toEqual(names);
  });

  it('DynamoLease: one holder at a time; an abandoned lease is taken over once expired; a busy one times out', async () => {
    const table = stage.settings.names.tables.configs;
    const lease = (options = {}) => new DynamoLease(stage.clients.documents, table, 'test-lock', options);
    let inside = 0;
    let most = 0;
    await Promise.all(
      [1, 2, 3, 4].map(() =>
        lease().exclusive(async () => {
          most = Math.max(most, ++inside);
          await new Promise((resolve) => setTimeout(resolve, 30));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    // A holder that never gives it back (a killed process): the item stays until it expires.
    await stage.clients.documents.send(
      new PutCommand({
        TableName: table,
        Item: { pk: 'LOCK#test-lock', sk: 'LOCK', owner: 'dead', expiresAt: Date.now() + 60_000 },
      }),
    );
    await expect(lease({ waitMs: 200 }).exclusive(async () => 'never')).rejects.toBeInstanceOf(
      LeaseBusyError,
    );
    await stage.clients.documents.send(
      new PutCommand({
        TableName: table,
        Item: { pk: 'LOCK#test-lock', sk: 'LOCK', owner: 'dead', expiresAt: Date.now() + 300 },
      }),
    );
    expect(await lease({ waitMs: 5000 }).exclusive(async () => 'mine')).toBe('mine');
  });

  it('SecretsManagerAdmin refuses a secret that is not a JSON object without quoting it', async () => {
    const secretId = stage.settings.names.extractorSecret;
    const admin = new SecretsManagerAdmin(stage.clients.secrets, secretId);
    for (const text of ['{"token": hunter2-secret', '["hunter2-secret"]']) {
      await stage.clients.secrets.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: text }));
      const error = await admin.set('x', 'y').catch((err: unknown) => err);
      expect(error).toBeInstanceOf(SecretAdminError);
      expect(String((error as Error).message)).not.toContain('hunter2');
      expect(String((error as Error).cause ?? '')).not.toContain('hunter2');
      expect(await admin.listNames().catch((err: Error) => err.message)).not.toContain('hunter2');
    }
  });
});
