/**
 * The paginators, directly (no HTTP): each type's first page, page addressing, the
 * decision after a page, max_pages and whether the next page follows the upstream;
 * the end statuses and empty bodies; and the Link header parser of `header_link`
 * pagination: RFC 8288 forms, and linear work on hostile upstream headers (counted,
 * not timed). The engine's end-to-end pagination runs are in test/engine/pagination.test.ts.
 */
import type { OffsetParameters, Pagination, SequentialParameters } from '../../shared/core/config/types';
import {
  createPaginator,
  isEmptyBody,
  isEndStatus,
  nextFromLinkHeader,
  type PageView,
} from '../../shared/extract/pagination';
import { doublingRatio } from '../support/workMeter';

describe('nextFromLinkHeader', () => {
  test.each<[string, string | string[] | undefined, string | undefined]>([
    ['next with a quoted rel', '<https://a.example/p?page=2>; rel="next"', 'https://a.example/p?page=2'],
    ['next with an unquoted rel', '<https://a.example/2>; rel=next', 'https://a.example/2'],
    [
      'next among other links',
      '<https://a.example/1>; rel="first", <https://a.example/3>; rel="next", <https://a.example/9>; rel="last"',
      'https://a.example/3',
    ],
    ['rel in any case, spaces around =', '<https://a.example/2> ; REL = "Next"', 'https://a.example/2'],
    ['a list of relation types', '<https://a.example/2>; rel="prefetch next"', 'https://a.example/2'],
    [
      'a comma inside a quoted param ends the link',
      '<https://a.example/2>; title="page, two"; rel="next"',
      undefined,
    ],
    [
      'other params before rel, no comma',
      '<https://a.example/2>; type="text/html"; rel="next"',
      'https://a.example/2',
    ],
    ['only the first rel counts', '<https://a.example/2>; rel="prev"; rel="next"', undefined],
    ['no next', '<https://a.example/1>; rel="prev"', undefined],
    ['a word that contains next is not next', '<https://a.example/1>; rel="nextpage"', undefined],
    [
      'several header lines',
      ['<https://a.example/1>; rel="prev"', '<https://a.example/2>; rel="next"'],
      'https://a.example/2',
    ],
    ['no header', undefined, undefined],
    ['an empty header', '', undefined],
    ['a < without >', '<https://a.example/2; rel="next"', undefined],
  ])('%s', (_name, header, expected) => {
    expect(nextFromLinkHeader(header)).toBe(expected);
  });
});

describe('work is linear in the header', () => {
  test.each<[string, (size: number) => string]>([
    ['many < without >', (n) => '<'.repeat(n)],
    ['many links without rel', (n) => '<a>; x=y, '.repeat(n / 10)],
    ['many rel params with an unclosed quote', (n) => '<a>; rel="x, '.repeat(n / 13)],
    ['one link with many params', (n) => '<a>' + '; p=q'.repeat(n / 5)],
  ])('%s: 32 KB costs about twice 16 KB', (_name, input) => {
    expect(doublingRatio(nextFromLinkHeader, input, 16_000)).toBeLessThanOrEqual(2.5);
  });
});

/** A fetched page: JSON `body` (text derived from it), 200 unless given. */
function page(body: unknown, extra: Partial<PageView> = {}): PageView {
  const records = Array.isArray((body as { data?: unknown } | undefined)?.data)
    ? ((body as { data: unknown[] }).data as unknown[])
    : [];
  return {
    status: 200,
    headers: {},
    blankBody: body === undefined,
    body,
    records,
    url: 'https://api.example/v1/items?x=1',
    ...extra,
  };
}

function sequential(parameters: Partial<SequentialParameters> = {}): Pagination {
  return {
    type: 'sequential',
    parameters: {
      param_name: 'page',
      start_from: 1,
      step: 1,
      pages_in_flight: 1,
      max_pages: 100,
      ...parameters,
    },
  };
}

describe('isEndStatus and isEmptyBody', () => {
  test('204 and 304 end every pagination; other statuses do not', () => {
    expect([204, 304].map(isEndStatus)).toEqual([true, true]);
    expect([200, 201, 206, 301, 404, 500].map(isEndStatus)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  test.each<[string, string, unknown, boolean]>([
    ['no bytes', '', undefined, true],
    ['only whitespace', ' \n ', undefined, true],
    ['null', 'null', null, true],
    ['an empty array', '[]', [], true],
    ['an empty object', '{}', {}, true],
    ['an array with an element', '[0]', [0], false],
    ['an object with a key', '{"a":null}', { a: null }, false],
    ['a number', '0', 0, false],
    ['a string', '""', '', false],
  ])('%s: empty is %s', (_name, bodyText, body, empty) => {
    expect(isEmptyBody({ blankBody: bodyText.trim() === '', body })).toBe(empty);
  });
});

describe('none', () => {
  const paginator = createPaginator({ type: 'none' });

  test('one page, requested at the endpoint as configured, always the last', () => {
    expect(paginator.first()).toEqual({ index: 0 });
    expect(paginator.decide(paginator.first(), page({ data: [1, 2] }))).toEqual({ last: true });
    expect(paginator.maxPages).toBe(1);
    expect(paginator.pagesInFlight).toBe(1);
    expect(paginator.followsUpstream).toBe(false);
    expect(paginator.at).toBeUndefined();
  });
});

describe('sequential', () => {
  test('pages are numbered from start_from by step, in the param_name query parameter', () => {
    const paginator = createPaginator(sequential({ param_name: 'offset', start_from: 0, step: 50 }));
    expect(paginator.first()).toEqual({ index: 0, query: { offset: '0' } });
    expect(paginator.at?.(3)).toEqual({ index: 3, query: { offset: '150' } });
  });

  test('max_pages, pages_in_flight and followsUpstream come from the parameters', () => {
    const paginator = createPaginator(sequential({ max_pages: 7, pages_in_flight: 4 }));
    expect(paginator.maxPages).toBe(7);
    expect(paginator.pagesInFlight).toBe(4);
    expect(paginator.followsUpstream).toBe(false);
  });

  test('without a stop rule: the next page while records come, the last page when none do', () => {
    const paginator = createPaginator(sequential());
    const first = paginator.first();
    expect(paginator.decide(first, page({ data: [1] }))).toEqual({
      last: false,
      next: { index: 1, query: { page: '2' } },
    });
    expect(paginator.decide(first, page({ data: [] }))).toEqual({ last: true });
  });

  test.each([204, 304])('HTTP %i is the last page, whatever the rule', (status) => {
    for (const parameters of [
      {},
      { continue_while_status_code_is: status },
      { there_are_more_pages: 'more' },
    ]) {
      const paginator = createPaginator(sequential(parameters));
      expect(paginator.decide(paginator.first(), page({ data: [1], more: true }, { status }))).toEqual({
        last: true,
      });
    }
  });

  test('there_are_more_pages: the condition on the body decides', () => {
    const paginator = createPaginator(sequential({ there_are_more_pages: 'info.more_records' }));
    const cursor = paginator.at!(4);
    expect(paginator.decide(cursor, page({ data: [], info: { more_records: true } }))).toEqual({
      last: false,
      next: { index: 5, query: { page: '6' } },
    });
    expect(paginator.decide(cursor, page({ data: [1], info: { more_records: false } }))).toEqual({
      last: true,
    });
    expect(paginator.decide(cursor, page({ data: [1] }))).toEqual({ last: true });
  });

  test('continue_while_status_code_is: pages go on only while the status is that one', () => {
    const paginator = createPaginator(sequential({ continue_while_status_code_is: 206 }));
    const first = paginator.first();
    expect(paginator.decide(first, page({ data: [] }, { status: 206 })).last).toBe(false);
    expect(paginator.decide(first, page({ data: [1] }, { status: 200 }))).toEqual({ last: true });
  });

  test('stop_when_response_body_is_empty: an empty body is the last page, before any other rule', () => {
    const paginator = createPaginator(
      sequential({ stop_when_response_body_is_empty: true, continue_while_status_code_is: 200 }),
    );
    const first = paginator.first();
    expect(paginator.decide(first, page([]))).toEqual({ last: true });
    expect(paginator.decide(first, page(undefined))).toEqual({ last: true });
    expect(paginator.decide(first, page({ data: [] })).last).toBe(false);
  });
});

describe('link', () => {
  const paginator = createPaginator({ type: 'link', parameters: { next_link: 'paging.next', max_pages: 9 } });

  test('first page at the endpoint; the next at the link read from the body, resolved against the page URL', () => {
    expect(paginator.first()).toEqual({ index: 0 });
    expect(paginator.at).toBeUndefined();
    expect(paginator.maxPages).toBe(9);
    expect(paginator.pagesInFlight).toBe(1);
    expect(paginator.followsUpstream).toBe(true);
    expect(paginator.decide({ index: 2 }, page({ paging: { next: ' /v1/items?after=abc ' } }))).toEqual({
      last: false,
      next: { index: 3, url: 'https://api.example/v1/items?after=abc' },
    });
    expect(
      paginator.decide({ index: 0 }, page({ paging: { next: 'https://other.example/p/2' } })).next?.url,
    ).toBe('https://other.example/p/2');
  });

  test.each<[string, unknown]>([
    ['no link', { paging: {} }],
    ['an empty link', { paging: { next: '  ' } }],
    ['a link that is not a string', { paging: { next: 2 } }],
    ['a null link', { paging: { next: null } }],
  ])('%s: the last page', (_name, body) => {
    expect(paginator.decide({ index: 0 }, page(body))).toEqual({ last: true });
  });

  test('304 is the last page even with a link', () => {
    expect(paginator.decide({ index: 0 }, page({ paging: { next: '/2' } }, { status: 304 }))).toEqual({
      last: true,
    });
  });
});

describe('header_link', () => {
  const paginator = createPaginator({ type: 'header_link', parameters: { max_pages: 4 } });

  test('the next page is the Link header rel="next", resolved against the page URL', () => {
    expect(paginator.first()).toEqual({ index: 0 });
    expect(paginator.maxPages).toBe(4);
    expect(paginator.followsUpstream).toBe(true);
    expect(paginator.pagesInFlight).toBe(1);
    const headers = { link: '</v1/items?page=3>; rel="next", </v1/items?page=9>; rel="last"' };
    expect(paginator.decide({ index: 1 }, page([1], { headers }))).toEqual({
      last: false,
      next: { index: 2, url: 'https://api.example/v1/items?page=3' },
    });
  });

  test('no Link header, or one without next: the last page', () => {
    expect(paginator.decide({ index: 0 }, page([1]))).toEqual({ last: true });
    expect(paginator.decide({ index: 0 }, page([1], { headers: { link: '</1>; rel="prev"' } }))).toEqual({
      last: true,
    });
  });
});

describe('cursor', () => {
  const paginator = createPaginator({
    type: 'cursor',
    parameters: { cursor_key: 'meta.next_cursor', param_name: 'cursor', max_pages: 12 },
  });

  test('first page without the cursor; the next with the cursor read from the body as a query parameter', () => {
    expect(paginator.first()).toEqual({ index: 0 });
    expect(paginator.at).toBeUndefined();
    expect(paginator.maxPages).toBe(12);
    expect(paginator.followsUpstream).toBe(true);
    expect(paginator.decide({ index: 0 }, page({ meta: { next_cursor: 'c2' } }))).toEqual({
      last: false,
      next: { index: 1, query: { cursor: 'c2' } },
    });
  });

  test('a number or an object cursor is sent as text (JSON for objects)', () => {
    expect(paginator.decide({ index: 5 }, page({ meta: { next_cursor: 0 } })).next).toEqual({
      index: 6,
      query: { cursor: '0' },
    });
    expect(paginator.decide({ index: 0 }, page({ meta: { next_cursor: { id: 7 } } })).next?.query).toEqual({
      cursor: '{"id":7}',
    });
  });

  test.each<[string, unknown]>([
    ['no cursor', { meta: {} }],
    ['a null cursor', { meta: { next_cursor: null } }],
    ['an empty cursor', { meta: { next_cursor: '' } }],
    ['a false cursor', { meta: { next_cursor: false } }],
  ])('%s: the last page', (_name, body) => {
    expect(paginator.decide({ index: 0 }, page(body))).toEqual({ last: true });
  });

  test('204 is the last page even with a cursor', () => {
    expect(paginator.decide({ index: 0 }, page({ meta: { next_cursor: 'x' } }, { status: 204 }))).toEqual({
      last: true,
    });
  });
});

function offset(parameters: Partial<OffsetParameters> = {}): Pagination {
  return {
    type: 'offset',
    parameters: {
      offset_param: 'offset',
      limit_param: 'pageSize',
      page_size: 3,
      start_from: 0,
      pages_in_flight: 1,
      max_pages: 100,
      ...parameters,
    },
  };
}

/** A page of Carol's query route: `{hits, count, totalHits}`, the records being the hits. */
function hitsPage(count: number, totalHits: unknown): PageView {
  const hits = Array.from({ length: count }, (_, i) => ({ id: i }));
  return page({ hits, count, totalHits }, { records: hits });
}

describe('offset', () => {
  test('page n asks for page_size records from start_from + n × page_size', () => {
    const paginator = createPaginator(offset({ start_from: 10, pages_in_flight: 4 }));
    expect(paginator.first()).toEqual({ index: 0, query: { offset: '10', pageSize: '3' } });
    expect(paginator.at?.(2)).toEqual({ index: 2, query: { offset: '16', pageSize: '3' } });
    expect(paginator.pagesInFlight).toBe(4);
    expect(paginator.followsUpstream).toBe(false);
    expect(paginator.maxPages).toBe(100);
  });

  test('with total_key, the page that reaches the total is the last', () => {
    const paginator = createPaginator(offset({ total_key: 'totalHits' }));
    const first = paginator.first();
    expect(paginator.decide(first, hitsPage(3, 7))).toEqual({
      last: false,
      next: { index: 1, query: { offset: '3', pageSize: '3' } },
    });
    expect(paginator.decide({ index: 1 }, hitsPage(3, 7)).last).toBe(false);
    expect(paginator.decide({ index: 2 }, hitsPage(1, 7))).toEqual({ last: true });
    // A total that is a multiple of the page size needs no empty page after it.
    expect(paginator.decide({ index: 1 }, hitsPage(3, 6))).toEqual({ last: true });
    expect(paginator.decide(first, hitsPage(0, 0))).toEqual({ last: true });
    // A numeric string counts as a number.
    expect(paginator.decide(first, hitsPage(3, '4')).last).toBe(false);
  });

  test('with total_key, a short page before the total fails: the upstream caps page_size', () => {
    const paginator = createPaginator(offset({ page_size: 5, total_key: 'totalHits' }));
    expect(() => paginator.decide({ index: 1 }, hitsPage(2, 30))).toThrow(
      'pagination.parameters.page_size: page 2 (offset 5) brought 2 records, fewer than page_size (5), before reaching the total (30): the API may cap its page size (lower page_size), or the data changed during the run',
    );
    expect(() => paginator.decide({ index: 1 }, hitsPage(0, 30))).toThrow(
      'page 2 (offset 5) brought 0 records',
    );
  });

  test('with total_key, a page without a numeric total fails naming the field', () => {
    const paginator = createPaginator(offset({ total_key: 'totalHits' }));
    for (const total of [undefined, 'many', null, -1]) {
      expect(() => paginator.decide({ index: 0 }, hitsPage(3, total))).toThrow(
        'pagination.parameters.total_key: "totalHits" is not a non-negative number in the response of page 1',
      );
    }
  });

  test('without total_key, a page shorter than page_size (or empty) is the last', () => {
    const paginator = createPaginator(offset());
    expect(paginator.decide({ index: 0 }, hitsPage(3, undefined)).last).toBe(false);
    expect(paginator.decide({ index: 1 }, hitsPage(2, undefined))).toEqual({ last: true });
    expect(paginator.decide({ index: 1 }, hitsPage(0, undefined))).toEqual({ last: true });
  });

  test('204 and 304 end it', () => {
    const paginator = createPaginator(offset({ total_key: 'totalHits' }));
    expect(paginator.decide({ index: 0 }, page(undefined, { status: 204 }))).toEqual({ last: true });
    expect(paginator.decide({ index: 0 }, page(undefined, { status: 304 }))).toEqual({ last: true });
  });
});
