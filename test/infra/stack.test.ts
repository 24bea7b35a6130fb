/**
 * The Pulumi program under Pulumi's own mocks (no engine, no CLI, no cloud): every
 * resource registration is recorded with its inputs, and the assertions read those.
 */
import * as pulumi from '@pulumi/pulumi';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { configsTable, executionLogsTable, runsTable, stateTable } from '../../shared/adapters/aws/bootstrap';
import { awsSettingsFromEnv, resourceNames } from '../../shared/adapters/aws/config';
import { stackArgsFromConfig, DEFAULT_SIZING } from '../../infra/config';
import { InfraConfigError } from '../../infra/errors';
import { WILDCARD_RESOURCE_SIDS } from '../../infra/policies';
import { SERVICE_NAMES, type Stack } from '../../infra/stack';
import { tableArgs } from '../../infra/tables';
import {
  ACCOUNT,
  allows,
  baseArgs,
  container,
  deploy,
  IMAGE_DIGEST,
  type PolicyStatement,
  REGION,
  Recorder,
  ROOT_KEY,
  secretValue,
  STAGE,
  statements,
  SUFFIX,
  valueOf,
} from './pulumiStack';

const names = resourceNames(STAGE, SUFFIX);

/** A table's inputs as the DynamoDB API spells them, to compare with bootstrap.ts. */
function asCreateTable(inputs: Record<string, unknown>): Partial<CreateTableCommandInput> {
  const attributes = inputs.attributes as { name: string; type: string }[];
  const lsis = (inputs.localSecondaryIndexes ?? []) as {
    name: string;
    rangeKey: string;
    projectionType: string;
  }[];
  const key = (hash: string, range: unknown) => [
    { AttributeName: hash, KeyType: 'HASH' as const },
    ...(typeof range === 'string' ? [{ AttributeName: range, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: String(inputs.name),
    BillingMode: inputs.billingMode as 'PAY_PER_REQUEST',
    AttributeDefinitions: attributes.map((a) => ({ AttributeName: a.name, AttributeType: a.type as 'S' })),
    KeySchema: key(String(inputs.hashKey), inputs.rangeKey),
    ...(lsis.length
      ? {
          LocalSecondaryIndexes: lsis.map((i) => ({
            IndexName: i.name,
            KeySchema: key(String(inputs.hashKey), i.rangeKey),
            Projection: { ProjectionType: i.projectionType as 'ALL' },
          })),
        }
      : {}),
  };
}

describe('infra stack (Pulumi mocks)', () => {
  let mocks: Recorder;
  let stack: Stack;

  beforeAll(async () => {
    ({ mocks, stack } = await deploy());
  });

  it('creates the three queues, each with a dead-letter queue named in its RedrivePolicy', () => {
    const queues = mocks.ofType('aws:sqs/queue:Queue');
    expect(queues.map((q) => q.inputs.name).sort()).toEqual(
      [...Object.values(names.queues), ...Object.values(names.deadLetterQueues)].sort(),
    );
    for (const q of ['pages', 'details', 'finalize'] as const) {
      const queue = mocks.one('aws:sqs/queue:Queue', q);
      const dlq = mocks.one('aws:sqs/queue:Queue', `${q}-dlq`);
      expect(JSON.parse(String(queue.inputs.redrivePolicy))).toEqual({
        deadLetterTargetArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${names.deadLetterQueues[q]}`,
        maxReceiveCount: 7,
      });
      expect(dlq.inputs.redrivePolicy).toBeUndefined();
      expect(dlq.inputs.messageRetentionSeconds).toBe(14 * 24 * 3600);
      // The worker receives with the same visibility timeout (VISIBILITY_TIMEOUT_SECONDS).
      expect(Number(queue.inputs.visibilityTimeoutSeconds)).toBeGreaterThanOrEqual(60);
    }
  });

  it("creates the four tables with bootstrap.ts's keys and indexes, on demand", () => {
    const expected = [
      runsTable(names.tables.runs),
      executionLogsTable(names.tables.executionLogs),
      stateTable(names.tables.state),
      configsTable(names.tables.configs),
    ];
    const tables = mocks.ofType('aws:dynamodb/table:Table');
    expect(tables).toHaveLength(4);
    for (const definition of expected) {
      const table = tables.find((t) => t.inputs.name === definition.TableName);
      expect(table).toBeDefined();
      expect(asCreateTable(table?.inputs ?? {})).toEqual(definition);
    }
    expect(
      tables.find((t) => t.inputs.name === names.tables.executionLogs)?.inputs.localSecondaryIndexes,
    ).toEqual([{ name: 'byCreatedAt', rangeKey: 'createdAtSk', projectionType: 'ALL' }]);
  });

  it('refuses a table definition it cannot translate faithfully', () => {
    expect(() =>
      tableArgs({
        ...runsTable('t'),
        GlobalSecondaryIndexes: [{ IndexName: 'g', KeySchema: [], Projection: {} }],
      }),
    ).toThrow(InfraConfigError);
  });

  it('creates both buckets private and encrypted; staging objects expire after 7 days', () => {
    const buckets = mocks.ofType('aws:s3/bucket:Bucket').map((b) => b.inputs.bucket);
    expect(buckets.sort()).toEqual([names.buckets.output, names.buckets.staging].sort());
    for (const key of ['output', 'staging']) {
      expect(
        mocks.one('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', `${key}-bucket-public-access`)
          .inputs,
      ).toMatchObject({
        bucket: `${key}-bucket-id`,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      expect(
        mocks.one(
          'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
          `${key}-bucket-sse`,
        ).inputs.rules,
      ).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true }]);
    }
    const staging = mocks.one(
      'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
      'staging-bucket-lifecycle',
    );
    expect(staging.inputs.bucket).toBe('staging-bucket-id');
    expect(staging.inputs.rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ status: 'Enabled', expiration: { days: 7 }, filter: { prefix: '' } }),
        expect.objectContaining({
          status: 'Enabled',
          abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
        }),
      ]),
    );
    const output = mocks.one(
      'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
      'output-bucket-lifecycle',
    );
    expect(output.inputs.rules).toEqual([
      expect.objectContaining({ abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } }),
    ]);
  });

  it('creates the extractor secret as {} and leaves later values to the config-api', () => {
    const secret = mocks.one('aws:secretsmanager/secret:Secret', 'extractor-secrets');
    expect(secret.inputs.name).toBe(names.extractorSecret);
    const version = mocks.one('aws:secretsmanager/secretVersion:SecretVersion', 'extractor-secrets-initial');
    expect(version.inputs.secretString).toEqual(secretValue('{}'));
    // The root key reaches Secrets Manager as a Pulumi secret (encrypted in the state).
    expect(
      mocks.one('aws:secretsmanager/secretVersion:SecretVersion', 'root-api-key').inputs.secretString,
    ).toEqual(secretValue(ROOT_KEY));
    // Resource options never reach the mock monitor; the SDK-side transformation saw them.
    expect(mocks.options.get('extractor-secrets-initial')?.ignoreChanges).toEqual([
      'secretString',
      'versionStages',
    ]);
    expect(mocks.options.get('root-api-key')?.ignoreChanges).toBeUndefined();
  });

  it('runs the five services on Fargate with the command of docker/README.md and a 120 s stop timeout', () => {
    const services = mocks.ofType('aws:ecs/service:Service');
    expect(services.map((s) => s.inputs.name).sort()).toEqual([...SERVICE_NAMES].sort());
    const commands = Object.fromEntries(SERVICE_NAMES.map((s) => [s, container(mocks, s).command.join(' ')]));
    expect(commands).toEqual({
      'config-api': 'dist/services/config-api/main.js',
      scheduler: 'dist/services/scheduler/main.js',
      'page-fetcher': 'dist/services/worker/main.js page-fetcher',
      'detail-mapper': 'dist/services/worker/main.js detail-mapper',
      writer: 'dist/services/worker/main.js writer',
    });
    for (const service of SERVICE_NAMES) {
      const def = container(mocks, service);
      expect(def.stopTimeout).toBe(120);
      // The image `pulumi up` built and pushed, by digest (infra/runtime.ts; test/infra/image.test.ts).
      expect(def.image).toBe(
        `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/api-extractor-${STAGE}@${IMAGE_DIGEST}`,
      );
      expect(def.logConfiguration).toEqual({
        logDriver: 'awslogs',
        options: {
          'awslogs-group': `/ecs/api-extractor-${STAGE}`,
          'awslogs-region': REGION,
          'awslogs-stream-prefix': service,
        },
      });
      const task = mocks.one('aws:ecs/taskDefinition:TaskDefinition', `${service}-task`).inputs;
      expect(task).toMatchObject({
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: String(DEFAULT_SIZING[service].cpu),
        memory: String(DEFAULT_SIZING[service].memory),
        taskRoleArn: `arn:aws:iam:${REGION}:${ACCOUNT}:api-extractor-${STAGE}-${service}`,
      });
      const svc = mocks.one('aws:ecs/service:Service', service).inputs;
      expect(svc).toMatchObject({
        launchType: 'FARGATE',
        desiredCount: DEFAULT_SIZING[service].desiredCount,
      });
      // The environment is what the services validate at start-up: it must pass.
      const env = Object.fromEntries(def.environment.map((e) => [e.name, e.value]));
      const settings = awsSettingsFromEnv(env);
      expect(settings).toMatchObject({
        region: REGION,
        stage: STAGE,
        bucketSuffix: SUFFIX,
        maxReceiveCount: 7,
      });
      expect(settings.names).toEqual(names);
    }
    const workerEnv = (s: string) =>
      Object.fromEntries(container(mocks, s).environment.map((e) => [e.name, e.value]));
    expect(workerEnv('page-fetcher').VISIBILITY_TIMEOUT_SECONDS).toBe('60');
    expect(workerEnv('writer').VISIBILITY_TIMEOUT_SECONDS).toBe('300');
  });

  it('passes ROOT_API_KEY to the config-api as a Secrets Manager secret, never as an environment variable', () => {
    const api = container(mocks, 'config-api');
    expect(api.secrets).toEqual([
      {
        name: 'ROOT_API_KEY',
        valueFrom: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:api-extractor-config/${STAGE}/root-api-key`,
      },
    ]);
    const env = Object.fromEntries(api.environment.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ HOST: '0.0.0.0', PORT: '8080' });
    expect(Object.keys(env)).not.toContain('ROOT_API_KEY');
    expect(api.portMappings).toEqual([{ containerPort: 8080, protocol: 'tcp' }]);
    for (const service of SERVICE_NAMES) {
      const text = String(
        mocks.one('aws:ecs/taskDefinition:TaskDefinition', `${service}-task`).inputs.containerDefinitions,
      );
      expect(text).not.toContain(ROOT_KEY);
    }
    // The execution role (ECS agent) reads that secret, the task roles do not.
    const exec = statements(mocks, 'task-execution-policy');
    const rootArn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:api-extractor-config/${STAGE}/root-api-key`;
    expect(allows(exec, 'secretsmanager:GetSecretValue', rootArn)).toBe(true);
    for (const service of SERVICE_NAMES) {
      expect(JSON.stringify(statements(mocks, `${service}-task-policy`))).not.toContain('root-api-key');
    }
  });

  it('lets the config-api write the extractor secret and no other service', () => {
    const secretArn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:${names.extractorSecret}`;
    const api = statements(mocks, 'config-api-task-policy');
    expect(allows(api, 'secretsmanager:PutSecretValue', secretArn)).toBe(true);
    for (const service of SERVICE_NAMES) {
      const list = statements(mocks, `${service}-task-policy`);
      expect(allows(list, 'secretsmanager:GetSecretValue', secretArn)).toBe(true);
      if (service === 'config-api') continue;
      const actions = list.flatMap((s) => s.Action);
      expect(actions).not.toContain('secretsmanager:PutSecretValue');
      expect(actions).not.toContain('secretsmanager:CreateSecret');
    }
  });

  it('grants each service its own queues, tables and buckets only', () => {
    const arn = (kind: string, name: string) => `arn:aws:${kind}:${REGION}:${ACCOUNT}:${name}`;
    const pf = statements(mocks, 'page-fetcher-task-policy');
    expect(allows(pf, 'sqs:ReceiveMessage', arn('sqs', names.queues.pages))).toBe(true);
    expect(allows(pf, 'sqs:ChangeMessageVisibility', arn('sqs', names.queues.pages))).toBe(true);
    expect(allows(pf, 'sqs:SendMessage', arn('sqs', names.queues.details))).toBe(true);
    expect(allows(pf, 'sqs:ReceiveMessage', arn('sqs', names.queues.details))).toBe(false);
    expect(allows(pf, 'dynamodb:UpdateItem', arn('dynamodb', names.tables.runs))).toBe(true);
    expect(allows(pf, 'dynamodb:GetItem', arn('dynamodb', names.tables.configs))).toBe(false);
    expect(allows(pf, 's3:PutObject', `arn:aws:s3:::${names.buckets.staging}/*`)).toBe(true);
    expect(allows(pf, 's3:PutObject', `arn:aws:s3:::${names.buckets.output}/*`)).toBe(false);

    const writer = statements(mocks, 'writer-task-policy');
    expect(allows(writer, 's3:PutObject', `arn:aws:s3:::${names.buckets.output}/*`)).toBe(true);
    for (const dlq of Object.values(names.deadLetterQueues)) {
      expect(allows(writer, 'sqs:ReceiveMessage', arn('sqs', dlq))).toBe(true);
    }
    const scheduler = statements(mocks, 'scheduler-task-policy');
    expect(allows(scheduler, 'dynamodb:Scan', arn('dynamodb', names.tables.configs))).toBe(true);
    expect(allows(scheduler, 'sqs:ReceiveMessage', arn('sqs', names.queues.pages))).toBe(false);
  });

  it('lets the config-api read (never write) output files, to presign their download links', () => {
    const api = statements(mocks, 'config-api-task-policy');
    const output = `arn:aws:s3:::${names.buckets.output}/*`;
    expect(allows(api, 's3:GetObject', output)).toBe(true);
    expect(allows(api, 's3:PutObject', output)).toBe(false);
    for (const service of ['scheduler', 'page-fetcher', 'detail-mapper'] as const) {
      expect(allows(statements(mocks, `${service}-task-policy`), 's3:GetObject', output)).toBe(false);
    }
  });

  it('uses Resource "*" only where AWS requires it (ecr:GetAuthorizationToken)', () => {
    const policies = mocks.ofType('aws:iam/rolePolicy:RolePolicy');
    expect(policies).toHaveLength(SERVICE_NAMES.length + 1);
    const wildcards = policies.flatMap((p) =>
      (JSON.parse(String(p.inputs.policy)) as { Statement: PolicyStatement[] }).Statement.filter((s) =>
        s.Resource.includes('*'),
      ),
    );
    expect(wildcards.map((s) => s.Sid)).toEqual([...WILDCARD_RESOURCE_SIDS]);
    expect(wildcards.flatMap((s) => s.Action)).toEqual(['ecr:GetAuthorizationToken']);
    for (const role of mocks.ofType('aws:iam/role:Role')) {
      const trust = JSON.parse(String(role.inputs.assumeRolePolicy)) as {
        Statement: { Principal: unknown; Condition: unknown }[];
      };
      expect(trust.Statement).toEqual([
        expect.objectContaining({
          Principal: { Service: 'ecs-tasks.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
        }),
      ]);
    }
  });

  it('puts the config-api behind an internet-facing ALB that forwards to it, health-checked on GET /health', () => {
    const alb = mocks.one('aws:lb/loadBalancer:LoadBalancer', 'alb').inputs;
    expect(alb).toMatchObject({
      internal: false,
      loadBalancerType: 'application',
      subnets: ['subnet-a', 'subnet-b', 'subnet-c'],
    });
    const tg = mocks.one('aws:lb/targetGroup:TargetGroup', 'config-api-tg');
    expect(tg.inputs).toMatchObject({ port: 8080, protocol: 'HTTP', targetType: 'ip', vpcId: 'vpc-default' });
    expect(tg.inputs.healthCheck).toMatchObject({ path: '/health', matcher: '200' });
    const listeners = mocks.ofType('aws:lb/listener:Listener');
    expect(listeners).toHaveLength(1);
    expect(listeners[0]?.inputs).toMatchObject({
      port: 80,
      protocol: 'HTTP',
      loadBalancerArn: alb.name ? `arn:aws:lb:${REGION}:${ACCOUNT}:${String(alb.name)}` : undefined,
      defaultActions: [{ type: 'forward', targetGroupArn: tg.state.arn }],
    });
    const api = mocks.one('aws:ecs/service:Service', 'config-api').inputs;
    expect(api.loadBalancers).toEqual([
      { targetGroupArn: tg.state.arn, containerName: 'config-api', containerPort: 8080 },
    ]);
    expect(mocks.one('aws:ecs/service:Service', 'writer').inputs.loadBalancers).toBeUndefined();
  });

  it('lets only the ALB reach the config-api, on its port only; workers take no inbound traffic', () => {
    const ingress = mocks.ofType('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule');
    const toApi = ingress.filter((r) => r.inputs.securityGroupId === 'config-api-sg-id');
    expect(toApi.map((r) => r.inputs)).toEqual([
      expect.objectContaining({
        ipProtocol: 'tcp',
        fromPort: 8080,
        toPort: 8080,
        referencedSecurityGroupId: 'alb-sg-id',
      }),
    ]);
    expect(ingress.filter((r) => r.inputs.securityGroupId === 'workers-sg-id')).toEqual([]);
    expect(
      ingress.filter((r) => r.inputs.securityGroupId === 'alb-sg-id').map((r) => r.inputs.fromPort),
    ).toEqual([80]);
    const albOut = mocks
      .ofType('aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule')
      .filter((r) => r.inputs.securityGroupId === 'alb-sg-id');
    expect(albOut.map((r) => r.inputs)).toEqual([
      expect.objectContaining({
        fromPort: 8080,
        toPort: 8080,
        referencedSecurityGroupId: 'config-api-sg-id',
      }),
    ]);
    const net = (s: string) => mocks.one('aws:ecs/service:Service', s).inputs.networkConfiguration;
    expect(net('config-api')).toMatchObject({ securityGroups: ['config-api-sg-id'], assignPublicIp: true });
    expect(net('writer')).toMatchObject({
      securityGroups: ['workers-sg-id'],
      subnets: ['subnet-a', 'subnet-b', 'subnet-c'],
    });
  });

  it('exposes the API URL', async () => {
    expect(await valueOf(stack.apiUrl)).toBe(`http://api-extractor-${STAGE}-alb.${REGION}.elb.amazonaws.com`);
  });
});

describe('infra stack with a certificate and an existing VPC', () => {
  it('serves HTTPS, redirects HTTP, and uses the given subnets', async () => {
    const { mocks, stack } = await deploy({
      ...baseArgs,
      certificateArn: `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/abc`,
      vpcId: 'vpc-own',
      subnetIds: ['subnet-x', 'subnet-y'],
      image: 'registry.example/api-extractor:1.2.3',
      extraOutputBuckets: ['team-exports'],
    });
    const tgArn = mocks.one('aws:lb/targetGroup:TargetGroup', 'config-api-tg').state.arn;
    expect(mocks.one('aws:lb/listener:Listener', 'https').inputs).toMatchObject({
      port: 443,
      protocol: 'HTTPS',
      certificateArn: `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/abc`,
      defaultActions: [{ type: 'forward', targetGroupArn: tgArn }],
    });
    expect(mocks.one('aws:lb/listener:Listener', 'http').inputs.defaultActions).toEqual([
      { type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } },
    ]);
    expect(mocks.one('aws:lb/targetGroup:TargetGroup', 'config-api-tg').inputs.vpcId).toBe('vpc-own');
    expect(mocks.one('aws:ecs/service:Service', 'scheduler').inputs.networkConfiguration).toMatchObject({
      subnets: ['subnet-x', 'subnet-y'],
      assignPublicIp: false,
    });
    expect(container(mocks, 'writer').image).toBe('registry.example/api-extractor:1.2.3');
    expect(
      allows(statements(mocks, 'writer-task-policy'), 's3:PutObject', 'arn:aws:s3:::team-exports/*'),
    ).toBe(true);
    expect(
      allows(statements(mocks, 'page-fetcher-task-policy'), 's3:PutObject', 'arn:aws:s3:::team-exports/*'),
    ).toBe(false);
    expect(await valueOf(stack.apiUrl)).toMatch(/^https:\/\//);
  });
});

describe('output buckets', () => {
  const writes = (list: PolicyStatement[]): string[] =>
    list.filter((s) => s.Action.includes('s3:PutObject')).flatMap((s) => s.Resource);

  it.each([
    ['without extra buckets', [] as string[]],
    ['with extraOutputBuckets', ['team-exports', 'audit.exports']],
  ])(
    '%s: only the writer writes to output buckets, exactly those the deployment names, and every service refuses others (ALLOWED_OUTPUT_BUCKETS)',
    async (_case, extra) => {
      const { mocks } = await deploy({ ...baseArgs, extraOutputBuckets: extra });
      const outputs = [names.buckets.output, ...extra].map((b) => `arn:aws:s3:::${b}/*`);
      const staging = `arn:aws:s3:::${names.buckets.staging}/*`;
      expect(writes(statements(mocks, 'writer-task-policy')).sort()).toEqual([staging, ...outputs].sort());
      for (const service of SERVICE_NAMES.filter((s) => s !== 'writer')) {
        expect(writes(statements(mocks, `${service}-task-policy`))).toEqual([staging]);
      }
      for (const service of SERVICE_NAMES) {
        const env = container(mocks, service).environment;
        expect(env.find((e) => e.name === 'ALLOWED_OUTPUT_BUCKETS')?.value).toBe(
          [names.buckets.output, ...extra].join(','),
        );
      }
    },
  );
});

describe('stack config', () => {
  const project = 'api-extractor';
  const set = (values: Record<string, string>): void => {
    pulumi.runtime.setAllConfig(
      Object.fromEntries(Object.entries(values).map(([k, v]) => [`${project}:${k}`, v])),
      [`${project}:rootApiKey`],
    );
  };

  beforeAll(async () => {
    await pulumi.runtime.setMocks(new Recorder(), project, STAGE, false);
  });

  /** The InfraConfigError's message for the config `set` last. */
  const configError = (): string => {
    try {
      stackArgsFromConfig(new pulumi.Config(project));
    } catch (err) {
      if (err instanceof InfraConfigError) return err.message;
      throw err;
    }
    throw new Error('the stack config was accepted');
  };

  it('reads the keys, with defaults, and keeps the root key secret', async () => {
    set({
      stage: 'prod',
      bucketSuffix: ACCOUNT,
      rootApiKey: ROOT_KEY,
      maxReceiveCount: '9',
      services: JSON.stringify({ 'page-fetcher': { desiredCount: 6, cpu: 1024, memory: 2048 } }),
    });
    const args = stackArgsFromConfig(new pulumi.Config(project));
    expect(args).toMatchObject({
      stage: 'prod',
      bucketSuffix: ACCOUNT,
      maxReceiveCount: 9,
      logLevel: 'info',
    });
    expect(args.services['page-fetcher']).toEqual({ cpu: 1024, memory: 2048, desiredCount: 6 });
    expect(args.services.writer).toEqual(DEFAULT_SIZING.writer);
    expect(args.image).toBeUndefined();
    expect(args.forceDestroy).toBeUndefined();
    const key = args.rootApiKey as pulumi.Output<string>;
    expect(await pulumi.isSecret(key)).toBe(true);
    expect(await valueOf(key)).toBe(ROOT_KEY);
  });

  it('reports every invalid value at once', () => {
    set({
      stage: 'Prod',
      bucketSuffix: ACCOUNT,
      rootApiKey: ROOT_KEY,
      maxReceiveCount: '0',
      services: JSON.stringify({ 'page-fetcher': { desiredCount: -1 }, mailer: {} }),
      vpcId: 'vpc-1',
      extraOutputBuckets: JSON.stringify(['team-exports', '..', 'Team']),
    });
    const message = configError();
    expect(message).toContain('STAGE must be lower-case');
    expect(message).toContain('MAX_RECEIVE_COUNT must be an integer');
    expect(message).toContain('services.page-fetcher.desiredCount');
    expect(message).toContain('services.mailer: unknown service');
    expect(message).toContain('vpcId and subnetIds go together');
    expect(message).toContain('extraOutputBuckets: ".." must be an S3 bucket name');
    expect(message).toContain('extraOutputBuckets: "Team" must be an S3 bucket name');
    expect(message).not.toContain('"team-exports"');
  });

  it("reads the workers' autoscaling bounds, scale to zero and forceDestroy", () => {
    set({
      stage: 'prod',
      bucketSuffix: ACCOUNT,
      rootApiKey: ROOT_KEY,
      scaleToZero: 'true',
      forceDestroy: 'true',
      scaling: JSON.stringify({ 'page-fetcher': { maxCount: 30 }, writer: { maxCount: 2 } }),
      services: JSON.stringify({ writer: { desiredCount: 0 } }),
    });
    const args = stackArgsFromConfig(new pulumi.Config(project));
    expect(args.forceDestroy).toBe(true);
    expect(args.scaling).toEqual({
      'page-fetcher': { minCount: 0, maxCount: 30 },
      'detail-mapper': { minCount: 0, maxCount: 10 },
      writer: { minCount: 0, maxCount: 2 },
    });
  });

  it('reports every invalid autoscaling bound at once', () => {
    set({
      stage: 'prod',
      bucketSuffix: ACCOUNT,
      rootApiKey: ROOT_KEY,
      scaleToZero: '"yes"',
      scaling: JSON.stringify({
        'page-fetcher': { minCount: 5, maxCount: 3 },
        'detail-mapper': { maxCount: 0, step: 1 },
        scheduler: { maxCount: 2 },
        writer: { minCount: 2 },
      }),
    });
    const message = configError();
    for (const problem of [
      'scaleToZero must be true or false',
      'scaling.page-fetcher: minCount 5 is above maxCount 3',
      'scaling.detail-mapper.maxCount must be a positive integer',
      'scaling.detail-mapper: unknown keys step',
      'scaling.scheduler: not an autoscaled worker',
      // The writer's default desiredCount (1) is below its new minimum.
      'services.writer.desiredCount 1 is outside scaling.writer [2, 4]',
    ]) {
      expect(message).toContain(problem);
    }
  });

  it('reports missing required keys together with every other problem', () => {
    set({ logLevel: 'loud', maxReceiveCount: 'five', forceDestroy: 'yes', logRetentionDays: 'month' });
    const message = configError();
    for (const problem of [
      'stage is required',
      'bucketSuffix is required',
      'rootApiKey is required',
      'logLevel must be one of',
      'MAX_RECEIVE_COUNT must be an integer',
      'forceDestroy must be true or false (got "yes")',
      'logRetentionDays must be one of',
    ]) {
      expect(message).toContain(problem);
    }
  });
});
