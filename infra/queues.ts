/**
 * The stage's SQS queues, each with its dead-letter queue: names, visibility
 * timeouts and retention come from shared/core/topology.ts (bootstrap.ts reads the
 * same), the receive count from the stack's `maxReceiveCount`.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import {
  DEAD_LETTER_RETENTION_SECONDS,
  deadLetterQueueName,
  LONG_POLL_SECONDS,
  QUEUE_RETENTION_SECONDS,
  VISIBILITY_TIMEOUT_SECONDS,
  type QueueName,
} from '../shared/core/topology';
import { byQueue, type StackContext } from './context';

export interface Queues {
  queues: Record<QueueName, aws.sqs.Queue>;
  deadLetterQueues: Record<QueueName, aws.sqs.Queue>;
}

export function createQueues({ args, names, tags }: StackContext): Queues {
  const deadLetterQueues = byQueue(
    (q) =>
      new aws.sqs.Queue(deadLetterQueueName(q), {
        name: names.deadLetterQueues[q],
        messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
        visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS[q],
        sqsManagedSseEnabled: true,
        tags,
      }),
  );
  const queues = byQueue(
    (q) =>
      new aws.sqs.Queue(q, {
        name: names.queues[q],
        visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS[q],
        messageRetentionSeconds: QUEUE_RETENTION_SECONDS,
        receiveWaitTimeSeconds: LONG_POLL_SECONDS,
        sqsManagedSseEnabled: true,
        redrivePolicy: pulumi.jsonStringify({
          deadLetterTargetArn: deadLetterQueues[q].arn,
          maxReceiveCount: args.maxReceiveCount,
        }),
        tags,
      }),
  );
  return { queues, deadLetterQueues };
}
