/**
 * Fetches one page of an extraction: renders the endpoint for a cursor, sends it
 * through the authenticated client, parses the body and selects the records.
 */
import type { Extraction } from '../core/config/types';
import { compileJsonField } from '../core/jsonField';
import { parseJsonKeepingOrder } from '../core/orderedJson';
import type { ReferenceLookup } from '../core/references';
import type { SecretScope } from '../core/secretOrigins';
import type { AuthenticatedClient } from './auth';
import { excerpt, type HttpRequest, HttpRequestError, type HttpResponse } from './http';
import { isEndStatus, type PageCursor, type PageView } from './pagination';
import { renderEndpoint } from './render';
import type { PageHold } from './responseBudget';

/** The records at `data_key`: a list is the records, an object one record, absent/null none. */
export function recordsOf(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * Deepest nesting of arrays and objects accepted in a response. Real APIs stay within a
 * few dozen levels; deeper bodies would overflow the stack of the recursive steps after
 * parsing (flattening, encoding, staging), so they are refused before parsing.
 */
export const MAX_JSON_DEPTH = 1000;

/**
 * Whether JSON text nests arrays/objects deeper than `max`; one pass. Strings are
 * jumped over with `indexOf` (native), since they are most of a page's text: an
 * escaped quote is one preceded by an odd run of backslashes, and each run is counted
 * once, for the quote right after it, so the pass stays linear.
 */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let close = text.indexOf('"', i + 1);
      while (close !== -1 && precededByOddBackslashes(text, close)) close = text.indexOf('"', close + 1);
      // An unterminated string: JSON.parse says what is wrong.
      if (close === -1) return false;
      i = close;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

function precededByOddBackslashes(text: string, at: number): boolean {
  let count = 0;
  for (let k = at - 1; k >= 0 && text.charCodeAt(k) === 0x5c; k--) count++;
  return count % 2 === 1;
}

/**
 * The body as JSON; `keepOrder` (records without a data_schema) keeps integer-like keys
 * where the upstream wrote them, which `JSON.parse` alone does not.
 */
export function parseJsonBody(text: string, url: string, status: number, keepOrder = false): unknown {
  if (text.trim() === '') return undefined;
  if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) {
    // Permanent: the same request would get the same body.
    throw new HttpRequestError(
      `response from ${url} nests JSON deeper than ${MAX_JSON_DEPTH} levels; such a body is refused`,
      url,
      status,
    );
  }
  try {
    return keepOrder ? parseJsonKeepingOrder(text) : JSON.parse(text);
  } catch (err) {
    throw new HttpRequestError(
      `response from ${url} is not JSON (HTTP ${status}): ${excerpt(text, 120)}`,
      url,
      status,
      {
        cause: err,
      },
    );
  }
}

function isBlank(text: string): boolean {
  return text.trim() === '';
}

export class PageFetcher {
  private readonly selectRecords: (body: unknown) => unknown;

  constructor(
    private readonly extraction: Extraction,
    private readonly client: AuthenticatedClient,
    private readonly lookup: ReferenceLookup,
    private readonly scope: SecretScope,
    /** The extraction's position in its config, for errors that name a field. */
    private readonly position: number,
  ) {
    this.selectRecords = extraction.data_key ? compileJsonField(extraction.data_key) : (body) => body;
  }

  /** The URL the request for `cursor` goes to, rendered as it would be sent now. */
  requestUrl(cursor: PageCursor): string {
    return this.render(cursor).url;
  }

  private render(cursor: PageCursor): HttpRequest {
    return renderEndpoint(this.extraction.endpoint, this.lookup, {
      defaultMethod: 'GET',
      defaultBodyEncoding: 'json',
      at: `extractions[${this.position}].endpoint`,
      url: cursor.url,
      query: cursor.query,
      scope: this.scope,
    });
  }

  /** With `hold` (a prefetched page) the body's memory stays reserved until the hold is released. */
  async fetch(cursor: PageCursor, signal?: AbortSignal, hold?: PageHold): Promise<PageView> {
    const res = await this.client.send(() => this.render(cursor), signal, hold);
    try {
      const view = this.view(res);
      if (!hold) res.release();
      return view;
    } catch (err) {
      res.release();
      throw err;
    }
  }

  private view(res: HttpResponse): PageView {
    if (isEndStatus(res.status)) {
      return {
        status: res.status,
        headers: res.headers,
        blankBody: isBlank(res.body),
        body: undefined,
        records: [],
        url: res.url,
      };
    }
    if (res.status < 200 || res.status >= 300) {
      throw new HttpRequestError(
        `HTTP ${res.status} from ${res.url}: ${excerpt(res.body)}`,
        res.url,
        res.status,
      );
    }
    const body = parseJsonBody(res.body, res.url, res.status, !this.extraction.data_schema);
    return {
      status: res.status,
      headers: res.headers,
      blankBody: isBlank(res.body),
      body,
      records: recordsOf(this.selectRecords(body)),
      url: res.url,
    };
  }
}
