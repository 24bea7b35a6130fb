/**
 * QueueBroker on SQS. Sending batches messages (10 per call, at most 256 KiB per
 * call) and retries the entries SQS reports failed; consuming is sqs-consumer: long
 * polling, a heartbeat that keeps a message invisible while its handler runs, delete
 * on success, redelivery after the visibility timeout on failure, and the queue's
 * RedrivePolicy moving a message to its dead-letter queue after `maxReceiveCount`
 * receives (bootstrap sets it).
 */
import {
  DeleteMessageCommand,
  GetQueueUrlCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import { Consumer as SqsConsumer } from 'sqs-consumer';
import { silentLogger, type Logger } from '../../ports/logger';
import type {
  ConsumeOptions,
  Consumer,
  MessageHandler,
  QueueBroker,
  QueueName,
  ReceivedMessage,
} from '../../ports/queue';
import { MessageTooLargeError, QueueBrokerError } from './errors';

/** SendMessageBatch limits: entries per call, and bytes of all bodies together. */
const MAX_BATCH_ENTRIES = 10;
const MAX_BATCH_BYTES = 256 * 1024;
/** ReceiveMessage returns at most this many messages. */
const MAX_RECEIVE_BATCH = 10;
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

interface InFlight {
  queue: QueueName;
  queueUrl: string;
  receiptHandle: string;
  deadLettered: boolean;
  settled: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

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
    this.waitTimeSeconds = options.waitTimeSeconds ?? 20;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 120_000;
    this.sendAttempts = options.sendAttempts ?? 5;
    if (!Number.isInteger(this.waitTimeSeconds) || this.waitTimeSeconds < 1 || this.waitTimeSeconds > 20) {
      throw new QueueBrokerError(
        `waitTimeSeconds must be an integer from 1 to 20 (got ${this.waitTimeSeconds})`,
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
      visibilityTimeoutSeconds > 43_200
    ) {
      throw new QueueBrokerError(
        `visibilityTimeoutSeconds must be an integer from 1 to 43200 (got ${visibilityTimeoutSeconds})`,
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

interface ConsumerGroupParams {
  queue: QueueName;
  queueName: string;
  deadLetterable: boolean;
  handler: MessageHandler;
  options: ConsumeOptions;
  broker: {
    sqs: SQSClient;
    logger: Logger;
    waitTimeSeconds: number;
    stopTimeoutMs: number;
    queueUrl(name: string): Promise<string>;
    track(message: ReceivedMessage, entry: InFlight): void;
  };
}

interface PollState {
  /** In a ReceiveMessage long poll (so no handler of this poller runs). */
  receiving: boolean;
  /** stop() aborted that receive: its error is expected. */
  abortedReceive: boolean;
}

interface Poller {
  consumer: SqsConsumer;
  state: PollState;
}

/**
 * One `consume` call: sqs-consumer instances of at most 10 messages each (SQS's
 * receive limit), together handling up to `concurrency` messages at once.
 */
class ConsumerGroup implements Consumer {
  private readonly pollers: Poller[] = [];
  private readonly started: Promise<void>;
  private stopping = false;
  private wakeRetry: (() => void) | undefined;
  private stopped: Promise<void> | undefined;

  constructor(private readonly params: ConsumerGroupParams) {
    this.started = this.start();
  }

  stop(): Promise<void> {
    this.stopped ??= this.drain();
    return this.stopped;
  }

  private async drain(): Promise<void> {
    this.stopping = true;
    this.wakeRetry?.();
    await this.started;
    await Promise.all(this.pollers.map((poller) => this.stopPoller(poller)));
  }

  /**
   * sqs-consumer runs receive -> handle the batch -> delete, one cycle at a time,
   * and its 'stopped' event waits (up to `pollingCompleteWaitTimeMs`) for the cycle
   * in progress. A poller waiting in a long poll has nothing in flight, so that
   * receive is aborted rather than waited out (up to 20 s); one that is handling
   * messages is left to finish them and delete them.
   */
  private stopPoller(poller: Poller): Promise<void> {
    return new Promise((resolve) => {
      poller.consumer.once('stopped', () => resolve());
      poller.state.abortedReceive = poller.state.receiving;
      poller.consumer.stop({ abort: poller.state.receiving });
    });
  }

  /** Finds the queue (retrying while it cannot, as a consumer's receive does), then starts polling. */
  private async start(): Promise<void> {
    const { broker, queueName, queue } = this.params;
    let url: string | undefined;
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        url = await broker.queueUrl(queueName);
        break;
      } catch (err) {
        broker.logger.error('queue consumer cannot find its queue; retrying', {
          queue,
          queueName,
          attempt,
          error: messageOf(err),
          cause: err instanceof Error && err.cause !== undefined ? messageOf(err.cause) : undefined,
        });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(10_000, 500 * 2 ** attempt));
          this.wakeRetry = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
    if (url === undefined || this.stopping) return;
    let remaining = this.params.options.concurrency;
    while (remaining > 0) {
      const batchSize = Math.min(MAX_RECEIVE_BATCH, remaining);
      remaining -= batchSize;
      const poller = this.createPoller(url, batchSize);
      this.pollers.push(poller);
      poller.consumer.start();
    }
  }

  private createPoller(queueUrl: string, batchSize: number): Poller {
    const { broker, queue, handler, deadLetterable, options } = this.params;
    const visibility = options.visibilityTimeoutSeconds;
    const state: PollState = { receiving: false, abortedReceive: false };
    const fields = { queue: this.params.queueName };
    const consumer = SqsConsumer.create({
      queueUrl,
      sqs: broker.sqs,
      batchSize,
      waitTimeSeconds: broker.waitTimeSeconds,
      visibilityTimeout: visibility,
      // Extends visibility while a handler runs; must be shorter than the timeout.
      heartbeatInterval: visibility / 2,
      messageSystemAttributeNames: ['ApproximateReceiveCount'],
      messageAttributeNames: deadLetterable ? [] : ['reason', 'sourceQueue'],
      shouldDeleteMessages: true,
      pollingCompleteWaitTimeMs: broker.stopTimeoutMs,
      preReceiveMessageCallback: async () => {
        state.receiving = true;
      },
      postReceiveMessageCallback: async () => {
        state.receiving = false;
      },
      handleMessage: async (raw: Message): Promise<Message | undefined> => {
        const message: ReceivedMessage = {
          id: raw.MessageId ?? '',
          body: raw.Body ?? '',
          receiveCount: Number(raw.Attributes?.ApproximateReceiveCount ?? '1') || 1,
        };
        if (!deadLetterable) {
          broker.logger.warn('dead letter received', {
            ...fields,
            messageId: message.id,
            reason: raw.MessageAttributes?.reason?.StringValue ?? 'maxReceiveCount exceeded',
          });
          await handler(message);
          return raw;
        }
        const entry: InFlight = {
          queue,
          queueUrl,
          receiptHandle: raw.ReceiptHandle ?? '',
          deadLettered: false,
          settled: false,
        };
        broker.track(message, entry);
        try {
          await handler(message);
        } finally {
          entry.settled = true;
        }
        // A dead-lettered message is deleted already; acknowledging it again would fail.
        return entry.deadLettered ? undefined : raw;
      },
    });
    consumer.on('error', (err, message) => {
      if (state.abortedReceive && message === undefined) {
        state.abortedReceive = false;
        broker.logger.debug('receive aborted by stop()', fields);
        return;
      }
      broker.logger.error('queue consumer error', {
        ...fields,
        error: err.message,
        cause: err.cause === undefined ? undefined : messageOf(err.cause),
        messageIds: messageIdsOf(message),
      });
    });
    consumer.on('processing_error', (err, message) => {
      broker.logger.error('message handler failed; the message will be redelivered', {
        ...fields,
        messageId: message.MessageId,
        receiveCount: message.Attributes?.ApproximateReceiveCount,
        error: messageOf(err.cause ?? err),
      });
    });
    consumer.on('timeout_error', (err, message) => {
      broker.logger.error('message handler timed out', {
        ...fields,
        messageId: message.MessageId,
        error: err.message,
      });
    });
    consumer.on('waiting_for_polling_to_complete_timeout_exceeded', () => {
      broker.logger.warn('stop() gave up waiting for in-flight messages; they will be redelivered', {
        ...fields,
        stopTimeoutMs: broker.stopTimeoutMs,
      });
    });
    return { consumer, state };
  }
}

const messageIdsOf = (message: Message | Message[] | undefined): string[] | undefined =>
  message === undefined
    ? undefined
    : (Array.isArray(message) ? message : [message]).map((m) => m.MessageId ?? '');
