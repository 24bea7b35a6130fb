/**
 * The roles of the stage: the task execution role (the ECS agent: pull the image,
 * write logs, read the root key) and one task role per service with the least
 * privilege policies.ts derives from the topology.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { ServiceName } from '../shared/core/topology';
import { byQueue, byService, type StackContext } from './context';
import { ecsTasksAssumeRolePolicy, executionRolePolicy, taskRolePolicy } from './policies';
import type { Queues } from './queues';
import type { Runtime } from './runtime';
import type { Storage } from './storage';

export interface Iam {
  executionRole: aws.iam.Role;
  executionRolePolicy: aws.iam.RolePolicy;
  taskRoles: Record<ServiceName, aws.iam.Role>;
  taskRolePolicies: Record<ServiceName, aws.iam.RolePolicy>;
}

export function createIam(
  { args, names, prefix, tags, region, accountId, partition }: StackContext,
  { queues, storage, runtime }: { queues: Queues; storage: Storage; runtime: Runtime },
): Iam {
  const assumeRolePolicy = ecsTasksAssumeRolePolicy(accountId);
  const executionRole = new aws.iam.Role('task-execution-role', {
    name: `${prefix}-task-execution`,
    assumeRolePolicy,
    tags,
  });
  const executionPolicy = new aws.iam.RolePolicy('task-execution-policy', {
    role: executionRole.id,
    policy: pulumi.jsonStringify(
      executionRolePolicy({
        repository: runtime.repository.arn,
        logGroup: runtime.logGroup.arn,
        rootApiKeySecret: storage.rootApiKeySecret.arn,
      }),
    ),
  });
  const { tables, buckets } = storage;
  const policyArns = {
    queues: byQueue((q) => queues.queues[q].arn),
    deadLetterQueues: byQueue((q) => queues.deadLetterQueues[q].arn),
    tables: {
      runs: tables.runs.arn,
      state: tables.state.arn,
      executionLogs: tables.executionLogs.arn,
      configs: tables.configs.arn,
    },
    buckets: { output: buckets.output.arn, staging: buckets.staging.arn },
    extraOutputBuckets: (args.extraOutputBuckets ?? []).map(
      (b) => pulumi.interpolate`arn:${partition}:s3:::${b}`,
    ),
    extractorSecret: storage.extractorSecret.arn,
    extractorSecretNamePattern: pulumi.interpolate`arn:${partition}:secretsmanager:${region}:${accountId}:secret:${names.extractorSecret}-*`,
  };
  const taskRoles = byService(
    (service) =>
      new aws.iam.Role(`${service}-task-role`, { name: `${prefix}-${service}`, assumeRolePolicy, tags }),
  );
  const taskRolePolicies = byService(
    (service) =>
      new aws.iam.RolePolicy(`${service}-task-policy`, {
        role: taskRoles[service].id,
        policy: pulumi.jsonStringify(taskRolePolicy(service, policyArns)),
      }),
  );
  return { executionRole, executionRolePolicy: executionPolicy, taskRoles, taskRolePolicies };
}
