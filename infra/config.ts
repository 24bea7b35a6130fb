/**
 * The stack's Pulumi config (`pulumi config set …`, see infra/README.md) turned
 * into `createStack`'s arguments, validated like the services validate their
 * environment: every problem at once.
 */
import * as pulumi from '@pulumi/pulumi';
import { parseBucketList } from '../shared/core/bucketName';
import { awsSettingsFromEnv } from '../shared/adapters/aws/config';
import { AwsSettingsError } from '../shared/adapters/aws/errors';
import {
  DEFAULT_MAX_RECEIVE_COUNT,
  SERVICE_NAMES,
  WORKER_SERVICES,
  type ServiceName,
  type WorkerService,
} from '../shared/core/topology';
import type { ServiceSizing, StackArgs, WorkerScaling } from './context';
import { DEFAULT_SCALING } from './scaling';
import { InfraConfigError } from './errors';

export const DEFAULT_SIZING: Record<ServiceName, ServiceSizing> = {
  'config-api': { cpu: 512, memory: 1024, desiredCount: 1 },
  scheduler: { cpu: 256, memory: 512, desiredCount: 1 },
  'page-fetcher': { cpu: 512, memory: 1024, desiredCount: 2 },
  'detail-mapper': { cpu: 512, memory: 1024, desiredCount: 2 },
  writer: { cpu: 512, memory: 1024, desiredCount: 1 },
};

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
/** CloudWatch Logs accepts only these retention periods. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * @example
 * const args = stackArgsFromConfig(new pulumi.Config());
 */
export function stackArgsFromConfig(config: pulumi.Config): StackArgs {
  const problems: string[] = [];
  const required = (key: string): string => {
    const value = config.get(key);
    if (value === undefined || value === '') problems.push(`${key} is required (pulumi config set ${key} …)`);
    return value ?? '';
  };
  const stage = required('stage');
  const bucketSuffix = required('bucketSuffix');
  const rootApiKeyConfig = config.getSecret('rootApiKey');
  if (rootApiKeyConfig === undefined) {
    problems.push('rootApiKey is required (pulumi config set --secret rootApiKey …)');
  }
  // Read as text and checked below, so a value of the wrong type is one problem among the others.
  const maxReceiveCountText = config.get('maxReceiveCount') ?? String(DEFAULT_MAX_RECEIVE_COUNT);
  const maxReceiveCount = Number(maxReceiveCountText);
  const optionalBoolean = (key: string): boolean | undefined => {
    const value = config.get(key);
    if (value === undefined) return undefined;
    if (value === 'true' || value === 'false') return value === 'true';
    problems.push(`${key} must be true or false (got ${JSON.stringify(value)})`);
    return undefined;
  };
  // The services validate these at start-up; the same check here fails `pulumi up`
  // before anything is created (name syntax, bucket and queue name lengths, the count).
  try {
    awsSettingsFromEnv({
      AWS_REGION: 'checked-by-the-aws-provider',
      // A missing key is reported above; a stand-in still lets the others be checked.
      STAGE: stage || 'missing',
      DEFAULT_OUTPUT_BUCKET_SUFFIX: bucketSuffix || 'missing',
      MAX_RECEIVE_COUNT: maxReceiveCountText,
    });
  } catch (err) {
    if (!(err instanceof AwsSettingsError)) throw err;
    problems.push(
      `${err.message} (STAGE is the stage key, DEFAULT_OUTPUT_BUCKET_SUFFIX bucketSuffix, MAX_RECEIVE_COUNT maxReceiveCount)`,
    );
  }
  const logRetentionDays = Number(config.get('logRetentionDays') ?? 30);
  if (!LOG_RETENTION_DAYS.includes(logRetentionDays)) {
    problems.push(
      `logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')} (got ${logRetentionDays})`,
    );
  }
  const logLevel = config.get('logLevel') ?? 'info';
  const isLogLevel = (v: string): v is StackArgs['logLevel'] => (LOG_LEVELS as readonly string[]).includes(v);
  if (!isLogLevel(logLevel))
    problems.push(`logLevel must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);

  const forceDestroy = optionalBoolean('forceDestroy');
  const assignPublicIp = optionalBoolean('assignPublicIp');
  const services = servicesFromConfig(config.getObject<unknown>('services'), problems);
  const scaling = scalingFromConfig(
    config.getObject<unknown>('scaling'),
    optionalBoolean('scaleToZero'),
    services,
    problems,
  );
  const subnetIds = config.getObject<unknown>('subnetIds');
  if (
    subnetIds !== undefined &&
    !(Array.isArray(subnetIds) && subnetIds.every((s) => typeof s === 'string'))
  ) {
    problems.push('subnetIds must be a list of subnet ids');
  }
  const vpcId = config.get('vpcId');
  if ((vpcId === undefined) !== (subnetIds === undefined)) problems.push('vpcId and subnetIds go together');
  const ingressCidrs = config.getObject<unknown>('ingressCidrs') ?? ['0.0.0.0/0'];
  if (!(Array.isArray(ingressCidrs) && ingressCidrs.every((s) => typeof s === 'string'))) {
    problems.push('ingressCidrs must be a list of CIDRs');
  }
  const extraOutputBuckets = config.getObject<unknown>('extraOutputBuckets') ?? [];
  if (!(
    Array.isArray(extraOutputBuckets) &&
    extraOutputBuckets.every((s) => typeof s === 'string' && s.length > 0)
  )) {
    problems.push('extraOutputBuckets must be a list of bucket names');
  } else {
    problems.push(...parseBucketList(extraOutputBuckets.join(','), 'extraOutputBuckets').problems);
  }
  if (problems.length > 0 || rootApiKeyConfig === undefined) {
    throw new InfraConfigError(`invalid stack config: ${problems.join('; ')}`);
  }

  const rootApiKey = rootApiKeyConfig.apply((key) => {
    // Checked when the value is known; the config-api refuses a shorter key at start-up too.
    if (key.length < 24) throw new InfraConfigError('rootApiKey must be at least 24 characters');
    return key;
  });
  const image = config.get('image');
  const certificateArn = config.get('certificateArn');
  return {
    stage,
    bucketSuffix,
    maxReceiveCount,
    rootApiKey,
    services,
    scaling,
    ingressCidrs: ingressCidrs as string[],
    extraOutputBuckets: extraOutputBuckets as string[],
    logRetentionDays,
    logLevel: logLevel as StackArgs['logLevel'],
    ...(image ? { image } : {}),
    ...(forceDestroy ? { forceDestroy } : {}),
    ...(certificateArn ? { certificateArn } : {}),
    ...(vpcId && subnetIds ? { vpcId, subnetIds: subnetIds as string[] } : {}),
    ...(assignPublicIp !== undefined ? { assignPublicIp } : {}),
  };
}

/** `services` config: `{ "page-fetcher": { "desiredCount": 4, "cpu": 1024, "memory": 2048 }, … }`, each key optional. */
function servicesFromConfig(value: unknown, problems: string[]): Record<ServiceName, ServiceSizing> {
  const result = structuredClone(DEFAULT_SIZING);
  if (value === undefined) return result;
  if (!isRecord(value)) {
    problems.push('services must be an object keyed by service name');
    return result;
  }
  for (const [service, sizing] of Object.entries(value)) {
    if (!(SERVICE_NAMES as readonly string[]).includes(service)) {
      problems.push(`services.${service}: unknown service (one of ${SERVICE_NAMES.join(', ')})`);
      continue;
    }
    if (!isRecord(sizing)) {
      problems.push(`services.${service} must be an object`);
      continue;
    }
    const target = result[service as ServiceName];
    for (const key of ['cpu', 'memory', 'desiredCount'] as const) {
      const n = sizing[key];
      if (n === undefined) continue;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < (key === 'desiredCount' ? 0 : 1)) {
        problems.push(
          `services.${service}.${key} must be a ${key === 'desiredCount' ? 'non-negative' : 'positive'} integer`,
        );
        continue;
      }
      target[key] = n;
    }
    const unknown = Object.keys(sizing).filter((k) => !['cpu', 'memory', 'desiredCount'].includes(k));
    if (unknown.length) problems.push(`services.${service}: unknown keys ${unknown.join(', ')}`);
  }
  return result;
}

/**
 * `scaling` config: `{ "page-fetcher": { "minCount": 0, "maxCount": 20 }, … }`, each key
 * optional; `scaleToZero: true` makes 0 every worker's default minimum. A worker's
 * `desiredCount` (its count at creation) must lie within its bounds.
 */
function scalingFromConfig(
  value: unknown,
  scaleToZero: boolean | undefined,
  services: Record<ServiceName, ServiceSizing>,
  problems: string[],
): Record<WorkerService, WorkerScaling> {
  const result = structuredClone(DEFAULT_SCALING);
  if (scaleToZero === true) for (const worker of WORKER_SERVICES) result[worker].minCount = 0;
  if (value !== undefined && !isRecord(value)) {
    problems.push('scaling must be an object keyed by worker service');
  } else {
    for (const [worker, bounds] of Object.entries(value ?? {})) {
      if (!(WORKER_SERVICES as readonly string[]).includes(worker)) {
        problems.push(`scaling.${worker}: not an autoscaled worker (one of ${WORKER_SERVICES.join(', ')})`);
        continue;
      }
      if (!isRecord(bounds)) {
        problems.push(`scaling.${worker} must be an object`);
        continue;
      }
      const target = result[worker as WorkerService];
      for (const key of ['minCount', 'maxCount'] as const) {
        const n = bounds[key];
        if (n === undefined) continue;
        if (typeof n !== 'number' || !Number.isInteger(n) || n < (key === 'maxCount' ? 1 : 0)) {
          problems.push(
            `scaling.${worker}.${key} must be a ${key === 'maxCount' ? 'positive' : 'non-negative'} integer (got ${JSON.stringify(n)})`,
          );
          continue;
        }
        if (key === 'minCount' && scaleToZero === true && n > 0) {
          problems.push(`scaling.${worker}.minCount is ${n} but scaleToZero is true`);
          continue;
        }
        target[key] = n;
      }
      const unknown = Object.keys(bounds).filter((k) => !['minCount', 'maxCount'].includes(k));
      if (unknown.length) problems.push(`scaling.${worker}: unknown keys ${unknown.join(', ')}`);
    }
  }
  for (const worker of WORKER_SERVICES) {
    const { minCount, maxCount } = result[worker];
    if (minCount > maxCount) {
      problems.push(`scaling.${worker}: minCount ${minCount} is above maxCount ${maxCount}`);
      continue;
    }
    const { desiredCount } = services[worker];
    if (desiredCount < minCount || desiredCount > maxCount) {
      problems.push(
        `services.${worker}.desiredCount ${desiredCount} is outside scaling.${worker} [${minCount}, ${maxCount}]`,
      );
    }
  }
  return result;
}
