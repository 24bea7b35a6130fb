/**
 * A run's extractions at most `concurrency` at once: each with its own output file and
 * execution log, intact, the logs in config order, one failing not stopping the others.
 */
import { type Harness, makeHarness, parseCsv, startServer } from '../support/engineHarness';

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(() => h.close());

/**
 * Five pages of 40 rows per extraction path. The first two first pages wait for each
 * other (or a generous deadline), so two extractions run at once only if the run
 * starts them together; counts the most requests in flight at once.
 */
async function barrierServer() {
  let inFlight = 0;
  let most = 0;
  const waiting: Array<() => void> = [];
  let released = false;
  const server = await startServer(async (_req, url) => {
    const name = url.pathname.slice(1);
    const page = Number(url.searchParams.get('page') ?? '1');
    inFlight++;
    most = Math.max(most, inFlight);
    try {
      if (name === 'broken') return { status: 400, body: { error: 'bad request' } };
      if (page === 1 && !released) {
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (waiting.length < 2) return void setTimeout(resolve, 10_000).unref();
          released = true;
          for (const release of waiting.splice(0)) release();
        });
      }
      const rows = Array.from({ length: 40 }, (_, i) => ({ id: `${name}-${page}-${i}`, name }));
      return { body: { data: rows, more: page < 5 } };
    } finally {
      inFlight--;
    }
  });
  return { server, most: () => most };
}

const extraction = (url: string, name: string) => ({
  name,
  endpoint: { url: `${url}/${name}` },
  data_key: 'data',
  data_schema: { id: 'id', name: 'name' },
  pagination: { type: 'sequential', parameters: { param_name: 'page', there_are_more_pages: 'more' } },
  http: { max_attempts: 1 },
  s3_destiny: { folder: `${name}/` },
});

test('concurrency 2 runs two extractions at once, never three; each file and log is its own', async () => {
  const { server, most } = await barrierServer();
  try {
    const names = ['alpha', 'beta', 'broken', 'gamma'];
    const report = await h.run(
      { name: 'many', extractions: names.map((n) => extraction(server.url, n)) },
      { concurrency: 2 },
    );
    expect(most()).toBe(2);
    expect(report.success).toBe(false);
    expect(report.logs.map((l) => [l.extraction_name, l.success, l.data_inserted_len])).toEqual([
      ['alpha', 'true', '200'],
      ['beta', 'true', '200'],
      ['broken', 'false', '0'],
      ['gamma', 'true', '200'],
    ]);
    for (const log of report.logs.filter((l) => l.success === 'true')) {
      const rows = parseCsv(await h.output(log));
      expect(rows[0]).toEqual(['id', 'name', 'ext__timestamp']);
      const expected = [1, 2, 3, 4, 5].flatMap((p) =>
        Array.from({ length: 40 }, (_, i) => `${log.extraction_name}-${p}-${i}`),
      );
      expect(rows.slice(1).map((r) => r[0])).toEqual(expected);
      expect(new Set(rows.slice(1).map((r) => r[1]))).toEqual(new Set([log.extraction_name]));
    }
  } finally {
    await server.close();
  }
});

test('without concurrency, one extraction at a time, as before', async () => {
  let inFlight = 0;
  let most = 0;
  const server = await startServer(async (_req, url) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    inFlight--;
    return { body: { data: [{ id: url.pathname, name: 'x' }], more: false } };
  });
  try {
    const report = await h.run({
      name: 'seq',
      extractions: ['a', 'b', 'c'].map((n) => extraction(server.url, n)),
    });
    expect(report.success).toBe(true);
    expect(most).toBe(1);
  } finally {
    await server.close();
  }
});
