/**
 * The Pulumi program under Pulumi's own mocks (no engine, no CLI, no cloud): every
 * resource registration is recorded with its inputs, and tests read those.
 */
import * as pulumi from '@pulumi/pulumi';
import { DEFAULT_SIZING } from '../../infra/config';
import { createStack, type Stack, type StackArgs } from '../../infra/stack';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const STAGE = 'dev';
export const SUFFIX = 'acme';
export const ROOT_KEY = 'root-key-with-at-least-24-characters';
/** What the mock returns for the image `pulumi up` builds and pushes. */
export const IMAGE_DIGEST = `sha256:${'ab'.repeat(32)}`;
/** What the mock returns for `aws.ecr.getAuthorizationToken`. */
export const ECR_PASSWORD = 'ecr-token-password';

export interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  state: Record<string, unknown>;
}

/** type token → the state the mock adds to the inputs (what the provider would compute). */
export function computedState(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  const physical = String(inputs.name ?? inputs.bucket ?? name);
  const service = type.split(':')[1]?.split('/')[0] ?? 'unknown';
  const state: Record<string, unknown> = {
    arn: `arn:aws:${service}:${REGION}:${ACCOUNT}:${physical}`,
    name: physical,
  };
  if (type === 'aws:sqs/queue:Queue')
    state.url = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${physical}`;
  if (type === 'aws:lb/loadBalancer:LoadBalancer') state.dnsName = `${physical}.${REGION}.elb.amazonaws.com`;
  if (type === 'aws:ecr/repository:Repository')
    state.repositoryUrl = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${physical}`;
  if (type === 'aws:s3/bucket:Bucket') state.arn = `arn:aws:s3:::${physical}`;
  if (type === 'aws:ecr/repository:Repository') state.registryId = ACCOUNT;
  if (type === 'docker-build:index:Image') {
    state.digest = IMAGE_DIGEST;
    state.ref = `${String((inputs.tags as string[])[0]).split(':')[0]}@${IMAGE_DIGEST}`;
  }
  return state;
}

export class Recorder implements pulumi.runtime.Mocks {
  readonly resources: Recorded[] = [];
  /** Resource options by resource name, as the SDK passed them (see `deploy`). */
  readonly options = new Map<string, pulumi.CustomResourceOptions>();

  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    const inputs = args.inputs as Record<string, unknown>;
    const state = { ...inputs, ...computedState(args.type, args.name, inputs) };
    this.resources.push({ type: args.type, name: args.name, inputs, state });
    // Security groups and buckets are addressed by id; an id that is the name keeps assertions readable.
    return { id: `${args.name}-id`, state };
  }

  call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    switch (args.token) {
      case 'aws:index/getCallerIdentity:getCallerIdentity':
        return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/test`, userId: 'AIDA', id: ACCOUNT };
      case 'aws:index/getRegion:getRegion':
        return { region: REGION, name: REGION, id: REGION };
      case 'aws:index/getPartition:getPartition':
        return { partition: 'aws', dnsSuffix: 'amazonaws.com', id: 'aws' };
      case 'aws:ec2/getVpc:getVpc':
        return { id: 'vpc-default', cidrBlock: '172.31.0.0/16', default: true };
      case 'aws:ecr/getAuthorizationToken:getAuthorizationToken':
        return {
          userName: 'AWS',
          password: ECR_PASSWORD,
          authorizationToken: Buffer.from(`AWS:${ECR_PASSWORD}`).toString('base64'),
          proxyEndpoint: `https://${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`,
          expiresAt: '2030-01-01T00:00:00Z',
          region: REGION,
          id: REGION,
        };
      case 'aws:ec2/getSubnets:getSubnets':
        return { ids: ['subnet-a', 'subnet-b', 'subnet-c'], id: REGION };
      default:
        throw new Error(`unexpected call ${args.token}`);
    }
  }

  ofType(type: string): Recorded[] {
    return this.resources.filter((r) => r.type === type);
  }

  one(type: string, name: string): Recorded {
    const found = this.resources.find((r) => r.type === type && r.name === name);
    if (!found) throw new Error(`no ${type} named ${name}`);
    return found;
  }
}

/** How the mock monitor receives a secret input: Pulumi's signature key with the secret signature. */
export const secretValue = (value: unknown) => ({
  '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270',
  value,
});

export const valueOf = <T>(output: pulumi.Output<T>): Promise<T> =>
  new Promise((resolve) => output.apply(resolve));

/** The URNs of every resource a `Stack` holds, sorted; they are known once each is registered. */
export async function urnsOf(stack: Stack): Promise<string[]> {
  const resources: pulumi.Resource[] = [];
  const walk = (value: unknown): void => {
    if (pulumi.Resource.isInstance(value)) resources.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null && !pulumi.Output.isInstance(value)) {
      Object.values(value).forEach(walk);
    }
  };
  walk(stack);
  return (await Promise.all(resources.map((r) => valueOf(r.urn)))).sort();
}

/** Waits until every resource of the stack is registered (its URN known), so the recorder has them all. */
export async function settled(stack: Stack): Promise<void> {
  await urnsOf(stack);
  await valueOf(stack.apiUrl);
}

export const baseArgs: StackArgs = {
  stage: STAGE,
  bucketSuffix: SUFFIX,
  maxReceiveCount: 7,
  rootApiKey: ROOT_KEY,
  services: DEFAULT_SIZING,
  ingressCidrs: ['0.0.0.0/0'],
  logRetentionDays: 30,
  logLevel: 'info',
};

export async function deploy(args: StackArgs = baseArgs): Promise<{ mocks: Recorder; stack: Stack }> {
  const mocks = new Recorder();
  await pulumi.runtime.setMocks(mocks, 'api-extractor', STAGE, false);
  let stack: Stack | undefined;
  // As the Pulumi runtime runs a program: inside the root stack resource.
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((t) => {
      if (t.type === 'aws:secretsmanager/secretVersion:SecretVersion') mocks.options.set(t.name, t.opts);
      return undefined;
    });
    stack = createStack(args);
    await settled(stack);
    return { apiUrl: stack.apiUrl };
  });
  if (!stack) throw new Error('the program did not run');
  return { mocks, stack };
}

export interface ContainerDefinition {
  name: string;
  image: string;
  command: string[];
  environment: { name: string; value: string }[];
  secrets: { name: string; valueFrom: string }[];
  portMappings: { containerPort: number }[];
  stopTimeout: number;
  logConfiguration: { logDriver: string; options: Record<string, string> };
}
export interface PolicyStatement {
  Sid: string;
  Effect: string;
  Action: string[];
  Resource: string[];
}

export const container = (mocks: Recorder, service: string): ContainerDefinition => {
  const definitions = JSON.parse(
    String(mocks.one('aws:ecs/taskDefinition:TaskDefinition', `${service}-task`).inputs.containerDefinitions),
  ) as ContainerDefinition[];
  expect(definitions).toHaveLength(1);
  return definitions[0] as ContainerDefinition;
};
export const statements = (mocks: Recorder, resourceName: string): PolicyStatement[] =>
  (
    JSON.parse(String(mocks.one('aws:iam/rolePolicy:RolePolicy', resourceName).inputs.policy)) as {
      Statement: PolicyStatement[];
    }
  ).Statement;
export const allows = (list: PolicyStatement[], action: string, resource: string): boolean =>
  list.some((s) => s.Effect === 'Allow' && s.Action.includes(action) && s.Resource.includes(resource));
