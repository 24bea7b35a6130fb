/**
 * What every part of the stack shares: `createStack`'s arguments, the stage's resource
 * names, prefix and tags, and the account, region and partition the program deploys to.
 */
import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';
import { resourceNames, type AwsResourceNames } from '../shared/adapters/aws/config';
import {
  QUEUE_NAMES,
  SERVICE_NAMES,
  type QueueName,
  type ServiceName,
  type WorkerService,
} from '../shared/core/topology';

export interface ServiceSizing {
  /** Fargate CPU units (256, 512, 1024, …). */
  cpu: number;
  /** MiB, a value Fargate accepts for the CPU. */
  memory: number;
  desiredCount: number;
}

/** A worker's autoscaling bounds (stack config `scaling.{worker}`, `scaleToZero`). */
export interface WorkerScaling {
  minCount: number;
  maxCount: number;
}

export interface StackArgs {
  stage: string;
  bucketSuffix: string;
  /** A prebuilt image for every service; undefined: `pulumi up` builds docker/Dockerfile and pushes it to the stage's repository. */
  image?: pulumi.Input<string>;
  /**
   * `pulumi destroy` deletes the buckets with their objects, the repository with its
   * images, and the secrets without a recovery window; otherwise it refuses non-empty
   * buckets and repositories and the secrets wait 30 days.
   */
  forceDestroy?: boolean;
  maxReceiveCount: number;
  rootApiKey: pulumi.Input<string>;
  /** A worker's `desiredCount` is its count at creation; autoscaling moves it within these bounds. */
  services: Record<ServiceName, ServiceSizing>;
  /** Autoscaling bounds of each worker; undefined: `DEFAULT_SCALING` (infra/scaling.ts). */
  scaling?: Record<WorkerService, WorkerScaling>;
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

export interface StackContext {
  args: StackArgs;
  names: AwsResourceNames;
  /** `api-extractor-{stage}`: names of the stage's cluster, roles, repository, task families. */
  prefix: string;
  tags: Record<string, string>;
  region: pulumi.Output<string>;
  accountId: pulumi.Output<string>;
  partition: pulumi.Output<string>;
}

/** The config-api's container port (the ALB's target). */
export const CONFIG_API_PORT = 8080;

export function stackContext(args: StackArgs): StackContext {
  return {
    args,
    names: resourceNames(args.stage, args.bucketSuffix),
    prefix: `api-extractor-${args.stage}`,
    tags: { project: 'api-extractor', stage: args.stage },
    region: aws.getRegionOutput().region,
    accountId: aws.getCallerIdentityOutput().accountId,
    partition: aws.getPartitionOutput().partition,
  };
}

export const byQueue = <T>(make: (queue: QueueName) => T): Record<QueueName, T> =>
  Object.fromEntries(QUEUE_NAMES.map((q) => [q, make(q)])) as Record<QueueName, T>;
export const byService = <T>(make: (service: ServiceName) => T): Record<ServiceName, T> =>
  Object.fromEntries(SERVICE_NAMES.map((s) => [s, make(s)])) as Record<ServiceName, T>;
