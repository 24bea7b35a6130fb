/**
 * The page window and the response budget: pages received ahead of a slow earlier
 * page keep their memory reserved until they are handed over, so the window cannot
 * pile up parsed pages outside the budget whatever `pages_in_flight` is.
 */
import { pageStream } from '../../shared/extract/pageStream';
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
  return { status: 200, headers: {}, bodyText: '', body: undefined, records: [index], url: `/p/${index}` };
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
