/**
 * The QueueBroker contract: at-least-once delivery between the pipeline stages.
 *
 * ## The QueueFixture hook
 *
 * `makeQueues({ maxReceiveCount })` returns a `Fixture<QueueBroker>` whose queues
 * (pages, details, finalize and their dead-letter queues) are fresh and empty, and
 * in which a message received `maxReceiveCount` times without being acknowledged
 * goes to its queue's dead-letter queue instead of being delivered again (SQS's
 * RedrivePolicy semantics). `close()` releases whatever the fixture holds; the tests
 * stop their own consumers first.
 *
 * ```ts
 * describeQueueBrokerContract('SqsQueueBroker', async ({ maxReceiveCount }) => {
 *   const deployment = await freshDeployment({ maxReceiveCount });
 *   return { subject: new SqsQueueBroker(deployment.clients.sqs, { ... }), close: deployment.close };
 * });
 * ```
 *
 * Every test consumes with `visibilityTimeoutSeconds: 1`: an unacknowledged message
 * comes back about a second after its handler failed. Delivery is at least once, so
 * the tests assert what must happen and, where a message must *not* come back, wait
 * a few visibility timeouts to see that it does not.
 */
import type { ConsumeOptions, Consumer, QueueBroker, ReceivedMessage } from '../../shared/ports/queue';
import { deferred, delay, within, type Fixture } from './fixture';

export interface QueueFixtureOptions {
  /** Receives before a message moves to the dead-letter queue. */
  maxReceiveCount: number;
}

export type MakeQueueFixture = (options: QueueFixtureOptions) => Promise<Fixture<QueueBroker>>;

const VISIBILITY_SECONDS = 1;
/** Long enough for an unacknowledged message to have come back, had it been going to. */
const REDELIVERY_WINDOW_MS = 2 * VISIBILITY_SECONDS * 1000 + 500;
const options = (concurrency: number): ConsumeOptions => ({
  concurrency,
  visibilityTimeoutSeconds: VISIBILITY_SECONDS,
});

export function describeQueueBrokerContract(name: string, makeQueues: MakeQueueFixture): void {
  /** Runs `body` with a fresh broker; every consumer it starts through `track` is stopped afterwards. */
  const withBroker =
    (
      maxReceiveCount: number,
      body: (broker: QueueBroker, track: (c: Consumer) => Consumer) => Promise<void>,
    ) =>
    async (): Promise<void> => {
      const fixture = await makeQueues({ maxReceiveCount });
      const consumers: Consumer[] = [];
      try {
        await body(fixture.subject, (consumer) => {
          consumers.push(consumer);
          return consumer;
        });
      } finally {
        await Promise.all(consumers.map((c) => c.stop()));
        await fixture.close?.();
      }
    };

  describe(`QueueBroker contract: ${name}`, () => {
    it(
      'delivers every message of a batched send of 25',
      withBroker(5, async (broker, track) => {
        const bodies = Array.from({ length: 25 }, (_, i) => JSON.stringify({ version: 1, page: i }));
        const seen = new Map<string, ReceivedMessage>();
        const all = deferred();
        track(
          broker.consume(
            'pages',
            async (message) => {
              seen.set(message.body, message);
              if (seen.size === bodies.length) all.resolve();
            },
            options(5),
          ),
        );
        await broker.send('pages', bodies);
        await within(20_000, 'all 25 messages', all.promise);
        expect([...seen.keys()].sort()).toEqual([...bodies].sort());
        for (const message of seen.values()) {
          expect(message.id).toEqual(expect.any(String));
          expect(message.receiveCount).toBeGreaterThanOrEqual(1);
        }
      }),
    );

    it(
      'delivers large bodies intact, however the adapter batches them',
      withBroker(5, async (broker, track) => {
        const bodies = ['a', 'b', 'c'].map((letter) => JSON.stringify({ rows: letter.repeat(100 * 1024) }));
        const seen = new Set<string>();
        const all = deferred();
        track(
          broker.consume(
            'details',
            async (message) => {
              seen.add(message.body);
              if (seen.size === bodies.length) all.resolve();
            },
            options(3),
          ),
        );
        await broker.send('details', bodies);
        await within(20_000, 'the three large messages', all.promise);
        expect([...seen].sort()).toEqual([...bodies].sort());
      }),
    );

    it(
      'redelivers a message whose handler threw, counting receives, and not one that succeeded',
      withBroker(5, async (broker, track) => {
        const receipts: ReceivedMessage[] = [];
        const succeeded = deferred();
        track(
          broker.consume(
            'details',
            async (message) => {
              receipts.push(message);
              if (receipts.length === 1) throw new Error('transient failure');
              succeeded.resolve();
            },
            options(1),
          ),
        );
        await broker.send('details', ['retry-me']);
        await within(15_000, 'the redelivery', succeeded.promise);
        await delay(REDELIVERY_WINDOW_MS);
        expect(receipts.map((m) => [m.body, m.receiveCount])).toEqual([
          ['retry-me', 1],
          ['retry-me', 2],
        ]);
        expect(receipts[1]?.id).toBe(receipts[0]?.id);
      }),
    );

    it(
      'moves a message to the dead-letter queue after maxReceiveCount failed receives',
      withBroker(3, async (broker, track) => {
        let receives = 0;
        const dead = deferred<ReceivedMessage>();
        track(
          broker.consume(
            'finalize',
            async () => {
              receives++;
              throw new Error('always fails');
            },
            options(1),
          ),
        );
        track(broker.consumeDeadLetters('finalize', async (message) => dead.resolve(message), options(1)));
        await broker.send('finalize', ['poison']);
        const letter = await within(25_000, 'the dead letter', dead.promise);
        expect(letter.body).toBe('poison');
        expect(receives).toBe(3);
      }),
    );

    it(
      'deadLetter() moves a message to the dead-letter queue at once',
      withBroker(5, async (broker, track) => {
        let calls = 0;
        const dead = deferred<ReceivedMessage>();
        track(
          broker.consume(
            'pages',
            async (message) => {
              calls++;
              await broker.deadLetter('pages', message, 'invalid message: not JSON');
            },
            options(1),
          ),
        );
        track(broker.consumeDeadLetters('pages', async (message) => dead.resolve(message), options(1)));
        await broker.send('pages', ['{not json']);
        expect((await within(15_000, 'the dead letter', dead.promise)).body).toBe('{not json');
        await delay(REDELIVERY_WINDOW_MS);
        expect(calls).toBe(1);
      }),
    );

    it(
      'stop() waits for in-flight handlers, whose messages are then acknowledged',
      withBroker(5, async (broker, track) => {
        const started = deferred();
        let finished = false;
        const consumer = broker.consume(
          'pages',
          async () => {
            started.resolve();
            await delay(1500);
            finished = true;
          },
          options(1),
        );
        await broker.send('pages', ['slow']);
        await within(15_000, 'the handler to start', started.promise);
        await consumer.stop();
        expect(finished).toBe(true);

        const again: string[] = [];
        track(broker.consume('pages', async (message) => void again.push(message.body), options(1)));
        await delay(REDELIVERY_WINDOW_MS);
        expect(again).toEqual([]);
      }),
    );

    it(
      'keeps a message from other consumers while its handler runs past the visibility timeout',
      withBroker(5, async (broker, track) => {
        // A 3 s visibility (heartbeat every 1.5 s) and a handler of 2.5 of them: the
        // heartbeat has 1.5 s of slack, enough on a loaded machine, where with 1 s the
        // occasional late heartbeat let the other consumer take the message.
        const longOptions: ConsumeOptions = { concurrency: 1, visibilityTimeoutSeconds: 3 };
        let calls = 0;
        const done = deferred();
        const handler = async (): Promise<void> => {
          calls++;
          await delay(7500);
          done.resolve();
        };
        track(broker.consume('details', handler, longOptions));
        track(broker.consume('details', handler, longOptions));
        await broker.send('details', ['long task']);
        await within(60_000, 'the long handler', done.promise);
        await delay(500);
        expect(calls).toBe(1);
      }),
    );

    it(
      'never runs more handlers at once than the concurrency',
      withBroker(5, async (broker, track) => {
        let running = 0;
        let most = 0;
        let handled = 0;
        const all = deferred();
        track(
          broker.consume(
            'pages',
            async () => {
              running++;
              most = Math.max(most, running);
              await delay(200);
              running--;
              if (++handled === 9) all.resolve();
            },
            options(3),
          ),
        );
        await broker.send(
          'pages',
          Array.from({ length: 9 }, (_, i) => `task-${i}`),
        );
        await within(20_000, 'nine messages', all.promise);
        expect(most).toBeLessThanOrEqual(3);
      }),
    );
  });
}
