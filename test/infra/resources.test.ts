/**
 * The resources `createStack` declares, by Pulumi URN (type, logical name and parent):
 * a change to any of them makes `pulumi up` on an existing stack replace or delete
 * that resource. The lists were recorded from the program before it was split into
 * infra/{queues,storage,iam,network,services}.ts; change them only on purpose.
 */
import { baseArgs, deploy, urnsOf } from './pulumiStack';

/** Every resource is a direct child of the program's root stack (no component resources). */
const URN_PREFIX = 'urn:pulumi:dev::api-extractor::pulumi:pulumi:Stack$';

/** `[type, logical name]` of each resource without a certificate, one ingress CIDR, the default VPC. */
const PLAIN: [string, string][] = [
  ['aws:cloudwatch/logGroup:LogGroup', 'logs'],
  ['aws:dynamodb/table:Table', 'configs'],
  ['aws:dynamodb/table:Table', 'execution-logs'],
  ['aws:dynamodb/table:Table', 'runs'],
  ['aws:dynamodb/table:Table', 'state'],
  ['aws:ec2/securityGroup:SecurityGroup', 'alb-sg'],
  ['aws:ec2/securityGroup:SecurityGroup', 'config-api-sg'],
  ['aws:ec2/securityGroup:SecurityGroup', 'workers-sg'],
  ['aws:ecr/lifecyclePolicy:LifecyclePolicy', 'repository-lifecycle'],
  ['aws:ecr/repository:Repository', 'repository'],
  ['aws:ecs/cluster:Cluster', 'cluster'],
  ['aws:ecs/service:Service', 'config-api'],
  ['aws:ecs/service:Service', 'detail-mapper'],
  ['aws:ecs/service:Service', 'page-fetcher'],
  ['aws:ecs/service:Service', 'scheduler'],
  ['aws:ecs/service:Service', 'writer'],
  ['aws:ecs/taskDefinition:TaskDefinition', 'config-api-task'],
  ['aws:ecs/taskDefinition:TaskDefinition', 'detail-mapper-task'],
  ['aws:ecs/taskDefinition:TaskDefinition', 'page-fetcher-task'],
  ['aws:ecs/taskDefinition:TaskDefinition', 'scheduler-task'],
  ['aws:ecs/taskDefinition:TaskDefinition', 'writer-task'],
  ['aws:iam/role:Role', 'config-api-task-role'],
  ['aws:iam/role:Role', 'detail-mapper-task-role'],
  ['aws:iam/role:Role', 'page-fetcher-task-role'],
  ['aws:iam/role:Role', 'scheduler-task-role'],
  ['aws:iam/role:Role', 'task-execution-role'],
  ['aws:iam/role:Role', 'writer-task-role'],
  ['aws:iam/rolePolicy:RolePolicy', 'config-api-task-policy'],
  ['aws:iam/rolePolicy:RolePolicy', 'detail-mapper-task-policy'],
  ['aws:iam/rolePolicy:RolePolicy', 'page-fetcher-task-policy'],
  ['aws:iam/rolePolicy:RolePolicy', 'scheduler-task-policy'],
  ['aws:iam/rolePolicy:RolePolicy', 'task-execution-policy'],
  ['aws:iam/rolePolicy:RolePolicy', 'writer-task-policy'],
  ['aws:lb/listener:Listener', 'http'],
  ['aws:lb/loadBalancer:LoadBalancer', 'alb'],
  ['aws:lb/targetGroup:TargetGroup', 'config-api-tg'],
  ['aws:s3/bucket:Bucket', 'output-bucket'],
  ['aws:s3/bucket:Bucket', 'staging-bucket'],
  ['aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration', 'output-bucket-lifecycle'],
  ['aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration', 'staging-bucket-lifecycle'],
  ['aws:s3/bucketOwnershipControls:BucketOwnershipControls', 'output-bucket-ownership'],
  ['aws:s3/bucketOwnershipControls:BucketOwnershipControls', 'staging-bucket-ownership'],
  ['aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', 'output-bucket-public-access'],
  ['aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', 'staging-bucket-public-access'],
  [
    'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
    'output-bucket-sse',
  ],
  [
    'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
    'staging-bucket-sse',
  ],
  ['aws:secretsmanager/secret:Secret', 'extractor-secrets'],
  ['aws:secretsmanager/secret:Secret', 'root-api-key'],
  ['aws:secretsmanager/secretVersion:SecretVersion', 'extractor-secrets-initial'],
  ['aws:secretsmanager/secretVersion:SecretVersion', 'root-api-key'],
  ['aws:sqs/queue:Queue', 'details'],
  ['aws:sqs/queue:Queue', 'details-dlq'],
  ['aws:sqs/queue:Queue', 'finalize'],
  ['aws:sqs/queue:Queue', 'finalize-dlq'],
  ['aws:sqs/queue:Queue', 'pages'],
  ['aws:sqs/queue:Queue', 'pages-dlq'],
  ['aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule', 'alb-egress-config-api'],
  ['aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule', 'configApi-egress'],
  ['aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule', 'workers-egress'],
  ['aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule', 'alb-ingress-80-0'],
  ['aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule', 'config-api-ingress-alb'],
];

/** Added with the workers' autoscaling (infra/scaling.ts), minimum counts of 1: these besides PLAIN. */
const SCALING: [string, string][] = (['page-fetcher', 'detail-mapper', 'writer'] as const).flatMap(
  (worker): [string, string][] => [
    ['aws:appautoscaling/target:Target', `${worker}-scaling-target`],
    ['aws:appautoscaling/policy:Policy', `${worker}-scale-out-backlog`],
    ['aws:appautoscaling/policy:Policy', `${worker}-scale-out-age`],
    ['aws:appautoscaling/policy:Policy', `${worker}-scale-in-idle`],
    ['aws:cloudwatch/metricAlarm:MetricAlarm', `${worker}-backlog-high`],
    ['aws:cloudwatch/metricAlarm:MetricAlarm', `${worker}-age-high`],
    ['aws:cloudwatch/metricAlarm:MetricAlarm', `${worker}-idle`],
  ],
);
/** Added with the image build (infra/runtime.ts), without a prebuilt `image`: this besides PLAIN. */
const IMAGE: [string, string][] = [['docker-build:index:Image', 'image']];

/** With a worker's minimum at 0 (scale to zero): its wake-up policy and alarm besides. */
const WAKE = (worker: string): [string, string][] => [
  ['aws:appautoscaling/policy:Policy', `${worker}-wake`],
  ['aws:cloudwatch/metricAlarm:MetricAlarm', `${worker}-waiting-with-no-task`],
];

/** With a certificate (HTTPS listener, 443 ingress) and two ingress CIDRs: these besides PLAIN. */
const WITH_CERTIFICATE_AND_TWO_CIDRS: [string, string][] = [
  ['aws:lb/listener:Listener', 'https'],
  ['aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule', 'alb-ingress-443-0'],
  ['aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule', 'alb-ingress-443-1'],
  ['aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule', 'alb-ingress-80-1'],
];

const expectedUrns = (pairs: [string, string][]): string[] =>
  pairs.map(([type, name]) => `${URN_PREFIX}${type}::${name}`).sort();

describe('the resources of the stack (URNs unchanged by the split into concerns)', () => {
  it('declares exactly the recorded resources, each a child of the root stack', async () => {
    const { mocks, stack } = await deploy();
    expect(await urnsOf(stack)).toEqual(expectedUrns([...PLAIN, ...SCALING, ...IMAGE]));
    // Nothing registered that the returned Stack does not hold (the root stack aside).
    expect(mocks.resources.map((r) => `${r.type}::${r.name}`).sort()).toEqual(
      [
        ...[...PLAIN, ...SCALING, ...IMAGE].map(([type, name]) => `${type}::${name}`),
        'pulumi:pulumi:Stack::api-extractor-dev',
      ].sort(),
    );
  });

  it('adds only the HTTPS listener and the extra ingress rules with a certificate and two CIDRs', async () => {
    const { mocks, stack } = await deploy({
      ...baseArgs,
      certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc',
      vpcId: 'vpc-own',
      subnetIds: ['subnet-x'],
      ingressCidrs: ['10.0.0.0/8', '192.168.0.0/16'],
    });
    expect(await urnsOf(stack)).toEqual(
      expectedUrns([...PLAIN, ...SCALING, ...IMAGE, ...WITH_CERTIFICATE_AND_TWO_CIDRS]),
    );
    expect(mocks.resources).toHaveLength(
      PLAIN.length + SCALING.length + IMAGE.length + WITH_CERTIFICATE_AND_TWO_CIDRS.length + 1,
    );
  });

  it('adds a wake-up policy and alarm for each worker that may scale to zero', async () => {
    const { stack } = await deploy({
      ...baseArgs,
      scaling: {
        'page-fetcher': { minCount: 0, maxCount: 10 },
        'detail-mapper': { minCount: 1, maxCount: 10 },
        writer: { minCount: 0, maxCount: 4 },
      },
    });
    expect(await urnsOf(stack)).toEqual(
      expectedUrns([...PLAIN, ...SCALING, ...IMAGE, ...WAKE('page-fetcher'), ...WAKE('writer')]),
    );
  });

  it('builds no image with a prebuilt one', async () => {
    const { stack } = await deploy({ ...baseArgs, image: 'registry.example/api-extractor:1.2.3' });
    expect(await urnsOf(stack)).toEqual(expectedUrns([...PLAIN, ...SCALING]));
  });
});
