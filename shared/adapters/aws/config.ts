/**
 * AWS settings and clients for the distributed mode. Everything is derived from
 * the stage, so one environment variable set names every queue, table, bucket and
 * secret of a deployment; the Pulumi program and `bootstrap` use the same names.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseBucketList } from '../../core/bucketName';
import {
  deadLetterQueueName,
  DEFAULT_MAX_RECEIVE_COUNT,
  MAX_RECEIVE_COUNT_LIMIT,
  QUEUE_NAMES,
  type QueueName,
} from '../../core/topology';
import { AwsSettingsError } from './errors';
import { AwsRequestCounter } from './requestCounter';

export interface AwsResourceNames {
  /** `api-extractor-{stage}-{queue}` */
  queues: Record<QueueName, string>;
  /** `api-extractor-{stage}-{queue}-dlq` */
  deadLetterQueues: Record<QueueName, string>;
  tables: {
    /** Runs, extraction states and pages (pk/sk items, see dynamoRunStore.ts). */
    runs: string;
    /** Execution logs by extraction, newest first. */
    executionLogs: string;
    /** `last` records and refreshed tokens. */
    state: string;
    /** Config versions, API keys (hashed) and schedule slots: the config API's and the scheduler's data. */
    configs: string;
  };
  buckets: {
    /** Default destination of output files. */
    output: string;
    /** Staged page rows between the page-fetcher and the writer. */
    staging: string;
  };
  /** The JSON object of extractor secrets (`${secret::…}`). */
  extractorSecret: string;
}

export interface AwsSettings {
  region: string;
  /** A custom endpoint (LocalStack, moto); undefined for real AWS. */
  endpoint?: string;
  stage: string;
  bucketSuffix: string;
  /** Receives before SQS moves a message to its dead-letter queue (RedrivePolicy). */
  maxReceiveCount: number;
  names: AwsResourceNames;
  /**
   * `ALLOWED_OUTPUT_BUCKETS`: the buckets `s3_destiny.bucket` may name besides the
   * output bucket (the stack sets it to the buckets the writer's role may write);
   * undefined = not checked here, the writer's role decides.
   */
  allowedOutputBuckets?: string[];
}

/** Bucket names are global, so they carry a suffix (an account id, a random word). */
const NAME_PART = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const MAX_BUCKET_NAME = 63;
const MAX_QUEUE_NAME = 80;

/**
 * Every resource name of a stage.
 *
 * @example
 * resourceNames('dev', '123456789012').queues.pages // 'api-extractor-dev-pages'
 */
export function resourceNames(stage: string, bucketSuffix: string): AwsResourceNames {
  const prefix = `api-extractor-${stage}`;
  const queues = Object.fromEntries(QUEUE_NAMES.map((q) => [q, `${prefix}-${q}`])) as Record<
    QueueName,
    string
  >;
  const deadLetterQueues = Object.fromEntries(
    QUEUE_NAMES.map((q) => [q, deadLetterQueueName(queues[q])]),
  ) as Record<QueueName, string>;
  return {
    queues,
    deadLetterQueues,
    tables: {
      runs: `${prefix}-runs`,
      executionLogs: `${prefix}-execution-logs`,
      state: `${prefix}-state`,
      configs: `${prefix}-configs`,
    },
    buckets: {
      output: `api-extractor-output-${stage}-${bucketSuffix}`,
      staging: `api-extractor-staging-${stage}-${bucketSuffix}`,
    },
    extractorSecret: `api-extractor-config/${stage}/extractor-secrets`,
  };
}

/**
 * Reads and validates the AWS settings: `AWS_REGION`, `STAGE` and
 * `DEFAULT_OUTPUT_BUCKET_SUFFIX` are required; `AWS_ENDPOINT_URL` (an emulator) and
 * `MAX_RECEIVE_COUNT` (default 5, topology.ts) are optional. Every problem is
 * reported at once.
 *
 * @example
 * const settings = awsSettingsFromEnv(process.env);
 * const clients = createAwsClients(settings);
 */
export function awsSettingsFromEnv(env: NodeJS.ProcessEnv): AwsSettings {
  const problems: string[] = [];
  const required = (name: string): string => {
    const value = env[name]?.trim();
    if (!value) problems.push(`${name} is required`);
    return value ?? '';
  };
  const region = required('AWS_REGION');
  const stage = required('STAGE');
  const bucketSuffix = required('DEFAULT_OUTPUT_BUCKET_SUFFIX');
  if (stage && !NAME_PART.test(stage)) {
    problems.push(`STAGE must be lower-case letters, digits and inner dashes (got "${stage}")`);
  }
  if (bucketSuffix && !NAME_PART.test(bucketSuffix)) {
    problems.push(
      `DEFAULT_OUTPUT_BUCKET_SUFFIX must be lower-case letters, digits and inner dashes (got "${bucketSuffix}")`,
    );
  }

  const endpoint = env.AWS_ENDPOINT_URL?.trim() || undefined;
  if (endpoint !== undefined && !URL.canParse(endpoint)) {
    problems.push(`AWS_ENDPOINT_URL must be a URL (got "${endpoint}")`);
  }

  let maxReceiveCount = DEFAULT_MAX_RECEIVE_COUNT;
  const rawCount = env.MAX_RECEIVE_COUNT?.trim();
  if (rawCount) {
    maxReceiveCount = Number(rawCount);
    if (
      !Number.isInteger(maxReceiveCount) ||
      maxReceiveCount < 1 ||
      maxReceiveCount > MAX_RECEIVE_COUNT_LIMIT
    ) {
      problems.push(
        `MAX_RECEIVE_COUNT must be an integer from 1 to ${MAX_RECEIVE_COUNT_LIMIT} (got "${rawCount}")`,
      );
    }
  }

  const allowed = env.ALLOWED_OUTPUT_BUCKETS?.trim()
    ? parseBucketList(env.ALLOWED_OUTPUT_BUCKETS, 'ALLOWED_OUTPUT_BUCKETS')
    : undefined;
  problems.push(...(allowed?.problems ?? []));

  const names = resourceNames(stage, bucketSuffix);
  if (problems.length === 0) {
    for (const bucket of Object.values(names.buckets)) {
      if (bucket.length > MAX_BUCKET_NAME) {
        problems.push(
          `bucket name ${bucket} is longer than ${MAX_BUCKET_NAME}: shorten STAGE or DEFAULT_OUTPUT_BUCKET_SUFFIX`,
        );
      }
    }
    for (const queue of Object.values(names.deadLetterQueues)) {
      if (queue.length > MAX_QUEUE_NAME)
        problems.push(`queue name ${queue} is longer than ${MAX_QUEUE_NAME}: shorten STAGE`);
    }
  }
  if (problems.length > 0) throw new AwsSettingsError(`invalid AWS settings: ${problems.join('; ')}`);
  return {
    region,
    ...(endpoint ? { endpoint } : {}),
    stage,
    bucketSuffix,
    maxReceiveCount,
    names,
    ...(allowed ? { allowedOutputBuckets: allowed.buckets } : {}),
  };
}

export interface AwsClients {
  s3: S3Client;
  sqs: SQSClient;
  dynamodb: DynamoDBClient;
  /** Marshals plain JavaScript values; drops `undefined` attributes. */
  documents: DynamoDBDocumentClient;
  secrets: SecretsManagerClient;
  /** Requests sent by these clients so far, per service and operation (retries included). */
  requests: AwsRequestCounter;
}

/**
 * One client per service for the settings' region and endpoint, each counting its
 * requests into `requests`. The SDK reads
 * `AWS_ENDPOINT_URL` by itself too; passing it explicitly keeps settings the only
 * source. An endpoint means an emulator, which serves buckets by path, not by host.
 */
export function createAwsClients(settings: Pick<AwsSettings, 'region' | 'endpoint'>): AwsClients {
  const common = { region: settings.region, ...(settings.endpoint ? { endpoint: settings.endpoint } : {}) };
  const dynamodb = new DynamoDBClient(common);
  const clients: AwsClients = {
    s3: new S3Client({ ...common, forcePathStyle: settings.endpoint !== undefined }),
    sqs: new SQSClient(common),
    dynamodb,
    // Shares the DynamoDB client's middleware stack, so its requests are counted there.
    documents: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    secrets: new SecretsManagerClient(common),
    requests: new AwsRequestCounter(),
  };
  clients.requests.attach(clients.s3, 'S3');
  clients.requests.attach(clients.sqs, 'SQS');
  clients.requests.attach(clients.dynamodb, 'DynamoDB');
  clients.requests.attach(clients.secrets, 'SecretsManager');
  return clients;
}

/** Closes the clients' connection pools (tests, graceful shutdown). */
export function destroyAwsClients(clients: AwsClients): void {
  clients.s3.destroy();
  clients.sqs.destroy();
  clients.documents.destroy();
  clients.dynamodb.destroy();
  clients.secrets.destroy();
}
