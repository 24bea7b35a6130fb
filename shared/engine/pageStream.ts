/**
 * Walks a paginator, yielding pages in page order. Sequential pagination may keep
 * several pages in flight: page n+k is requested before page n answers. The first
 * page that says "no more" fixes the end; pages past it are aborted and discarded,
 * errors included.
 */
import { createHash } from 'node:crypto';
import type { PageCursor, PageView, Paginator } from '../extract/pagination';
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

export type FetchPage = (cursor: PageCursor, signal: AbortSignal) => Promise<PageView>;

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
  const inFlight: Array<{ cursor: PageCursor; page: Promise<PageView> }> = [];
  let nextIndex = 0;
  const refill = (): void => {
    while (inFlight.length < paginator.pagesInFlight && nextIndex < paginator.maxPages) {
      const cursor = at(nextIndex++);
      inFlight.push({ cursor, page: settleLater(fetch(cursor, signal)) });
    }
  };
  refill();
  for (;;) {
    const head = inFlight.shift();
    if (!head) throw new PaginationLimitError(paginator.maxPages);
    const page = await head.page;
    const decision = paginator.decide(head.cursor, page);
    if (decision.last) {
      yield page;
      return;
    }
    if (head.cursor.index + 1 >= paginator.maxPages) throw new PaginationLimitError(paginator.maxPages);
    refill();
    yield page;
  }
}
