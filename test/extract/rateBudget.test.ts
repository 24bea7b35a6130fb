/**
 * What a budget asks of its store: nothing when it has nothing to enforce, and one
 * claim for every sender that waits when it does. The store here is the in-memory one
 * wrapped to count (and, where a test needs it, hold) the calls.
 */
import type { BudgetState, RateBudgetStore, StoredBudget } from '../../shared/ports/rateBudget';
import { budgetGate, MemoryRateBudgetStore, SharedBudget } from '../../shared/extract/rateBudget';

jest.setTimeout(60_000);

/** The in-memory store, counting reads and writes by key; `hold()` keeps the next write waiting. */
class CountingStore implements RateBudgetStore {
  private readonly inner = new MemoryRateBudgetStore();
  readonly calls: Array<{ op: 'read' | 'write'; key: string }> = [];
  private held: { gate: Promise<void>; arrived: () => void } | undefined;

  count(key?: string, op?: 'read' | 'write'): number {
    return this.calls.filter((c) => (!key || c.key === key) && (!op || c.op === op)).length;
  }

  /** The next write waits until `release()`; `reached` resolves when it is asked. */
  hold(): { release: () => void; reached: Promise<void> } {
    let release!: () => void;
    let arrived!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    this.held = { gate, arrived };
    return { release, reached };
  }

  async read(key: string): Promise<StoredBudget | undefined> {
    this.calls.push({ op: 'read', key });
    return this.inner.read(key);
  }

  async write(key: string, state: BudgetState, expected: number): Promise<boolean> {
    this.calls.push({ op: 'write', key });
    const held = this.held;
    if (held) {
      this.held = undefined;
      held.arrived();
      await held.gate;
    }
    return this.inner.write(key, state, expected);
  }
}

/** Waits for `condition`, letting the event loop turn (timers included) in between. */
async function until(condition: () => boolean, what: string, deadlineMs = 20_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('a budget with nothing to enforce', () => {
  test('makes no store request over a 10 s run of requests (it read the record about 40 times)', async () => {
    const store = new CountingStore();
    let now = 1_000_000;
    const budget = new SharedBudget(store, 'cfg/ex/rate', {}, () => now);
    // 500 requests, one every 20 ms of the budget's clock: ten seconds of sending.
    for (let i = 0; i < 500; i++) {
      const leave = await budget.enter();
      now += 20;
      leave();
    }
    await budget.close();
    expect(store.calls.length).toBe(0);
  });

  test('still waits out a pause its own process met', async () => {
    const store = new CountingStore();
    const budget = new SharedBudget(store, 'cfg/ex/rate', {});
    const pausedUntil = Date.now() + 300;
    budget.slowDown(pausedUntil);
    await budget.enter();
    expect(Date.now()).toBeGreaterThanOrEqual(pausedUntil);
  });
});

describe('the gates of a config without requests_per_second', () => {
  /** One process's gates, as the run session builds them: pages and details in flight, one upstream. */
  const gatesOf = (store: RateBudgetStore) => {
    const upstream = new SharedBudget(store, 'cfg/ex/rate', {});
    const pages = new SharedBudget(store, 'cfg/ex/pages', { inFlight: 2 });
    const details = new SharedBudget(store, 'cfg/ex/details', { inFlight: 4 });
    return {
      pages: budgetGate(pages, upstream),
      details: budgetGate(details, upstream),
      close: () => Promise.all([upstream, pages, details].map((b) => b.close())),
    };
  };

  test('never touch the rate record while no upstream asks to slow down', async () => {
    const store = new CountingStore();
    const gates = gatesOf(store);
    // Long enough for the old budget to read the rate record at least twice (every 250 ms).
    const end = Date.now() + 1_000;
    while (Date.now() < end) {
      const leave = await gates.details.enter();
      await new Promise((resolve) => setTimeout(resolve, 20));
      leave();
    }
    await gates.close();
    expect(store.count('cfg/ex/rate')).toBe(0);
    expect(store.count('cfg/ex/details')).toBeGreaterThan(0);
  });

  test("a 429 one process meets on a page pauses another process's detail requests", async () => {
    const store = new MemoryRateBudgetStore();
    const one = gatesOf(store);
    const other = gatesOf(store);
    const entries: number[] = [];
    let pausedUntil = Number.POSITIVE_INFINITY;
    let stop = false;
    // The other process sends details one after another, holding its in-flight share.
    const sending = (async () => {
      while (!stop) {
        const leave = await other.details.enter();
        entries.push(Date.now());
        await new Promise((resolve) => setTimeout(resolve, 20));
        leave();
        if (Date.now() > pausedUntil + 200) stop = true;
      }
    })();
    try {
      await until(() => entries.length >= 5, 'the other process sending');
      const at = Date.now();
      pausedUntil = at + 6_000;
      one.pages.slowDown(pausedUntil);
      await sending;
      // It learns of the pause at its next exchange with the store (a lease renewal, every
      // 2 s while it sends) and sends nothing more until the pause is over.
      expect(entries.filter((t) => t > at + 3_000 && t < pausedUntil)).toEqual([]);
      expect(entries.filter((t) => t >= pausedUntil).length).toBeGreaterThan(0);
    } finally {
      stop = true;
      await Promise.all([one.close(), other.close()]);
    }
  });
});

describe('an in-flight share', () => {
  test('is sized to every waiting sender in one claim when the limit allows', async () => {
    const store = new CountingStore();
    const budget = new SharedBudget(store, 'cfg/ex/pages', { inFlight: 8 });
    try {
      // A first request, and its share given back when idle: the record is known here.
      (await budget.enter())();
      await until(() => store.count('cfg/ex/pages', 'write') === 2, 'the share given back');
      const before = store.count('cfg/ex/pages', 'write');
      const leaves = await Promise.all(Array.from({ length: 5 }, () => budget.enter()));
      expect(store.count('cfg/ex/pages', 'write') - before).toBe(1);
      const record = await store.read('cfg/ex/pages');
      expect(Object.values(record!.state.holders).map((h) => h.slots)).toEqual([5]);
      leaves.forEach((leave) => leave());
    } finally {
      await budget.close();
    }
  });

  test('grows at once for senders that arrive while a claim is on its way', async () => {
    const store = new CountingStore();
    const budget = new SharedBudget(store, 'cfg/ex/pages', { inFlight: 8 });
    const leaves: Array<() => void> = [];
    try {
      const held = store.hold();
      const first = budget.enter();
      await held.reached;
      // From here no timer fires: senders that wait for a slot to come back, or for the
      // lease's renewal, wait for ever.
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'], now: Date.now() });
      try {
        // Four more senders arrive while the first claim (made for one) is being written.
        const more = Array.from({ length: 4 }, () => budget.enter());
        let entered = 0;
        more.forEach((p) => void p.then(() => entered++));
        held.release();
        leaves.push(await first);
        for (let turn = 0; turn < 500 && entered < 4; turn++)
          await new Promise((resolve) => setImmediate(resolve));
        // They get their slots from a second claim made at once.
        expect(entered).toBe(4);
        leaves.push(...(await Promise.all(more)));
      } finally {
        jest.useRealTimers();
      }
      expect(store.count('cfg/ex/pages', 'write')).toBe(2);
      leaves.forEach((leave) => leave());
    } finally {
      await budget.close();
    }
  });
});
