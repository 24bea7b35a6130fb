/**
 * Pagination strategies. A paginator holds no I/O: it says how to request a page
 * (a serialisable {@link PageCursor}, so a page task can travel in a queue message)
 * and, given a fetched page, whether it was the last one and what comes next.
 * A registry maps each config `type` to its implementation.
 */
import { type Condition, parseCondition } from '../core/condition';
import type {
  CursorParameters,
  LinkParameters,
  OffsetParameters,
  Pagination,
  PaginationType,
  SequentialParameters,
} from '../core/config/types';
import { compileJsonField } from '../core/jsonField';
import { PaginationTotalError } from './paginationErrors';

/** How to request one page, relative to the extraction's endpoint. */
export interface PageCursor {
  /** 0-based position in the run; output follows this order. */
  index: number;
  /** Replaces the endpoint URL (link pagination). */
  url?: string;
  /** Query parameters set over the endpoint's (page number, cursor). */
  query?: Record<string, string>;
}

/** What a paginator needs to know about a fetched page. */
export interface PageView {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /**
   * The body had no bytes but whitespace. The text itself is not kept: a page lives
   * while its rows are mapped and written, and a body held that long outlives a
   * young-generation collection and fills the old generation (docs/benchmarks.md).
   */
  blankBody: boolean;
  /** Parsed JSON body; undefined when empty. */
  body: unknown;
  records: readonly unknown[];
  /** The URL the page was fetched from (relative links resolve against it). */
  url: string;
}

export interface PageDecision {
  /** This page is the final one: nothing after it is requested (or kept). */
  last: boolean;
  next?: PageCursor;
}

export interface Paginator {
  readonly maxPages: number;
  /** Pages in flight at once; above 1 only where page n can be addressed without page n-1. */
  readonly pagesInFlight: number;
  /** The next page comes from the upstream's answer (a link or a cursor), so it may repeat an earlier one. */
  readonly followsUpstream: boolean;
  first(): PageCursor;
  /** Addresses page `index` directly; only for sequential pagination. */
  at?(index: number): PageCursor;
  decide(cursor: PageCursor, page: PageView): PageDecision;
}

/** 204 No Content and 304 Not Modified (Zoho's answer to If-Modified-Since) end every pagination. */
export function isEndStatus(status: number): boolean {
  return status === 204 || status === 304;
}

/** No bytes, or a JSON null, [] or {}. */
export function isEmptyBody(page: Pick<PageView, 'blankBody' | 'body'>): boolean {
  if (page.blankBody) return true;
  const body = page.body;
  if (body === null) return true;
  if (Array.isArray(body)) return body.length === 0;
  return typeof body === 'object' && Object.keys(body as object).length === 0;
}

class NoPaginator implements Paginator {
  readonly maxPages = 1;
  readonly pagesInFlight = 1;
  readonly followsUpstream = false;
  first(): PageCursor {
    return { index: 0 };
  }
  decide(): PageDecision {
    return { last: true };
  }
}

class SequentialPaginator implements Paginator {
  readonly maxPages: number;
  readonly pagesInFlight: number;
  readonly followsUpstream = false;
  private readonly condition: Condition | undefined;

  constructor(private readonly p: SequentialParameters) {
    this.maxPages = p.max_pages;
    this.pagesInFlight = p.pages_in_flight;
    this.condition = p.there_are_more_pages ? parseCondition(p.there_are_more_pages) : undefined;
  }

  first(): PageCursor {
    return this.at(0);
  }

  at(index: number): PageCursor {
    return { index, query: { [this.p.param_name]: String(this.p.start_from + this.p.step * index) } };
  }

  decide(cursor: PageCursor, page: PageView): PageDecision {
    const next = { last: false, next: this.at(cursor.index + 1) };
    if (isEndStatus(page.status)) return { last: true };
    if (this.p.stop_when_response_body_is_empty && isEmptyBody(page)) return { last: true };
    if (this.p.continue_while_status_code_is !== undefined) {
      return page.status === this.p.continue_while_status_code_is ? next : { last: true };
    }
    if (this.condition) return this.condition.evaluate(page.body) ? next : { last: true };
    return page.records.length === 0 ? { last: true } : next;
  }
}

/**
 * Offset and page size in two query parameters (`offset`/`limit`; Carol's
 * `offset`/`pageSize`). With `total_key` the page that reaches the total is the last,
 * and a page short of `page_size` before it fails the run rather than skip records
 * (an API that caps its page size would otherwise leave gaps); without, a short page
 * is the last.
 */
class OffsetPaginator implements Paginator {
  readonly maxPages: number;
  readonly pagesInFlight: number;
  readonly followsUpstream = false;
  private readonly readTotal: ((body: unknown) => unknown) | undefined;

  constructor(private readonly p: OffsetParameters) {
    this.maxPages = p.max_pages;
    this.pagesInFlight = p.pages_in_flight;
    this.readTotal = p.total_key === undefined ? undefined : compileJsonField(p.total_key);
  }

  first(): PageCursor {
    return this.at(0);
  }

  at(index: number): PageCursor {
    return {
      index,
      query: {
        [this.p.offset_param]: String(this.offsetOf(index)),
        [this.p.limit_param]: String(this.p.page_size),
      },
    };
  }

  private offsetOf(index: number): number {
    return this.p.start_from + this.p.page_size * index;
  }

  decide(cursor: PageCursor, page: PageView): PageDecision {
    if (isEndStatus(page.status)) return { last: true };
    const count = page.records.length;
    if (!this.readTotal) {
      return count < this.p.page_size ? { last: true } : { last: false, next: this.at(cursor.index + 1) };
    }
    const raw = this.readTotal(page.body);
    const total = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof total !== 'number' || !Number.isFinite(total) || total < 0) {
      throw new PaginationTotalError(
        `pagination.parameters.total_key: "${this.p.total_key}" is not a non-negative number in the response of page ${cursor.index + 1}`,
      );
    }
    const offset = this.offsetOf(cursor.index);
    if (offset + count >= total) return { last: true };
    if (count < this.p.page_size) {
      throw new PaginationTotalError(
        `pagination.parameters.page_size: page ${cursor.index + 1} (offset ${offset}) brought ${count} records, fewer than page_size (${this.p.page_size}), before reaching the total (${total}): the API may cap its page size (lower page_size), or the data changed during the run`,
      );
    }
    return { last: false, next: this.at(cursor.index + 1) };
  }
}

/** Shared by the strategies whose next page is only known from the current one. */
abstract class FollowingPaginator implements Paginator {
  readonly pagesInFlight = 1;
  readonly followsUpstream = true;
  constructor(readonly maxPages: number) {}

  first(): PageCursor {
    return { index: 0 };
  }

  decide(cursor: PageCursor, page: PageView): PageDecision {
    if (isEndStatus(page.status)) return { last: true };
    const next = this.nextOf(cursor, page);
    return next ? { last: false, next } : { last: true };
  }

  protected abstract nextOf(cursor: PageCursor, page: PageView): PageCursor | undefined;
}

class LinkPaginator extends FollowingPaginator {
  private readonly read: (body: unknown) => unknown;
  constructor(p: LinkParameters) {
    super(p.max_pages);
    this.read = compileJsonField(p.next_link);
  }
  protected nextOf(cursor: PageCursor, page: PageView): PageCursor | undefined {
    const link = this.read(page.body);
    if (typeof link !== 'string' || link.trim() === '') return undefined;
    return { index: cursor.index + 1, url: new URL(link.trim(), page.url).toString() };
  }
}

class HeaderLinkPaginator extends FollowingPaginator {
  protected nextOf(cursor: PageCursor, page: PageView): PageCursor | undefined {
    const link = nextFromLinkHeader(page.headers.link);
    return link ? { index: cursor.index + 1, url: new URL(link, page.url).toString() } : undefined;
  }
}

class CursorPaginator extends FollowingPaginator {
  private readonly read: (body: unknown) => unknown;
  constructor(private readonly p: CursorParameters) {
    super(p.max_pages);
    this.read = compileJsonField(p.cursor_key);
  }
  protected nextOf(cursor: PageCursor, page: PageView): PageCursor | undefined {
    const value = this.read(page.body);
    if (value === undefined || value === null || value === '' || value === false) return undefined;
    const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
    return { index: cursor.index + 1, query: { [this.p.param_name]: text } };
  }
}

/**
 * The `rel="next"` target of an RFC 8288 Link header:
 * `<https://…?page=2>; rel="next", <https://…?page=9>; rel="last"`.
 *
 * Read in one pass, since the header is upstream text: a search per `<` for its `>`
 * (the regular expression this replaces) costs a second on 16 KB of `<`. Each link is
 * `<target>` then `; param` pieces up to the next `,`; its first `rel` param counts,
 * its value (quoted or not) a whitespace-separated list of relation types.
 */
export function nextFromLinkHeader(header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (!text) return undefined;
  let from = 0;
  for (;;) {
    const open = text.indexOf('<', from);
    if (open === -1) return undefined;
    const close = text.indexOf('>', open + 1);
    // A `<` without a `>` after it: no later `<` has one either.
    if (close === -1) return undefined;
    const { rel, end } = linkParams(text, close + 1);
    if (rel !== undefined && hasToken(rel.toLowerCase(), 'next')) return text.slice(open + 1, close);
    from = end;
  }
}

const SEMICOLON = 0x3b;
const COMMA = 0x2c;
const QUOTE = 0x22;
const isSpace = (text: string, i: number): boolean => /\s/.test(text.charAt(i));

/** The `; param` pieces from `start`: where they end, and the value of the first `rel`. */
function linkParams(text: string, start: number): { rel: string | undefined; end: number } {
  const n = text.length;
  let end = start;
  let rel: string | undefined;
  for (;;) {
    let k = end;
    while (k < n && isSpace(text, k)) k++;
    if (k >= n || text.charCodeAt(k) !== SEMICOLON) break;
    let m = k + 1;
    while (m < n && text.charCodeAt(m) !== SEMICOLON && text.charCodeAt(m) !== COMMA) m++;
    if (m === k + 1) break;
    rel ??= relValue(text, k + 1, m);
    end = m;
  }
  return { rel, end };
}

/** The value when `text[from, to)` is `rel = value` (any case, spaces around `=`), else undefined. */
function relValue(text: string, from: number, to: number): string | undefined {
  let i = from;
  while (i < to && isSpace(text, i)) i++;
  if (to - i < 3 || text.slice(i, i + 3).toLowerCase() !== 'rel') return undefined;
  i += 3;
  while (i < to && isSpace(text, i)) i++;
  if (i >= to || text.charAt(i) !== '=') return undefined;
  i++;
  while (i < to && isSpace(text, i)) i++;
  if (i >= to) return undefined;
  if (text.charCodeAt(i) === QUOTE) {
    let closing = i + 1;
    while (closing < to && text.charCodeAt(closing) !== QUOTE) closing++;
    if (closing < to) return text.slice(i + 1, closing);
  }
  let j = i;
  while (j < to && !isSpace(text, j)) j++;
  return text.slice(i, j);
}

/** True when `token` is one of the whitespace-separated words of `list`. */
function hasToken(list: string, token: string): boolean {
  let i = 0;
  const n = list.length;
  while (i < n) {
    while (i < n && isSpace(list, i)) i++;
    const start = i;
    while (i < n && !isSpace(list, i)) i++;
    if (i - start === token.length && list.slice(start, i) === token) return true;
  }
  return false;
}

type Factories = { [T in PaginationType]: (pagination: Extract<Pagination, { type: T }>) => Paginator };

const PAGINATORS: Factories = {
  none: () => new NoPaginator(),
  sequential: (p) => new SequentialPaginator(p.parameters),
  link: (p) => new LinkPaginator(p.parameters),
  header_link: (p) => new HeaderLinkPaginator(p.parameters.max_pages),
  cursor: (p) => new CursorPaginator(p.parameters),
  offset: (p) => new OffsetPaginator(p.parameters),
};

export function createPaginator(pagination: Pagination): Paginator {
  const factory = PAGINATORS[pagination.type] as (p: Pagination) => Paginator;
  return factory(pagination);
}
