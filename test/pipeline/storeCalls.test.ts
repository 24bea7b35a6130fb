/**
 * What the stages ask of the run store and the staging area per page and per detail
 * chunk (each call is a billed request on AWS): counted through the embedded
 * adapters while a run goes through, and the run's counters still exact.
 */
import { type FakeApi, startFakeApi } from '../support/fakeApi';
import { makePipelineHarness, type PipelineHarness } from '../support/pipelineHarness';
import type { PipelineDeps } from '../../shared/pipeline/deps';

let api: FakeApi;
let pipeline: PipelineHarness;
const RECORDS = 230;
const PAGE_SIZE = 20;
const PAGES = Math.ceil(RECORDS / PAGE_SIZE);

beforeEach(async () => {
  api = await startFakeApi({ records: RECORDS, pageSize: PAGE_SIZE });
  pipeline = await makePipelineHarness({ detailChunkSize: 7 });
});
afterEach(async () => {
  await pipeline.close();
  await api.close();
});

interface Calls {
  /** Run store method calls by name; `savePage` by the state saved. */
  runs: Record<string, number>;
  /** Reads of staged pages (not detail chunks) from the object store. */
  stagedPageReads: number;
  /** Listings of a page's staged detail chunks. */
  chunkListings: number;
}

/** Wraps the run store and object store the workers use, counting calls. */
function countCalls(deps: PipelineDeps): Calls {
  const calls: Calls = { runs: {}, stagedPageReads: 0, chunkListings: 0 };
  const runs = deps.runs;
  deps.runs = new Proxy(runs, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const key = name === 'savePage' ? `savePage ${(args[0] as { state: string }).state}` : String(name);
        calls.runs[key] = (calls.runs[key] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const objects = deps.objects;
  const get = objects.get.bind(objects);
  const list = objects.list.bind(objects);
  deps.objects = Object.assign(Object.create(objects) as typeof objects, {
    get: (bucket: string, key: string) => {
      if (/\/page-\d+\.json$/.test(key)) calls.stagedPageReads++;
      return get(bucket, key);
    },
    list: (bucket: string, prefix: string) => {
      if (prefix.endsWith('.details-')) calls.chunkListings++;
      return list(bucket, prefix);
    },
  });
  return calls;
}

const config = (details: boolean) => ({
  name: 'calls',
  extractions: [
    {
      name: 'deals',
      data_key: 'data',
      endpoint: { url: `${api.url}/crm/v2/deals`, query_params: { per_page: PAGE_SIZE } },
      pagination: {
        type: 'sequential',
        parameters: { param_name: 'page', there_are_more_pages: 'info.more_records', pages_in_flight: 3 },
      },
      data_schema: { id: 'id', Deal_Name: 'name' },
      ...(details
        ? {
            mapping_fetch: {
              endpoint: { url: `${api.url}/details/\${extracted_item::id}` },
              prefix: 'd_',
              concurrency: 4,
            },
          }
        : {}),
    },
  ],
});

test('a detail chunk reads neither the page record nor, mostly, the staged page again, and counts its requests in the write that counts the chunk', async () => {
  const calls = countCalls(pipeline.deps);
  const { run, logs } = await pipeline.run(config(true));
  expect(run.status).toBe('succeeded');
  expect(logs[0]).toMatchObject({
    data_inserted_len: String(RECORDS),
    detail_requests: RECORDS,
    pages: PAGES,
  });
  // 35 chunks: before, each read the page record and the staged page, and added its
  // requests in writes of their own.
  const chunks = 11 * Math.ceil(PAGE_SIZE / 7) + Math.ceil((RECORDS % PAGE_SIZE) / 7);
  expect(calls.runs.countChunk).toBe(chunks);
  // Whether a page is complete comes from its record's counted chunks, not an object listing.
  expect(calls.chunkListings).toBe(0);
  expect(calls.runs.countedChunks).toBe(chunks);
  // Pages fetched: the window may fetch a page or two past the end before it is known.
  const fetched = run.counters.pages;
  expect(fetched).toBeGreaterThanOrEqual(PAGES);
  // The page-fetcher and the writer read each page record once.
  expect(calls.runs.getPage).toBeLessThanOrEqual(2 * fetched);
  // The writer reads each staged page once, the detail-mapper once per page it keeps.
  expect(calls.stagedPageReads).toBeLessThanOrEqual(2 * fetched);
  expect(calls.runs.addCounters ?? 0).toBe(0);
  // Every request made is still counted: the listing's and one per detail.
  expect(run.counters.details).toBe(RECORDS);
  expect(run.counters.requests).toBe(fetched + RECORDS);
});

test('a page without details is staged, then done: no write in between, and its requests counted as it is staged', async () => {
  const calls = countCalls(pipeline.deps);
  const { run, logs } = await pipeline.run(config(false));
  expect(run.status).toBe('succeeded');
  expect(logs[0]).toMatchObject({ data_inserted_len: String(RECORDS), pages: PAGES });
  // Pages fetched: the window may fetch a page or two past the end before it is known.
  const fetched = run.counters.pages;
  expect(fetched).toBeGreaterThanOrEqual(PAGES);
  expect(calls.runs['savePage staged']).toBe(fetched);
  expect(calls.runs['savePage dispatched'] ?? 0).toBe(0);
  expect(calls.runs.addCounters ?? 0).toBe(0);
  expect(run.counters.requests).toBe(fetched);
  // Completing a page reads its extraction's state once, with the mark (before: the mark
  // read it back, then a read of its own): the page stage's read plus a few per run.
  expect(calls.runs.markPageDone).toBe(fetched);
  expect(calls.runs.getExtraction).toBeLessThanOrEqual(fetched + 10);
});

/**
 * The run's status and the execution logs: a caller that sees the run over (GET
 * /runs/{id}) and then asks for the logs finds every extraction's, and a log is written
 * once per extraction, whether it succeeded or failed.
 */
test.each([
  ['succeeds', `/crm/v2/deals`, 'succeeded'],
  ['fails', `/no-such-route`, 'failed'],
])(
  'an extraction that %s has its log written once, before the run is finished',
  async (_how, path, status) => {
    const appended: string[] = [];
    const logsAtFinish: number[] = [];
    const logs = pipeline.deps.executionLogs;
    const append = logs.append.bind(logs);
    pipeline.deps.executionLogs = Object.assign(Object.create(logs) as typeof logs, {
      append: async (log: { extraction_id: string }) => {
        await append(log as Parameters<typeof append>[0]);
        appended.push(log.extraction_id);
      },
    });
    const runs = pipeline.deps.runs;
    const finishRun = runs.finishRun.bind(runs);
    pipeline.deps.runs = Object.assign(Object.create(runs) as typeof runs, {
      finishRun: (...args: Parameters<typeof finishRun>) => {
        logsAtFinish.push(appended.length);
        return finishRun(...args);
      },
    });
    const failing = config(false);
    failing.extractions[0]!.endpoint.url = `${api.url}${path}`;
    const { run } = await pipeline.run(failing);
    expect(run.status).toBe(status);
    expect(appended).toHaveLength(1);
    expect(logsAtFinish.length).toBeGreaterThanOrEqual(1);
    expect(logsAtFinish.every((n) => n === 1)).toBe(true);
  },
);
