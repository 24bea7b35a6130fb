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
 * Whether a parsed JSON value nests arrays/objects deeper than `max`, counted as
 * {@link jsonNestsDeeperThan} counts the text it came from (the outermost array or object
 * is level 1). Iterative, so any depth is walked without recursion; it visits only
 * arrays and objects, several times cheaper than scanning the text again.
 */
export function valueNestsDeeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  // Pairs of (container, its level), flattened into one array.
  const stack: unknown[] = [value, 1];
  while (stack.length > 0) {
    const level = stack.pop() as number;
    const node = stack.pop() as object;
    if (level > max) return true;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const child: unknown = node[i];
        if (child !== null && typeof child === 'object') stack.push(child, level + 1);
      }
    } else {
      for (const key in node) {
        const child: unknown = (node as Record<string, unknown>)[key];
        if (child !== null && typeof child === 'object') stack.push(child, level + 1);
      }
    }
  }
  return false;
}

function tooDeep(url: string, status: number): HttpRequestError {
  // Permanent: the same request would get the same body.
  return new HttpRequestError(
    `response from ${url} nests JSON deeper than ${MAX_JSON_DEPTH} levels; such a body is refused`,
    url,
    status,
  );
}

function notJson(text: string, url: string, status: number, err: unknown): HttpRequestError {
  return new HttpRequestError(
    `response from ${url} is not JSON (HTTP ${status}): ${excerpt(text, 120)}`,
    url,
    status,
    { cause: err },
  );
}

/**
 * The body as JSON; `keepOrder` (records without a data_schema) keeps integer-like keys
 * where the upstream wrote them, which `JSON.parse` alone does not.
 *
 * A body nesting deeper than {@link MAX_JSON_DEPTH} is refused (before a body that is not
 * JSON at all is). `JSON.parse` itself is iterative in V8, so the common case parses first
 * and checks the parsed value ({@link valueNestsDeeperThan}); the text is scanned only when
 * it does not parse, or before the key-order scan, which recurses.
 */
export function parseJsonBody(text: string, url: string, status: number, keepOrder = false): unknown {
  if (text.trim() === '') return undefined;
  if (keepOrder) {
    if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) throw tooDeep(url, status);
    try {
      return parseJsonKeepingOrder(text);
    } catch (err) {
      throw notJson(text, url, status, err);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) throw tooDeep(url, status);
    throw notJson(text, url, status, err);
  }
  if (valueNestsDeeperThan(value, MAX_JSON_DEPTH)) throw tooDeep(url, status);
  return value;
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
