/** mapping_fetch, output formats, the CSV header union, zero rows, failures and `last`. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type FakeApi, makeRecord, startFakeApi } from '../support/fakeApi';
import { type Harness, makeHarness, parseCsv, startServer } from '../support/engineHarness';

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(() => h.close());

describe('mapping_fetch', () => {
  let api: FakeApi;
  beforeEach(async () => {
    api = await startFakeApi({
      records: 60,
      pageSize: 25,
      detailMissing: (id) => (id === 1000007 ? 'notfound' : id === 1000011 ? 'empty' : undefined),
    });
  });
  afterEach(() => api.close());

  const config = (mapping: Record<string, unknown>, format = 'csv') => ({
    name: 'details',
    extractions: [
      {
        name: 'deals',
        endpoint: { url: `${api.url}/crm/v2/deals` },
        data_key: 'data',
        data_schema: { id: 'deal_id', Deal_Name: 'name' },
        pagination: {
          type: 'sequential',
          parameters: { param_name: 'page', there_are_more_pages: 'info.more_records' },
        },
        format,
        mapping_fetch: { endpoint: { url: `${api.url}/details/\${extracted_item::deal_id}` }, ...mapping },
      },
    ],
  });

  test('adds each detail, through its schema and prefix, to its row, in order', async () => {
    const report = await h.run(
      config({
        prefix: 'details__',
        data_schema: { detail: { score: 'score', owner_phone: 'phone' } },
        concurrency: 7,
      }),
    );
    const [log] = report.logs;
    expect(log).toMatchObject({ success: 'true', data_inserted_len: '60', detail_requests: 60, warnings: 2 });
    expect(log!.warning_messages).toEqual([
      `mapping_fetch kept a row without details: HTTP 404 from ${api.url}/details/1000007`,
      `mapping_fetch kept a row without details: empty body from ${api.url}/details/1000011`,
    ]);
    const rows = parseCsv(await h.output(log!));
    expect(rows[0]).toEqual(['deal_id', 'name', 'details__score', 'details__phone', 'ext__timestamp']);
    expect(rows.slice(1).map((r) => r[0])).toEqual(
      Array.from({ length: 60 }, (_, i) => String(makeRecord(i).id)),
    );
    expect(rows[1]!.slice(0, 3)).toEqual(['1000000', 'Deal 0', String(1000000 % 97)]);
    expect(rows[8]!.slice(0, 4)).toEqual(['1000007', 'Deal 7', '', '']);
  });

  test('without a detail schema the whole response is flattened for CSV', async () => {
    const report = await h.run(config({ prefix: 'd_' }));
    const rows = parseCsv(await h.output(report.logs[0]!));
    expect(rows[0]).toEqual([
      'deal_id',
      'name',
      'd_id',
      'd_detail__owner_phone',
      'd_detail__score',
      'd_tags',
      'ext__timestamp',
    ]);
    expect(rows[1]![5]).toBe('["x"]');
  });

  test('JSON output keeps the detail as nested values', async () => {
    const report = await h.run(config({ prefix: 'd_' }, 'json'));
    const rows = JSON.parse(await h.output(report.logs[0]!)) as Array<Record<string, unknown>>;
    expect(rows[0]).toMatchObject({ deal_id: 1000000, name: 'Deal 0', d_id: 1000000, d_tags: ['x'] });
    expect(rows[0]!.d_detail).toEqual({ owner_phone: expect.any(String), score: 1000000 % 97 });
  });

  test('any other detail failure fails the run and writes no file', async () => {
    api.setFaults('/details/', { status503: { count: 1000 } });
    const c = config({});
    (c.extractions[0] as Record<string, unknown>).http = {
      max_attempts: 2,
      backoff_base_ms: 1,
      backoff_max_ms: 2,
    };
    const report = await h.run(c);
    expect(report.logs[0]!.success).toBe('false');
    expect(report.logs[0]!.error).toMatch(
      /^GET http:\/\/127\.0\.0\.1:\d+\/details\/\d+ failed after 2 attempts: HTTP 503/,
    );
    expect(await h.objectFiles()).toEqual([]);
  });
});

describe('output', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  const pages: unknown[][] = [
    [
      { a: 1, b: { c: 'x,y', d: null }, list: [1, 2], flag: true },
      { a: 2, b: { c: 'quote "q"', d: 3 }, list: [], flag: false },
    ],
    [{ a: 3, e: 'new\nline' }],
    [],
  ];
  beforeEach(async () => {
    server = await startServer((_req, url) => ({
      body: { items: pages[Number(url.searchParams.get('p')) - 1] ?? [] },
    }));
  });
  afterEach(() => server.close());

  const config = (extra: Record<string, unknown>) => ({
    name: 'out',
    extractions: [
      {
        name: 'rows',
        endpoint: { url: `${server.url}/items` },
        data_key: 'items',
        pagination: { type: 'sequential', parameters: { param_name: 'p' } },
        ...extra,
      },
    ],
  });

  test('CSV without a schema: flattened columns, header = union of every page, earlier rows padded', async () => {
    const report = await h.run(config({}));
    const text = await h.output(report.logs[0]!);
    const ts = report.logs[0]!.started_at;
    expect(text).toBe(
      'a,b__c,b__d,list,flag,e,ext__timestamp\n' +
        `1,"x,y",,"[1,2]",true,,${ts}\n` +
        `2,"quote ""q""",3,[],false,,${ts}\n` +
        `3,,,,,"new\nline",${ts}\n`,
    );
  });

  test('csv_separator is used for cells and header', async () => {
    const report = await h.run(
      config({ output_params: { csv_separator: ';' }, data_schema: { a: 'a', b: { c: 'c' } } }),
    );
    const ts = report.logs[0]!.started_at;
    expect(await h.output(report.logs[0]!)).toBe(
      `a;c;ext__timestamp\n1;x,y;${ts}\n2;"quote ""q""";${ts}\n3;;${ts}\n`,
    );
  });

  test('JSON is an array of row objects with ext__timestamp last', async () => {
    const report = await h.run(config({ format: 'json' }));
    const ts = report.logs[0]!.started_at;
    const rows = JSON.parse(await h.output(report.logs[0]!)) as Array<Record<string, unknown>>;
    expect(rows).toEqual([
      { a: 1, b: { c: 'x,y', d: null }, list: [1, 2], flag: true, ext__timestamp: ts },
      { a: 2, b: { c: 'quote "q"', d: 3 }, list: [], flag: false, ext__timestamp: ts },
      { a: 3, e: 'new\nline', ext__timestamp: ts },
    ]);
    expect(Object.keys(rows[0]!).at(-1)).toBe('ext__timestamp');
    expect(report.logs[0]!.destiny).toMatch(/\.json$/);
  });

  test('JSONL writes one object per line', async () => {
    const report = await h.run(
      config({
        format: 'jsonl',
        s3_destiny: { bucket: 'my-bucket', folder: 'a/b', filename: 'rows-{timestamp}' },
      }),
    );
    const lines = (await h.output(report.logs[0]!)).trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { a: number }).a)).toEqual([1, 2, 3]);
    expect(report.logs[0]!.destiny).toMatch(
      /^s3:\/\/my-bucket\/a\/b\/rows-\d{4}-\d\d-\d\d@\d\d-\d\d-\d\d\.jsonl$/,
    );
  });

  test('transformations run by priority, then declared order, with new_column_prefix appending', async () => {
    const report = await h.run(
      config({
        data_schema: { a: 'a', b: { c: 'c' } },
        transformations: [
          { action: 'replace', on: ['c'], params: { to_replace: ',', value: ' ' } },
          { action: 'upper', on: ['c'], priority: 5, new_column_prefix: 'up_' },
          { action: 'split', on: ['c'], new_column_prefix: 'parts_', params: { char: ' ' } },
        ],
      }),
    );
    const rows = parseCsv(await h.output(report.logs[0]!));
    expect(rows[0]).toEqual(['a', 'c', 'up_c', 'parts_c', 'ext__timestamp']);
    expect(rows[1]!.slice(0, 4)).toEqual(['1', 'x y', 'X,Y', '["x","y"]']);
  });

  test('a transformation on a column the rows lack fails the run naming it', async () => {
    const report = await h.run(
      config({ data_schema: { a: 'a' }, transformations: [{ action: 'trim', on: ['nope'] }] }),
    );
    expect(report.logs[0]!.error).toBe('transformation "trim" (priority 0): column "nope" is not in the row');
  });
});

describe('runs, last and de-duplication', () => {
  test('zero rows: success, no file, last unchanged', async () => {
    const server = await startServer(() => ({ status: 200, body: { data: [] } }));
    try {
      const report = await h.run({
        name: 'empty',
        extractions: [{ name: 'x', endpoint: { url: `${server.url}/x` }, data_key: 'data' }],
      });
      expect(report.logs[0]).toMatchObject({
        success: 'true',
        data_inserted_len: '0',
        destiny: null,
        last: null,
      });
      expect(await h.objectFiles()).toEqual([]);
    } finally {
      await server.close();
    }
  });

  test('the first record equal to the previous last is dropped; a failed run does not move last', async () => {
    // Returns every record with id >= since, like an API queried "from the last id on".
    let failing = false;
    const all = [1, 2, 3, 4, 5].map((id) => ({ id, v: `r${id}` }));
    const server = await startServer((_req, url) => {
      if (failing) return { status: 400, body: { error: 'bad' } };
      const since = Number(url.searchParams.get('since'));
      return { body: all.filter((r) => r.id >= since).slice(0, 3) };
    });
    const config = {
      name: 'incremental',
      extractions: [
        { name: 'x', endpoint: { url: `${server.url}/x`, query_params: { since: '$(last::id, 0)' } } },
      ],
    };
    try {
      const first = await h.run(config);
      expect(first.logs[0]).toMatchObject({ data_inserted_len: '3', last: { id: 3, v: 'r3' } });
      failing = true;
      const failed = await h.run(config);
      expect(failed.logs[0]).toMatchObject({ success: 'false', last: { id: 3, v: 'r3' } });
      failing = false;
      const third = await h.run(config);
      expect(server.requests.at(-1)!.searchParams.get('since')).toBe('3');
      // The API repeats record 3 first; it is dropped, so 4 and 5 are the new rows.
      expect(third.logs[0]).toMatchObject({
        success: 'true',
        data_inserted_len: '2',
        last: { id: 5, v: 'r5' },
      });
      expect(parseCsv(await h.output(third.logs[0]!)).map((r) => r[0])).toEqual(['id', '4', '5']);
    } finally {
      await server.close();
    }
  });

  test('a failing extraction leaves no partial or temporary file behind and the others still run', async () => {
    const server = await startServer((_req, url) => {
      const p = Number(url.searchParams.get('p'));
      if (url.pathname === '/bad' && p === 3) return { status: 500, body: 'boom' };
      return { body: p <= 4 ? [{ p }] : [] };
    });
    try {
      const report = await h.run({
        name: 'two',
        extractions: ['bad', 'good'].map((name) => ({
          name,
          endpoint: { url: `${server.url}/${name}` },
          pagination: { type: 'sequential', parameters: { param_name: 'p' } },
          http: { max_attempts: 1 },
          // Two extractions may not write one file.
          s3_destiny: { folder: name },
        })),
      });
      expect(report.success).toBe(false);
      expect(report.logs.map((l) => [l.extraction_name, l.success, l.data_inserted_len])).toEqual([
        ['bad', 'false', '0'],
        ['good', 'true', '4'],
      ]);
      expect(await h.objectFiles()).toHaveLength(1);
      expect(await readdir(join(h.dataDir, 'tmp'))).toEqual([]);
      const logs = await h.deps.executionLogs.list(report.logs[0]!.extraction_id);
      expect(logs[0]!.error).toBe(`GET ${server.url}/bad?p=3 failed after 1 attempt: HTTP 500: boom`);
    } finally {
      await server.close();
    }
  });
});

describe('JSON key order', () => {
  test('schema columns keep their order even when a column name is a number', async () => {
    const server = await startServer(() => ({ body: [{ name: 'a', code: 7, extra: { x: 1 } }] }));
    try {
      const report = await h.run({
        name: 'order',
        extractions: [
          {
            name: 'x',
            endpoint: { url: `${server.url}/x` },
            format: 'jsonl',
            data_schema: { name: 'name', code: '7' },
          },
        ],
      });
      const line = (await h.output(report.logs[0]!)).trimEnd();
      expect(line).toBe(`{"name":"a","7":7,"ext__timestamp":"${report.logs[0]!.started_at}"}`);
    } finally {
      await server.close();
    }
  });

  // As the upstream wrote them: JavaScript objects would list "7", "10", "2" first.
  const UPSTREAM_RECORD =
    '{"name":"a","7":1,"nested":{"z":0,"2":"x","__proto__":"p","a":[{"9":"y","b":1}]},"10":true,"note":"\\"7\\": not a key"}';

  test.each(['json', 'jsonl'])(
    'without a data_schema, %s keeps the upstream key order, integer-like keys and nested objects included',
    async (format) => {
      const server = await startServer(() => ({
        body: `{"data":[${UPSTREAM_RECORD},{"1":"b","name":"c"}]}`,
      }));
      try {
        const report = await h.run({
          name: 'order',
          extractions: [{ name: 'x', endpoint: { url: `${server.url}/x` }, data_key: 'data', format }],
        });
        const ts = `"ext__timestamp":"${report.logs[0]!.started_at}"`;
        const lines = (await h.output(report.logs[0]!))
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => l.replace(/,$/, ''));
        expect(lines).toEqual([`${UPSTREAM_RECORD.slice(0, -1)},${ts}}`, `{"1":"b","name":"c",${ts}}`]);
      } finally {
        await server.close();
      }
    },
  );

  test('without a data_schema, CSV columns follow the upstream key order, integer-like keys included', async () => {
    const server = await startServer(() => ({ body: `[${UPSTREAM_RECORD}]` }));
    try {
      const report = await h.run({
        name: 'order',
        extractions: [{ name: 'x', endpoint: { url: `${server.url}/x` } }],
      });
      const [header, row] = parseCsv(await h.output(report.logs[0]!));
      expect(header).toEqual([
        'name',
        '7',
        'nested__z',
        'nested__2',
        'nested____proto__',
        'nested__a',
        '10',
        'note',
        'ext__timestamp',
      ]);
      expect(row!.slice(0, -1)).toEqual([
        'a',
        '1',
        '0',
        'x',
        'p',
        '[{"9":"y","b":1}]',
        'true',
        '"7": not a key',
      ]);
    } finally {
      await server.close();
    }
  });
});
