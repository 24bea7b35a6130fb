/**
 * Queues between the pipeline stages. Delivery is at least once: a message can
 * arrive twice, or again after its worker died; handlers are idempotent.
 */

import type { QueueName } from '../core/topology';

/** The pipeline's work queues (each with a dead-letter queue): shared/core/topology.ts. */
export { QUEUE_NAMES, type QueueName } from '../core/topology';

export interface ReceivedMessage {
  /** Transport id (SQS MessageId), for logs. */
  id: string;
  /** The raw body; handlers parse and validate it. */
  body: string;
  /** How many times this message has been received, this time included. */
  receiveCount: number;
}

export interface ConsumeOptions {
  /** Messages handled at once by this consumer. */
  concurrency: number;
  /** Seconds a received message stays invisible; extended by a heartbeat while it is handled. */
  visibilityTimeoutSeconds: number;
}

/**
 * What a handler does with a message: resolve to acknowledge (delete) it, throw to
 * let it be redelivered after the visibility timeout. After `maxReceiveCount`
 * receives it goes to the queue's dead-letter queue.
 */
export type MessageHandler = (message: ReceivedMessage) => Promise<void>;

export interface Consumer {
  /** Stops receiving and waits for in-flight messages to finish (graceful shutdown). */
  stop(): Promise<void>;
}

export interface QueueBroker {
  /** Sends bodies (JSON-encoded by the caller), batched by the adapter. */
  send(queue: QueueName, bodies: string[]): Promise<void>;
  consume(queue: QueueName, handler: MessageHandler, options: ConsumeOptions): Consumer;
  /** Moves a message straight to the dead-letter queue (an unparseable body never succeeds). */
  deadLetter(queue: QueueName, message: ReceivedMessage, reason: string): Promise<void>;
  /** Reads and removes dead letters (the writer marks their runs failed). */
  consumeDeadLetters(queue: QueueName, handler: MessageHandler, options: ConsumeOptions): Consumer;
}
