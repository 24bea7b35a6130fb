/** The embedded adapters for the pipeline: one SQLite file and the data directory. */
import { join } from 'node:path';
import { parseBucketList } from '../../core/bucketName';
import { DEFAULT_MAX_RECEIVE_COUNT } from '../../core/topology';
import type { PipelineDeps } from '../../pipeline/deps';
import { type Logger, systemClock } from '../../ports/logger';
import { defaultOutputBucket, localLayout } from '../local/engineDeps';
import { FileObjectStore } from '../local/objectStore';
import { LocalScratchSpace } from '../local/scratch';
import { FileSecretStore } from '../local/state';
import { type Database, openDatabase } from './database';
import { SqliteQueueBroker, type SqliteQueueOptions } from './sqliteQueue';
import { SqliteRunStore } from './sqliteRunStore';
import { SqliteExecutionLogStore, SqliteLastRecordStore, SqliteTokenStore } from './sqliteStores';

export interface EmbeddedOptions {
  dataDir: string;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  queue?: SqliteQueueOptions;
  detailChunkSize?: number;
}

export interface EmbeddedDeps {
  deps: PipelineDeps;
  objects: FileObjectStore;
  db: Database;
  broker: SqliteQueueBroker;
}

/** `ALLOWED_OUTPUT_BUCKETS` (comma-separated); undefined when unset. The entry point reports a bad value first. */
export function allowedOutputBucketsFromEnv(env: NodeJS.ProcessEnv): string[] | undefined {
  if (!env.ALLOWED_OUTPUT_BUCKETS?.trim()) return undefined;
  const { buckets, problems } = parseBucketList(env.ALLOWED_OUTPUT_BUCKETS, 'ALLOWED_OUTPUT_BUCKETS');
  if (problems.length > 0) throw new Error(problems.join('; '));
  return buckets;
}

export function embeddedPipelineDeps(options: EmbeddedOptions): EmbeddedDeps {
  const env = options.env ?? process.env;
  const layout = localLayout(options.dataDir);
  const db = openDatabase(join(layout.dataDir, 'api-extractor.db'));
  const maxReceiveCount = options.queue?.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT;
  const broker = new SqliteQueueBroker(db, { ...options.queue, maxReceiveCount, logger: options.logger });
  const objects = new FileObjectStore(layout.objectsDir);
  const deps: PipelineDeps = {
    objects,
    scratch: new LocalScratchSpace(join(layout.dataDir, 'tmp')),
    lastRecords: new SqliteLastRecordStore(db),
    executionLogs: new SqliteExecutionLogStore(db),
    secrets: new FileSecretStore(layout.secretsFile),
    tokens: new SqliteTokenStore(db),
    runs: new SqliteRunStore(db),
    queues: broker,
    logger: options.logger,
    clock: systemClock,
    defaultBucket: defaultOutputBucket(env),
    stagingBucket: `api-extractor-staging-${env.STAGE || 'local'}-${env.DEFAULT_OUTPUT_BUCKET_SUFFIX || '1'}`,
    detailChunkSize: options.detailChunkSize ?? 50,
    maxReceiveCount,
    allowLinkLocal: env.ALLOW_LINK_LOCAL_REQUESTS === 'true',
    allowedOutputBuckets: allowedOutputBucketsFromEnv(env),
  };
  return { deps, objects, db, broker };
}
