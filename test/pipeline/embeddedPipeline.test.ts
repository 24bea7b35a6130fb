/**
 * The distributed pipeline's handlers on the embedded adapters produce the same file
 * as the in-process engine, byte for byte except `ext__timestamp`.
 */
import dealsSeed from '../fixtures/seed-zoho-deals.json';
import { type FakeApi, startFakeApi } from '../support/fakeApi';
import { type Harness, makeHarness, startServer } from '../support/engineHarness';
import { makePipelineHarness, type PipelineHarness, withoutTimestamps } from '../support/pipelineHarness';

let api: FakeApi;
let engine: Harness;
let pipeline: PipelineHarness;
const SECRETS = { zoho_refresh_token: 'rt-1', zoho_client_id: 'cid-1', zoho_client_secret: 'cs-1' };

beforeEach(async () => {
  api = await startFakeApi({
    records: 230,
    pageSize: 20,
    token: { refreshToken: SECRETS.zoho_refresh_token },
    detailMissing: (id) => (id % 17 === 0 ? 'notfound' : undefined),
  });
  engine = await makeHarness();
  pipeline = await makePipelineHarness({ detailChunkSize: 7 });
  await engine.setSecrets(SECRETS);
  await pipeline.setSecrets(SECRETS);
});
afterEach(async () => {
  await pipeline.close();
  await engine.close();
  await api.close();
});

async function compare(config: Record<string, unknown>): Promise<string> {
  const reference = await engine.run(config);
  const distributed = await pipeline.run(config);
  expect(distributed.run.status).toBe(reference.success ? 'succeeded' : 'failed');
  expect(distributed.logs).toHaveLength(reference.logs.length);
  for (let i = 0; i < reference.logs.length; i++) {
    const ref = reference.logs[i]!;
    const got = distributed.logs[i]!;
    expect(got).toMatchObject({
      success: ref.success,
      data_inserted_len: ref.data_inserted_len,
      warnings: ref.warnings,
    });
    if (ref.destiny)
      expect(withoutTimestamps(await pipeline.output(got))).toBe(withoutTimestamps(await engine.output(ref)));
  }
  return distributed.run.runId;
}

function pointAt<T>(seed: T): T {
  return JSON.parse(
    JSON.stringify(seed)
      .replaceAll('https://accounts.zoho.com', api.url)
      .replaceAll('https://www.zohoapis.com', api.url),
  ) as T;
}

test('the Zoho deals seed config', async () => {
  await compare(pointAt(dealsSeed) as Record<string, unknown>);
});

const base = (extraction: Record<string, unknown>) => ({
  name: 'cmp',
  extractions: [
    { name: 'deals', data_key: 'data', endpoint: { url: `${api.url}/crm/v2/deals` }, ...extraction },
  ],
});

test('parallel pages with mapping_fetch, transformations and JSON', async () => {
  for (const format of ['csv', 'json', 'jsonl']) {
    await compare(
      base({
        name: `deals-${format}`,
        format,
        pagination: {
          type: 'sequential',
          parameters: { param_name: 'page', there_are_more_pages: 'info.more_records', pages_in_flight: 4 },
        },
        data_schema: { id: 'id', Deal_Name: 'name', Owner: { email: 'email' } },
        mapping_fetch: {
          endpoint: { url: `${api.url}/details/\${extracted_item::id}` },
          prefix: 'd_',
          concurrency: 3,
        },
        transformations: [
          { action: 'upper', on: ['name'], new_column_prefix: 'up_' },
          { action: 'replace', on: ['email'], params: { to_replace: '@', value: ' at ' }, priority: 2 },
        ],
      }),
    );
  }
});

test('a data_schema column empty in every row of a page is one warning per column in the log, in both loops', async () => {
  const seed = pointAt(dealsSeed) as { extractions: Array<Record<string, unknown>> };
  const config = {
    ...seed,
    extractions: [
      {
        ...seed.extractions[0],
        name: 'typos',
        // "Dael_Stage" and "emial" match nothing in the records; "id" and "Deal_Name" do.
        data_schema: { id: 'id', Deal_Name: 'name', Dael_Stage: 'stage', Owner: { emial: 'email' } },
        mapping_fetch: undefined,
        transformations: [],
      },
    ],
  };
  const expected = ['stage', 'email'].map(
    (column) =>
      `data_schema column "${column}" is empty in every row of a page (20 rows): does its path match the records?`,
  );
  const reference = await engine.run(config);
  const distributed = await pipeline.run(config);
  for (const log of [reference.logs[0]!, distributed.logs[0]!]) {
    expect(log.error).toBeNull();
    expect(log).toMatchObject({ success: 'true', data_inserted_len: '230', warnings: 2 });
    expect(log.warning_messages).toEqual(expected);
  }
  expect(distributed.run.counters.warnings).toBe(2);
});

test('link pagination, a schema-less CSV with nested fields, and boundary de-duplication on the next run', async () => {
  const config = {
    name: 'links',
    extractions: [
      {
        name: 'linked',
        endpoint: { url: `${api.url}/link`, query_params: { style: 'relative' } },
        data_key: 'results',
        pagination: { type: 'link', parameters: { next_link: 'pagination.next_link' } },
      },
    ],
  };
  await compare(config);
});

test('schema-less files whose upstream has integer-like keys: the upstream order, as the engine writes it', async () => {
  // Pages written as text: a JavaScript object would list "7" and "10" first.
  const server = await startServer((_req, url) => {
    const page = Number(url.searchParams.get('page'));
    const records = [0, 1].map((i) => `{"name":"r${page}-${i}","7":${i},"nested":{"z":1,"2":2},"10":"ten"}`);
    return { body: `{"more":${page < 3},"data":[${records.join(',')}]}` };
  });
  try {
    for (const format of ['csv', 'json', 'jsonl']) {
      const config = {
        name: 'order',
        extractions: [
          {
            name: `order-${format}`,
            format,
            endpoint: { url: `${server.url}/x` },
            data_key: 'data',
            pagination: {
              type: 'sequential',
              parameters: { param_name: 'page', there_are_more_pages: 'more' },
            },
          },
        ],
      };
      await compare(config);
      const output = await engine.output((await engine.run(config)).logs[0]!);
      expect(output.indexOf('name')).toBeLessThan(output.indexOf('7'));
      expect(output.indexOf('z')).toBeLessThan(output.indexOf('2'));
    }
  } finally {
    await server.close();
  }
});

test('a failing page fails the run the same way, with no file', async () => {
  api.setFaults('/crm/v2/deals', { status503: { count: 1000 } });
  const runId = await compare(
    base({
      http: { max_attempts: 2, backoff_base_ms: 1, backoff_max_ms: 2 },
      pagination: { type: 'sequential', parameters: { param_name: 'page' } },
    }),
  );
  const run = await pipeline.deps.runs.getRun(runId);
  expect(run!.error).toMatch(
    /^deals: GET http:\/\/127\.0\.0\.1:\d+\/crm\/v2\/deals\?page=1 failed after 2 attempts: HTTP 503/,
  );
});
