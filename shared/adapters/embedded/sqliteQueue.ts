/**
 * An in-process queue with SQS's delivery semantics, kept in the embedded database
 * so a killed process loses nothing: at-least-once delivery, a visibility timeout
 * (extended by a heartbeat while a handler runs), redelivery after a failure or a
 * crash, and dead-lettering after `maxReceiveCount` receives.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type {
  Consumer,
  ConsumeOptions,
  MessageHandler,
  QueueBroker,
  QueueName,
  ReceivedMessage,
} from '../../ports/queue';
import type { Logger } from '../../ports/logger';
import {
  DEFAULT_EMBEDDED_RETRY_DELAY_MS,
  DEFAULT_MAX_RECEIVE_COUNT,
  heartbeatIntervalSeconds,
} from '../../core/topology';
import { type Database, transaction } from './database';

export interface SqliteQueueOptions {
  /** Receives before a message goes to the dead-letter queue (SQS RedrivePolicy). Default 5. */
  maxReceiveCount?: number;
  /** How soon a failed message is visible again, in ms (capped by the visibility timeout). Default 1000. */
  retryDelayMs?: number;
  /** Longest wait between polls when idle, in ms; a send wakes consumers at once. Default 200. */
  pollIntervalMs?: number;
  logger?: Logger;
}

type Row = { id: string; body: string; receive_count: number };

export class SqliteQueueBroker implements QueueBroker {
  private readonly wake = new EventEmitter();
  private readonly maxReceiveCount: number;
  private readonly retryDelayMs: number;
  private readonly pollIntervalMs: number;

  constructor(
    private readonly db: Database,
    private readonly options: SqliteQueueOptions = {},
  ) {
    this.maxReceiveCount = options.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT;
    this.retryDelayMs = options.retryDelayMs ?? DEFAULT_EMBEDDED_RETRY_DELAY_MS;
    this.pollIntervalMs = options.pollIntervalMs ?? 200;
    this.wake.setMaxListeners(0);
  }

  async send(queue: QueueName, bodies: string[]): Promise<void> {
    if (bodies.length === 0) return;
    const now = Date.now();
    transaction(this.db, () => {
      const insert = this.db.prepare(
        'INSERT INTO queue_messages (id, queue, body, visible_at) VALUES (?, ?, ?, ?)',
      );
      for (const body of bodies) insert.run(randomUUID(), queue, body, now);
    });
    this.wake.emit(queue);
  }

  /** Claims the next visible message, dead-lettering those received too often. */
  private claim(queue: QueueName, dead: boolean, visibilityMs: number): ReceivedMessage | undefined {
    return transaction(this.db, () => {
      for (;;) {
        const now = Date.now();
        const row = this.db
          .prepare(
            'SELECT id, body, receive_count FROM queue_messages WHERE queue = ? AND dead = ? AND visible_at <= ? ORDER BY seq LIMIT 1',
          )
          .get(queue, dead ? 1 : 0, now) as Row | undefined;
        if (!row) return undefined;
        if (!dead && row.receive_count >= this.maxReceiveCount) {
          this.db
            .prepare(
              "UPDATE queue_messages SET dead = 1, dead_reason = 'received too many times', visible_at = ? WHERE id = ?",
            )
            .run(now, row.id);
          this.wake.emit(`${queue}:dead`);
          continue;
        }
        this.db
          .prepare('UPDATE queue_messages SET receive_count = receive_count + 1, visible_at = ? WHERE id = ?')
          .run(now + visibilityMs, row.id);
        return { id: row.id, body: row.body, receiveCount: row.receive_count + 1 };
      }
    });
  }

  consume(queue: QueueName, handler: MessageHandler, options: ConsumeOptions): Consumer {
    return this.startConsumer(queue, false, handler, options);
  }

  consumeDeadLetters(queue: QueueName, handler: MessageHandler, options: ConsumeOptions): Consumer {
    return this.startConsumer(queue, true, handler, options);
  }

  async deadLetter(queue: QueueName, message: ReceivedMessage, reason: string): Promise<void> {
    this.db
      .prepare(
        'UPDATE queue_messages SET dead = 1, dead_reason = ?, visible_at = ? WHERE id = ? AND queue = ?',
      )
      .run(reason, Date.now(), message.id, queue);
    this.wake.emit(`${queue}:dead`);
  }

  /** Messages waiting or in flight (dead letters excluded), for tests and progress. */
  depth(queue: QueueName): number {
    const row = this.db
      .prepare('SELECT COUNT(*) AS n FROM queue_messages WHERE queue = ? AND dead = 0')
      .get(queue) as {
      n: number;
    };
    return row.n;
  }

  deadCount(queue: QueueName): number {
    const row = this.db
      .prepare('SELECT COUNT(*) AS n FROM queue_messages WHERE queue = ? AND dead = 1')
      .get(queue) as {
      n: number;
    };
    return row.n;
  }

  private startConsumer(
    queue: QueueName,
    dead: boolean,
    handler: MessageHandler,
    options: ConsumeOptions,
  ): Consumer {
    const visibilityMs = options.visibilityTimeoutSeconds * 1000;
    const event = dead ? `${queue}:dead` : queue;
    const inFlight = new Set<Promise<void>>();
    let running = true;
    let timer: NodeJS.Timeout | undefined;
    let poke: (() => void) | undefined;

    const handle = async (message: ReceivedMessage): Promise<void> => {
      // Heartbeat: keep the message invisible while the handler works.
      const heartbeat = setInterval(
        () => {
          this.db
            .prepare('UPDATE queue_messages SET visible_at = ? WHERE id = ?')
            .run(Date.now() + visibilityMs, message.id);
        },
        Math.max(50, heartbeatIntervalSeconds(options.visibilityTimeoutSeconds) * 1000),
      );
      try {
        await handler(message);
        this.db.prepare('DELETE FROM queue_messages WHERE id = ?').run(message.id);
      } catch (err) {
        this.options.logger?.warn('message handler failed; the message will be redelivered', {
          queue,
          message_id: message.id,
          receive_count: message.receiveCount,
          error: (err as Error).message,
        });
        const retryAt = Date.now() + Math.min(this.retryDelayMs, visibilityMs);
        this.db
          .prepare('UPDATE queue_messages SET visible_at = ? WHERE id = ? AND dead = ?')
          .run(retryAt, message.id, dead ? 1 : 0);
      } finally {
        clearInterval(heartbeat);
      }
    };

    const loop = async (): Promise<void> => {
      while (running) {
        while (running && inFlight.size < options.concurrency) {
          const message = this.claim(queue, dead, visibilityMs);
          if (!message) break;
          const task: Promise<void> = handle(message).finally(() => {
            inFlight.delete(task);
            poke?.();
          });
          inFlight.add(task);
        }
        if (!running) break;
        await new Promise<void>((resolve) => {
          poke = resolve;
          this.wake.once(event, resolve);
          timer = setTimeout(resolve, this.pollIntervalMs);
        });
        clearTimeout(timer);
        if (poke) this.wake.off(event, poke);
        poke = undefined;
      }
    };
    const done = loop();
    return {
      stop: async () => {
        running = false;
        poke?.();
        await done;
        await Promise.all([...inFlight]);
      },
    };
  }
}
