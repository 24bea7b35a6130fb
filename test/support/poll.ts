/**
 * Waiting for a condition, never for a fixed time: `probe` is called until it returns
 * a value (not `undefined`), first quickly, then backing off (×1.5 up to `maxDelayMs`)
 * so that a long wait does not flood what it polls (on moto, every poll is a request
 * that the emulator serialises with the system under test's own). The deadline is
 * generous on purpose: the machine may be loaded, and a passing test never waits for it.
 */
export interface PollOptions {
  timeoutMs: number;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  describeTimeout: () => string | Promise<string>,
  { timeoutMs, firstDelayMs = 10, maxDelayMs = 250 }: PollOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = firstDelayMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(await describeTimeout());
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(maxDelayMs, Math.ceil(delay * 1.5));
  }
}
