/** The process-wide response memory budget: reservations, waiting, release, fairness, no deadlock. */
import {
  MEMORY_PER_BODY_BYTE,
  ResponseBudget,
  ResponseBudgetSettingsError,
} from '../../shared/extract/responseBudget';

const M = MEMORY_PER_BODY_BYTE;

/** Whether a promise has settled, observed after the microtask queue drains. */
async function state(promise: Promise<unknown>): Promise<'pending' | 'resolved' | 'rejected'> {
  let result: 'pending' | 'resolved' | 'rejected' = 'pending';
  promise.then(
    () => (result = 'resolved'),
    () => (result = 'rejected'),
  );
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return result;
}

describe('ResponseBudget', () => {
  test('grants within the budget at once and counts what is held', async () => {
    const budget = new ResponseBudget({ budgetBytes: 100 * M, maxResponseBytes: 50 });
    const a = budget.open();
    await a.reserve(10);
    await a.reserve(15);
    expect(a.held).toBe(25 * M);
    expect(budget.stats()).toEqual({
      reserved: 25 * M,
      highWater: 25 * M,
      holders: 1,
      waiting: 0,
      waited: 0,
      prefetched: 0,
    });
    a.release();
    a.release();
    expect(budget.stats()).toEqual({
      reserved: 0,
      highWater: 25 * M,
      holders: 0,
      waiting: 0,
      waited: 0,
      prefetched: 0,
    });
  });

  test('a reservation that does not fit waits until another releases', async () => {
    const budget = new ResponseBudget({ budgetBytes: 100 * M, maxResponseBytes: 50 });
    const a = budget.open();
    const b = budget.open();
    await a.reserve(50);
    await b.reserve(40);
    const c = budget.open();
    const waiting = c.reserve(20);
    expect(await state(waiting)).toBe('pending');
    expect(budget.stats()).toMatchObject({ waiting: 1, waited: 1 });
    a.release();
    expect(await state(waiting)).toBe('resolved');
    expect(budget.stats()).toMatchObject({ reserved: 60 * M, waiting: 0 });
    expect(budget.stats().highWater).toBeLessThanOrEqual(100 * M);
  });

  test('half-received bodies cannot deadlock: a grant that would strand every holder waits', async () => {
    // Budget 100, limit 50. A and B hold 30 each. Granting C 30 would leave 10 free
    // while A, B and C may each need 20 more: all three would wait forever.
    const budget = new ResponseBudget({ budgetBytes: 100 * M, maxResponseBytes: 50 });
    const a = budget.open();
    const b = budget.open();
    const c = budget.open();
    await a.reserve(30);
    await b.reserve(30);
    const cWaits = c.reserve(30);
    expect(await state(cWaits)).toBe('pending');
    // A and B can both receive their whole limit, and C still waits.
    await a.reserve(20);
    await b.reserve(20);
    expect(await state(cWaits)).toBe('pending');
    a.release();
    expect(await state(cWaits)).toBe('resolved');
    expect(budget.stats().reserved).toBe(80 * M);
    expect(budget.stats().highWater).toBeLessThanOrEqual(100 * M);
  });

  test('a grant that would strand every holder waits, and the largest holder still gets through', async () => {
    const budget = new ResponseBudget({ budgetBytes: 100 * M, maxResponseBytes: 50 });
    const a = budget.open();
    const b = budget.open();
    await a.reserve(40);
    await b.reserve(20);
    // C (new) asks 35: 5 would stay free, but A may still need 10: refused for now.
    const c = budget.open();
    const cWaits = c.reserve(35);
    expect(await state(cWaits)).toBe('pending');
    // A, the largest holder, asks after C and is served at once (nobody can block it).
    await a.reserve(10);
    expect(a.held).toBe(50 * M);
    // B asks 30: it would hold 50 and leave 0 free; A (50) needs 0: allowed, and C still waits.
    expect(await state(b.reserve(30))).toBe('resolved');
    expect(await state(cWaits)).toBe('pending');
    a.release();
    b.release();
    expect(await state(cWaits)).toBe('resolved');
    expect(budget.stats().highWater).toBeLessThanOrEqual(100 * M);
  });

  test('waiters are served first come, first served', async () => {
    const budget = new ResponseBudget({ budgetBytes: 40 * M, maxResponseBytes: 20 });
    const holder = budget.open();
    await holder.reserve(20);
    await budget.open().reserve(20);
    const order: string[] = [];
    const x = budget.open();
    const y = budget.open();
    const xWaits = x.reserve(20).then(() => order.push('x'));
    const yWaits = y.reserve(20).then(() => order.push('y'));
    await state(xWaits);
    expect(order).toEqual([]);
    holder.release();
    await state(yWaits);
    // Only one fits: the first to ask.
    expect(order).toEqual(['x']);
    x.release();
    await yWaits;
    expect(order).toEqual(['x', 'y']);
  });

  test('an aborted wait leaves the queue and holds nothing more', async () => {
    const budget = new ResponseBudget({ budgetBytes: 30 * M, maxResponseBytes: 10 });
    const full = [budget.open(), budget.open(), budget.open()];
    for (const r of full) await r.reserve(10);
    const late = budget.open();
    await late.reserve(0);
    const controller = new AbortController();
    const waits = late.reserve(5, controller.signal);
    expect(budget.stats().waiting).toBe(1);
    controller.abort(new Error('run cancelled'));
    await expect(waits).rejects.toThrow('run cancelled');
    expect(budget.stats()).toMatchObject({ waiting: 0, reserved: 30 * M });
    late.release();
    for (const r of full) r.release();
    expect(budget.stats()).toMatchObject({ reserved: 0, holders: 0, waiting: 0 });
  });

  test('releasing a reservation that is waiting fails the wait and frees what it held', async () => {
    const budget = new ResponseBudget({ budgetBytes: 30 * M, maxResponseBytes: 10 });
    const [a, b, c, d] = [budget.open(), budget.open(), budget.open(), budget.open()];
    await a.reserve(10);
    await b.reserve(10);
    await c.reserve(5);
    await d.reserve(5);
    const cWaits = c.reserve(5);
    const e = budget.open();
    const eWaits = e.reserve(5);
    expect(await state(eWaits)).toBe('pending');
    c.release();
    await expect(cWaits).rejects.toThrow('released while waiting');
    expect(await state(eWaits)).toBe('resolved');
    for (const r of [a, b, d, e]) r.release();
    expect(budget.stats()).toMatchObject({ reserved: 0, holders: 0, waiting: 0 });
  });

  test('a reservation past the per-response limit is refused, never queued', async () => {
    const budget = new ResponseBudget({ budgetBytes: 30 * M, maxResponseBytes: 10 });
    const a = budget.open();
    await a.reserve(10);
    await expect(a.reserve(1)).rejects.toThrow(RangeError);
    expect(budget.stats().waiting).toBe(0);
  });

  test('many concurrent bodies growing in small steps all finish and never exceed the budget', async () => {
    const budget = new ResponseBudget({ budgetBytes: 64 * M, maxResponseBytes: 32 });
    // 12 bodies of 32 bytes each, received one byte per step, interleaved: 384 bytes
    // would be held at once without the budget.
    const bodies = Array.from({ length: 12 }, async () => {
      const r = budget.open();
      for (let i = 0; i < 32; i++) {
        await r.reserve(1);
        await Promise.resolve();
      }
      r.release();
      return r.held;
    });
    const held = await Promise.all(bodies);
    expect(held).toEqual(Array(12).fill(32 * M));
    expect(budget.stats()).toMatchObject({ reserved: 0, holders: 0, waiting: 0 });
    expect(budget.stats().highWater).toBeLessThanOrEqual(64 * M);
    expect(budget.stats().highWater).toBeGreaterThanOrEqual(32 * M);
  });

  test('prefetched pages hold at most the budget less one claim, and an ordinary body still gets a whole claim', async () => {
    // Budget 40, limit 30 (claims of 30 body bytes): prefetched pages may hold 10 in all.
    const budget = new ResponseBudget({ budgetBytes: 40 * M, maxResponseBytes: 30 });
    const p1 = budget.open({ prefetch: true });
    const p2 = budget.open({ prefetch: true });
    await p1.reserve(6);
    const p2Waits = p2.reserve(6);
    expect(await state(p2Waits)).toBe('pending');
    expect(budget.stats()).toMatchObject({ prefetched: 6 * M, waiting: 1 });
    // An ordinary body receives its whole limit beside them.
    const head = budget.open();
    for (let i = 0; i < 30; i++) await head.reserve(1);
    expect(head.held).toBe(30 * M);
    head.release();
    // Promoted (the pages before it were taken), p1 is ordinary: p2 now fits.
    p1.promote();
    expect(await state(p2Waits)).toBe('resolved');
    expect(budget.stats()).toMatchObject({ prefetched: 6 * M, reserved: 12 * M });
    p1.release();
    p2.release();
    expect(budget.stats()).toMatchObject({ reserved: 0, prefetched: 0, holders: 0 });
  });

  test('a promoted page that waits while holding memory is served once it is the largest holder', async () => {
    const budget = new ResponseBudget({ budgetBytes: 40 * M, maxResponseBytes: 30 });
    const page = budget.open({ prefetch: true });
    await page.reserve(9);
    const rest = page.reserve(3);
    expect(await state(rest)).toBe('pending');
    const other = budget.open();
    await other.reserve(1);
    page.promote();
    expect(await state(rest)).toBe('resolved');
    await page.reserve(18);
    expect(page.held).toBe(30 * M);
    page.release();
    other.release();
    expect(budget.stats()).toMatchObject({ reserved: 0, prefetched: 0, holders: 0, waiting: 0 });
  });

  test('a budget smaller than one response of the largest size is refused with the variable names', () => {
    expect(
      () => new ResponseBudget({ budgetBytes: 10 * 1024 * 1024, maxResponseBytes: 8 * 1024 * 1024 }),
    ).toThrow(ResponseBudgetSettingsError);
    expect(
      () => new ResponseBudget({ budgetBytes: 10 * 1024 * 1024, maxResponseBytes: 8 * 1024 * 1024 }),
    ).toThrow(/RESPONSE_MEMORY_BUDGET_MB \(10 MB\) must be at least 3 times RESPONSE_MAX_BODY_MB \(8 MB\)/);
  });
});
