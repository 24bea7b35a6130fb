/**
 * IAM policy statements of the task roles, per service, least privilege: each
 * service gets the queues, tables, buckets and secret actions its code calls
 * (docs/aws.md "Services"), on those resources' ARNs only. Which worker consumes
 * which queue, and who consumes the dead letters, is shared/core/topology.ts.
 */
import * as pulumi from '@pulumi/pulumi';
import {
  DEAD_LETTER_CONSUMER,
  isWorker,
  QUEUE_NAMES,
  WORKER_QUEUES,
  type QueueName,
  type ServiceName,
} from '../shared/core/topology';

export interface Statement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: pulumi.Input<string>[];
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Statement[];
}

export interface ArnsForPolicies {
  queues: Record<QueueName, pulumi.Input<string>>;
  deadLetterQueues: Record<QueueName, pulumi.Input<string>>;
  tables: Record<'runs' | 'state' | 'executionLogs' | 'configs', pulumi.Input<string>>;
  buckets: Record<'output' | 'staging', pulumi.Input<string>>;
  extractorSecret: pulumi.Input<string>;
  /** ARNs of other buckets configs write to (`s3_destiny.bucket`). */
  extraOutputBuckets: pulumi.Input<string>[];
  /** `arn:…:secret:api-extractor-config/{stage}/extractor-secrets-*`: CreateSecret names a secret, not an ARN. */
  extractorSecretNamePattern: pulumi.Input<string>;
}

const SQS_SEND = ['sqs:SendMessage', 'sqs:GetQueueUrl', 'sqs:GetQueueAttributes'];
/** sqs-consumer: receive, delete (batch), change visibility (heartbeat, batch). */
const SQS_CONSUME = [
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:GetQueueUrl',
  'sqs:GetQueueAttributes',
];
/** TransactWriteItems is authorised per item action (PutItem, UpdateItem, DeleteItem, ConditionCheckItem). */
const DYNAMO_RW = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];
/** lib-storage's Upload needs PutObject (multipart included) and AbortMultipartUpload. */
const S3_STAGING = ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload'];
/** GetObject covers HeadObject, which reads who wrote an existing output key (putIfAbsent). */
const S3_OUTPUT = ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'];
const SECRET_READ = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'];
const SECRET_WRITE = ['secretsmanager:PutSecretValue'];

const tableAndIndexes = (arn: pulumi.Input<string>): pulumi.Input<string>[] => [
  arn,
  pulumi.interpolate`${arn}/index/*`,
];
const objects = (bucketArn: pulumi.Input<string>): pulumi.Input<string> => pulumi.interpolate`${bucketArn}/*`;

/**
 * The task role policy of a service.
 *
 * - every service runs pipeline stages (config-api and scheduler start runs and
 *   fail stuck ones): the runs, state and execution-log tables, the staging bucket,
 *   the extractor secret (read), and sending to the three stage queues;
 * - a worker consumes its own queue and sends invalid messages to that queue's
 *   dead-letter queue; the writer also consumes every dead-letter queue and is the
 *   only one writing the output bucket;
 * - config-api and scheduler use the configs table; only the config-api writes the
 *   extractor secret, and reads output files (its presigned download links are signed
 *   with its role, so they reach only those). The workers never touch the configs table.
 */
export function taskRolePolicy(service: ServiceName, arns: ArnsForPolicies): PolicyDocument {
  const pipelineTables = [arns.tables.runs, arns.tables.state, arns.tables.executionLogs];
  const statements: Statement[] = [
    {
      Sid: 'SendStageTasks',
      Effect: 'Allow',
      Action: SQS_SEND,
      Resource: QUEUE_NAMES.map((q) => arns.queues[q]),
    },
    {
      Sid: 'PipelineTables',
      Effect: 'Allow',
      Action: DYNAMO_RW,
      Resource: pipelineTables.flatMap(tableAndIndexes),
    },
    { Sid: 'StagingObjects', Effect: 'Allow', Action: S3_STAGING, Resource: [objects(arns.buckets.staging)] },
    { Sid: 'StagingList', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [arns.buckets.staging] },
    { Sid: 'ReadExtractorSecret', Effect: 'Allow', Action: SECRET_READ, Resource: [arns.extractorSecret] },
  ];
  if (isWorker(service)) {
    const queue = WORKER_QUEUES[service];
    statements.push(
      { Sid: 'ConsumeOwnQueue', Effect: 'Allow', Action: SQS_CONSUME, Resource: [arns.queues[queue]] },
      {
        Sid: 'DeadLetterOwnQueue',
        Effect: 'Allow',
        Action: SQS_SEND,
        Resource: [arns.deadLetterQueues[queue]],
      },
    );
  }
  if (service === DEAD_LETTER_CONSUMER) {
    statements.push({
      Sid: 'ConsumeDeadLetters',
      Effect: 'Allow',
      Action: SQS_CONSUME,
      Resource: QUEUE_NAMES.map((q) => arns.deadLetterQueues[q]),
    });
  }
  if (service === 'writer') {
    statements.push({
      Sid: 'WriteOutput',
      Effect: 'Allow',
      Action: S3_OUTPUT,
      Resource: [arns.buckets.output, ...arns.extraOutputBuckets].map(objects),
    });
  }
  if (service === 'config-api' || service === 'scheduler') {
    statements.push({
      Sid: 'ConfigsTable',
      Effect: 'Allow',
      // Listing configs is a consistent Scan of this table (docs/aws.md "Configs").
      Action: [...DYNAMO_RW, 'dynamodb:Scan'],
      Resource: tableAndIndexes(arns.tables.configs),
    });
  }
  if (service === 'config-api') {
    statements.push(
      {
        Sid: 'WriteExtractorSecret',
        Effect: 'Allow',
        Action: SECRET_WRITE,
        Resource: [arns.extractorSecret],
      },
      {
        // The admin re-creates the secret if someone deleted it; CreateSecret is
        // authorised on the ARN the new secret would get (name + random suffix).
        Sid: 'RecreateExtractorSecret',
        Effect: 'Allow',
        Action: ['secretsmanager:CreateSecret'],
        Resource: [arns.extractorSecretNamePattern],
      },
      {
        Sid: 'ReadOutputForDownloadLinks',
        Effect: 'Allow',
        Action: ['s3:GetObject'],
        Resource: [arns.buckets.output, ...arns.extraOutputBuckets].map(objects),
      },
    );
  }
  return { Version: '2012-10-17', Statement: statements };
}

export interface ExecutionArns {
  repository?: pulumi.Input<string>;
  logGroup: pulumi.Input<string>;
  rootApiKeySecret: pulumi.Input<string>;
}

/**
 * The task execution role (used by the ECS agent, not by our code): pull the image,
 * write the container logs, and read the root API key for the config-api's `secrets`.
 */
export function executionRolePolicy(arns: ExecutionArns): PolicyDocument {
  const statements: Statement[] = [
    {
      Sid: 'ContainerLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [pulumi.interpolate`${arns.logGroup}:log-stream:*`],
    },
    {
      Sid: 'RootApiKey',
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: [arns.rootApiKeySecret],
    },
  ];
  if (arns.repository) {
    statements.push(
      {
        // ecr:GetAuthorizationToken has no resource-level permissions: AWS requires "*".
        Sid: 'EcrLogin',
        Effect: 'Allow',
        Action: ['ecr:GetAuthorizationToken'],
        Resource: ['*'],
      },
      {
        Sid: 'PullImage',
        Effect: 'Allow',
        Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        Resource: [arns.repository],
      },
    );
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** Statement ids allowed to use Resource "*", each because the action has no resource-level permissions. */
export const WILDCARD_RESOURCE_SIDS: readonly string[] = ['EcrLogin'];

/** Lets ECS tasks assume a role, only on behalf of this account (confused-deputy guard). */
export function ecsTasksAssumeRolePolicy(accountId: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'ecs-tasks.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
      },
    ],
  });
}
