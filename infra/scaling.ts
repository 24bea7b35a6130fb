/**
 * Autoscaling of the three workers on their queue's backlog (Application Auto Scaling
 * step policies driven by CloudWatch alarms on the SQS metrics). docs/deploy.md
 * "Scaling" explains the policy and its numbers:
 *
 * - backlog: more than `backlogPerTask` messages waiting (ApproximateNumberOfMessagesVisible)
 *   for 2 minutes adds tasks, more the longer the backlog;
 * - age: the oldest waiting message older than `MAX_MESSAGE_AGE_SECONDS` adds one task
 *   (a small backlog of slow messages, which the count alone would not show);
 * - idle: nothing waiting and nothing in flight (…Visible + …NotVisible = 0) for
 *   `IDLE_MINUTES` sets the count back to the minimum; only then, so a task that scale-in
 *   stops never holds a message (no scale-in protection needed);
 * - wake (only with a minimum of 0): a message waiting while no task runs starts one.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import {
  DEFAULT_WORKER_CONCURRENCY,
  WORKER_QUEUES,
  WORKER_SERVICES,
  type WorkerService,
} from '../shared/core/topology';
import type { StackContext, WorkerScaling } from './context';
import type { Queues } from './queues';
import type { Runtime } from './runtime';
import type { Services } from './services';

/** Defaults: one task always up (no cold start), at most this many. */
export const DEFAULT_SCALING: Record<WorkerService, WorkerScaling> = {
  'page-fetcher': { minCount: 1, maxCount: 10 },
  'detail-mapper': { minCount: 1, maxCount: 10 },
  writer: { minCount: 1, maxCount: 4 },
};

/** The CloudWatch period of every alarm (SQS publishes its metrics every minute). */
export const ALARM_PERIOD_SECONDS = 60;
/** Waiting messages one task is expected to absorb: ten rounds of its default concurrency. */
export const backlogPerTask = (worker: WorkerService): number => 10 * DEFAULT_WORKER_CONCURRENCY[worker];
/** A waiting message older than this adds a task, whatever the count. */
export const MAX_MESSAGE_AGE_SECONDS = 300;
/** Minutes with an empty queue (nothing in flight) before the count returns to the minimum. */
export const IDLE_MINUTES = 15;
/** How long after a scale-out the next one waits (a new Fargate task needs about a minute to consume). */
export const SCALE_OUT_COOLDOWN_SECONDS = 120;

export interface Scaling {
  scalingTargets: Record<WorkerService, aws.appautoscaling.Target>;
  scalingPolicies: aws.appautoscaling.Policy[];
  scalingAlarms: aws.cloudwatch.MetricAlarm[];
}

const byWorker = <T>(make: (worker: WorkerService) => T): Record<WorkerService, T> =>
  Object.fromEntries(WORKER_SERVICES.map((w) => [w, make(w)])) as Record<WorkerService, T>;

export function createScaling(
  { args, tags }: StackContext,
  { runtime, services, queues }: { runtime: Runtime; services: Services; queues: Queues },
): Scaling {
  const scalingPolicies: aws.appautoscaling.Policy[] = [];
  const scalingAlarms: aws.cloudwatch.MetricAlarm[] = [];
  const scalingTargets = byWorker((worker) => {
    const { minCount, maxCount } = (args.scaling ?? DEFAULT_SCALING)[worker];
    const queueName = queues.queues[WORKER_QUEUES[worker]].name;
    const target = new aws.appautoscaling.Target(`${worker}-scaling-target`, {
      serviceNamespace: 'ecs',
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: pulumi.interpolate`service/${runtime.cluster.name}/${services.services[worker].name}`,
      minCapacity: minCount,
      maxCapacity: maxCount,
      tags,
    });
    const policy = (
      name: string,
      config: aws.types.input.appautoscaling.PolicyStepScalingPolicyConfiguration,
    ): aws.appautoscaling.Policy => {
      const created = new aws.appautoscaling.Policy(`${worker}-${name}`, {
        name: `${worker}-${name}`,
        policyType: 'StepScaling',
        serviceNamespace: target.serviceNamespace,
        scalableDimension: target.scalableDimension,
        resourceId: target.resourceId,
        stepScalingPolicyConfiguration: config,
      });
      scalingPolicies.push(created);
      return created;
    };
    const alarm = (
      name: string,
      alarmArgs: Partial<aws.cloudwatch.MetricAlarmArgs>,
      action: aws.appautoscaling.Policy,
    ) =>
      scalingAlarms.push(
        new aws.cloudwatch.MetricAlarm(`${worker}-${name}`, {
          name: pulumi.interpolate`${queueName}-${name}`,
          comparisonOperator: 'GreaterThanThreshold',
          evaluationPeriods: 1,
          threshold: 0,
          treatMissingData: 'notBreaching',
          alarmActions: [action.arn],
          tags,
          ...alarmArgs,
        }),
      );
    const sqs = (metricName: string, stat = 'Maximum') => ({
      namespace: 'AWS/SQS',
      metricName,
      dimensions: { QueueName: queueName },
      period: ALARM_PERIOD_SECONDS,
      stat,
    });

    const backlog = backlogPerTask(worker);
    alarm(
      'backlog-high',
      {
        alarmDescription: `${worker}: more than ${backlog} messages waiting; adds tasks`,
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: queueName },
        statistic: 'Maximum',
        period: ALARM_PERIOD_SECONDS,
        evaluationPeriods: 2,
        threshold: backlog,
      },
      // Bounds are relative to the threshold (one backlog per task): up to 4 backlogs
      // waiting +1, up to 16 +2, beyond +4.
      policy('scale-out-backlog', {
        adjustmentType: 'ChangeInCapacity',
        cooldown: SCALE_OUT_COOLDOWN_SECONDS,
        metricAggregationType: 'Maximum',
        stepAdjustments: [
          {
            metricIntervalLowerBound: '0',
            metricIntervalUpperBound: String(3 * backlog),
            scalingAdjustment: 1,
          },
          {
            metricIntervalLowerBound: String(3 * backlog),
            metricIntervalUpperBound: String(15 * backlog),
            scalingAdjustment: 2,
          },
          { metricIntervalLowerBound: String(15 * backlog), scalingAdjustment: 4 },
        ],
      }),
    );
    alarm(
      'age-high',
      {
        alarmDescription: `${worker}: a message waiting over ${MAX_MESSAGE_AGE_SECONDS} s; adds a task`,
        namespace: 'AWS/SQS',
        metricName: 'ApproximateAgeOfOldestMessage',
        dimensions: { QueueName: queueName },
        statistic: 'Maximum',
        period: ALARM_PERIOD_SECONDS,
        evaluationPeriods: 2,
        threshold: MAX_MESSAGE_AGE_SECONDS,
      },
      policy('scale-out-age', {
        adjustmentType: 'ChangeInCapacity',
        cooldown: MAX_MESSAGE_AGE_SECONDS,
        metricAggregationType: 'Maximum',
        stepAdjustments: [{ metricIntervalLowerBound: '0', scalingAdjustment: 1 }],
      }),
    );
    alarm(
      'idle',
      {
        alarmDescription: `${worker}: nothing waiting or in flight for ${IDLE_MINUTES} minutes; back to ${minCount} tasks`,
        comparisonOperator: 'LessThanOrEqualToThreshold',
        evaluationPeriods: IDLE_MINUTES,
        datapointsToAlarm: IDLE_MINUTES,
        // An inactive queue publishes no data points: that counts as idle.
        treatMissingData: 'breaching',
        metricQueries: [
          { id: 'visible', metric: sqs('ApproximateNumberOfMessagesVisible') },
          { id: 'inflight', metric: sqs('ApproximateNumberOfMessagesNotVisible') },
          {
            id: 'work',
            expression: 'visible + inflight',
            label: 'messages waiting or in flight',
            returnData: true,
          },
        ],
      },
      policy('scale-in-idle', {
        adjustmentType: 'ExactCapacity',
        metricAggregationType: 'Maximum',
        stepAdjustments: [{ metricIntervalUpperBound: '0', scalingAdjustment: minCount }],
      }),
    );
    if (minCount === 0) {
      alarm(
        'waiting-with-no-task',
        {
          alarmDescription: `${worker}: a message waits and no task runs; starts one`,
          metricQueries: [
            { id: 'visible', metric: sqs('ApproximateNumberOfMessagesVisible') },
            {
              id: 'running',
              metric: {
                namespace: 'ECS/ContainerInsights',
                metricName: 'RunningTaskCount',
                dimensions: {
                  ClusterName: runtime.cluster.name,
                  ServiceName: services.services[worker].name,
                },
                period: ALARM_PERIOD_SECONDS,
                stat: 'Maximum',
              },
            },
            {
              id: 'waiting',
              // No data from Container Insights (no task) counts as 0 tasks.
              expression: 'IF(FILL(running, 0) < 1, FILL(visible, 0), 0)',
              label: 'messages waiting while no task runs',
              returnData: true,
            },
          ],
        },
        policy('wake', {
          adjustmentType: 'ChangeInCapacity',
          cooldown: SCALE_OUT_COOLDOWN_SECONDS,
          metricAggregationType: 'Maximum',
          stepAdjustments: [{ metricIntervalLowerBound: '0', scalingAdjustment: 1 }],
        }),
      );
    }
    return target;
  });
  return { scalingTargets, scalingPolicies, scalingAlarms };
}
