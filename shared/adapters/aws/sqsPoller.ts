/**
 * The consuming side of the SQS broker: one `consume` call is a group of
 * sqs-consumer pollers (long polling, a heartbeat that keeps a message invisible
 * while its handler runs, delete on success, redelivery after the visibility
 * timeout on failure), and `stop()` drains them: a poller waiting in a long poll has
 * its receive aborted, one handling messages finishes and deletes them.
 *
 * Each poller handles what one receive returned (up to 10 messages) at once, then
 * deletes those whose handler succeeded in one `DeleteMessageBatch`; the heartbeat
 * extends them with `ChangeMessageVisibilityBatch`. A failed one is not deleted and
 * comes back after the visibility timeout, as before.
 */
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { Consumer as SqsConsumer } from 'sqs-consumer';
import { heartbeatIntervalSeconds } from '../../core/topology';
import type { Logger } from '../../ports/logger';
import type { ConsumeOptions, Consumer, MessageHandler, QueueName, ReceivedMessage } from '../../ports/queue';

/** ReceiveMessage returns at most this many messages. */
const MAX_RECEIVE_BATCH = 10;

/** A message whose handler runs (or ran), as `deadLetter` needs it. */
export interface InFlight {
  queue: QueueName;
  queueUrl: string;
  receiptHandle: string;
  deadLettered: boolean;
  settled: boolean;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export interface ConsumerGroupParams {
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
export class ConsumerGroup implements Consumer {
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
      heartbeatInterval: heartbeatIntervalSeconds(visibility),
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
      // One batch per receive: the successful ones are deleted together.
      handleMessageBatch: async (raws: Message[]): Promise<Message[]> => {
        const acked: Message[] = [];
        await Promise.all(
          raws.map(async (raw) => {
            try {
              if (await handleOne(raw)) acked.push(raw);
            } catch (err) {
              broker.logger.error('message handler failed; the message will be redelivered', {
                ...fields,
                messageId: raw.MessageId,
                receiveCount: raw.Attributes?.ApproximateReceiveCount,
                error: messageOf(err),
              });
            }
          }),
        );
        return acked;
      },
    });
    /** Handles one message; true when it is to be deleted. */
    const handleOne = async (raw: Message): Promise<boolean> => {
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
        return true;
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
      return !entry.deadLettered;
    };
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
