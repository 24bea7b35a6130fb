/** Hostile upstreams against the embedded pipeline: deep nesting and link loops fail at once, for good. */
import { startServer } from '../support/engineHarness';
import { makePipelineHarness, type PipelineHarness, waitForRun } from '../support/pipelineHarness';
import { loopingUpstream } from '../support/loopingUpstream';
import { staging } from '../../shared/pipeline/staging';
import { startRun } from '../../shared/pipeline/stages';
import { parseConfig } from '../../shared/core/config/validate';

let pipeline: PipelineHarness;
beforeEach(async () => {
  pipeline = await makePipelineHarness();
});
afterEach(() => pipeline.close());

const FAST_HTTP = { backoff_base_ms: 1, backoff_max_ms: 5, max_attempts: 5, timeout_ms: 5000 };

test('a 100k-deep nested array fails the run at once: one request, no task retries', async () => {
  const depth = 100_000;
  const server = await startServer(() => ({ body: '['.repeat(depth) + ']'.repeat(depth) }));
  try {
    const { run, logs } = await pipeline.run({
      name: 'deep',
      extractions: [{ name: 'x', endpoint: { url: `${server.url}/x` }, http: FAST_HTTP }],
    });
    const error = `response from ${server.url}/x nests JSON deeper than 1000 levels; such a body is refused`;
    expect(run.status).toBe('failed');
    expect(run.error).toBe(`x: ${error}`);
    expect(logs[0]).toMatchObject({ success: 'false', error });
    expect(server.requests).toHaveLength(1);
    expect(pipeline.logLines.filter((l) => l.message === 'task failed; it will be retried')).toEqual([]);
  } finally {
    await server.close();
  }
});

const loopConfig = (url: string) => ({
  name: 'loop',
  extractions: [
    {
      name: 'x',
      endpoint: { url: `${url}/pingpong?page=1` },
      data_key: 'results',
      pagination: { type: 'link', parameters: { next_link: 'next' } },
      http: FAST_HTTP,
    },
  ],
});

test('a link loop fails the run at once with the default max_pages', async () => {
  const server = await startServer(loopingUpstream);
  try {
    const { run, logs } = await pipeline.run(loopConfig(server.url));
    const error = `pagination loops: page 3 would repeat the request of page 1 (${server.url}/pingpong?page=1); the upstream's next link or cursor points back`;
    expect(run.status).toBe('failed');
    expect(run.error).toBe(`x: ${error}`);
    expect(logs[0]).toMatchObject({ success: 'false', error });
    expect(server.requests).toHaveLength(2);
  } finally {
    await server.close();
  }
});

test('a repeated cursor fails the run at once', async () => {
  const server = await startServer(loopingUpstream);
  try {
    const { run, logs } = await pipeline.run({
      name: 'loop',
      extractions: [
        {
          name: 'x',
          endpoint: { url: `${server.url}/cursor` },
          data_key: 'results',
          pagination: { type: 'cursor', parameters: { cursor_key: 'next_cursor', param_name: 'cursor' } },
          http: FAST_HTTP,
        },
      ],
    });
    expect(run.status).toBe('failed');
    expect(logs[0]!.error).toMatch(/^pagination loops: page 3 would repeat the request of page 2 /);
    expect(server.requests).toHaveLength(2);
  } finally {
    await server.close();
  }
});

test("the run's status is final as soon as its log holds the error, even when the clean-up after it fails", async () => {
  const server = await startServer(loopingUpstream);
  const objects = pipeline.deps.objects;
  const logs = pipeline.deps.executionLogs;
  let cleanupFailures = 0;
  let appendFailures = 0;
  // Staging clean-up and the execution log write each fail once, after the extraction is marked failed.
  pipeline.deps.objects = Object.assign(Object.create(objects) as typeof objects, {
    deletePrefix: async (bucket: string, prefix: string) => {
      if (cleanupFailures++ === 0) throw new Error('injected: staging clean-up failed');
      return objects.deletePrefix(bucket, prefix);
    },
  });
  pipeline.deps.executionLogs = Object.assign(Object.create(logs) as typeof logs, {
    append: async (log: Parameters<typeof logs.append>[0]) => {
      if (appendFailures++ === 0) throw new Error('injected: execution log write failed');
      return logs.append(log);
    },
  });
  try {
    const started = await startRun(parseConfig(loopConfig(server.url)), pipeline.deps, { trigger: 'api' });
    const run = await waitForRun(pipeline.deps.runs, started.runId);
    expect(run.status).toBe('failed');
    const extractionId = run.extractionIds[0]!;
    const state = await pipeline.deps.runs.getExtraction(run.runId, extractionId);
    expect(state!.status).toBe('failed');
    expect(run.error).toBe(`x: ${state!.log!.error}`);
    // The interrupted steps are completed by the task's redelivery: the log, then the clean-up.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const written = (await logs.list(extractionId)).find((l) => l.run_id === run.runId);
      const left = await objects.list(pipeline.deps.stagingBucket, staging.prefix(run.runId, extractionId));
      if (written && left.length === 0) {
        expect(written).toEqual(state!.log);
        break;
      }
      if (Date.now() > deadline)
        throw new Error(`not settled: log ${String(!!written)}, staged ${left.length}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await pipeline.deps.runs.getRun(run.runId))!.status).toBe('failed');
  } finally {
    pipeline.deps.objects = objects;
    pipeline.deps.executionLogs = logs;
    await server.close();
  }
});
