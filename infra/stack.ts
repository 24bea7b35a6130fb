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
import * as pulumi from '@pulumi/pulumi';
import type { AwsResourceNames } from '../shared/adapters/aws/config';
import { stackContext, type StackArgs } from './context';
import { createIam, type Iam } from './iam';
import { createNetwork, type Network } from './network';
import { createQueues, type Queues } from './queues';
import { createScaling, type Scaling } from './scaling';
import { createRuntime, type Runtime } from './runtime';
import { createServices, type Services } from './services';
import { createStorage, type Storage } from './storage';

export { SERVICE_NAMES, type ServiceName } from '../shared/core/topology';
export type { ServiceSizing, StackArgs } from './context';

/** Every resource of the stage, by concern (each file's result), and the API's URL. */
export interface Stack
  extends Queues, Storage, Runtime, Iam, Omit<Network, 'vpcId' | 'subnetIds'>, Services, Scaling {
  names: AwsResourceNames;
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
  const scaling = createScaling(ctx, { runtime, services: { taskDefinitions, services }, queues });
  const { repository, repositoryLifecycle, imageBuild, cluster, logGroup } = runtime;
  const { securityGroups, securityGroupRules, loadBalancer, targetGroup, listeners } = network;
  return {
    names: ctx.names,
    ...queues,
    ...storage,
    repository,
    repositoryLifecycle,
    ...(imageBuild ? { imageBuild } : {}),
    image: runtime.image,
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
    ...scaling,
    apiUrl: pulumi.interpolate`${args.certificateArn ? 'https' : 'http'}://${loadBalancer.dnsName}`,
  };
}
