/**
 * Where the stage keeps its data: the four DynamoDB tables (bootstrap.ts's
 * definitions), the output and staging buckets (private, encrypted, with
 * bootstrap.ts's lifecycle rules) and the two secrets.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { AwsResourceNames } from '../shared/adapters/aws/config';
import {
  configsTable,
  executionLogsTable,
  runsTable,
  STAGING_EXPIRY_DAYS,
  stateTable,
} from '../shared/adapters/aws/bootstrap';
import type { StackContext } from './context';
import { tableArgs } from './tables';

export interface Storage {
  tables: Record<keyof AwsResourceNames['tables'], aws.dynamodb.Table>;
  buckets: Record<'output' | 'staging', aws.s3.Bucket>;
  bucketSettings: pulumi.Resource[];
  extractorSecret: aws.secretsmanager.Secret;
  extractorSecretVersion: aws.secretsmanager.SecretVersion;
  rootApiKeySecret: aws.secretsmanager.Secret;
  rootApiKeySecretVersion: aws.secretsmanager.SecretVersion;
}

export function createStorage(ctx: StackContext): Storage {
  return { tables: createTables(ctx), ...createBuckets(ctx), ...createSecrets(ctx) };
}

/** The definitions bootstrap.ts creates. */
function createTables({ names, tags }: StackContext): Storage['tables'] {
  return {
    runs: new aws.dynamodb.Table('runs', { ...tableArgs(runsTable(names.tables.runs)), tags }),
    executionLogs: new aws.dynamodb.Table('execution-logs', {
      ...tableArgs(executionLogsTable(names.tables.executionLogs)),
      pointInTimeRecovery: { enabled: true },
      tags,
    }),
    state: new aws.dynamodb.Table('state', {
      ...tableArgs(stateTable(names.tables.state)),
      pointInTimeRecovery: { enabled: true },
      tags,
    }),
    configs: new aws.dynamodb.Table('configs', {
      ...tableArgs(configsTable(names.tables.configs)),
      pointInTimeRecovery: { enabled: true },
      tags,
    }),
  };
}

function createBuckets({ args, names, tags }: StackContext): Pick<Storage, 'buckets' | 'bucketSettings'> {
  const bucketSettings: pulumi.Resource[] = [];
  const makeBucket = (key: 'output' | 'staging'): aws.s3.Bucket => {
    const bucket = new aws.s3.Bucket(`${key}-bucket`, {
      bucket: names.buckets[key],
      // Objects are deleted with the bucket on `pulumi destroy` only when asked to.
      ...(args.forceDestroy ? { forceDestroy: true } : {}),
      tags,
    });
    bucketSettings.push(
      new aws.s3.BucketPublicAccessBlock(`${key}-bucket-public-access`, {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      }),
      new aws.s3.BucketServerSideEncryptionConfiguration(`${key}-bucket-sse`, {
        bucket: bucket.id,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true }],
      }),
      new aws.s3.BucketOwnershipControls(`${key}-bucket-ownership`, {
        bucket: bucket.id,
        rule: { objectOwnership: 'BucketOwnerEnforced' },
      }),
    );
    return bucket;
  };
  const buckets = { output: makeBucket('output'), staging: makeBucket('staging') };
  // The same rules as bootstrap.ts: a writer killed mid-upload leaves an incomplete
  // multipart upload behind; runs that never finish leave staged pages behind.
  const abortIncompleteUploads = {
    id: 'abort-incomplete-multipart-uploads',
    status: 'Enabled',
    filter: { prefix: '' },
    abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
  };
  bucketSettings.push(
    new aws.s3.BucketLifecycleConfiguration('output-bucket-lifecycle', {
      bucket: buckets.output.id,
      rules: [abortIncompleteUploads],
    }),
    new aws.s3.BucketLifecycleConfiguration('staging-bucket-lifecycle', {
      bucket: buckets.staging.id,
      rules: [
        abortIncompleteUploads,
        {
          id: 'expire-abandoned-staging',
          status: 'Enabled',
          filter: { prefix: '' },
          expiration: { days: STAGING_EXPIRY_DAYS },
        },
      ],
    }),
  );
  return { buckets, bucketSettings };
}

function createSecrets({
  args,
  names,
  tags,
}: StackContext): Omit<Storage, 'tables' | 'buckets' | 'bucketSettings'> {
  const extractorSecret = new aws.secretsmanager.Secret('extractor-secrets', {
    name: names.extractorSecret,
    description: 'API Extractor: secrets that configs reference as ${secret::name}',
    ...withoutRecovery(args),
    tags,
  });
  // `{}` once; afterwards the config-api owns the value (PUT /secrets/…) and moves
  // AWSCURRENT to its own versions, so neither the value nor the stages are managed here.
  const extractorSecretVersion = new aws.secretsmanager.SecretVersion(
    'extractor-secrets-initial',
    { secretId: extractorSecret.id, secretString: '{}' },
    { ignoreChanges: ['secretString', 'versionStages'] },
  );
  const rootApiKeySecret = new aws.secretsmanager.Secret('root-api-key', {
    name: `api-extractor-config/${args.stage}/root-api-key`,
    description: 'API Extractor: the config API root key (ROOT_API_KEY of the config-api task)',
    ...withoutRecovery(args),
    tags,
  });
  const rootApiKeySecretVersion = new aws.secretsmanager.SecretVersion('root-api-key', {
    secretId: rootApiKeySecret.id,
    secretString: pulumi.secret(args.rootApiKey),
  });
  return { extractorSecret, extractorSecretVersion, rootApiKeySecret, rootApiKeySecretVersion };
}

/** With `forceDestroy`, a destroyed secret is gone at once (its name free for a new stack). */
const withoutRecovery = (args: StackContext['args']): { recoveryWindowInDays?: number } =>
  args.forceDestroy ? { recoveryWindowInDays: 0 } : {};
