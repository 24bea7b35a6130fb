/**
 * The Pulumi program (infra/Pulumi.yaml's `main`): reads the stack's config and
 * declares the deployment. `createStack` is re-exported for tests and other programs;
 * importing it from `./stack` declares nothing by itself.
 */
import * as pulumi from '@pulumi/pulumi';
import { stackArgsFromConfig } from './config';
import { byQueue } from './context';
import { createStack } from './stack';

export { createStack, type Stack, type StackArgs } from './stack';
export { stackArgsFromConfig } from './config';

const stack = createStack(stackArgsFromConfig(new pulumi.Config()));

/** The config API: `curl $(pulumi stack output apiUrl)/health`. */
export const apiUrl = stack.apiUrl;
/** The stage's ECR repository, where `pulumi up` pushes the image it builds. */
export const repositoryUrl = stack.repository.repositoryUrl;
/** The image every task runs: `{repositoryUrl}@sha256:…` when built by `pulumi up`, else the `image` config. */
export const image = stack.image;
export const clusterName = stack.cluster.name;
export const logGroupName = stack.logGroup.name;
export const queueUrls = pulumi.all(byQueue((queue) => stack.queues[queue].url));
export const outputBucket = stack.buckets.output.bucket;
export const stagingBucket = stack.buckets.staging.bucket;
export const extractorSecretName = stack.extractorSecret.name;
