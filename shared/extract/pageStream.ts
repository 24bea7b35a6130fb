/**
 * Walks a paginator, yielding pages in page order. Sequential pagination may keep
 * several pages in flight: page n+k is requested before page n answers. The first
 * page that says "no more" fixes the end; pages past it are aborted and discarded,
 * errors included. A page received ahead of an earlier one keeps its body's memory
 * reserved (a prefetch, see PageHold) until it is handed over, so pages waiting in the
 * window count against the response budget whatever `pages_in_flight` is.
 */
import { settleLater } from './concurrency';
import type { PageCursor, PageView, Paginator } from './pagination';
import { PaginationLimitError, PaginationLoopError, requestDigest } from './paginationErrors';
import { PageHold } from './responseBudget';

/** Whether pages are requested ahead, a window of `pagesInFlight` of them at a time. */
export function isWindowed(paginator: Paginator): paginator is Paginator & { at(index: number): PageCursor } {
  return paginator.at !== undefined && paginator.pagesInFlight > 1;
}

/** The cursors requested before any page answers: the first page, or the whole first window. */
export function openingCursors(paginator: Paginator): PageCursor[] {
  if (!isWindowed(paginator)) return [paginator.first()];
  const count = Math.min(paginator.pagesInFlight, paginator.maxPages);
  return Array.from({ length: count }, (_, i) => paginator.at(i));
}

/**
 * The page requested once page `index` has answered and was not the last: in a window,
 * this page's slot moves `pagesInFlight` ahead (none past max_pages); otherwise the
 * page that the answer points to.
 */
export function followingCursor(
  paginator: Paginator,
  index: number,
  next: PageCursor | undefined,
): PageCursor | undefined {
  if (!isWindowed(paginator)) return next;
  const ahead = index + paginator.pagesInFlight;
  return ahead < paginator.maxPages ? paginator.at(ahead) : undefined;
}

export type FetchPage = (cursor: PageCursor, signal: AbortSignal, hold?: PageHold) => Promise<PageView>;

/**
 * `requestUrl` (the URL a cursor would request) turns on loop detection for paginations
 * that follow the upstream's links or cursors: a page whose request repeats an earlier
 * page's fails the stream before it is sent.
 */
export async function* pageStream(
  paginator: Paginator,
  fetch: FetchPage,
  outer?: AbortSignal,
  requestUrl?: (cursor: PageCursor) => string,
): AsyncGenerator<PageView> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort, { once: true });
  try {
    if (isWindowed(paginator)) yield* windowed(paginator, fetch, controller.signal);
    else yield* serial(paginator, fetch, controller.signal, requestUrl);
  } finally {
    outer?.removeEventListener('abort', onAbort);
    controller.abort(new Error('pagination finished'));
  }
}

/**
 * One request at a time, in page order. Once a page has answered and says which page
 * comes next, that request is sent before the page is handed over, so the upstream
 * answers it while this page is mapped and written (the same requests in the same
 * order, never two at once). A page waiting to be handed over keeps its body reserved
 * (a promoted PageHold), as in a window. A request that repeats an earlier one is not
 * sent, and the stream fails once the page before it has been handed over.
 */
async function* serial(
  paginator: Paginator,
  fetch: FetchPage,
  signal: AbortSignal,
  requestUrl?: (cursor: PageCursor) => string,
): AsyncGenerator<PageView> {
  const requested = new Map<string, number>();
  const checkLoop = (cursor: PageCursor): void => {
    if (!requestUrl || !paginator.followsUpstream) return;
    const url = requestUrl(cursor);
    const digest = requestDigest(url);
    const earlier = requested.get(digest);
    if (earlier !== undefined) throw new PaginationLoopError(cursor.index, earlier, url);
    requested.set(digest, cursor.index);
  };
  const request = (cursor: PageCursor): { page: Promise<PageView>; hold: PageHold } => {
    const hold = new PageHold();
    hold.promote();
    return { page: settleLater(fetch(cursor, signal, hold)), hold };
  };
  let cursor: PageCursor | undefined = paginator.first();
  checkLoop(cursor);
  let inFlight: { page: Promise<PageView>; hold: PageHold } | undefined = request(cursor);
  try {
    while (cursor && inFlight) {
      let page: PageView;
      try {
        page = await inFlight.page;
      } finally {
        // Handed over (or failed): its memory goes back.
        inFlight.hold.release();
        inFlight = undefined;
      }
      const decision = paginator.decide(cursor, page);
      if (!decision.last && cursor.index + 1 >= paginator.maxPages)
        throw new PaginationLimitError(paginator.maxPages);
      const next = decision.last ? undefined : decision.next;
      let loop: unknown;
      if (next) {
        try {
          checkLoop(next);
          inFlight = request(next);
        } catch (err) {
          loop = err;
        }
      }
      yield page;
      if (loop !== undefined) throw loop;
      cursor = next;
    }
  } finally {
    // A request sent ahead of a consumer that stopped: pageStream aborts it; its memory goes back.
    inFlight?.hold.release();
  }
}

/**
 * Pages requested `pagesInFlight` at a time, handed over in page order. Answers are
 * decided in page order as soon as they arrive, not when the consumer takes them: once
 * a page and every page before it have answered, its slot goes to the page
 * `pagesInFlight` ahead at once, while the page waits for the consumer with its body
 * still reserved (a waiting page past the oldest is a prefetch). At most twice
 * `pagesInFlight` pages are requested ahead of the page the consumer took last; a slot
 * whose refill would go further is refilled when the consumer takes a page. A failed
 * page, or one that cannot be decided, is reported after the pages before it and
 * refills nothing; nothing is requested once the consumer has stopped.
 */
async function* windowed(
  paginator: Paginator & { at(index: number): PageCursor },
  fetch: FetchPage,
  signal: AbortSignal,
): AsyncGenerator<PageView> {
  interface Slot {
    hold: PageHold;
    /** The page and whether it is the last, once it and every page before it have answered. */
    outcome: Promise<{ page: PageView; last: boolean }>;
  }
  const slots: Slot[] = [];
  const ahead = 2 * paginator.pagesInFlight;
  /** Index of the next page to request. */
  let requested = 0;
  /** Pages decided as not the last, all before any last or failed one. */
  let decided = 0;
  /** Pages handed over (or failed while being taken). */
  let taken = 0;
  /** The end is known, a page failed, or the consumer has stopped: no more requests. */
  let stopped = false;
  /** The outcome of the page requested last: each page is decided after the one before it. */
  let previous: Promise<unknown> = Promise.resolve();

  const decide = (cursor: PageCursor, page: PageView): { page: PageView; last: boolean } => {
    const decision = paginator.decide(cursor, page);
    if (decision.last) {
      stopped = true;
      return { page, last: true };
    }
    if (cursor.index + 1 >= paginator.maxPages) throw new PaginationLimitError(paginator.maxPages);
    decided = cursor.index + 1;
    fill();
    return { page, last: false };
  };
  const fail = (err: unknown): never => {
    stopped = true;
    throw err;
  };
  const request = (cursor: PageCursor): void => {
    const hold = new PageHold();
    // The oldest page not handed over waits for nothing but its own bytes.
    if (slots.length === 0) hold.promote();
    const page = settleLater(fetch(cursor, signal, hold));
    // A failure before this page fails this one too (it is never taken).
    const outcome = settleLater(
      previous
        .then(() => page)
        .then((answered) => decide(cursor, answered))
        .catch(fail),
    );
    previous = outcome;
    slots.push({ hold, outcome });
  };
  /** Requests the pages the decided ones free slots for, within `ahead` of the consumer. */
  const fill = (): void => {
    if (stopped) return;
    const wanted = Math.min(decided + paginator.pagesInFlight, paginator.maxPages);
    while (requested < wanted && requested - taken < ahead) request(paginator.at(requested++));
  };

  try {
    for (const cursor of openingCursors(paginator)) {
      request(cursor);
      requested = cursor.index + 1;
    }
    for (;;) {
      const head = slots.shift();
      if (!head) throw new PaginationLimitError(paginator.maxPages);
      let outcome: { page: PageView; last: boolean };
      try {
        outcome = await head.outcome;
      } finally {
        // Handed over (or failed): its memory goes back, and the next page is the oldest.
        head.hold.release();
        slots[0]?.hold.promote();
      }
      if (outcome.last) {
        yield outcome.page;
        return;
      }
      taken++;
      // A slot held back by the limit ahead of the consumer.
      fill();
      yield outcome.page;
    }
  } finally {
    // Pages past the end, or after a failure or a stop: discarded with their memory.
    stopped = true;
    for (const entry of slots) entry.hold.release();
  }
}
