/**
 * The pipeline's queue topology, defined once: the work queues and their dead-letter
 * queues, which service consumes which, and the numbers every deployment of them
 * shares (visibility timeouts, retention, receive counts, default concurrency).
 *
 * The AWS adapters and `bootstrap`, the Pulumi program (infra/), the services and
 * embedded mode read these from here; environment variables override the defaults
 * where docs/aws.md and docs/pipeline.md say so. Pure data: no I/O.
 */

/** The work queues, in pipeline order; each has a dead-letter queue. */
export const QUEUE_NAMES = ['pages', 'details', 'finalize'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/**
 * The dead-letter queue of a queue, by name (a stage prefix included).
 *
 * @example
 * deadLetterQueueName('api-extractor-dev-pages') // 'api-extractor-dev-pages-dlq'
 */
export const deadLetterQueueName = (queueName: string): string => `${queueName}-dlq`;

/** The deployed services: the config API, the scheduler and the three workers. */
export const SERVICE_NAMES = ['config-api', 'scheduler', 'page-fetcher', 'detail-mapper', 'writer'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** The queue each worker service consumes (the other services only send). */
export const WORKER_QUEUES = {
  'page-fetcher': 'pages',
  'detail-mapper': 'details',
  writer: 'finalize',
} as const satisfies Partial<Record<ServiceName, QueueName>>;
export type WorkerService = keyof typeof WORKER_QUEUES;
export const WORKER_SERVICES = Object.keys(WORKER_QUEUES) as WorkerService[];
export const isWorker = (service: string): service is WorkerService => Object.hasOwn(WORKER_QUEUES, service);

/** The worker that also consumes every dead-letter queue, marking the runs of dead letters failed. */
export const DEAD_LETTER_CONSUMER = 'writer' satisfies WorkerService;

/**
 * Each queue's visibility timeout in a deployment, in seconds: what one handler call
 * may take (one page, a chunk of detail requests, writing a whole extraction). The
 * stack gives it to the queue, its dead-letter queue and the consuming worker's
 * `VISIBILITY_TIMEOUT_SECONDS`.
 */
export const VISIBILITY_TIMEOUT_SECONDS: Readonly<Record<QueueName, number>> = {
  pages: 60,
  details: 120,
  finalize: 300,
};
/**
 * A worker's `VISIBILITY_TIMEOUT_SECONDS` when the variable is unset (outside the
 * stack, e.g. under compose or `npm run dev:aws`): its queue's deployed timeout, so a
 * writer gets the same 300 s there as on AWS.
 */
export const defaultWorkerVisibilitySeconds = (service: WorkerService): number =>
  VISIBILITY_TIMEOUT_SECONDS[WORKER_QUEUES[service]];
/** Embedded mode's `VISIBILITY_TIMEOUT_SECONDS` default, every queue. */
export const DEFAULT_EMBEDDED_VISIBILITY_TIMEOUT_SECONDS = 30;
/** SQS's longest visibility timeout (12 hours); the embedded queue accepts the same range. */
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;

/**
 * While a handler runs, its message's visibility is extended this often (both
 * brokers): half the timeout, so one late heartbeat does not let the message go.
 */
export const heartbeatIntervalSeconds = (visibilityTimeoutSeconds: number): number =>
  visibilityTimeoutSeconds / 2;

/** How long a work queue keeps an unreceived message (4 days, SQS's default). */
export const QUEUE_RETENTION_SECONDS = 4 * 24 * 3600;
/** Dead letters are kept as long as SQS allows (14 days), for inspection. */
export const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600;

/** SQS's longest long poll: the queues' receive wait and the workers' default (and largest) one. */
export const LONG_POLL_SECONDS = 20;

/** Receives before a message goes to its dead-letter queue (`MAX_RECEIVE_COUNT`, the RedrivePolicy). */
export const DEFAULT_MAX_RECEIVE_COUNT = 5;
/** SQS's largest `maxReceiveCount`. */
export const MAX_RECEIVE_COUNT_LIMIT = 1000;

/** A worker service's `CONCURRENCY` default: messages it handles at once. */
export const DEFAULT_WORKER_CONCURRENCY: Readonly<Record<WorkerService, number>> = {
  'page-fetcher': 8,
  'detail-mapper': 8,
  writer: 2,
};
/** Embedded mode, where every stage shares one process: messages handled at once per queue. */
export const DEFAULT_EMBEDDED_CONCURRENCY: Readonly<Record<QueueName, number>> = {
  pages: 8,
  details: 4,
  finalize: 2,
};
/** Dead letters handled at once, per dead-letter queue. */
export const DEAD_LETTER_CONCURRENCY = 1;
/** Embedded mode's `RETRY_DELAY_MS` default: how soon a failed message is visible again. */
export const DEFAULT_EMBEDDED_RETRY_DELAY_MS = 1000;

/**
 * How long a service has after SIGTERM to finish in-flight messages (ECS's longest
 * `stopTimeout`): the tasks' `stopTimeout` in the stack and the SQS consumers' wait in `stop()`.
 */
export const STOP_TIMEOUT_SECONDS = 120;
