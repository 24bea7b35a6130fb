import type { QueueBroker } from '../../shared/ports/queue';

/** A broker that sends every message twice: at-least-once delivery at its worst. */
export function duplicating(inner: QueueBroker): QueueBroker {
  return {
    send: (queue, bodies) =>
      inner.send(
        queue,
        bodies.flatMap((b) => [b, b]),
      ),
    consume: (queue, handler, options) => inner.consume(queue, handler, options),
    deadLetter: (queue, message, reason) => inner.deadLetter(queue, message, reason),
    consumeDeadLetters: (queue, handler, options) => inner.consumeDeadLetters(queue, handler, options),
  };
}
