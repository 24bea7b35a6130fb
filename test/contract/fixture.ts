/**
 * Shared by the port contracts: how an adapter is handed to a contract, and small
 * waiting helpers that fail with a message instead of hanging until jest's timeout.
 */

/** An adapter under test, and how to release what it holds (clients, temp dirs). */
export interface Fixture<T> {
  subject: T;
  close?(): Promise<void>;
}

/** Builds a fresh adapter with its own empty storage, once per test. */
export type MakeFixture<T> = () => Promise<Fixture<T>>;

/**
 * Runs `body` with a fresh fixture and closes it afterwards, whatever happens.
 *
 * @example
 * it('reads back', () => withFixture(make, async (store) => { ... }));
 */
export async function withFixture<T>(
  make: MakeFixture<T>,
  body: (subject: T) => Promise<void>,
): Promise<void> {
  const fixture = await make();
  try {
    await body(fixture.subject);
  } finally {
    await fixture.close?.();
  }
}

/** A promise with its resolve function outside. */
export function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** `promise`, or a rejection naming `what` after `ms`. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
