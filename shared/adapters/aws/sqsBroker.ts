/**
 * QueueBroker on SQS. Sending batches messages (10 per call, at most 256 KiB per
 * call) and retries the entries SQS reports failed; consuming is sqs-consumer
 * (sqsPoller.ts): long polling, a heartbeat that keeps a message invisible while its
 * handler runs, delete on success, redelivery after the visibility timeout on
 * failure, and the queue's RedrivePolicy moving a message to its dead-letter queue
 * after `maxReceiveCount` receives (bootstrap sets it).
 */
import {
  DeleteMessageCommand,
  GetQueueUrlCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import { silentLogger, type Logger } from '../../ports/logger';
import type {
  ConsumeOptions,
  Consumer,
  MessageHandler,
  QueueBroker,
  QueueName,
  ReceivedMessage,
} from '../../ports/queue';
import { LONG_POLL_SECONDS, MAX_VISIBILITY_TIMEOUT_SECONDS, STOP_TIMEOUT_SECONDS } from '../../core/topology';
import { MessageTooLargeError, QueueBrokerError } from './errors';
import { ConsumerGroup, type InFlight } from './sqsPoller';

/** SendMessageBatch limits: entries per call, and bytes of all bodies together. */
const MAX_BATCH_ENTRIES = 10;
const MAX_BATCH_BYTES = 256 * 1024;
/** Batches sent at once by one `send` call. */
const SEND_CONCURRENCY = 4;
const MAX_REASON_LENGTH = 4096;

export interface SqsQueueBrokerOptions {
  /** Queue names of the pipeline queues, e.g. `settings.names.queues`. */
  queues: Record<QueueName, string>;
  /** Their dead-letter queues, e.g. `settings.names.deadLetterQueues`. */
  deadLetterQueues: Record<QueueName, string>;
  /** Receives consumer errors and handler failures (default: silent). */
  logger?: Logger;
  /** Long-poll wait of each receive, 1–20 s (default 20). */
  waitTimeSeconds?: number;
  /**
   * Longest wait, in ms, of `stop()` for in-flight handlers (default 120 000, the
   * longest ECS `stopTimeout`); past it `stop()` resolves and a warning is logged.
   */
  stopTimeoutMs?: number;
  /** Attempts for batch entries SQS reports failed for its own reasons (default 5). */
  sendAttempts?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @example
 * const broker = new SqsQueueBroker(clients.sqs, {
 *   queues: settings.names.queues,
 *   deadLetterQueues: settings.names.deadLetterQueues,
 *   logger,
 * });
 * const consumer = broker.consume('pages', handlePageTask, { concurrency: 8, visibilityTimeoutSeconds: 60 });
 * process.once('SIGTERM', () => void consumer.stop());
 */
export class SqsQueueBroker implements QueueBroker {
  private readonly logger: Logger;
  private readonly waitTimeSeconds: number;
  private readonly stopTimeoutMs: number;
  private readonly sendAttempts: number;
  private readonly urls = new Map<string, Promise<string>>();
  /**
   * Receipt handles of messages whose handler is running, keyed by the very object
   * the handler got: `deadLetter` needs the handle, and two deliveries of one
   * message (same MessageId) each keep their own.
   */
  private readonly inFlight = new WeakMap<ReceivedMessage, InFlight>();

  constructor(
    private readonly sqs: SQSClient,
    private readonly options: SqsQueueBrokerOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.waitTimeSeconds = options.waitTimeSeconds ?? LONG_POLL_SECONDS;
    this.stopTimeoutMs = options.stopTimeoutMs ?? STOP_TIMEOUT_SECONDS * 1000;
    this.sendAttempts = options.sendAttempts ?? 5;
    if (
      !Number.isInteger(this.waitTimeSeconds) ||
      this.waitTimeSeconds < 1 ||
      this.waitTimeSeconds > LONG_POLL_SECONDS
    ) {
      throw new QueueBrokerError(
        `waitTimeSeconds must be an integer from 1 to ${LONG_POLL_SECONDS} (got ${this.waitTimeSeconds})`,
      );
    }
    if (!(this.stopTimeoutMs > 0))
      throw new QueueBrokerError(`stopTimeoutMs must be positive (got ${this.stopTimeoutMs})`);
    if (!Number.isInteger(this.sendAttempts) || this.sendAttempts < 1) {
      throw new QueueBrokerError(`sendAttempts must be a positive integer (got ${this.sendAttempts})`);
    }
  }

  async send(queue: QueueName, bodies: string[]): Promise<void> {
    if (bodies.length === 0) return;
    const batches = toBatches(bodies, queue);
    const url = await this.queueUrl(this.options.queues[queue]);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batches.length) {
        const batch = batches[next++];
        if (batch) await this.sendBatch(url, queue, batch);
      }
    };
    await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, batches.length) }, worker));
  }

  consume(queue: QueueName, handler: MessageHandler, options: ConsumeOptions): Consumer {
    return this.startGroup(queue, this.options.queues[queue], handler, options, true);
  }

  consumeDeadLetters(queue: QueueName, handler: MessageHandler, options: ConsumeOptions): Consumer {
    return this.startGroup(queue, this.options.deadLetterQueues[queue], handler, options, false);
  }

  /**
   * Sends the message to the dead-letter queue with `reason` as a message attribute,
   * then deletes it from `queue`. Call it from the message's handler, with the
   * object the handler received; the handler's normal return then no longer
   * acknowledges it (it is gone already).
   */
  async deadLetter(queue: QueueName, message: ReceivedMessage, reason: string): Promise<void> {
    const entry = this.inFlight.get(message);
    if (!entry || entry.settled) {
      throw new QueueBrokerError(
        `deadLetter(${queue}, ${message.id}): pass the message object its handler received, while that handler runs`,
      );
    }
    if (entry.queue !== queue) {
      throw new QueueBrokerError(`deadLetter(${queue}, ${message.id}): the message came from ${entry.queue}`);
    }
    if (entry.deadLettered) return;
    const text = reason.trim() || '(no reason given)';
    const dlqUrl = await this.queueUrl(this.options.deadLetterQueues[queue]);
    // Send before delete: a crash in between duplicates a dead letter, never loses one.
    try {
      await this.sqs.send(
        new SendMessageCommand({
          QueueUrl: dlqUrl,
          MessageBody: message.body,
          MessageAttributes: {
            reason: { DataType: 'String', StringValue: text.slice(0, MAX_REASON_LENGTH) },
            sourceQueue: { DataType: 'String', StringValue: queue },
            sourceMessageId: { DataType: 'String', StringValue: message.id || 'unknown' },
          },
        }),
      );
    } catch (err) {
      throw new QueueBrokerError(`cannot dead-letter message ${message.id} of ${queue}`, { cause: err });
    }
    entry.deadLettered = true;
    try {
      await this.sqs.send(
        new DeleteMessageCommand({ QueueUrl: entry.queueUrl, ReceiptHandle: entry.receiptHandle }),
      );
    } catch (err) {
      throw new QueueBrokerError(
        `dead-lettered message ${message.id} of ${queue} but cannot delete it from the queue`,
        {
          cause: err,
        },
      );
    }
    this.logger.warn('message dead-lettered', { queue, messageId: message.id, reason: text.slice(0, 200) });
  }

  /** The URL of a queue by name, asked once (a failed lookup is asked again next time). */
  private queueUrl(name: string): Promise<string> {
    let url = this.urls.get(name);
    if (!url) {
      url = this.sqs.send(new GetQueueUrlCommand({ QueueName: name })).then(
        (response) => {
          if (!response.QueueUrl) throw new QueueBrokerError(`SQS returned no URL for queue ${name}`);
          return response.QueueUrl;
        },
        (err: unknown) => {
          throw new QueueBrokerError(`cannot find queue ${name}`, { cause: err });
        },
      );
      this.urls.set(name, url);
      url.catch(() => this.urls.delete(name));
    }
    return url;
  }

  private async sendBatch(url: string, queue: QueueName, bodies: string[]): Promise<void> {
    let pending: SendMessageBatchRequestEntry[] = bodies.map((MessageBody, i) => ({
      Id: `m${i}`,
      MessageBody,
    }));
    for (let attempt = 1; ; attempt++) {
      let failed;
      try {
        const response = await this.sqs.send(
          new SendMessageBatchCommand({ QueueUrl: url, Entries: pending }),
        );
        failed = response.Failed ?? [];
      } catch (err) {
        throw new QueueBrokerError(`cannot send ${pending.length} message(s) to ${queue}`, { cause: err });
      }
      if (failed.length === 0) return;
      const describe = failed
        .map((f) => `${f.Id}: ${f.Code}${f.Message ? ` (${f.Message})` : ''}`)
        .join(', ');
      // A sender fault (bad body, bad attribute) fails the same way every time.
      if (failed.some((f) => f.SenderFault)) {
        throw new QueueBrokerError(`SQS refused ${failed.length} message(s) for ${queue}: ${describe}`);
      }
      if (attempt >= this.sendAttempts) {
        throw new QueueBrokerError(
          `SQS failed ${failed.length} message(s) for ${queue} after ${attempt} attempts: ${describe}`,
        );
      }
      const retry = new Set(failed.map((f) => f.Id));
      pending = pending.filter((entry) => retry.has(entry.Id));
      this.logger.warn('retrying messages SQS failed to accept', { queue, count: pending.length, attempt });
      const ceiling = Math.min(2000, 50 * 2 ** attempt);
      await sleep(ceiling / 2 + Math.random() * (ceiling / 2));
    }
  }

  private startGroup(
    queue: QueueName,
    queueName: string,
    handler: MessageHandler,
    options: ConsumeOptions,
    deadLetterable: boolean,
  ): Consumer {
    const { concurrency, visibilityTimeoutSeconds } = options;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new QueueBrokerError(`concurrency must be a positive integer (got ${concurrency})`);
    }
    if (
      !Number.isInteger(visibilityTimeoutSeconds) ||
      visibilityTimeoutSeconds < 1 ||
      visibilityTimeoutSeconds > MAX_VISIBILITY_TIMEOUT_SECONDS
    ) {
      throw new QueueBrokerError(
        `visibilityTimeoutSeconds must be an integer from 1 to ${MAX_VISIBILITY_TIMEOUT_SECONDS} (got ${visibilityTimeoutSeconds})`,
      );
    }
    return new ConsumerGroup({
      queue,
      queueName,
      deadLetterable,
      handler,
      options,
      broker: {
        sqs: this.sqs,
        logger: this.logger,
        waitTimeSeconds: this.waitTimeSeconds,
        stopTimeoutMs: this.stopTimeoutMs,
        queueUrl: (name) => this.queueUrl(name),
        track: (message, entry) => this.inFlight.set(message, entry),
      },
    });
  }
}

/** Groups bodies into SendMessageBatch calls within both limits. */
function toBatches(bodies: string[], queue: QueueName): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = Buffer.byteLength(body, 'utf8');
    if (size > MAX_BATCH_BYTES) {
      throw new MessageTooLargeError(
        `a message for ${queue} has ${size} bytes, more than SQS accepts (${MAX_BATCH_BYTES}); send a reference to a stored object instead`,
      );
    }
    if (current.length === MAX_BATCH_ENTRIES || bytes + size > MAX_BATCH_BYTES) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(body);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
