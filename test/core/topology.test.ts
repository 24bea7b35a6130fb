/**
 * The queue topology's own consistency: every queue is consumed, every consumer is a
 * deployed service, and every visibility timeout the services use by default leaves
 * room for the heartbeat both brokers run.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { Consumer as SqsConsumer } from 'sqs-consumer';
import {
  DEAD_LETTER_CONSUMER,
  deadLetterQueueName,
  DEFAULT_EMBEDDED_VISIBILITY_TIMEOUT_SECONDS,
  defaultWorkerVisibilitySeconds,
  heartbeatIntervalSeconds,
  isWorker,
  MAX_VISIBILITY_TIMEOUT_SECONDS,
  QUEUE_NAMES,
  SERVICE_NAMES,
  VISIBILITY_TIMEOUT_SECONDS,
  WORKER_QUEUES,
  WORKER_SERVICES,
} from '../../shared/core/topology';

/** Every visibility timeout a consumer gets without an override, with where it applies. */
const DEFAULT_TIMEOUTS: [string, number][] = [
  ...QUEUE_NAMES.map((q): [string, number] => [`deployed ${q}`, VISIBILITY_TIMEOUT_SECONDS[q]]),
  ...WORKER_SERVICES.map((w): [string, number] => [
    `${w} without VISIBILITY_TIMEOUT_SECONDS`,
    defaultWorkerVisibilitySeconds(w),
  ]),
  ['embedded mode', DEFAULT_EMBEDDED_VISIBILITY_TIMEOUT_SECONDS],
];

describe('queue topology', () => {
  it('has exactly one consuming worker per queue, each a deployed service', () => {
    const consumers = QUEUE_NAMES.map((queue) => WORKER_SERVICES.filter((s) => WORKER_QUEUES[s] === queue));
    expect(consumers.map((list) => list.length)).toEqual(QUEUE_NAMES.map(() => 1));
    for (const service of WORKER_SERVICES) {
      expect(SERVICE_NAMES).toContain(service);
      expect(QUEUE_NAMES).toContain(WORKER_QUEUES[service]);
    }
  });

  it('has the dead letters consumed by a worker, and only workers consume', () => {
    expect(isWorker(DEAD_LETTER_CONSUMER)).toBe(true);
    expect(SERVICE_NAMES.filter(isWorker)).toEqual(WORKER_SERVICES);
    expect(isWorker('config-api')).toBe(false);
    // An argument naming an inherited property is no worker (the worker's command line).
    expect(isWorker('toString')).toBe(false);
  });

  it("gives a worker without VISIBILITY_TIMEOUT_SECONDS its own queue's deployed timeout", () => {
    for (const worker of WORKER_SERVICES)
      expect(defaultWorkerVisibilitySeconds(worker)).toBe(VISIBILITY_TIMEOUT_SECONDS[WORKER_QUEUES[worker]]);
    expect(defaultWorkerVisibilitySeconds('writer')).toBe(300);
  });

  it('names each dead-letter queue after its queue', () => {
    expect(deadLetterQueueName('api-extractor-dev-pages')).toBe('api-extractor-dev-pages-dlq');
    expect(new Set(QUEUE_NAMES.map(deadLetterQueueName)).size).toBe(QUEUE_NAMES.length);
  });

  it.each(DEFAULT_TIMEOUTS)(
    '%s: the %i s visibility timeout leaves a heartbeat before the message would reappear',
    (_where, seconds) => {
      expect(Number.isInteger(seconds)).toBe(true);
      expect(seconds).toBeGreaterThanOrEqual(1);
      expect(seconds).toBeLessThanOrEqual(MAX_VISIBILITY_TIMEOUT_SECONDS);
      const heartbeat = heartbeatIntervalSeconds(seconds);
      expect(heartbeat).toBeGreaterThan(0);
      expect(heartbeat).toBeLessThan(seconds);
      // The SQS consumer refuses a heartbeat that is not shorter than the timeout.
      expect(() =>
        SqsConsumer.create({
          queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q',
          sqs: new SQSClient({ region: 'eu-west-1' }),
          visibilityTimeout: seconds,
          heartbeatInterval: heartbeat,
          handleMessage: async () => undefined,
        }),
      ).not.toThrow();
      // The embedded queue's heartbeat (at least every 50 ms) fits too.
      expect(Math.max(50, heartbeat * 1000)).toBeLessThan(seconds * 1000);
    },
  );
});
