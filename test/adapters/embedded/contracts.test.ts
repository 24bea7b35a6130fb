/**
 * The port contracts (test/contract) against the embedded adapters: the same
 * behaviour tests the AWS adapters pass on moto (test/integration/awsAdapters.test.ts),
 * so local mode cannot drift from production.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../../shared/adapters/embedded/database';
import { FileSecretAdmin } from '../../../shared/adapters/embedded/fileSecretAdmin';
import { SqliteApiKeyStore } from '../../../shared/adapters/embedded/sqliteApiKeyStore';
import { SqliteConfigStore } from '../../../shared/adapters/embedded/sqliteConfigStore';
import { SqliteQueueBroker } from '../../../shared/adapters/embedded/sqliteQueue';
import { SqliteRunStore } from '../../../shared/adapters/embedded/sqliteRunStore';
import { SqliteSlotStore } from '../../../shared/adapters/embedded/sqliteSlotStore';
import {
  SqliteExecutionLogStore,
  SqliteLastRecordStore,
  SqliteTokenStore,
} from '../../../shared/adapters/embedded/sqliteStores';
import { FileObjectStore } from '../../../shared/adapters/local/objectStore';
import { FileSecretStore } from '../../../shared/adapters/local/state';
import { describeApiKeyRepositoryContract } from '../../contract/apiKeyRepository.contract';
import { describeConfigRepositoryContract } from '../../contract/configRepository.contract';
import { describeExecutionLogStoreContract } from '../../contract/executionLogStore.contract';
import { describeLastRecordStoreContract } from '../../contract/lastRecordStore.contract';
import { describeObjectStoreContract } from '../../contract/objectStore.contract';
import { describeQueueBrokerContract } from '../../contract/queueBroker.contract';
import { describeRunStoreContract } from '../../contract/runStore.contract';
import { describeSecretAdminContract } from '../../contract/secretAdmin.contract';
import { describeSecretStoreContract } from '../../contract/secretStore.contract';
import { describeSlotStoreContract } from '../../contract/slotStore.contract';
import { describeTokenStoreContract } from '../../contract/tokenStore.contract';
import type { Fixture } from '../../contract/fixture';

async function tempDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'api-extractor-contract-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

function onDatabase<T>(build: (db: ReturnType<typeof openDatabase>) => T): () => Promise<Fixture<T>> {
  return async () => {
    const db = openDatabase(':memory:');
    return { subject: build(db), close: async () => db.close() };
  };
}

describeObjectStoreContract('FileObjectStore', async () => {
  const tmp = await tempDir();
  return { subject: { store: new FileObjectStore(tmp.dir), bucket: 'contract-bucket' }, close: tmp.remove };
});
describeRunStoreContract(
  'SqliteRunStore',
  onDatabase((db) => new SqliteRunStore(db)),
);
describeLastRecordStoreContract(
  'SqliteLastRecordStore',
  onDatabase((db) => new SqliteLastRecordStore(db)),
);
describeTokenStoreContract(
  'SqliteTokenStore',
  onDatabase((db) => new SqliteTokenStore(db)),
);
describeExecutionLogStoreContract(
  'SqliteExecutionLogStore',
  onDatabase((db) => new SqliteExecutionLogStore(db)),
);
describeSecretStoreContract('FileSecretStore', async (stored) => {
  const tmp = await tempDir();
  const path = join(tmp.dir, 'secrets.json');
  if (stored !== undefined) await writeFile(path, stored);
  return { subject: new FileSecretStore(path), close: tmp.remove };
});
describeQueueBrokerContract('SqliteQueueBroker', async ({ maxReceiveCount }) => {
  const db = openDatabase(':memory:');
  return {
    subject: new SqliteQueueBroker(db, { maxReceiveCount, pollIntervalMs: 50 }),
    close: async () => db.close(),
  };
});
describeSlotStoreContract(
  'SqliteSlotStore',
  onDatabase((db) => new SqliteSlotStore(db)),
);
describeConfigRepositoryContract(
  'SqliteConfigStore',
  onDatabase((db) => new SqliteConfigStore(db)),
);
describeApiKeyRepositoryContract(
  'SqliteApiKeyStore',
  onDatabase((db) => new SqliteApiKeyStore(db)),
);
describeSecretAdminContract('FileSecretAdmin', async () => {
  const tmp = await tempDir();
  const path = join(tmp.dir, 'secrets.json');
  return {
    subject: { admin: new FileSecretAdmin(path), reader: new FileSecretStore(path) },
    close: tmp.remove,
  };
});

describe('FileObjectStore.sweepPartials', () => {
  test('removes stale temporary files of interrupted writes and keeps fresh ones and objects', async () => {
    const tmp = await tempDir();
    try {
      const store = new FileObjectStore(tmp.dir);
      await store.put('b', 'folder/object.csv', ['a,b\n']);
      const { utimes } = await import('node:fs/promises');
      await writeFile(join(tmp.dir, 'b/folder/.stale.partial'), 'x');
      await writeFile(join(tmp.dir, 'b/folder/.fresh.partial'), 'x');
      const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
      await utimes(join(tmp.dir, 'b/folder/.stale.partial'), twoHoursAgo, twoHoursAgo);
      expect(await store.sweepPartials()).toBe(1);
      const { readdir } = await import('node:fs/promises');
      expect((await readdir(join(tmp.dir, 'b/folder'))).sort()).toEqual(['.fresh.partial', 'object.csv']);
      expect(await store.list('b', '')).toEqual(['folder/object.csv']);
    } finally {
      await tmp.remove();
    }
  });
});

describe('FileObjectStore containment', () => {
  const outside = (dir: string): string[] => [
    '..',
    '../outside',
    '.',
    '',
    join(dir, '..', 'abs'),
    '/tmp',
    'a/b',
    'a\\b',
  ];

  test('a bucket that is not one directory inside the storage root is refused by every operation, and nothing is written', async () => {
    const tmp = await tempDir();
    try {
      const root = join(tmp.dir, 's3');
      const store = new FileObjectStore(root);
      for (const bucket of outside(root)) {
        const refused = `bucket ${JSON.stringify(bucket)} is not a directory inside the storage root`;
        await expect(store.put(bucket, 'secrets.json', ['{}'])).rejects.toThrow(refused);
        await expect(store.get(bucket, 'secrets.json')).rejects.toThrow(refused);
        await expect(store.list(bucket, '')).rejects.toThrow(refused);
        await expect(store.deletePrefix(bucket, '')).rejects.toThrow(refused);
      }
      const { readdir } = await import('node:fs/promises');
      expect(await readdir(tmp.dir, { recursive: true })).toEqual([]);
    } finally {
      await tmp.remove();
    }
  });

  test.each(['../x.csv', '../../x.csv', '/etc/x.csv', 'a/../../x.csv', '', '.'])(
    'a key %p that leaves its bucket is refused',
    async (key) => {
      const tmp = await tempDir();
      try {
        const store = new FileObjectStore(join(tmp.dir, 's3'));
        await expect(store.put('bucket', key, ['x'])).rejects.toThrow(
          `object key ${JSON.stringify(key)} escapes bucket "bucket"`,
        );
        const { readdir } = await import('node:fs/promises');
        expect(await readdir(tmp.dir, { recursive: true })).toEqual([]);
      } finally {
        await tmp.remove();
      }
    },
  );
});
