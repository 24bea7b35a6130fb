/** Hostile upstreams against the in-process engine: deep nesting, trickling bodies, link loops. */
import { type Harness, makeHarness, startServer } from '../support/engineHarness';

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(() => h.close());

const FAST_HTTP = { backoff_base_ms: 1, backoff_max_ms: 5, max_attempts: 5, timeout_ms: 5000 };

describe('deeply nested JSON', () => {
  test.each(['csv', 'json'])(
    'a 100k-deep nested array fails at once (%s), one request, no retries',
    async (format) => {
      const depth = 100_000;
      const server = await startServer(() => ({ body: '['.repeat(depth) + ']'.repeat(depth) }));
      try {
        const report = await h.run({
          name: 'deep',
          extractions: [{ name: 'x', format, endpoint: { url: `${server.url}/x` }, http: FAST_HTTP }],
        });
        expect(report.logs[0]!.success).toBe('false');
        expect(report.logs[0]!.error).toBe(
          `response from ${server.url}/x nests JSON deeper than 1000 levels; such a body is refused`,
        );
        expect(server.requests).toHaveLength(1);
      } finally {
        await server.close();
      }
    },
  );

  test('nesting up to the limit is extracted', async () => {
    const depth = 1000; // the records list is level 1
    const server = await startServer(() => ({ body: '['.repeat(depth) + ']'.repeat(depth) }));
    try {
      for (const format of ['csv', 'json']) {
        const report = await h.run({
          name: 'deep',
          extractions: [{ name: format, format, endpoint: { url: `${server.url}/x` }, http: FAST_HTTP }],
        });
        expect(report.logs[0]).toMatchObject({ success: 'true', data_inserted_len: '1' });
      }
    } finally {
      await server.close();
    }
  });
});
