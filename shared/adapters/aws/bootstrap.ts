/**
 * Creates a stage's AWS resources: the three queues with their dead-letter queues
 * and RedrivePolicy, the four tables, both buckets and the extractor secret.
 * Idempotent: what exists is kept (the secret's value included), what is missing is
 * created, and the RedrivePolicy is set again so a new `maxReceiveCount` applies.
 * It runs against whatever the clients point at: moto, LocalStack or AWS.
 */
import {
  CreateTableCommand,
  ResourceInUseException,
  waitUntilTableExists,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  BucketAlreadyExists,
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  HeadBucketCommand,
  NotFound,
  PutBucketLifecycleConfigurationCommand,
  type BucketLocationConstraint,
  type LifecycleRule,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  ResourceExistsException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { silentLogger, type Logger } from '../../ports/logger';
import { DEAD_LETTER_RETENTION_SECONDS, QUEUE_NAMES } from '../../core/topology';
import type { AwsClients, AwsSettings } from './config';
import { EXECUTION_LOGS_BY_CREATED_AT } from './dynamoStateStores';
import { BootstrapError } from './errors';

export interface BootstrapReport {
  /** Resource names this call created. */
  created: string[];
  /** Resource names that existed already (kept as they were, RedrivePolicy aside). */
  existing: string[];
}

/** Staged pages of a run that never finished are removed after this many days (the stack's rule too). */
export const STAGING_EXPIRY_DAYS = 7;
const TABLE_WAIT_SECONDS = 300;

/**
 * @example
 * const settings = awsSettingsFromEnv(process.env);
 * const report = await bootstrapAwsResources(settings, createAwsClients(settings), logger);
 */
export async function bootstrapAwsResources(
  settings: AwsSettings,
  clients: Pick<AwsClients, 's3' | 'sqs' | 'dynamodb' | 'secrets'>,
  logger: Logger = silentLogger,
): Promise<BootstrapReport> {
  const report: BootstrapReport = { created: [], existing: [] };
  const record = (name: string, created: boolean): void => {
    (created ? report.created : report.existing).push(name);
    logger.info(created ? 'created' : 'exists', { resource: name });
  };
  const { names } = settings;
  await Promise.all([
    ...QUEUE_NAMES.map((queue) =>
      ensureQueueWithDeadLetters(
        clients.sqs,
        names.queues[queue],
        names.deadLetterQueues[queue],
        settings.maxReceiveCount,
        record,
      ),
    ),
    ensureTable(clients.dynamodb, runsTable(names.tables.runs), record),
    ensureTable(clients.dynamodb, executionLogsTable(names.tables.executionLogs), record),
    ensureTable(clients.dynamodb, stateTable(names.tables.state), record),
    ensureTable(clients.dynamodb, configsTable(names.tables.configs), record),
    ensureBucket(clients.s3, settings.region, names.buckets.output, outputLifecycle, record),
    ensureBucket(clients.s3, settings.region, names.buckets.staging, stagingLifecycle, record),
    ensureSecret(clients.secrets, names.extractorSecret, record),
  ]);
  return report;
}

type Recorder = (name: string, created: boolean) => void;

const pkSkTable = (TableName: string): CreateTableCommandInput => ({
  TableName,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
});

/** See dynamoRunStore.ts for the items. */
export const runsTable = pkSkTable;
/** See dynamoStateStores.ts for the items. */
export const stateTable = pkSkTable;
/** Config versions, API keys and schedule slots; see dynamoConfigStore.ts, dynamoApiKeyStore.ts, dynamoSlotStore.ts. */
export const configsTable = pkSkTable;

/** pk = extraction_id, sk = run_id; the LSI orders a partition by `{created_at}#{run_id}`. */
export function executionLogsTable(TableName: string): CreateTableCommandInput {
  const base = pkSkTable(TableName);
  return {
    ...base,
    AttributeDefinitions: [
      ...(base.AttributeDefinitions ?? []),
      { AttributeName: 'createdAtSk', AttributeType: 'S' },
    ],
    LocalSecondaryIndexes: [
      {
        IndexName: EXECUTION_LOGS_BY_CREATED_AT,
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'createdAtSk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

async function ensureQueueWithDeadLetters(
  sqs: SQSClient,
  name: string,
  deadLetterName: string,
  maxReceiveCount: number,
  record: Recorder,
): Promise<void> {
  try {
    const dlqUrl = await ensureQueue(sqs, deadLetterName, record);
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: dlqUrl,
        Attributes: { MessageRetentionPeriod: String(DEAD_LETTER_RETENTION_SECONDS) },
      }),
    );
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
    );
    const dlqArn = attributes.Attributes?.QueueArn;
    if (!dlqArn) throw new BootstrapError(`SQS returned no ARN for ${deadLetterName}`);
    const url = await ensureQueue(sqs, name, record);
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: url,
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }) },
      }),
    );
  } catch (err) {
    if (err instanceof BootstrapError) throw err;
    throw new BootstrapError(`cannot set up queue ${name} with dead-letter queue ${deadLetterName}`, {
      cause: err,
    });
  }
}

/** The queue's URL, creating it first when it does not exist. */
async function ensureQueue(sqs: SQSClient, name: string, record: Recorder): Promise<string> {
  try {
    const found = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    if (found.QueueUrl) {
      record(name, false);
      return found.QueueUrl;
    }
  } catch (err) {
    if (!(err instanceof QueueDoesNotExist)) throw err;
  }
  const created = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  if (!created.QueueUrl) throw new BootstrapError(`SQS returned no URL for ${name}`);
  record(name, true);
  return created.QueueUrl;
}

async function ensureTable(
  dynamodb: DynamoDBClient,
  input: CreateTableCommandInput,
  record: Recorder,
): Promise<void> {
  const name = input.TableName ?? '';
  try {
    await dynamodb.send(new CreateTableCommand(input));
    record(name, true);
  } catch (err) {
    if (!(err instanceof ResourceInUseException))
      throw new BootstrapError(`cannot create table ${name}`, { cause: err });
    record(name, false);
  }
  try {
    await waitUntilTableExists({ client: dynamodb, maxWaitTime: TABLE_WAIT_SECONDS }, { TableName: name });
  } catch (err) {
    throw new BootstrapError(`table ${name} did not become active within ${TABLE_WAIT_SECONDS} s`, {
      cause: err,
    });
  }
}

/** A crashed writer leaves an unfinished multipart upload behind; S3 drops it after a day. */
const abortIncompleteUploads: LifecycleRule = {
  ID: 'abort-incomplete-multipart-uploads',
  Status: 'Enabled',
  Filter: { Prefix: '' },
  AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
};
const outputLifecycle: LifecycleRule[] = [abortIncompleteUploads];
const stagingLifecycle: LifecycleRule[] = [
  abortIncompleteUploads,
  {
    ID: 'expire-abandoned-staging',
    Status: 'Enabled',
    Filter: { Prefix: '' },
    Expiration: { Days: STAGING_EXPIRY_DAYS },
  },
];

async function ensureBucket(
  s3: S3Client,
  region: string,
  name: string,
  rules: LifecycleRule[],
  record: Recorder,
): Promise<void> {
  // Asked first because CreateBucket cannot tell: in us-east-1 it answers 200 for a
  // bucket the caller already owns, elsewhere BucketAlreadyOwnedByYou.
  let exists = true;
  try {
    await s3.send(new HeadBucketCommand({ Bucket: name }));
  } catch (err) {
    if (!(err instanceof NotFound)) {
      throw new BootstrapError(`cannot check bucket ${name} (a 403 means another account owns the name)`, {
        cause: err,
      });
    }
    exists = false;
  }
  if (!exists) {
    try {
      // us-east-1 is the one region that refuses an explicit location constraint.
      await s3.send(
        new CreateBucketCommand({
          Bucket: name,
          ...(region === 'us-east-1'
            ? {}
            : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
        }),
      );
    } catch (err) {
      if (err instanceof BucketAlreadyExists) {
        throw new BootstrapError(
          `bucket ${name} belongs to another account (bucket names are global): choose another DEFAULT_OUTPUT_BUCKET_SUFFIX`,
          { cause: err },
        );
      }
      if (!(err instanceof BucketAlreadyOwnedByYou))
        throw new BootstrapError(`cannot create bucket ${name}`, { cause: err });
      exists = true;
    }
  }
  record(name, !exists);
  try {
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({ Bucket: name, LifecycleConfiguration: { Rules: rules } }),
    );
  } catch (err) {
    throw new BootstrapError(`cannot set the lifecycle rules of bucket ${name}`, { cause: err });
  }
}

/** Creates the secret as `{}` when absent; an existing secret keeps its value. */
async function ensureSecret(secrets: SecretsManagerClient, name: string, record: Recorder): Promise<void> {
  try {
    await secrets.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: '{}',
        Description: 'API Extractor: secrets that configs reference as ${secret::name}',
      }),
    );
    record(name, true);
  } catch (err) {
    if (!(err instanceof ResourceExistsException))
      throw new BootstrapError(`cannot create secret ${name}`, { cause: err });
    record(name, false);
  }
}
