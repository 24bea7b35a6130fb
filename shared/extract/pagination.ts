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
  Pagination,
  PaginationType,
  SequentialParameters,
} from '../core/config/types';
import { compileJsonField } from '../core/jsonField';

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
  /** Raw body text ('' when empty). */
  bodyText: string;
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
export function isEmptyBody(page: Pick<PageView, 'bodyText' | 'body'>): boolean {
  if (page.bodyText.trim() === '') return true;
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

/** The `rel="next"` target of an RFC 8288 Link header. */
export function nextFromLinkHeader(header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (!text) return undefined;
  for (const match of text.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const params = match[2] ?? '';
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (rels.includes('next')) return match[1];
  }
  return undefined;
}

type Factories = { [T in PaginationType]: (pagination: Extract<Pagination, { type: T }>) => Paginator };

const PAGINATORS: Factories = {
  none: () => new NoPaginator(),
  sequential: (p) => new SequentialPaginator(p.parameters),
  link: (p) => new LinkPaginator(p.parameters),
  header_link: (p) => new HeaderLinkPaginator(p.parameters.max_pages),
  cursor: (p) => new CursorPaginator(p.parameters),
};

export function createPaginator(pagination: Pagination): Paginator {
  const factory = PAGINATORS[pagination.type] as (p: Pagination) => Paginator;
  return factory(pagination);
}
