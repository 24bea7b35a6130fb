/**
 * The image and `pulumi destroy` under Pulumi mocks: by default `pulumi up` builds
 * docker/Dockerfile, pushes it to the stage's repository with an ECR token, and the
 * task definitions name the pushed digest; a prebuilt `image` skips the build.
 * `forceDestroy` lets destroy delete non-empty buckets and the repository's images.
 */
import path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { KEPT_EARLIER_IMAGES } from '../../infra/runtime';
import { SERVICE_NAMES } from '../../shared/core/topology';
import {
  ACCOUNT,
  baseArgs,
  container,
  deploy,
  ECR_PASSWORD,
  IMAGE_DIGEST,
  REGION,
  secretValue,
  STAGE,
  valueOf,
} from './pulumiStack';

const REPOSITORY_URL = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/api-extractor-${STAGE}`;
const ROOT = path.resolve(__dirname, '../..');

describe('the image (Pulumi mocks)', () => {
  it('builds docker/Dockerfile for linux/amd64, pushes it to the repository, and runs every task on its digest', async () => {
    const { mocks, stack } = await deploy();
    const builds = mocks.ofType('docker-build:index:Image');
    expect(builds).toHaveLength(1);
    const inputs = builds[0]?.inputs as Record<string, unknown>;
    expect(inputs).toMatchObject({
      context: { location: ROOT },
      dockerfile: { location: path.join(ROOT, 'docker', 'Dockerfile') },
      platforms: ['linux/amd64'],
      push: true,
      tags: [`${REPOSITORY_URL}:latest`],
      cacheFrom: [{ registry: { ref: `${REPOSITORY_URL}:latest` } }],
      cacheTo: [{ inline: {} }],
    });
    // Logged in to the repository's registry with the ECR token; the list holding it is a secret.
    expect(inputs.registries).toEqual(
      secretValue([
        { address: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`, username: 'AWS', password: ECR_PASSWORD },
      ]),
    );
    expect(stack.imageBuild).toBeDefined();
    expect(await pulumi.isSecret(stack.imageBuild?.registries as pulumi.Output<unknown>)).toBe(true);
    for (const service of SERVICE_NAMES) {
      expect(container(mocks, service).image).toBe(`${REPOSITORY_URL}@${IMAGE_DIGEST}`);
    }
    expect(await valueOf(pulumi.output(stack.image))).toBe(`${REPOSITORY_URL}@${IMAGE_DIGEST}`);
  });

  it('builds nothing with a prebuilt image, and every task runs that image', async () => {
    const { mocks, stack } = await deploy({ ...baseArgs, image: 'registry.example/api-extractor:2.0.0' });
    expect(mocks.ofType('docker-build:index:Image')).toEqual([]);
    expect(stack.imageBuild).toBeUndefined();
    for (const service of SERVICE_NAMES) {
      expect(container(mocks, service).image).toBe('registry.example/api-extractor:2.0.0');
    }
  });
});

describe('the repository lifecycle (Pulumi mocks)', () => {
  it('keeps the tagged image and the newest earlier builds for rollback, and expires older untagged images', async () => {
    const { mocks } = await deploy();
    const policy = mocks.one('aws:ecr/lifecyclePolicy:LifecyclePolicy', 'repository-lifecycle').inputs;
    expect(policy.repository).toBe(`api-extractor-${STAGE}`);
    expect(JSON.parse(String(policy.policy))).toEqual({
      rules: [
        {
          rulePriority: 1,
          description: expect.stringContaining('untagged'),
          selection: {
            tagStatus: 'untagged',
            countType: 'imageCountMoreThan',
            countNumber: KEPT_EARLIER_IMAGES,
          },
          action: { type: 'expire' },
        },
      ],
    });
    expect(KEPT_EARLIER_IMAGES).toBeGreaterThanOrEqual(5);
  });
});

describe('pulumi destroy (Pulumi mocks)', () => {
  const deletable = async (forceDestroy: boolean | undefined) => {
    const { mocks } = await deploy({ ...baseArgs, ...(forceDestroy === undefined ? {} : { forceDestroy }) });
    return {
      buckets: mocks.ofType('aws:s3/bucket:Bucket').map((b) => b.inputs.forceDestroy),
      repository: mocks.one('aws:ecr/repository:Repository', 'repository').inputs.forceDelete,
      secrets: mocks.ofType('aws:secretsmanager/secret:Secret').map((s) => s.inputs.recoveryWindowInDays),
    };
  };

  it('with forceDestroy, empties the buckets and the repository and deletes the secrets at once', async () => {
    expect(await deletable(true)).toEqual({ buckets: [true, true], repository: true, secrets: [0, 0] });
  });

  it.each([[undefined], [false]])(
    'without it (%s), keeps what the provider keeps by default: non-empty buckets and repository refuse deletion',
    async (forceDestroy) => {
      expect(await deletable(forceDestroy)).toEqual({
        buckets: [undefined, undefined],
        repository: undefined,
        secrets: [undefined, undefined],
      });
    },
  );
});
