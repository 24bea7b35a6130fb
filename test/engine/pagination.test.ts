/** Every pagination strategy, end to end against real HTTP servers on 127.0.0.1. */
import { type FakeApi, makeRecord, startFakeApi } from '../support/fakeApi';
import { type Harness, makeHarness, parseCsv, startServer } from '../support/engineHarness';

let api: FakeApi;
let h: Harness;
beforeAll(async () => {
  api = await startFakeApi({ records: 95, pageSize: 10 });
});
afterAll(() => api.close());
beforeEach(async () => {
  h = await makeHarness();
  api.requests.length = 0;
});
afterEach(() => h.close());

const ids = (n: number, from = 0): string[] =>
  Array.from({ length: n }, (_, i) => String(makeRecord(from + i).id));

function extraction(overrides: Record<string, unknown>): Record<string, unknown> {
  return { name: 'items', data_schema: { id: 'id', Deal_Name: 'name' }, format: 'csv', ...overrides };
}

async function idsOf(config: Record<string, unknown>): Promise<string[]> {
  const report = await h.run({ name: 'pagination', extractions: [config] });
  const [log] = report.logs;
  if (log!.success !== 'true') throw new Error(log!.error ?? 'failed');
  return parseCsv(await h.output(log!))
    .slice(1)
    .map((r) => r[0]!);
}

test.each([
  ['more_records JsonField', { there_are_more_pages: 'info.more_records' }, '/crm/v2/deals', 'data', 10],
  ['zero records ends it when no stop rule is set', {}, '/crm/v2/deals', 'data', 11],
])('sequential with %s', async (_name, params, path, dataKey, pages) => {
  const got = await idsOf(
    extraction({
      endpoint: { url: `${api.url}${path}` },
      data_key: dataKey,
      pagination: { type: 'sequential', parameters: { param_name: 'page', ...params } },
    }),
  );
  expect(got).toEqual(ids(95));
  expect(api.requests).toHaveLength(pages);
});

test('sequential with the seed condition info.current_page < info.total_pages', async () => {
  const got = await idsOf(
    extraction({
      endpoint: { url: `${api.url}/pages` },
      data_key: 'result',
      pagination: {
        type: 'sequential',
        parameters: { param_name: 'page', there_are_more_pages: 'info.current_page < info.total_pages' },
      },
    }),
  );
  expect(got).toEqual(ids(95));
  expect(api.requests.map((r) => r.query.page)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
});

test('sequential offsets with start_from 0 and step 10 stop at the first empty page', async () => {
  const got = await idsOf(
    extraction({
      endpoint: { url: `${api.url}/offset`, query_params: { limit: 10 } },
      data_key: 'items',
      pagination: { type: 'sequential', parameters: { param_name: 'offset', start_from: 0, step: 10 } },
    }),
  );
  expect(got).toEqual(ids(95));
  expect(api.requests.map((r) => r.query.offset)).toEqual([
    '0',
    '10',
    '20',
    '30',
    '40',
    '50',
    '60',
    '70',
    '80',
    '90',
    '100',
  ]);
});

test('stop_when_response_body_is_empty stops on the 204 with no body', async () => {
  const got = await idsOf(
    extraction({
      endpoint: { url: `${api.url}/api/v1/tickets`, query_params: { limit: 30 } },
      data_key: 'data',
      pagination: {
        type: 'sequential',
        parameters: { param_name: 'from', start_from: 1, step: 30, stop_when_response_body_is_empty: true },
      },
    }),
  );
  expect(got).toEqual(ids(95));
  expect(api.requests.map((r) => r.query.from)).toEqual(['1', '31', '61', '91', '121']);
});

test.each(['absolute', 'relative'])('link pagination follows %s next links', async (style) => {
  const got = await idsOf(
    extraction({
      endpoint: { url: `${api.url}/link`, query_params: { style } },
      data_key: 'results',
      pagination: { type: 'link', parameters: { next_link: 'pagination.next_link' } },
    }),
  );
  expect(got).toEqual(ids(95));
  expect(api.requests.map((r) => r.query.page ?? '1')).toEqual([
    '1',
    '2',
    '3',
    '4',
    '5',
    '6',
    '7',
    '8',
    '9',
    '10',
  ]);
  expect(api.requests.every((r) => r.query.style === style)).toBe(true);
});

test('link pagination adds configured params only where the link lacks them', async () => {
  await idsOf(
    extraction({
      endpoint: { url: `${api.url}/link`, query_params: { style: 'absolute', page: 1, extra: 'x' } },
      data_key: 'results',
      pagination: { type: 'link', parameters: { next_link: 'pagination.next_link' } },
    }),
  );
  expect(api.requests.map((r) => r.query.page)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
  expect(api.requests.every((r) => r.query.extra === 'x')).toBe(true);
});

test('header_link follows the RFC 8288 rel="next" link', async () => {
  const got = await idsOf(
    extraction({ endpoint: { url: `${api.url}/header-link` }, pagination: { type: 'header_link' } }),
  );
  expect(got).toEqual(ids(95));
  expect(api.requests).toHaveLength(10);
});

test('cursor pagination sends the body cursor back as a query parameter', async () => {
  const got = await idsOf(
    extraction({
      endpoint: { url: `${api.url}/cursor` },
      data_key: 'items',
      pagination: { type: 'cursor', parameters: { cursor_key: 'next_cursor', param_name: 'cursor' } },
    }),
  );
  expect(got).toEqual(ids(95));
  expect(api.requests[0]!.query.cursor).toBeUndefined();
  expect(api.requests[1]!.query.cursor).toBe(Buffer.from('10').toString('base64'));
});

test('no pagination makes exactly one request; an object at data_key is one record', async () => {
  const server = await startServer(() => ({ body: { result: { id: 7, Deal_Name: 'only' } } }));
  try {
    const got = await idsOf(extraction({ endpoint: { url: `${server.url}/one` }, data_key: 'result' }));
    expect(got).toEqual(['7']);
    expect(server.requests).toHaveLength(1);
  } finally {
    await server.close();
  }
});

test('more pages than max_pages fails the run and writes no file', async () => {
  const report = await h.run({
    name: 'endless',
    extractions: [
      extraction({
        endpoint: { url: `${api.url}/crm/v2/deals` },
        data_key: 'data',
        pagination: {
          type: 'sequential',
          parameters: { param_name: 'page', there_are_more_pages: 'true', max_pages: 3 },
        },
      }),
    ],
  });
  expect(report.logs[0]).toMatchObject({ success: 'false', data_inserted_len: '0', destiny: null });
  expect(report.logs[0]!.error).toBe(
    'pagination did not end within max_pages (3); raise pagination.parameters.max_pages if this is expected',
  );
  expect(api.requests).toHaveLength(3);
  expect(await h.objectFiles()).toEqual([]);
});

describe('parallel pages', () => {
  test('8 pages in flight give the same rows in page order as strictly sequential', async () => {
    const config = (inFlight: number) =>
      extraction({
        endpoint: { url: `${api.url}/crm/v2/deals` },
        data_key: 'data',
        pagination: {
          type: 'sequential',
          parameters: {
            param_name: 'page',
            there_are_more_pages: 'info.more_records',
            pages_in_flight: inFlight,
          },
        },
      });
    const sequential = await idsOf(config(1));
    const parallel = await idsOf(config(8));
    expect(parallel).toEqual(sequential);
    expect(parallel).toEqual(ids(95));
  });

  test('pages past the end are discarded with their errors', async () => {
    // Pages 1-3 hold data and page 3 says there is no more; later pages fail loudly.
    const server = await startServer((_req, url) => {
      const page = Number(url.searchParams.get('page'));
      if (page > 3) return { status: 400, body: { error: 'no such page' } };
      return { body: { data: [{ id: page, Deal_Name: `p${page}` }], more: page < 3 } };
    });
    try {
      const got = await idsOf(
        extraction({
          endpoint: { url: `${server.url}/p` },
          data_key: 'data',
          pagination: {
            type: 'sequential',
            parameters: { param_name: 'page', there_are_more_pages: 'more', pages_in_flight: 6 },
          },
        }),
      );
      expect(got).toEqual(['1', '2', '3']);
      expect(server.requests.length).toBeGreaterThan(3);
    } finally {
      await server.close();
    }
  });

  test('an error on a page before the end fails the run', async () => {
    const server = await startServer((_req, url) => {
      const page = Number(url.searchParams.get('page'));
      if (page === 2) return { status: 404, body: { error: 'gone' } };
      return { body: { data: [{ id: page, Deal_Name: 'x' }], more: page < 5 } };
    });
    try {
      const report = await h.run({
        name: 'broken',
        extractions: [
          extraction({
            endpoint: { url: `${server.url}/p` },
            data_key: 'data',
            pagination: {
              type: 'sequential',
              parameters: { param_name: 'page', there_are_more_pages: 'more', pages_in_flight: 4 },
            },
          }),
        ],
      });
      expect(report.logs[0]!.success).toBe('false');
      expect(report.logs[0]!.error).toBe(`HTTP 404 from ${server.url}/p?page=2: {"error":"gone"}`);
      expect(await h.objectFiles()).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
