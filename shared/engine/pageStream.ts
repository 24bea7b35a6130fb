/**
 * Walks a paginator, yielding pages in page order. Sequential pagination may keep
 * several pages in flight: page n+k is requested before page n answers. The first
 * page that says "no more" fixes the end; pages past it are aborted and discarded,
 * errors included. A page received ahead of an earlier one keeps its body's memory
 * reserved (a prefetch, see PageHold) until it is handed over, so pages waiting in the
 * window count against the response budget whatever `pages_in_flight` is.
 */
import { createHash } from 'node:crypto';
import type { PageCursor, PageView, Paginator } from '../extract/pagination';
import { PageHold } from '../extract/responseBudget';
import { settleLater } from './concurrency';

export class PaginationLimitError extends Error {
  constructor(maxPages: number) {
    super(
      `pagination did not end within max_pages (${maxPages}); raise pagination.parameters.max_pages if this is expected`,
    );
    this.name = 'PaginationLimitError';
  }
}

/** A following pagination asked for a page it already had: it would never end. */
export class PaginationLoopError extends Error {
  constructor(index: number, earlier: number, url: string) {
    super(
      `pagination loops: page ${index + 1} would repeat the request of page ${earlier + 1} (${url}); the upstream's next link or cursor points back`,
    );
    this.name = 'PaginationLoopError';
  }
}

/** What identifies a page's request (a digest: URLs may carry secrets). */
export function requestDigest(url: string): string {
  // 128 bits of SHA-256: collisions are out of reach at any max_pages, and a million fit in ~40 MB.
  return createHash('sha256').update(url).digest().subarray(0, 16).toString('base64url');
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
    if (paginator.at && paginator.pagesInFlight > 1)
      yield* windowed(paginator, paginator.at.bind(paginator), fetch, controller.signal);
    else yield* serial(paginator, fetch, controller.signal, requestUrl);
  } finally {
    outer?.removeEventListener('abort', onAbort);
    controller.abort(new Error('pagination finished'));
  }
}

async function* serial(
  paginator: Paginator,
  fetch: FetchPage,
  signal: AbortSignal,
  requestUrl?: (cursor: PageCursor) => string,
): AsyncGenerator<PageView> {
  const requested = new Map<string, number>();
  let cursor: PageCursor | undefined = paginator.first();
  while (cursor) {
    if (requestUrl && paginator.followsUpstream) {
      const url = requestUrl(cursor);
      const digest = requestDigest(url);
      const earlier = requested.get(digest);
      if (earlier !== undefined) throw new PaginationLoopError(cursor.index, earlier, url);
      requested.set(digest, cursor.index);
    }
    const page = await fetch(cursor, signal);
    const decision = paginator.decide(cursor, page);
    if (!decision.last && cursor.index + 1 >= paginator.maxPages)
      throw new PaginationLimitError(paginator.maxPages);
    yield page;
    cursor = decision.last ? undefined : decision.next;
  }
}

async function* windowed(
  paginator: Paginator,
  at: (index: number) => PageCursor,
  fetch: FetchPage,
  signal: AbortSignal,
): AsyncGenerator<PageView> {
  const inFlight: Array<{ cursor: PageCursor; page: Promise<PageView>; hold: PageHold }> = [];
  let nextIndex = 0;
  const refill = (): void => {
    while (inFlight.length < paginator.pagesInFlight && nextIndex < paginator.maxPages) {
      const cursor = at(nextIndex++);
      const hold = new PageHold();
      // The oldest page in flight waits for nothing but its own bytes.
      if (inFlight.length === 0) hold.promote();
      inFlight.push({ cursor, page: settleLater(fetch(cursor, signal, hold)), hold });
    }
  };
  try {
    refill();
    for (;;) {
      const head = inFlight.shift();
      if (!head) throw new PaginationLimitError(paginator.maxPages);
      let page: PageView;
      try {
        page = await head.page;
      } finally {
        // Handed over (or failed): its memory goes back, and the next page is the oldest.
        head.hold.release();
        inFlight[0]?.hold.promote();
      }
      const decision = paginator.decide(head.cursor, page);
      if (decision.last) {
        yield page;
        return;
      }
      if (head.cursor.index + 1 >= paginator.maxPages) throw new PaginationLimitError(paginator.maxPages);
      refill();
      yield page;
    }
  } finally {
    // Pages past the end, or after a failure: discarded with their memory.
    for (const entry of inFlight) entry.hold.release();
  }
}
