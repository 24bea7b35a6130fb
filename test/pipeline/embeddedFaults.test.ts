/**
 * Faults on the embedded pipeline, each asserting the exact rows of the output:
 * every message delivered twice, a worker process killed with SIGKILL mid-run and
 * restarted, poison messages, a task that keeps failing, upstream 429/503 storms.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { parseConfig } from '../../shared/core/config/validate';
import { embeddedPipelineDeps } from '../../shared/adapters/embedded/pipelineDeps';
import { startRun } from '../../shared/pipeline/stages';
import { silentLogger } from '../../shared/ports/logger';
import type { PageRecord } from '../../shared/ports/runs';
import { type FakeApi, makeRecord, startFakeApi } from '../support/fakeApi';
import { parseCsv } from '../support/engineHarness';
import { duplicating } from '../support/duplicatingBroker';
import { makePipelineHarness, type PipelineHarness, waitForRun } from '../support/pipelineHarness';

let api: FakeApi;
beforeEach(async () => {
  api = await startFakeApi({ records: 150, pageSize: 10 });
});
afterEach(() => api.close());

const expectedIds = (n: number): string[] => Array.from({ length: n }, (_, i) => String(makeRecord(i).id));

function dealsConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'faults',
    extractions: [
      {
        name: 'deals',
        endpoint: { url: `${api.url}/crm/v2/deals` },
        data_key: 'data',
        data_schema: { id: 'id', Deal_Name: 'name', d: 'detail_score' },
        pagination: {
          type: 'sequential',
          parameters: { param_name: 'page', there_are_more_pages: 'info.more_records', pages_in_flight: 3 },
        },
        mapping_fetch: {
          endpoint: { url: `${api.url}/details/\${extracted_item::id}` },
          prefix: 'd_',
          data_schema: { detail: { score: 'score' } },
        },
        http: { backoff_base_ms: 1, backoff_max_ms: 5 },
        ...extra,
      },
    ],
  };
}

function sequentialPages(pagesInFlight: number): Record<string, unknown> {
  return {
    type: 'sequential',
    parameters: {
      param_name: 'page',
      there_are_more_pages: 'info.more_records',
      pages_in_flight: pagesInFlight,
    },
  };
}

async function idsIn(h: PipelineHarness, logs: Array<{ destiny: string | null }>): Promise<string[]> {
  const rows = parseCsv(await h.output(logs[0] as never));
  expect(rows[0]).toEqual(['id', 'name', 'detail_score', 'd_score', 'ext__timestamp']);
  return rows.slice(1).map((r) => r[0]!);
}

test('every message delivered twice: every row exactly once', async () => {
  const h = await makePipelineHarness({ detailChunkSize: 4 });
  try {
    h.deps.queues = duplicating(h.deps.queues);
    const { run, logs } = await h.run(dealsConfig());
    expect(run.status).toBe('succeeded');
    expect(await idsIn(h, logs)).toEqual(expectedIds(150));
    expect(logs[0]!.data_inserted_len).toBe('150');
  } finally {
    await h.close();
  }
});

test('upstream 429 and 503 storms: the run rides them out with every row once', async () => {
  api.setFaults('/crm/v2/deals', { status429: { count: 4, retryAfterSeconds: 0 }, status503: { count: 4 } });
  api.setFaults('/details/', { status503: { count: 10 } });
  const h = await makePipelineHarness({ detailChunkSize: 6 });
  try {
    const { run, logs } = await h.run(
      dealsConfig({ http: { backoff_base_ms: 1, backoff_max_ms: 5, max_attempts: 8 } }),
    );
    expect(run.status).toBe('succeeded');
    expect(run.counters.retries).toBeGreaterThanOrEqual(18);
    expect(await idsIn(h, logs)).toEqual(expectedIds(150));
  } finally {
    await h.close();
  }
});

test('a run that fails after retries: its execution log counts the same requests and retries as the run', async () => {
  api.setFaults('/crm/v2/deals', { status503: { count: 1000 } });
  const h = await makePipelineHarness();
  try {
    const { run, logs } = await h.run(
      dealsConfig({
        mapping_fetch: null,
        pagination: sequentialPages(1),
        http: { backoff_base_ms: 1, backoff_max_ms: 5, max_attempts: 3 },
      }),
    );
    expect(run.status).toBe('failed');
    // The first page, tried three times: the log and the run agree.
    expect(run.counters).toMatchObject({ requests: 3, retries: 2 });
    expect(logs[0]).toMatchObject({ success: 'false', requests: 3, retries: 2 });
  } finally {
    await h.close();
  }
});

test('poison messages are dead-lettered at once, without retries, and other runs are unaffected', async () => {
  const h = await makePipelineHarness();
  try {
    await h.deps.queues.send('pages', [
      '{not json',
      JSON.stringify({ v: 1, type: 'page', runId: 'r-x', extractionId: 'e' }),
    ]);
    const { run, logs } = await h.run(dealsConfig());
    expect(run.status).toBe('succeeded');
    expect(await idsIn(h, logs)).toEqual(expectedIds(150));
    const invalid = h.logLines.filter((l) => l.message === 'invalid message sent to the dead-letter queue');
    expect(invalid.map((l) => l.fields!.reason)).toEqual([
      'pages message is not JSON',
      'invalid pages message: cursor is required',
    ]);
    // Each was received once: dead-lettered, not retried.
    expect(h.logLines.filter((l) => l.message === 'task failed; it will be retried')).toEqual([]);
  } finally {
    await h.close();
  }
});

test('a task that keeps failing ends in the dead-letter queue and its run fails with the cause', async () => {
  const h = await makePipelineHarness({
    queue: { maxReceiveCount: 3, retryDelayMs: 10, pollIntervalMs: 10 },
  });
  try {
    // Break the staging bucket under the writer: every finalize attempt throws the same error.
    const objects = h.deps.objects;
    h.deps.objects = {
      ...objects,
      put: (bucket, key, body) =>
        bucket === h.deps.defaultBucket
          ? Promise.reject(new Error('disk full'))
          : objects.put(bucket, key, body),
      putIfAbsent: (bucket, key, body, owner) =>
        bucket === h.deps.defaultBucket
          ? Promise.reject(new Error('disk full'))
          : objects.putIfAbsent(bucket, key, body, owner),
      get: (b, k) => objects.get(b, k),
      list: (b, p) => objects.list(b, p),
      deletePrefix: (b, p) => objects.deletePrefix(b, p),
      describe: (b, k) => objects.describe(b, k),
    };
    const { run, logs } = await h.run(dealsConfig());
    expect(run.status).toBe('failed');
    expect(run.error).toBe('deals: finalize task failed 3 times: disk full');
    expect(logs[0]).toMatchObject({
      success: 'false',
      error: 'finalize task failed 3 times: disk full',
      destiny: null,
    });
  } finally {
    await h.close();
  }
});

/** A worker that dies once right after `step` succeeded for the first target it matches. */
function dyingOnceAfter<T extends object>(
  target: T,
  method: keyof T,
  matches: (...args: never[]) => boolean,
): T {
  let died = false;
  return new Proxy(target, {
    get(t, prop) {
      const value = Reflect.get(t, prop, t) as unknown;
      if (typeof value !== 'function') return value;
      if (prop !== method) return value.bind(t);
      return async (...args: never[]) => {
        const result: unknown = await (value as (...a: never[]) => Promise<unknown>).apply(t, args);
        if (!died && matches(...args)) {
          died = true;
          throw new Error('worker killed right after this write');
        }
        return result;
      };
    },
  });
}

describe('counters after a worker died between a write and its count', () => {
  test('page 4 staged and recorded, then the page-fetcher died: pages and rows still equal the file', async () => {
    const h = await makePipelineHarness({ detailChunkSize: 4 });
    try {
      h.deps.runs = dyingOnceAfter(
        h.deps.runs,
        'savePage',
        (page: PageRecord) => page.index === 4 && page.state === 'staged',
      );
      const { run, logs } = await h.run(dealsConfig({ pagination: sequentialPages(1) }));
      expect(run.status).toBe('succeeded');
      const ids = await idsIn(h, logs);
      expect(ids).toEqual(expectedIds(150));
      expect(run.counters).toMatchObject({ pages: 15, rows: ids.length, details: ids.length });
      const state = await h.deps.runs.getExtraction(run.runId, run.extractionIds[0]!);
      expect(state?.counters).toMatchObject({ pages: 15, rows: 150, details: 150 });
    } finally {
      await h.close();
    }
  });

  test('a detail chunk staged, then the detail-mapper died: details and warnings still equal the file', async () => {
    const h = await makePipelineHarness({ detailChunkSize: 4 });
    try {
      h.deps.objects = dyingOnceAfter(h.deps.objects, 'put', (_bucket: string, key: string) =>
        /page-0*3\.details-0*1\.json$/.test(key),
      );
      const { run, logs } = await h.run(dealsConfig({ pagination: sequentialPages(1) }));
      expect(run.status).toBe('succeeded');
      const ids = await idsIn(h, logs);
      expect(ids).toEqual(expectedIds(150));
      // No detail failed; the one warning is the log's: the data_schema path `d` matches nothing.
      expect(logs[0]).toMatchObject({ warnings: 1 });
      expect(run.counters).toMatchObject({ pages: 15, rows: 150, details: 150, warnings: 1 });
    } finally {
      await h.close();
    }
  });
});

test('a URL that is not absolute http(s) once resolved fails its extraction for good, naming the field: no retry', async () => {
  const h = await makePipelineHarness({
    queue: { maxReceiveCount: 3, retryDelayMs: 10, pollIntervalMs: 10 },
  });
  try {
    const config = dealsConfig();
    const [deals] = config.extractions as Array<Record<string, unknown>>;
    const placeholder = {
      name: 'placeholder',
      endpoint: { url: '{domain}/data' },
      s3_destiny: { folder: 'p' },
    };
    // The detail URL is a reference that resolves to a deal name, not a URL.
    const detail = {
      ...deals,
      name: 'details',
      mapping_fetch: { endpoint: { url: '${extracted_item::Deal_Name}' } },
      s3_destiny: { folder: 'd' },
    };
    const { run, logs } = await h.run({ ...config, extractions: [deals, placeholder, detail] });
    expect(run.status).toBe('failed');
    expect(logs.map((l) => [l.extraction_name, l.success, l.error])).toEqual([
      ['deals', 'true', null],
      [
        'placeholder',
        'false',
        'extractions[1].endpoint.url: "{domain}/data" is not an absolute http or https URL (after references are resolved)',
      ],
      [
        'details',
        'false',
        'extractions[2].mapping_fetch.endpoint.url: "${extracted_item::Deal_Name}" is not an absolute http or https URL (after references are resolved)',
      ],
    ]);
    expect(h.logLines.filter((l) => l.message === 'task failed; it will be retried')).toEqual([]);
  } finally {
    await h.close();
  }
});

describe('a worker process killed mid-run', () => {
  const bin = join(__dirname, '../../dist/services/embedded/main.js');
  const children: ChildProcess[] = [];
  const startWorkers = (dataDir: string): ChildProcess => {
    const child = spawn(process.execPath, [bin], {
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        PORT: '0',
        SCHEDULER: 'off',
        LOG_LEVEL: 'error',
        VISIBILITY_TIMEOUT_SECONDS: '1',
        RETRY_DELAY_MS: '50',
        DETAIL_CHUNK_SIZE: '5',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    return child;
  };
  afterEach(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  test('SIGKILL then a restart: the run completes with every row exactly once', async () => {
    await api.close();
    api = await startFakeApi({ records: 150, pageSize: 10, latencyMs: 40 });
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dataDir = await mkdtemp(join(tmpdir(), 'api-extractor-kill-'));
    // This process only starts the run and watches; the workers live in child processes.
    const { deps, db } = embeddedPipelineDeps({ dataDir, logger: silentLogger, env: {} });
    try {
      const first = startWorkers(dataDir);
      const started = await startRun(parseConfig(dealsConfig()), deps, { trigger: 'api' });
      // Wait until the first worker is mid-run: some pages staged, the run not over.
      for (;;) {
        const run = await deps.runs.getRun(started.runId);
        if (run!.counters.pages >= 4) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      first.kill('SIGKILL');
      await once(first, 'exit');
      expect((await deps.runs.getRun(started.runId))!.status).toBe('running');
      const second = startWorkers(dataDir);
      const run = await waitForRun(deps.runs, started.runId, 30_000);
      expect(run.status).toBe('succeeded');
      const log = (await deps.executionLogs.list(run.extractionIds[0]!))[0]!;
      const { readFile } = await import('node:fs/promises');
      const rows = parseCsv(await readFile(join(dataDir, 's3', log.destiny!.replace('s3://', '')), 'utf8'));
      expect(rows.slice(1).map((r) => r[0])).toEqual(expectedIds(150));
      second.kill('SIGTERM');
      const [code] = (await once(second, 'exit')) as [number | null];
      expect(code).toBe(0);
    } finally {
      db.close();
    }
  }, 60_000);

  test('killed while writing the file: nothing visible under the key; after a restart the whole file', async () => {
    await api.close();
    api = await startFakeApi({ records: 40_000, pageSize: 1000 });
    const { mkdtemp, readFile, readdir } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dataDir = await mkdtemp(join(tmpdir(), 'api-extractor-kill-writer-'));
    const { deps, db } = embeddedPipelineDeps({ dataDir, logger: silentLogger, env: {} });
    try {
      const first = startWorkers(dataDir);
      const config = {
        name: 'big',
        extractions: [
          {
            name: 'deals',
            endpoint: { url: `${api.url}/crm/v2/deals`, query_params: { per_page: 1000 } },
            data_key: 'data',
            pagination: {
              type: 'sequential',
              parameters: {
                param_name: 'page',
                there_are_more_pages: 'info.more_records',
                pages_in_flight: 4,
              },
            },
          },
        ],
      };
      const started = await startRun(parseConfig(config), deps, { trigger: 'api' });
      const extractionId = started.extractionIds[0]!;
      for (;;) {
        const state = await deps.runs.getExtraction(started.runId, extractionId);
        if (state!.status !== 'running') break;
        await new Promise((r) => setTimeout(r, 2));
      }
      first.kill('SIGKILL');
      await once(first, 'exit');
      expect((await deps.runs.getExtraction(started.runId, extractionId))!.status).toBe('finalizing');
      expect(await deps.objects.list(deps.defaultBucket, '')).toEqual([]);
      const second = startWorkers(dataDir);
      const run = await waitForRun(deps.runs, started.runId, 30_000);
      expect(run.status).toBe('succeeded');
      const log = (await deps.executionLogs.list(extractionId))[0]!;
      const rows = parseCsv(await readFile(join(dataDir, 's3', log.destiny!.replace('s3://', '')), 'utf8'));
      expect(rows.slice(1).map((r) => r[0])).toEqual(expectedIds(40_000));
      expect(await deps.objects.list(deps.defaultBucket, '')).toHaveLength(1);
      // The killed writer's temporary file is never listed as an object.
      expect(
        (await readdir(join(dataDir, 's3', deps.defaultBucket))).filter((f) => !f.startsWith('.')),
      ).toHaveLength(1);
      second.kill('SIGTERM');
      await once(second, 'exit');
    } finally {
      db.close();
    }
  }, 60_000);
});
