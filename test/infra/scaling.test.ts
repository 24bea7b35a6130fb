/**
 * The workers' autoscaling under Pulumi mocks: one scalable target per worker on its
 * ECS service, step policies driven by alarms on that worker's queue, the configured
 * bounds, and the wake-up alarm only when a worker may scale to zero.
 */
import { WORKER_QUEUES, WORKER_SERVICES } from '../../shared/core/topology';
import { resourceNames } from '../../shared/adapters/aws/config';
import { backlogPerTask, DEFAULT_SCALING, IDLE_MINUTES, MAX_MESSAGE_AGE_SECONDS } from '../../infra/scaling';
import { ACCOUNT, baseArgs, deploy, REGION, type Recorder, STAGE, SUFFIX } from './pulumiStack';

const names = resourceNames(STAGE, SUFFIX);
const CLUSTER = `api-extractor-${STAGE}`;
const policyArn = (name: string) => `arn:aws:appautoscaling:${REGION}:${ACCOUNT}:${name}`;

interface Query {
  id: string;
  expression?: string;
  metric?: { namespace: string; metricName: string; dimensions: Record<string, string> };
}

const alarm = (mocks: Recorder, name: string) =>
  mocks.one('aws:cloudwatch/metricAlarm:MetricAlarm', name).inputs;
const policy = (mocks: Recorder, name: string) => mocks.one('aws:appautoscaling/policy:Policy', name).inputs;

describe('worker autoscaling (Pulumi mocks)', () => {
  let mocks: Recorder;
  beforeAll(async () => {
    ({ mocks } = await deploy());
  });

  it.each(WORKER_SERVICES)('%s: a scalable target on its ECS service with the default bounds', (worker) => {
    expect(mocks.one('aws:appautoscaling/target:Target', `${worker}-scaling-target`).inputs).toMatchObject({
      serviceNamespace: 'ecs',
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: `service/${CLUSTER}/${worker}`,
      minCapacity: DEFAULT_SCALING[worker].minCount,
      maxCapacity: DEFAULT_SCALING[worker].maxCount,
    });
    // Only the workers scale.
    expect(mocks.ofType('aws:appautoscaling/target:Target')).toHaveLength(WORKER_SERVICES.length);
  });

  it.each(WORKER_SERVICES)('%s: the backlog and age alarms watch its own queue and add tasks', (worker) => {
    const queue = names.queues[WORKER_QUEUES[worker]];
    const backlog = alarm(mocks, `${worker}-backlog-high`);
    expect(backlog).toMatchObject({
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: queue },
      comparisonOperator: 'GreaterThanThreshold',
      threshold: backlogPerTask(worker),
      alarmActions: [policyArn(`${worker}-scale-out-backlog`)],
    });
    const out = policy(mocks, `${worker}-scale-out-backlog`);
    expect(out).toMatchObject({
      policyType: 'StepScaling',
      resourceId: `service/${CLUSTER}/${worker}`,
      scalableDimension: 'ecs:service:DesiredCount',
      serviceNamespace: 'ecs',
      stepScalingPolicyConfiguration: { adjustmentType: 'ChangeInCapacity' },
    });
    const steps = (out.stepScalingPolicyConfiguration as { stepAdjustments: { scalingAdjustment: number }[] })
      .stepAdjustments;
    // Every step adds tasks, more for a longer backlog.
    expect(steps.map((s) => s.scalingAdjustment)).toEqual([1, 2, 4]);

    expect(alarm(mocks, `${worker}-age-high`)).toMatchObject({
      namespace: 'AWS/SQS',
      metricName: 'ApproximateAgeOfOldestMessage',
      dimensions: { QueueName: queue },
      threshold: MAX_MESSAGE_AGE_SECONDS,
      alarmActions: [policyArn(`${worker}-scale-out-age`)],
    });
    expect(policy(mocks, `${worker}-scale-out-age`).stepScalingPolicyConfiguration).toMatchObject({
      adjustmentType: 'ChangeInCapacity',
      stepAdjustments: [{ metricIntervalLowerBound: '0', scalingAdjustment: 1 }],
    });
  });

  it.each(WORKER_SERVICES)(
    '%s: scales in to its minimum only when nothing waits or is in flight on its queue',
    (worker) => {
      const queue = names.queues[WORKER_QUEUES[worker]];
      const idle = alarm(mocks, `${worker}-idle`);
      expect(idle).toMatchObject({
        comparisonOperator: 'LessThanOrEqualToThreshold',
        threshold: 0,
        evaluationPeriods: IDLE_MINUTES,
        alarmActions: [policyArn(`${worker}-scale-in-idle`)],
      });
      const queries = idle.metricQueries as Query[];
      expect(
        queries.filter((q) => q.metric).map((q) => [q.metric?.metricName, q.metric?.dimensions]),
      ).toEqual([
        ['ApproximateNumberOfMessagesVisible', { QueueName: queue }],
        ['ApproximateNumberOfMessagesNotVisible', { QueueName: queue }],
      ]);
      expect(queries.find((q) => q.expression)?.expression).toBe('visible + inflight');
      expect(policy(mocks, `${worker}-scale-in-idle`).stepScalingPolicyConfiguration).toEqual({
        adjustmentType: 'ExactCapacity',
        metricAggregationType: 'Maximum',
        stepAdjustments: [
          { metricIntervalUpperBound: '0', scalingAdjustment: DEFAULT_SCALING[worker].minCount },
        ],
      });
      // With a minimum of 1 a task always runs: no wake-up alarm.
      expect(() => alarm(mocks, `${worker}-waiting-with-no-task`)).toThrow(/no aws/);
    },
  );

  it('does not scale the config-api or the scheduler', () => {
    const resourceIds = mocks.ofType('aws:appautoscaling/target:Target').map((t) => t.inputs.resourceId);
    expect(resourceIds).not.toContain(`service/${CLUSTER}/config-api`);
    expect(resourceIds).not.toContain(`service/${CLUSTER}/scheduler`);
  });
});

describe('worker autoscaling with configured bounds and scale to zero', () => {
  it('honours each worker’s bounds, scales in to zero, and wakes a worker when a message waits with no task', async () => {
    const { mocks } = await deploy({
      ...baseArgs,
      scaling: {
        'page-fetcher': { minCount: 0, maxCount: 25 },
        'detail-mapper': { minCount: 2, maxCount: 6 },
        writer: { minCount: 0, maxCount: 3 },
      },
    });
    const target = (w: string) => mocks.one('aws:appautoscaling/target:Target', `${w}-scaling-target`).inputs;
    expect(target('page-fetcher')).toMatchObject({ minCapacity: 0, maxCapacity: 25 });
    expect(target('detail-mapper')).toMatchObject({ minCapacity: 2, maxCapacity: 6 });
    expect(target('writer')).toMatchObject({ minCapacity: 0, maxCapacity: 3 });
    const idleTo = (w: string) =>
      (
        policy(mocks, `${w}-scale-in-idle`).stepScalingPolicyConfiguration as {
          stepAdjustments: { scalingAdjustment: number }[];
        }
      ).stepAdjustments[0]?.scalingAdjustment;
    expect([idleTo('page-fetcher'), idleTo('detail-mapper'), idleTo('writer')]).toEqual([0, 2, 0]);

    for (const worker of ['page-fetcher', 'writer'] as const) {
      const wake = alarm(mocks, `${worker}-waiting-with-no-task`);
      expect(wake.alarmActions).toEqual([policyArn(`${worker}-wake`)]);
      const queries = wake.metricQueries as Query[];
      expect(queries.find((q) => q.id === 'visible')?.metric?.dimensions).toEqual({
        QueueName: names.queues[WORKER_QUEUES[worker]],
      });
      expect(queries.find((q) => q.id === 'running')?.metric).toMatchObject({
        namespace: 'ECS/ContainerInsights',
        metricName: 'RunningTaskCount',
        dimensions: { ClusterName: CLUSTER, ServiceName: worker },
      });
      expect(policy(mocks, `${worker}-wake`).stepScalingPolicyConfiguration).toMatchObject({
        adjustmentType: 'ChangeInCapacity',
        stepAdjustments: [{ metricIntervalLowerBound: '0', scalingAdjustment: 1 }],
      });
    }
    expect(() => alarm(mocks, 'detail-mapper-waiting-with-no-task')).toThrow(/no aws/);
  });
});
