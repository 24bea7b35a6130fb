/**
 * What every service runs on: the ECR repository, the image (built from
 * docker/Dockerfile and pushed to that repository by `pulumi up`, or a prebuilt one
 * from the `image` config), the ECS cluster and the log group.
 */
import path from 'node:path';
import * as aws from '@pulumi/aws';
import * as dockerBuild from '@pulumi/docker-build';
import * as pulumi from '@pulumi/pulumi';
import type { StackContext } from './context';

/** The repository root: the build context (docker/Dockerfile copies from it). */
export const BUILD_CONTEXT = path.resolve(__dirname, '..');
export const DOCKERFILE = path.join(BUILD_CONTEXT, 'docker', 'Dockerfile');
/** The tag `pulumi up` pushes; the task definitions name the pushed digest, not the tag. */
export const BUILT_IMAGE_TAG = 'latest';

/**
 * Earlier builds kept in the repository besides the one tagged `latest`: each `pulumi
 * up` that builds moves the tag, leaving the previous image untagged, and a task
 * definition revision names its image by digest, so these are what a rollback to an
 * earlier revision pulls. Older untagged images expire, so the repository stops growing.
 */
export const KEPT_EARLIER_IMAGES = 10;

/** The image, cluster and logs every service shares. */
export interface Runtime {
  repository: aws.ecr.Repository;
  /** Expires untagged images beyond the newest KEPT_EARLIER_IMAGES. */
  repositoryLifecycle: aws.ecr.LifecyclePolicy;
  /** The image of every task: `{repositoryUrl}@sha256:…` when built here, else the `image` config. */
  image: pulumi.Input<string>;
  /** The image build and push; absent with a prebuilt `image`. */
  imageBuild?: dockerBuild.Image;
  cluster: aws.ecs.Cluster;
  logGroup: aws.cloudwatch.LogGroup;
}

export function createRuntime({ args, prefix, tags }: StackContext): Runtime {
  const repository = new aws.ecr.Repository('repository', {
    name: prefix,
    imageTagMutability: 'MUTABLE',
    imageScanningConfiguration: { scanOnPush: true },
    // `pulumi destroy` deletes the repository with its images only when asked to.
    ...(args.forceDestroy ? { forceDelete: true } : {}),
    tags,
  });
  const repositoryLifecycle = new aws.ecr.LifecyclePolicy('repository-lifecycle', {
    repository: repository.name,
    policy: JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          description: `Keep the ${KEPT_EARLIER_IMAGES} newest untagged images (earlier builds, for rollback); expire older ones`,
          selection: {
            tagStatus: 'untagged',
            countType: 'imageCountMoreThan',
            countNumber: KEPT_EARLIER_IMAGES,
          },
          action: { type: 'expire' },
        },
      ],
    }),
  });
  const imageBuild = args.image === undefined ? buildImage(repository) : undefined;
  const image = imageBuild
    ? pulumi.interpolate`${repository.repositoryUrl}@${imageBuild.digest}`
    : (args.image as pulumi.Input<string>);
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
  return { repository, repositoryLifecycle, image, ...(imageBuild ? { imageBuild } : {}), cluster, logGroup };
}

/**
 * Builds docker/Dockerfile for the tasks' platform and pushes it to the repository,
 * logged in with a short-lived ECR token (`aws.ecr.getAuthorizationToken`) that the
 * provider keeps in memory for the push; Pulumi stores it in the state as a secret.
 */
function buildImage(repository: aws.ecr.Repository): dockerBuild.Image {
  const token = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId });
  const tag = pulumi.interpolate`${repository.repositoryUrl}:${BUILT_IMAGE_TAG}`;
  return new dockerBuild.Image('image', {
    context: { location: BUILD_CONTEXT },
    dockerfile: { location: DOCKERFILE },
    // The task definitions' runtimePlatform.
    platforms: [dockerBuild.Platform.Linux_amd64],
    push: true,
    tags: [tag],
    // The last pushed image's layers as cache (inline), so a machine without a local
    // build cache (CI) rebuilds only what changed.
    cacheFrom: [{ registry: { ref: tag } }],
    cacheTo: [{ inline: {} }],
    registries: [
      {
        address: repository.repositoryUrl.apply((url) => url.split('/')[0] ?? url),
        username: token.userName,
        password: pulumi.secret(token.password),
      },
    ],
  });
}
