/**
 * Every port contract against the AWS adapters, on an AWS emulator on 127.0.0.1
 * (a moto server for this file, or the developer's AWS_ENDPOINT_URL). Each test
 * gets its own stage, so its queues, tables, buckets and secret are fresh.
 */
import { randomBytes } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutSecretValueCommand, CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { bootstrapAwsResources } from '../../shared/adapters/aws/bootstrap';
import {
  awsSettingsFromEnv,
  createAwsClients,
  destroyAwsClients,
  type AwsClients,
  type AwsSettings,
} from '../../shared/adapters/aws/config';
import { DynamoRunStore } from '../../shared/adapters/aws/dynamoRunStore';
import {
  DynamoExecutionLogStore,
  DynamoLastRecordStore,
  DynamoTokenStore,
} from '../../shared/adapters/aws/dynamoStateStores';
import {
  AwsSettingsError,
  MessageTooLargeError,
  QueueBrokerError,
  RunRecordNotFoundError,
} from '../../shared/adapters/aws/errors';
import { s3DownloadLinks } from '../../shared/adapters/aws/s3DownloadLinks';
import { S3ObjectStore } from '../../shared/adapters/aws/s3ObjectStore';
import { SecretsManagerStore } from '../../shared/adapters/aws/secretsManagerStore';
import { SqsQueueBroker } from '../../shared/adapters/aws/sqsBroker';
import type { Clock, Logger } from '../../shared/ports/logger';
import { describeExecutionLogStoreContract } from '../contract/executionLogStore.contract';
import { makeExtraction, makeRun } from '../contract/factories';
import { deferred, within } from '../contract/fixture';
import { describeLastRecordStoreContract } from '../contract/lastRecordStore.contract';
import { describeObjectStoreContract } from '../contract/objectStore.contract';
import { describeQueueBrokerContract } from '../contract/queueBroker.contract';
import { describeRunStoreContract } from '../contract/runStore.contract';
import { describeSecretStoreContract } from '../contract/secretStore.contract';
import { describeTokenStoreContract } from '../contract/tokenStore.contract';
import { useMoto } from './motoLifecycle';

const moto = useMoto();

interface Deployment {
  settings: AwsSettings;
  clients: AwsClients;
  close(): Promise<void>;
}

/** A bootstrapped stage of its own: fresh queues, tables, buckets and secret. */
async function freshDeployment(env: Record<string, string> = {}): Promise<Deployment> {
  const settings = awsSettingsFromEnv({
    ...moto.env,
    STAGE: `t${randomBytes(5).toString('hex')}`,
    DEFAULT_OUTPUT_BUCKET_SUFFIX: 'contract',
    ...env,
  });
  const clients = createAwsClients(settings);
  await bootstrapAwsResources(settings, clients);
  return { settings, clients, close: async () => destroyAwsClients(clients) };
}

/** Collects log lines, so a test can see what the adapters reported. */
function recordingLogger(): Logger & {
  lines: { level: string; message: string; fields?: Record<string, unknown> }[];
} {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    void lines.push({ level, message, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function brokerFor(deployment: Deployment, logger?: Logger): SqsQueueBroker {
  return new SqsQueueBroker(deployment.clients.sqs, {
    queues: deployment.settings.names.queues,
    deadLetterQueues: deployment.settings.names.deadLetterQueues,
    waitTimeSeconds: 1,
    ...(logger ? { logger } : {}),
  });
}

describeObjectStoreContract('S3ObjectStore', async () => {
  const deployment = await freshDeployment();
  return {
    subject: {
      store: new S3ObjectStore(deployment.clients.s3),
      bucket: deployment.settings.names.buckets.staging,
    },
    close: deployment.close,
  };
});

describeRunStoreContract('DynamoRunStore', async () => {
  const deployment = await freshDeployment();
  return {
    subject: new DynamoRunStore(deployment.clients.documents, deployment.settings.names.tables.runs),
    close: deployment.close,
  };
});

describeLastRecordStoreContract('DynamoLastRecordStore', async () => {
  const deployment = await freshDeployment();
  return {
    subject: new DynamoLastRecordStore(deployment.clients.documents, deployment.settings.names.tables.state),
    close: deployment.close,
  };
});

describeTokenStoreContract('DynamoTokenStore', async () => {
  const deployment = await freshDeployment();
  return {
    subject: new DynamoTokenStore(deployment.clients.documents, deployment.settings.names.tables.state),
    close: deployment.close,
  };
});

describeExecutionLogStoreContract('DynamoExecutionLogStore', async () => {
  const deployment = await freshDeployment();
  return {
    subject: new DynamoExecutionLogStore(
      deployment.clients.documents,
      deployment.settings.names.tables.executionLogs,
    ),
    close: deployment.close,
  };
});

describeSecretStoreContract('SecretsManagerStore', async (stored) => {
  // No bootstrap: the secret is created here with the test's text, or left absent.
  const settings = awsSettingsFromEnv({
    ...moto.env,
    STAGE: `t${randomBytes(5).toString('hex')}`,
    DEFAULT_OUTPUT_BUCKET_SUFFIX: 'contract',
  });
  const clients = createAwsClients(settings);
  const secretId = settings.names.extractorSecret;
  if (stored !== undefined)
    await clients.secrets.send(new CreateSecretCommand({ Name: secretId, SecretString: stored }));
  return {
    subject: new SecretsManagerStore(clients.secrets, secretId),
    close: async () => destroyAwsClients(clients),
  };
});

describeQueueBrokerContract('SqsQueueBroker', async ({ maxReceiveCount }) => {
  const deployment = await freshDeployment({ MAX_RECEIVE_COUNT: String(maxReceiveCount) });
  return { subject: brokerFor(deployment), close: deployment.close };
});

describe('AWS settings', () => {
  const complete = { AWS_REGION: 'eu-west-1', STAGE: 'dev', DEFAULT_OUTPUT_BUCKET_SUFFIX: '123456789012' };

  it('derives every resource name from the stage', () => {
    const settings = awsSettingsFromEnv(complete);
    expect(settings).toMatchObject({ region: 'eu-west-1', stage: 'dev', maxReceiveCount: 5 });
    expect(settings.endpoint).toBeUndefined();
    expect(settings.names).toEqual({
      queues: {
        pages: 'api-extractor-dev-pages',
        details: 'api-extractor-dev-details',
        finalize: 'api-extractor-dev-finalize',
      },
      deadLetterQueues: {
        pages: 'api-extractor-dev-pages-dlq',
        details: 'api-extractor-dev-details-dlq',
        finalize: 'api-extractor-dev-finalize-dlq',
      },
      tables: {
        runs: 'api-extractor-dev-runs',
        executionLogs: 'api-extractor-dev-execution-logs',
        state: 'api-extractor-dev-state',
        configs: 'api-extractor-dev-configs',
      },
      buckets: {
        output: 'api-extractor-output-dev-123456789012',
        staging: 'api-extractor-staging-dev-123456789012',
      },
      extractorSecret: 'api-extractor-config/dev/extractor-secrets',
    });
    expect(
      awsSettingsFromEnv({ ...complete, AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', MAX_RECEIVE_COUNT: '3' }),
    ).toMatchObject({
      endpoint: 'http://127.0.0.1:4566',
      maxReceiveCount: 3,
    });
    expect(settings.allowedOutputBuckets).toBeUndefined();
    expect(
      awsSettingsFromEnv({ ...complete, ALLOWED_OUTPUT_BUCKETS: ' team-exports , audit.exports ' })
        .allowedOutputBuckets,
    ).toEqual(['team-exports', 'audit.exports']);
  });

  it.each([
    [{}, 'AWS_REGION is required; STAGE is required; DEFAULT_OUTPUT_BUCKET_SUFFIX is required'],
    [{ ...complete, STAGE: '' }, 'STAGE is required'],
    [
      { ...complete, STAGE: 'Dev_1' },
      'STAGE must be lower-case letters, digits and inner dashes (got "Dev_1")',
    ],
    [
      { ...complete, AWS_ENDPOINT_URL: 'localhost 4566' },
      'AWS_ENDPOINT_URL must be a URL (got "localhost 4566")',
    ],
    [
      { ...complete, MAX_RECEIVE_COUNT: '0' },
      'MAX_RECEIVE_COUNT must be an integer from 1 to 1000 (got "0")',
    ],
    [{ ...complete, DEFAULT_OUTPUT_BUCKET_SUFFIX: 'x'.repeat(40) }, 'is longer than 63'],
    [
      { ...complete, ALLOWED_OUTPUT_BUCKETS: 'team-exports,../x' },
      'ALLOWED_OUTPUT_BUCKETS: "../x" must be an S3 bucket name',
    ],
  ])('rejects %j naming each problem', (env, expected) => {
    expect(() => awsSettingsFromEnv(env)).toThrow(AwsSettingsError);
    expect(() => awsSettingsFromEnv(env)).toThrow(expected);
  });
});

describe('AWS adapters beyond the contracts', () => {
  it('bootstrap is idempotent, keeps the secret and applies a new maxReceiveCount', async () => {
    const deployment = await freshDeployment();
    try {
      const { settings, clients } = deployment;
      await clients.secrets.send(
        new PutSecretValueCommand({ SecretId: settings.names.extractorSecret, SecretString: '{"k":"v"}' }),
      );
      const again = await bootstrapAwsResources({ ...settings, maxReceiveCount: 9 }, clients);
      expect(again.created).toEqual([]);
      expect(again.existing).toHaveLength(6 + 4 + 2 + 1);
      expect(await new SecretsManagerStore(clients.secrets, settings.names.extractorSecret).getAll()).toEqual(
        { k: 'v' },
      );
      const url = (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: settings.names.queues.pages })))
        .QueueUrl;
      const attributes = await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy'] }),
      );
      expect(JSON.parse(attributes.Attributes?.RedrivePolicy ?? '{}')).toMatchObject({ maxReceiveCount: 9 });
    } finally {
      await deployment.close();
    }
  });

  it('caches the secret for its TTL', async () => {
    const deployment = await freshDeployment();
    try {
      const { settings, clients } = deployment;
      let now = Date.parse('2026-03-01T00:00:00Z');
      const clock: Clock = { now: () => new Date(now) };
      const store = new SecretsManagerStore(clients.secrets, settings.names.extractorSecret, {
        ttlMs: 60_000,
        clock,
      });
      expect(await store.getAll()).toEqual({});
      await clients.secrets.send(
        new PutSecretValueCommand({ SecretId: settings.names.extractorSecret, SecretString: '{"t":"new"}' }),
      );
      now += 59_000;
      expect(await store.getAll()).toEqual({});
      now += 2_000;
      expect(await store.getAll()).toEqual({ t: 'new' });
    } finally {
      await deployment.close();
    }
  });

  it('stores the config snapshot, previousLast and log as JSON strings, and raises RunRecordNotFoundError for unknown records', async () => {
    const deployment = await freshDeployment();
    try {
      const table = deployment.settings.names.tables.runs;
      const store = new DynamoRunStore(deployment.clients.documents, table);
      const run = makeRun();
      await store.createRun(run, [makeExtraction(run, 'ext-deals')]);
      const raw = await deployment.clients.dynamodb.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: `RUN#${run.runId}` }, sk: { S: 'META' } } }),
      );
      expect(raw.Item?.configJson).toEqual({ S: run.configJson });
      await expect(store.markPageDone(run.runId, 'ext-deals', 0)).rejects.toBeInstanceOf(
        RunRecordNotFoundError,
      );
      await expect(store.setEnd(run.runId, 'no-such-extraction', 1)).rejects.toBeInstanceOf(
        RunRecordNotFoundError,
      );
    } finally {
      await deployment.close();
    }
  });

  it('an output file link is a presigned URL that fetches the object as an attachment, with no credentials', async () => {
    const deployment = await freshDeployment();
    try {
      const store = new S3ObjectStore(deployment.clients.s3);
      const bucket = deployment.settings.names.buckets.staging;
      await store.put(bucket, 'deals/deals-1.csv', ['id,name\n1,a\n']);
      const url = await s3DownloadLinks(deployment.clients.s3).link(
        { bucket, key: 'deals/deals-1.csv' },
        'deals-1.csv',
        60,
      );
      expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('60');
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('id,name\n1,a\n');
      expect(res.headers.get('content-disposition')).toContain('deals-1.csv');
    } finally {
      await deployment.close();
    }
  });

  it('deletes more objects than one DeleteObjects call takes', async () => {
    const deployment = await freshDeployment();
    try {
      const store = new S3ObjectStore(deployment.clients.s3);
      const bucket = deployment.settings.names.buckets.staging;
      const keys = Array.from({ length: 1001 }, (_, i) => `run/page-${String(i).padStart(4, '0')}`);
      for (let start = 0; start < keys.length; start += 100) {
        await Promise.all(keys.slice(start, start + 100).map((key) => store.put(bucket, key, ['x'])));
      }
      await store.put(bucket, 'keep/me', ['y']);
      expect(await store.list(bucket, 'run/')).toHaveLength(1001);
      await store.deletePrefix(bucket, 'run/');
      expect(await store.list(bucket, '')).toEqual(['keep/me']);
    } finally {
      await deployment.close();
    }
  });

  it('refuses a message larger than SQS accepts before sending anything', async () => {
    const deployment = await freshDeployment();
    try {
      const broker = brokerFor(deployment);
      await expect(broker.send('pages', ['small', 'x'.repeat(256 * 1024 + 1)])).rejects.toBeInstanceOf(
        MessageTooLargeError,
      );
    } finally {
      await deployment.close();
    }
  });

  it('dead-letters with the reason as a message attribute, only from inside the handler', async () => {
    const deployment = await freshDeployment();
    const logger = recordingLogger();
    const broker = brokerFor(deployment, logger);
    const handled = deferred<ReceivedMessageCopy>();
    type ReceivedMessageCopy = { id: string; body: string; receiveCount: number };
    const consumer = broker.consume(
      'details',
      async (message) => {
        await broker.deadLetter('details', message, 'schema: missing "version"');
        handled.resolve({ ...message });
      },
      { concurrency: 1, visibilityTimeoutSeconds: 5 },
    );
    try {
      await broker.send('details', ['{"v":0}']);
      const message = await within(60_000, 'the handler', handled.promise);
      await expect(broker.deadLetter('details', message, 'too late')).rejects.toBeInstanceOf(
        QueueBrokerError,
      );

      const { sqs } = deployment.clients;
      const dlqUrl = (
        await sqs.send(
          new GetQueueUrlCommand({ QueueName: deployment.settings.names.deadLetterQueues.details }),
        )
      ).QueueUrl;
      const received = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: dlqUrl, MessageAttributeNames: ['All'], WaitTimeSeconds: 5 }),
      );
      const letter = received.Messages?.[0];
      expect(letter?.Body).toBe('{"v":0}');
      expect(letter?.MessageAttributes?.reason?.StringValue).toBe('schema: missing "version"');
      expect(letter?.MessageAttributes?.sourceQueue?.StringValue).toBe('details');
      expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
    } finally {
      await consumer.stop();
      await deployment.close();
    }
  });

  it('reports a missing queue on every attempt to find it, and still stops at once', async () => {
    const settings = awsSettingsFromEnv({
      ...moto.env,
      STAGE: 'never-bootstrapped',
      DEFAULT_OUTPUT_BUCKET_SUFFIX: 'x',
    });
    const clients = createAwsClients(settings);
    const reported = deferred<Record<string, unknown> | undefined>();
    const logger: Logger = { ...recordingLogger(), error: (_message, fields) => reported.resolve(fields) };
    const broker = new SqsQueueBroker(clients.sqs, {
      queues: settings.names.queues,
      deadLetterQueues: settings.names.deadLetterQueues,
      logger,
    });
    const consumer = broker.consume('pages', async () => undefined, {
      concurrency: 1,
      visibilityTimeoutSeconds: 5,
    });
    try {
      expect(await within(60_000, 'the error report', reported.promise)).toMatchObject({
        queueName: 'api-extractor-never-bootstrapped-pages',
        error: 'cannot find queue api-extractor-never-bootstrapped-pages',
      });
      await within(15_000, 'stop()', consumer.stop());
    } finally {
      destroyAwsClients(clients);
    }
  });

  it('logs handler failures with the message id and receive count', async () => {
    const deployment = await freshDeployment();
    const logger = recordingLogger();
    const broker = brokerFor(deployment, logger);
    const failed = deferred();
    const consumer = broker.consume(
      'finalize',
      async () => {
        failed.resolve();
        throw new Error('writer exploded');
      },
      { concurrency: 1, visibilityTimeoutSeconds: 30 },
    );
    try {
      await broker.send('finalize', ['x']);
      await within(60_000, 'the failing handler', failed.promise);
    } finally {
      await consumer.stop();
      await deployment.close();
    }
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'message handler failed; the message will be redelivered',
        fields: expect.objectContaining({
          error: 'writer exploded',
          receiveCount: '1',
          messageId: expect.any(String),
        }),
      }),
    );
  });
});
