/** The AWS adapters for the pipeline, from validated settings. */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { PipelineDeps } from '../../pipeline/deps';
import { type Logger, systemClock } from '../../ports/logger';
import { LocalScratchSpace } from '../local/scratch';
import { type AwsClients, type AwsSettings, createAwsClients } from './config';
import { DynamoRateBudgetStore } from './dynamoRateBudgetStore';
import { DynamoRunStore } from './dynamoRunStore';
import { DynamoExecutionLogStore, DynamoLastRecordStore, DynamoTokenStore } from './dynamoStateStores';
import { S3ObjectStore } from './s3ObjectStore';
import { SecretsManagerStore } from './secretsManagerStore';
import { SqsQueueBroker } from './sqsBroker';

export interface AwsPipelineOptions {
  logger: Logger;
  detailChunkSize?: number;
  allowLinkLocal?: boolean;
  /** SQS long-poll wait (tests shorten it so consumers stop fast). */
  waitTimeSeconds?: number;
  /** Where the writer spools rows before the multipart upload (Fargate's ephemeral storage). */
  scratchDir?: string;
}

export function awsPipelineDeps(
  settings: AwsSettings,
  options: AwsPipelineOptions,
): { deps: PipelineDeps; clients: AwsClients } {
  const clients = createAwsClients(settings);
  const { names } = settings;
  const deps: PipelineDeps = {
    objects: new S3ObjectStore(clients.s3),
    scratch: new LocalScratchSpace(options.scratchDir ?? join(tmpdir(), 'api-extractor')),
    lastRecords: new DynamoLastRecordStore(clients.documents, names.tables.state),
    executionLogs: new DynamoExecutionLogStore(clients.documents, names.tables.executionLogs),
    secrets: new SecretsManagerStore(clients.secrets, names.extractorSecret),
    tokens: new DynamoTokenStore(clients.documents, names.tables.state),
    rateBudgets: new DynamoRateBudgetStore(clients.documents, names.tables.state),
    runs: new DynamoRunStore(clients.documents, names.tables.runs),
    queues: new SqsQueueBroker(clients.sqs, {
      queues: names.queues,
      deadLetterQueues: names.deadLetterQueues,
      logger: options.logger,
      waitTimeSeconds: options.waitTimeSeconds,
    }),
    logger: options.logger,
    clock: systemClock,
    defaultBucket: names.buckets.output,
    stagingBucket: names.buckets.staging,
    detailChunkSize: options.detailChunkSize ?? 50,
    maxReceiveCount: settings.maxReceiveCount,
    allowLinkLocal: options.allowLinkLocal,
    allowedOutputBuckets: settings.allowedOutputBuckets,
  };
  return { deps, clients };
}
