/** Hostile upstreams against the embedded pipeline: deep nesting and link loops fail at once, for good. */
import { startServer } from '../support/engineHarness';
import { makePipelineHarness, type PipelineHarness } from '../support/pipelineHarness';

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
