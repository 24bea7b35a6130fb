/**
 * One Fargate task definition and ECS service per service (on infra/runtime.ts's
 * image, cluster and log group), with the environment the services
 * validate at start-up (the worker's visibility timeout from shared/core/topology.ts).
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import {
  isWorker,
  STOP_TIMEOUT_SECONDS,
  VISIBILITY_TIMEOUT_SECONDS,
  WORKER_QUEUES,
  type ServiceName,
} from '../shared/core/topology';
import { byService, CONFIG_API_PORT, type StackContext } from './context';
import type { Iam } from './iam';
import type { Network } from './network';
import type { Runtime } from './runtime';
import type { Storage } from './storage';

export const SERVICE_COMMANDS: Record<ServiceName, string[]> = {
  'config-api': ['dist/services/config-api/main.js'],
  scheduler: ['dist/services/scheduler/main.js'],
  'page-fetcher': ['dist/services/worker/main.js', 'page-fetcher'],
  'detail-mapper': ['dist/services/worker/main.js', 'detail-mapper'],
  writer: ['dist/services/worker/main.js', 'writer'],
};

export interface Services {
  taskDefinitions: Record<ServiceName, aws.ecs.TaskDefinition>;
  services: Record<ServiceName, aws.ecs.Service>;
}

/** The environment of a service's container (AWS_REGION aside). */
function environment({ args, names }: StackContext, service: ServiceName): { name: string; value: string }[] {
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
    vars.push(['VISIBILITY_TIMEOUT_SECONDS', String(VISIBILITY_TIMEOUT_SECONDS[WORKER_QUEUES[service]])]);
  }
  return vars.map(([name, value]) => ({ name, value }));
}

export function createServices(
  ctx: StackContext,
  { runtime, storage, iam, network }: { runtime: Runtime; storage: Storage; iam: Iam; network: Network },
): Services {
  const { args, prefix, tags, region } = ctx;
  const taskDefinitions = byService((service) => {
    const sizing = args.services[service];
    const container = {
      name: service,
      image: runtime.image,
      essential: true,
      command: SERVICE_COMMANDS[service],
      environment: [{ name: 'AWS_REGION', value: region }, ...environment(ctx, service)],
      secrets:
        service === 'config-api' ? [{ name: 'ROOT_API_KEY', valueFrom: storage.rootApiKeySecret.arn }] : [],
      portMappings: service === 'config-api' ? [{ containerPort: CONFIG_API_PORT, protocol: 'tcp' }] : [],
      stopTimeout: STOP_TIMEOUT_SECONDS,
      logConfiguration: {
        logDriver: 'awslogs',
        options: {
          'awslogs-group': runtime.logGroup.name,
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
        executionRoleArn: iam.executionRole.arn,
        taskRoleArn: iam.taskRoles[service].arn,
        containerDefinitions: pulumi.jsonStringify([container]),
        tags,
      },
      // The execution role must be able to pull and read the key before a task starts.
      { dependsOn: [iam.executionRolePolicy] },
    );
  });
  const services = byService((service) => {
    const api = service === 'config-api';
    return new aws.ecs.Service(
      service,
      {
        name: service,
        cluster: runtime.cluster.arn,
        taskDefinition: taskDefinitions[service].arn,
        desiredCount: args.services[service].desiredCount,
        launchType: 'FARGATE',
        networkConfiguration: {
          subnets: network.subnetIds,
          securityGroups: [api ? network.securityGroups.configApi.id : network.securityGroups.workers.id],
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
                {
                  targetGroupArn: network.targetGroup.arn,
                  containerName: service,
                  containerPort: CONFIG_API_PORT,
                },
              ],
              healthCheckGracePeriodSeconds: 60,
            }
          : {}),
        tags,
      },
      // The task role's policy must exist before a task calls AWS; the listener before
      // ECS registers targets in the group. Autoscaling owns a worker's count once it
      // exists (infra/scaling.ts): `pulumi up` does not reset it to `desiredCount`.
      {
        dependsOn: [iam.taskRolePolicies[service], ...(api ? network.listeners : [])],
        ...(isWorker(service) ? { ignoreChanges: ['desiredCount'] } : {}),
      },
    );
  });
  return { taskDefinitions, services };
}
