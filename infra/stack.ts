/**
 * Everything API Extractor needs on AWS: the queues, tables, buckets and secret of
 * a stage (named by `resourceNames`, as the services expect), an ECR repository,
 * and the five services on ECS Fargate with the config-api behind an ALB. Each
 * concern has its file (queues, storage, iam, network, services); every resource
 * keeps its logical name, so a deployed stack sees no change from this layout.
 *
 * `createStack` only declares resources, so tests run it under
 * `pulumi.runtime.setMocks`; `index.ts` calls it with the stack's config.
 */
import type * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { AwsResourceNames } from '../shared/adapters/aws/config';
import type { QueueName, ServiceName } from '../shared/core/topology';
import { stackContext, type StackArgs } from './context';
import { createIam } from './iam';
import { createNetwork } from './network';
import { createQueues } from './queues';
import { createRuntime, createServices } from './services';
import { createStorage } from './storage';

export { SERVICE_NAMES, type ServiceName } from '../shared/core/topology';
export type { ServiceSizing, StackArgs } from './context';

export interface Stack {
  names: AwsResourceNames;
  queues: Record<QueueName, aws.sqs.Queue>;
  deadLetterQueues: Record<QueueName, aws.sqs.Queue>;
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

/**
 * Declares the whole deployment of one stage.
 *
 * @example
 * const stack = createStack({ stage: 'prod', bucketSuffix: '123456789012', rootApiKey, … });
 * export const apiUrl = stack.apiUrl;
 */
export function createStack(args: StackArgs): Stack {
  const ctx = stackContext(args);
  const queues = createQueues(ctx);
  const storage = createStorage(ctx);
  const runtime = createRuntime(ctx);
  const iam = createIam(ctx, { queues, storage, runtime });
  const network = createNetwork(ctx);
  const { taskDefinitions, services } = createServices(ctx, { runtime, storage, iam, network });
  const { repository, cluster, logGroup } = runtime;
  const { securityGroups, securityGroupRules, loadBalancer, targetGroup, listeners } = network;
  return {
    names: ctx.names,
    ...queues,
    ...storage,
    repository,
    cluster,
    logGroup,
    ...iam,
    securityGroups,
    securityGroupRules,
    loadBalancer,
    targetGroup,
    listeners,
    taskDefinitions,
    services,
    apiUrl: pulumi.interpolate`${args.certificateArn ? 'https' : 'http'}://${loadBalancer.dnsName}`,
  };
}
