/**
 * Everything API Extractor needs on AWS: the queues, tables, buckets and secret of
 * a stage (named by `resourceNames`, as the services expect), an ECR repository,
 * and the five services on ECS Fargate with the config-api behind an ALB.
 *
 * `createStack` only declares resources, so tests run it under
 * `pulumi.runtime.setMocks`; `index.ts` calls it with the stack's config.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { configsTable, executionLogsTable, runsTable, stateTable } from '../shared/adapters/aws/bootstrap';
import { resourceNames, type AwsResourceNames } from '../shared/adapters/aws/config';
import {
  ecsTasksAssumeRolePolicy,
  executionRolePolicy,
  isWorker,
  SERVICE_NAMES,
  taskRolePolicy,
  WORKER_QUEUE,
  type ServiceName,
} from './policies';
import { tableArgs } from './tables';

export { SERVICE_NAMES, type ServiceName } from './policies';

export interface ServiceSizing {
  /** Fargate CPU units (256, 512, 1024, …). */
  cpu: number;
  /** MiB, a value Fargate accepts for the CPU. */
  memory: number;
  desiredCount: number;
}

export interface StackArgs {
  stage: string;
  bucketSuffix: string;
  /** Image of every service; undefined: `{ecr repository}:latest`. */
  image?: pulumi.Input<string>;
  maxReceiveCount: number;
  rootApiKey: pulumi.Input<string>;
  services: Record<ServiceName, ServiceSizing>;
  /** HTTPS on 443 (and HTTP redirected to it) when set. */
  certificateArn?: string;
  /** A VPC and its subnets; undefined: the region's default VPC and its default subnets. */
  vpcId?: string;
  subnetIds?: string[];
  /** Give tasks a public IP (needed in public subnets without a NAT); default: only in the default VPC. */
  assignPublicIp?: boolean;
  /** Buckets besides the output bucket that configs name in `s3_destiny.bucket`: the writer may put objects there. */
  extraOutputBuckets?: string[];
  /** CIDRs allowed to reach the ALB. */
  ingressCidrs: string[];
  logRetentionDays: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export const QUEUES = ['pages', 'details', 'finalize'] as const;
export type Queue = (typeof QUEUES)[number];
/** What each stage's handler may take: one page, a chunk of detail requests, writing a whole extraction. */
export const VISIBILITY_TIMEOUT_SECONDS: Record<Queue, number> = { pages: 60, details: 120, finalize: 300 };
export const CONFIG_API_PORT = 8080;
/** ECS's longest stopTimeout: SIGTERM drains in-flight messages and requests (docs/aws.md). */
export const STOP_TIMEOUT_SECONDS = 120;
export const STAGING_EXPIRY_DAYS = 7;
const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600;
const QUEUE_RETENTION_SECONDS = 4 * 24 * 3600;

export const SERVICE_COMMANDS: Record<ServiceName, string[]> = {
  'config-api': ['dist/services/config-api/main.js'],
  scheduler: ['dist/services/scheduler/main.js'],
  'page-fetcher': ['dist/services/worker/main.js', 'page-fetcher'],
  'detail-mapper': ['dist/services/worker/main.js', 'detail-mapper'],
  writer: ['dist/services/worker/main.js', 'writer'],
};

export interface Stack {
  names: AwsResourceNames;
  queues: Record<Queue, aws.sqs.Queue>;
  deadLetterQueues: Record<Queue, aws.sqs.Queue>;
  tables: Record<keyof AwsResourceNames['tables'], aws.dynamodb.Table>;
  buckets: Record<'output' | 'staging', aws.s3.Bucket>;
  bucketSettings: pulumi.Resource[];
  extractorSecret: aws.secretsmanager.Secret;
  extractorSecretVersion: aws.secretsmanager.SecretVersion;
  rootApiKeySecret: aws.secretsmanager.Secret;
  rootApiKeySecretVersion: aws.secretsmanager.SecretVersion;
  repository: aws.ecr.Repository;
  cluster: aws.ecs.Cluster;
  logGroup: aws.cloudwatch.LogGroup;
  executionRole: aws.iam.Role;
  executionRolePolicy: aws.iam.RolePolicy;
  taskRoles: Record<ServiceName, aws.iam.Role>;
  taskRolePolicies: Record<ServiceName, aws.iam.RolePolicy>;
  securityGroups: Record<'alb' | 'configApi' | 'workers', aws.ec2.SecurityGroup>;
  securityGroupRules: pulumi.Resource[];
  loadBalancer: aws.lb.LoadBalancer;
  targetGroup: aws.lb.TargetGroup;
  listeners: aws.lb.Listener[];
  taskDefinitions: Record<ServiceName, aws.ecs.TaskDefinition>;
  services: Record<ServiceName, aws.ecs.Service>;
  /** `http(s)://{alb dns name}` */
  apiUrl: pulumi.Output<string>;
}

const byQueue = <T>(make: (queue: Queue) => T): Record<Queue, T> =>
  Object.fromEntries(QUEUES.map((q) => [q, make(q)])) as Record<Queue, T>;
const byService = <T>(make: (service: ServiceName) => T): Record<ServiceName, T> =>
  Object.fromEntries(SERVICE_NAMES.map((s) => [s, make(s)])) as Record<ServiceName, T>;

/**
 * Declares the whole deployment of one stage.
 *
 * @example
 * const stack = createStack({ stage: 'prod', bucketSuffix: '123456789012', rootApiKey, … });
 * export const apiUrl = stack.apiUrl;
 */
export function createStack(args: StackArgs): Stack {
  const names = resourceNames(args.stage, args.bucketSuffix);
  const prefix = `api-extractor-${args.stage}`;
  const tags = { project: 'api-extractor', stage: args.stage };
  const region = aws.getRegionOutput().region;
  const identity = aws.getCallerIdentityOutput();
  const partition = aws.getPartitionOutput().partition;

  // ---- queues: each with its dead-letter queue ----
  const deadLetterQueues = byQueue(
    (q) =>
      new aws.sqs.Queue(`${q}-dlq`, {
        name: names.deadLetterQueues[q],
        messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
        visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS[q],
        sqsManagedSseEnabled: true,
        tags,
      }),
  );
  const queues = byQueue(
    (q) =>
      new aws.sqs.Queue(q, {
        name: names.queues[q],
        visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS[q],
        messageRetentionSeconds: QUEUE_RETENTION_SECONDS,
        receiveWaitTimeSeconds: 20,
        sqsManagedSseEnabled: true,
        redrivePolicy: pulumi.jsonStringify({
          deadLetterTargetArn: deadLetterQueues[q].arn,
          maxReceiveCount: args.maxReceiveCount,
        }),
        tags,
      }),
  );

  // ---- tables: the definitions bootstrap.ts creates ----
  const tables = {
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

  // ---- buckets ----
  const bucketSettings: pulumi.Resource[] = [];
  const makeBucket = (key: 'output' | 'staging'): aws.s3.Bucket => {
    const bucket = new aws.s3.Bucket(`${key}-bucket`, { bucket: names.buckets[key], tags });
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

  // ---- secrets ----
  const extractorSecret = new aws.secretsmanager.Secret('extractor-secrets', {
    name: names.extractorSecret,
    description: 'API Extractor: secrets that configs reference as ${secret::name}',
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
    tags,
  });
  const rootApiKeySecretVersion = new aws.secretsmanager.SecretVersion('root-api-key', {
    secretId: rootApiKeySecret.id,
    secretString: pulumi.secret(args.rootApiKey),
  });

  // ---- image, cluster, logs ----
  const repository = new aws.ecr.Repository('repository', {
    name: prefix,
    imageTagMutability: 'MUTABLE',
    imageScanningConfiguration: { scanOnPush: true },
    tags,
  });
  const image = args.image ?? pulumi.interpolate`${repository.repositoryUrl}:latest`;
  const cluster = new aws.ecs.Cluster('cluster', {
    name: prefix,
    settings: [{ name: 'containerInsights', value: 'enabled' }],
    tags,
  });
  const logGroup = new aws.cloudwatch.LogGroup('logs', {
    name: `/ecs/${prefix}`,
    retentionInDays: args.logRetentionDays,
    tags,
  });

  // ---- IAM ----
  const assumeRolePolicy = ecsTasksAssumeRolePolicy(identity.accountId);
  const executionRole = new aws.iam.Role('task-execution-role', {
    name: `${prefix}-task-execution`,
    assumeRolePolicy,
    tags,
  });
  const executionPolicy = new aws.iam.RolePolicy('task-execution-policy', {
    role: executionRole.id,
    policy: pulumi.jsonStringify(
      executionRolePolicy({
        repository: repository.arn,
        logGroup: logGroup.arn,
        rootApiKeySecret: rootApiKeySecret.arn,
      }),
    ),
  });
  const policyArns = {
    queues: byQueue((q) => queues[q].arn),
    deadLetterQueues: byQueue((q) => deadLetterQueues[q].arn),
    tables: {
      runs: tables.runs.arn,
      state: tables.state.arn,
      executionLogs: tables.executionLogs.arn,
      configs: tables.configs.arn,
    },
    buckets: { output: buckets.output.arn, staging: buckets.staging.arn },
    extraOutputBuckets: (args.extraOutputBuckets ?? []).map(
      (b) => pulumi.interpolate`arn:${partition}:s3:::${b}`,
    ),
    extractorSecret: extractorSecret.arn,
    extractorSecretNamePattern: pulumi.interpolate`arn:${partition}:secretsmanager:${region}:${identity.accountId}:secret:${names.extractorSecret}-*`,
  };
  const taskRoles = byService(
    (service) =>
      new aws.iam.Role(`${service}-task-role`, { name: `${prefix}-${service}`, assumeRolePolicy, tags }),
  );
  const taskRolePolicies = byService(
    (service) =>
      new aws.iam.RolePolicy(`${service}-task-policy`, {
        role: taskRoles[service].id,
        policy: pulumi.jsonStringify(taskRolePolicy(service, policyArns)),
      }),
  );

  // ---- network ----
  const vpcId: pulumi.Input<string> = args.vpcId ?? aws.ec2.getVpcOutput({ default: true }).id;
  const subnetIds: pulumi.Input<string[]> =
    args.subnetIds ??
    aws.ec2.getSubnetsOutput({
      filters: [
        { name: 'vpc-id', values: [vpcId] },
        { name: 'default-for-az', values: ['true'] },
      ],
    }).ids;
  const securityGroups = {
    alb: new aws.ec2.SecurityGroup('alb-sg', {
      description: 'API Extractor ALB: HTTP(S) in, the config-api port out',
      vpcId,
      tags: { ...tags, Name: `${prefix}-alb` },
    }),
    configApi: new aws.ec2.SecurityGroup('config-api-sg', {
      description: 'API Extractor config-api tasks: the API port from the ALB only',
      vpcId,
      tags: { ...tags, Name: `${prefix}-config-api` },
    }),
    workers: new aws.ec2.SecurityGroup('workers-sg', {
      description: 'API Extractor scheduler and workers: no inbound traffic',
      vpcId,
      tags: { ...tags, Name: `${prefix}-workers` },
    }),
  };
  const listenerPorts = args.certificateArn ? [80, 443] : [80];
  // Outbound everywhere for the tasks: AWS APIs and the REST APIs being extracted.
  const anywhereOut = (key: 'configApi' | 'workers'): aws.vpc.SecurityGroupEgressRule =>
    new aws.vpc.SecurityGroupEgressRule(`${key}-egress`, {
      securityGroupId: securityGroups[key].id,
      ipProtocol: '-1',
      cidrIpv4: '0.0.0.0/0',
      description: 'AWS APIs and the extracted REST APIs',
    });
  const securityGroupRules: pulumi.Resource[] = [
    ...listenerPorts.flatMap((port) =>
      args.ingressCidrs.map(
        (cidr, i) =>
          new aws.vpc.SecurityGroupIngressRule(`alb-ingress-${port}-${i}`, {
            securityGroupId: securityGroups.alb.id,
            ipProtocol: 'tcp',
            fromPort: port,
            toPort: port,
            cidrIpv4: cidr,
          }),
      ),
    ),
    new aws.vpc.SecurityGroupEgressRule('alb-egress-config-api', {
      securityGroupId: securityGroups.alb.id,
      ipProtocol: 'tcp',
      fromPort: CONFIG_API_PORT,
      toPort: CONFIG_API_PORT,
      referencedSecurityGroupId: securityGroups.configApi.id,
    }),
    new aws.vpc.SecurityGroupIngressRule('config-api-ingress-alb', {
      securityGroupId: securityGroups.configApi.id,
      ipProtocol: 'tcp',
      fromPort: CONFIG_API_PORT,
      toPort: CONFIG_API_PORT,
      referencedSecurityGroupId: securityGroups.alb.id,
    }),
    anywhereOut('configApi'),
    anywhereOut('workers'),
  ];

  // ---- load balancer ----
  const loadBalancer = new aws.lb.LoadBalancer('alb', {
    name: `${prefix}-alb`.slice(0, 32).replace(/-+$/, ''),
    loadBalancerType: 'application',
    internal: false,
    securityGroups: [securityGroups.alb.id],
    subnets: subnetIds,
    dropInvalidHeaderFields: true,
    tags,
  });
  // Security groups and the target group are auto-named by Pulumi (a random suffix), so a
  // change that replaces them can create the new one before deleting the old.
  const targetGroup = new aws.lb.TargetGroup('config-api-tg', {
    port: CONFIG_API_PORT,
    protocol: 'HTTP',
    targetType: 'ip',
    vpcId,
    deregistrationDelay: 30,
    healthCheck: {
      path: '/health',
      protocol: 'HTTP',
      matcher: '200',
      interval: 15,
      timeout: 5,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
    },
    tags,
  });
  const forward = [{ type: 'forward', targetGroupArn: targetGroup.arn }];
  const listeners = args.certificateArn
    ? [
        new aws.lb.Listener('https', {
          loadBalancerArn: loadBalancer.arn,
          port: 443,
          protocol: 'HTTPS',
          sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
          certificateArn: args.certificateArn,
          defaultActions: forward,
        }),
        new aws.lb.Listener('http', {
          loadBalancerArn: loadBalancer.arn,
          port: 80,
          protocol: 'HTTP',
          defaultActions: [
            { type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } },
          ],
        }),
      ]
    : [
        new aws.lb.Listener('http', {
          loadBalancerArn: loadBalancer.arn,
          port: 80,
          protocol: 'HTTP',
          defaultActions: forward,
        }),
      ];

  // ---- task definitions and services ----
  const environment = (service: ServiceName): { name: string; value: string }[] => {
    const vars: [string, string][] = [
      ['STAGE', args.stage],
      ['DEFAULT_OUTPUT_BUCKET_SUFFIX', args.bucketSuffix],
      ['MAX_RECEIVE_COUNT', String(args.maxReceiveCount)],
      ['LOG_LEVEL', args.logLevel],
      // What the writer's role may write (WriteOutput); every service refuses other
      // buckets at save and run time instead of failing on AccessDenied at the end.
      ['ALLOWED_OUTPUT_BUCKETS', [names.buckets.output, ...(args.extraOutputBuckets ?? [])].join(',')],
    ];
    if (service === 'config-api') {
      vars.push(
        ['HOST', '0.0.0.0'],
        ['PORT', String(CONFIG_API_PORT)],
        // Requests still running this long after SIGTERM are cut, before ECS's SIGKILL.
        ['SHUTDOWN_GRACE_SECONDS', String(STOP_TIMEOUT_SECONDS - 20)],
      );
    }
    if (isWorker(service)) {
      vars.push(['VISIBILITY_TIMEOUT_SECONDS', String(VISIBILITY_TIMEOUT_SECONDS[WORKER_QUEUE[service]])]);
    }
    return vars.map(([name, value]) => ({ name, value }));
  };
  const taskDefinitions = byService((service) => {
    const sizing = args.services[service];
    const container = {
      name: service,
      image,
      essential: true,
      command: SERVICE_COMMANDS[service],
      environment: [{ name: 'AWS_REGION', value: region }, ...environment(service)],
      secrets: service === 'config-api' ? [{ name: 'ROOT_API_KEY', valueFrom: rootApiKeySecret.arn }] : [],
      portMappings: service === 'config-api' ? [{ containerPort: CONFIG_API_PORT, protocol: 'tcp' }] : [],
      stopTimeout: STOP_TIMEOUT_SECONDS,
      logConfiguration: {
        logDriver: 'awslogs',
        options: {
          'awslogs-group': logGroup.name,
          'awslogs-region': region,
          'awslogs-stream-prefix': service,
        },
      },
    };
    return new aws.ecs.TaskDefinition(
      `${service}-task`,
      {
        family: `${prefix}-${service}`,
        cpu: String(sizing.cpu),
        memory: String(sizing.memory),
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
        executionRoleArn: executionRole.arn,
        taskRoleArn: taskRoles[service].arn,
        containerDefinitions: pulumi.jsonStringify([container]),
        tags,
      },
      // The execution role must be able to pull and read the key before a task starts.
      { dependsOn: [executionPolicy] },
    );
  });
  const services = byService((service) => {
    const api = service === 'config-api';
    return new aws.ecs.Service(
      service,
      {
        name: service,
        cluster: cluster.arn,
        taskDefinition: taskDefinitions[service].arn,
        desiredCount: args.services[service].desiredCount,
        launchType: 'FARGATE',
        networkConfiguration: {
          subnets: subnetIds,
          securityGroups: [api ? securityGroups.configApi.id : securityGroups.workers.id],
          // Default-VPC subnets are public and have no NAT: a public IP is how the
          // task reaches ECR, AWS APIs and the extracted APIs (inbound stays closed).
          assignPublicIp: args.assignPublicIp ?? args.subnetIds === undefined,
        },
        deploymentCircuitBreaker: { enable: true, rollback: true },
        deploymentMinimumHealthyPercent: 100,
        deploymentMaximumPercent: 200,
        propagateTags: 'SERVICE',
        ...(api
          ? {
              loadBalancers: [
                { targetGroupArn: targetGroup.arn, containerName: service, containerPort: CONFIG_API_PORT },
              ],
              healthCheckGracePeriodSeconds: 60,
            }
          : {}),
        tags,
      },
      // The task role's policy must exist before a task calls AWS; the listener before
      // ECS registers targets in the group.
      { dependsOn: [taskRolePolicies[service], ...(api ? listeners : [])] },
    );
  });

  const apiUrl = pulumi.interpolate`${args.certificateArn ? 'https' : 'http'}://${loadBalancer.dnsName}`;
  return {
    names,
    queues,
    deadLetterQueues,
    tables,
    buckets,
    bucketSettings,
    extractorSecret,
    extractorSecretVersion,
    rootApiKeySecret,
    rootApiKeySecretVersion,
    repository,
    cluster,
    logGroup,
    executionRole,
    executionRolePolicy: executionPolicy,
    taskRoles,
    taskRolePolicies,
    securityGroups,
    securityGroupRules,
    loadBalancer,
    targetGroup,
    listeners,
    taskDefinitions,
    services,
    apiUrl,
  };
}
