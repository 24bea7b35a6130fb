/**
 * The page window and the response budget: pages received ahead of a slow earlier
 * page keep their memory reserved until they are handed over, so the window cannot
 * pile up parsed pages outside the budget whatever `pages_in_flight` is.
 */
import { followingCursor, isWindowed, openingCursors, pageStream } from '../../shared/extract/pageStream';
import type { PageCursor, PageView, Paginator } from '../../shared/extract/pagination';
import { MEMORY_PER_BODY_BYTE, type PageHold, ResponseBudget } from '../../shared/extract/responseBudget';

const M = MEMORY_PER_BODY_BYTE;
const PAGE_BYTES = 5;

/** Sequential pages 0..lastIndex, `inFlight` at once. */
function paginator(inFlight: number, lastIndex: number): Paginator {
  const at = (index: number): PageCursor => ({ index, query: { page: String(index + 1) } });
  return {
    maxPages: 100,
    pagesInFlight: inFlight,
    followsUpstream: false,
    first: () => at(0),
    at,
    decide: (cursor) => ({ last: cursor.index === lastIndex, next: at(cursor.index + 1) }),
  };
}

function view(index: number): PageView {
  return { status: 200, headers: {}, blankBody: true, body: undefined, records: [index], url: `/p/${index}` };
}

/** A page fetch that reserves its body from the budget, as the transport and PageFetcher do. */
function budgetedFetch(budget: ResponseBudget, gates: Map<number, Promise<void>>, received: number[]) {
  return async (cursor: PageCursor, signal: AbortSignal, hold?: PageHold): Promise<PageView> => {
    const reservation = budget.open({ prefetch: hold?.prefetch });
    hold?.attach(reservation);
    try {
      await gates.get(cursor.index);
      await reservation.reserve(PAGE_BYTES, signal);
    } catch (err) {
      reservation.release();
      throw err;
    }
    received.push(cursor.index);
    // Without a hold the body is released once parsed, as PageFetcher does.
    if (!hold) reservation.release();
    return view(cursor.index);
  };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test('pages ahead of a slow page stay reserved until handed over; the rest wait, and all arrive in order', async () => {
  // Limit 10 bytes (claim 30), budget 60: prefetched pages may hold 30, two pages of 5 bytes.
  const budget = new ResponseBudget({ budgetBytes: 60, maxResponseBytes: 10 });
  let openFirst!: () => void;
  const gates = new Map([[0, new Promise<void>((resolve) => (openFirst = resolve))]]);
  const received: number[] = [];
  const pages: number[] = [];
  const consumed = (async () => {
    for await (const page of pageStream(paginator(8, 7), budgetedFetch(budget, gates, received)))
      pages.push(page.records[0] as number);
  })();

  await until(() => budget.stats().waiting === 5, 'five prefetched pages to wait for memory');
  expect(received).toEqual([1, 2]);
  expect(budget.stats()).toMatchObject({ reserved: 2 * PAGE_BYTES * M, prefetched: 2 * PAGE_BYTES * M });

  openFirst();
  await consumed;
  expect(pages).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  expect(budget.stats()).toMatchObject({ reserved: 0, holders: 0, waiting: 0, prefetched: 0 });
  expect(budget.stats().highWater).toBeLessThanOrEqual(60);
});

test('pages past the end and a failed stream give back every reservation', async () => {
  const budget = new ResponseBudget({ budgetBytes: 120, maxResponseBytes: 10 });
  const received: number[] = [];
  const pages: number[] = [];
  for await (const page of pageStream(paginator(8, 2), budgetedFetch(budget, new Map(), received)))
    pages.push(page.records[0] as number);
  expect(pages).toEqual([0, 1, 2]);
  expect(budget.stats()).toMatchObject({ reserved: 0, holders: 0, waiting: 0, prefetched: 0 });

  const failing = async (cursor: PageCursor, signal: AbortSignal, hold?: PageHold): Promise<PageView> => {
    if (cursor.index === 1) throw new Error('HTTP 500');
    return budgetedFetch(budget, new Map(), [])(cursor, signal, hold);
  };
  await expect(
    (async () => {
      for await (const _ of pageStream(paginator(8, 7), failing));
    })(),
  ).rejects.toThrow('HTTP 500');
  expect(budget.stats()).toMatchObject({ reserved: 0, holders: 0, waiting: 0, prefetched: 0 });
});

describe('the page window', () => {
  /** A serial paginator: no `at`, one page at a time. */
  const serial: Paginator = {
    maxPages: 100,
    pagesInFlight: 1,
    followsUpstream: true,
    first: () => ({ index: 0 }),
    decide: () => ({ last: false }),
  };

  test('a serial pagination opens with its first page and follows the upstream', () => {
    expect(openingCursors(serial)).toEqual([{ index: 0 }]);
    expect(followingCursor(serial, 3, { index: 4, url: 'https://up/next' })).toEqual({
      index: 4,
      url: 'https://up/next',
    });
    expect(followingCursor(serial, 3, undefined)).toBeUndefined();
  });

  test('a window opens with pagesInFlight pages and each answered page moves its slot that far ahead', () => {
    const windowed = paginator(3, 99);
    expect(openingCursors(windowed).map((c) => c.index)).toEqual([0, 1, 2]);
    // The upstream's own next is ignored: the window addresses pages directly.
    expect(followingCursor(windowed, 0, { index: 1 })?.index).toBe(3);
    expect(followingCursor(windowed, 5, undefined)?.index).toBe(8);
  });

  test('the window never opens or moves past max_pages', () => {
    const small = { ...paginator(8, 99), maxPages: 5 };
    expect(openingCursors(small).map((c) => c.index)).toEqual([0, 1, 2, 3, 4]);
    expect(followingCursor(small, 0, undefined)).toBeUndefined();
    const wider = { ...paginator(2, 99), maxPages: 5 };
    expect(followingCursor(wider, 2, undefined)?.index).toBe(4);
    expect(followingCursor(wider, 3, undefined)).toBeUndefined();
  });

  test('one page in flight is not a window, even where pages can be addressed', () => {
    expect(isWindowed(paginator(1, 9))).toBe(false);
    expect(isWindowed(paginator(2, 9))).toBe(true);
    expect(isWindowed({ ...serial, pagesInFlight: 4 })).toBe(false);
  });
});

describe('one page in flight', () => {
  /** Fetches that record when each request starts and ends; pages answer at once. */
  function tracedFetch(budget: ResponseBudget, log: string[]) {
    let open = 0;
    let most = 0;
    const fetch = async (cursor: PageCursor, signal: AbortSignal, hold?: PageHold): Promise<PageView> => {
      open++;
      most = Math.max(most, open);
      log.push(`request ${cursor.index}`);
      try {
        return await budgetedFetch(budget, new Map(), [])(cursor, signal, hold);
      } finally {
        open--;
      }
    };
    return { fetch, mostAtOnce: () => most };
  }

  test('the next page is requested before this one is handed over: one request at a time, in order', async () => {
    const budget = new ResponseBudget({ budgetBytes: 120, maxResponseBytes: 10 });
    const log: string[] = [];
    const traced = tracedFetch(budget, log);
    for await (const page of pageStream(paginator(1, 3), traced.fetch)) {
      log.push(`consume ${page.records[0] as number}`);
      // Wait for the request sent ahead to answer: the consumer is slower than the upstream.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(log).toEqual([
      'request 0',
      'request 1',
      'consume 0',
      'request 2',
      'consume 1',
      'request 3',
      'consume 2',
      'consume 3',
    ]);
    expect(traced.mostAtOnce()).toBe(1);
    expect(budget.stats()).toMatchObject({ reserved: 0, holders: 0, waiting: 0, prefetched: 0 });
  });

  test('a consumer that stops gives back the memory of the page requested ahead', async () => {
    const budget = new ResponseBudget({ budgetBytes: 120, maxResponseBytes: 10 });
    const traced = tracedFetch(budget, []);
    for await (const page of pageStream(paginator(1, 7), traced.fetch)) {
      await until(() => budget.stats().reserved === PAGE_BYTES * M, 'the page ahead to arrive');
      if (page.records[0] === 1) break;
    }
    expect(budget.stats()).toMatchObject({ reserved: 0, holders: 0, waiting: 0, prefetched: 0 });
  });

  test('a request that repeats an earlier one is never sent; the page before it is still handed over', async () => {
    const sent: number[] = [];
    const looping: Paginator = { ...paginator(1, 7), followsUpstream: true };
    const pages: number[] = [];
    const stream = pageStream(
      looping,
      async (cursor) => {
        sent.push(cursor.index);
        return view(cursor.index);
      },
      undefined,
      // Page 3 (index 2) points back to page 1.
      (cursor) => `/p/${cursor.index === 2 ? 0 : cursor.index}`,
    );
    await expect(
      (async () => {
        for await (const page of stream) pages.push(page.records[0] as number);
      })(),
    ).rejects.toThrow('pagination loops: page 3 would repeat the request of page 1 (/p/0)');
    expect(pages).toEqual([0, 1]);
    expect(sent).toEqual([0, 1]);
  });
});

describe('a window refills a slot when its page arrives', () => {
  /** Fetches that answer when their gate opens (at once without one), recording each request. */
  function gatedFetch(budget: ResponseBudget) {
    const gates = new Map<number, () => void>();
    const opened = new Map<number, Promise<void>>();
    const gate = (index: number): Promise<void> => {
      let promise = opened.get(index);
      if (!promise) {
        promise = new Promise<void>((resolve) => gates.set(index, resolve));
        opened.set(index, promise);
      }
      return promise;
    };
    const requested: number[] = [];
    const received: number[] = [];
    const fetch = budgetedFetch(budget, opened, received);
    return {
      requested,
      received,
      /** Requests of pages in `held` wait until `open(index)`. */
      hold: (...indexes: number[]) => indexes.forEach(gate),
      open: (index: number) => {
        gate(index);
        gates.get(index)!();
      },
      fetch: (cursor: PageCursor, signal: AbortSignal, hold?: PageHold): Promise<PageView> => {
        requested.push(cursor.index);
        return fetch(cursor, signal, hold);
      },
    };
  }

  test('a page that arrives while the consumer is busy frees its slot at once; it is handed over in order, still reserved', async () => {
    const budget = new ResponseBudget({ budgetBytes: 600, maxResponseBytes: 10 });
    const traced = gatedFetch(budget);
    traced.hold(1, 2, 3, 4, 5, 6, 7);
    const stream = pageStream(paginator(2, 7), traced.fetch);

    const first = await stream.next();
    expect(first.value?.records).toEqual([0]);
    // Page 0 answered: its slot went to page 2. The consumer is now busy with page 0.
    expect(traced.requested).toEqual([0, 1, 2]);
    traced.open(1);
    // Page 1 answered: its slot goes to page 3 without waiting for the consumer.
    await until(() => traced.requested.includes(3), 'page 3 to be requested');
    expect(traced.requested).toEqual([0, 1, 2, 3]);
    // Page 1 waits for the consumer with its memory reserved.
    expect(budget.stats().reserved).toBe(PAGE_BYTES * M);

    const pages = [first.value!.records[0] as number];
    for (const index of [2, 3, 4, 5, 6, 7]) traced.open(index);
    for (let next = await stream.next(); !next.done; next = await stream.next())
      pages.push(next.value.records[0] as number);
    expect(pages).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Page 7 is the last: page 8 (page 6's slot) was requested ahead, as before, and nothing after it.
    expect(traced.requested).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(budget.stats()).toMatchObject({ reserved: 0, holders: 0, waiting: 0, prefetched: 0 });
  });

  test('a consumer that takes no pages has at most twice pagesInFlight pages requested ahead of it', async () => {
    const budget = new ResponseBudget({ budgetBytes: 600, maxResponseBytes: 10 });
    const traced = gatedFetch(budget);
    const stream = pageStream(paginator(2, 99), traced.fetch);
    expect((await stream.next()).value?.records).toEqual([0]);
    // Every request answers at once; none is taken.
    await until(
      () => traced.requested.length >= 5 && traced.received.length === traced.requested.length,
      'the pages requested ahead to arrive',
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(traced.requested).toEqual([0, 1, 2, 3, 4]);
    expect(budget.stats().reserved).toBe(4 * PAGE_BYTES * M);

    // Taking a page lets one more be requested.
    expect((await stream.next()).value?.records).toEqual([1]);
    await until(() => traced.requested.length === 6, 'page 5 to be requested');
    await stream.return(undefined);
    expect(budget.stats()).toMatchObject({ reserved: 0, holders: 0, waiting: 0, prefetched: 0 });
  });

  test('pages that arrive after the consumer stopped request nothing more', async () => {
    const budget = new ResponseBudget({ budgetBytes: 600, maxResponseBytes: 10 });
    const traced = gatedFetch(budget);
    traced.hold(1, 2, 3);
    const stream = pageStream(paginator(3, 99), traced.fetch);
    expect((await stream.next()).value?.records).toEqual([0]);
    await stream.return(undefined);
    for (const index of [1, 2, 3]) traced.open(index);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(traced.requested).toEqual([0, 1, 2, 3]);
    expect(budget.stats()).toMatchObject({ reserved: 0, holders: 0, waiting: 0, prefetched: 0 });
  });

  test('a failed page is reported after the pages before it, and its slot is not refilled', async () => {
    const budget = new ResponseBudget({ budgetBytes: 600, maxResponseBytes: 10 });
    const traced = gatedFetch(budget);
    traced.hold(0);
    const failing = (cursor: PageCursor, signal: AbortSignal, hold?: PageHold): Promise<PageView> =>
      cursor.index === 1
        ? (traced.requested.push(1), Promise.reject(new Error('HTTP 500')))
        : traced.fetch(cursor, signal, hold);
    const pages: number[] = [];
    const consumed = (async () => {
      for await (const page of pageStream(paginator(3, 99), failing)) pages.push(page.records[0] as number);
    })();
    await until(() => traced.received.includes(2), 'page 2 to arrive');
    traced.open(0);
    await expect(consumed).rejects.toThrow('HTTP 500');
    expect(pages).toEqual([0]);
    // Page 0's slot went to page 3; page 1 failed, so neither its slot nor page 2's moved.
    expect(traced.requested).toEqual([0, 1, 2, 3]);
    expect(budget.stats()).toMatchObject({ reserved: 0, holders: 0, waiting: 0, prefetched: 0 });
  });
});
