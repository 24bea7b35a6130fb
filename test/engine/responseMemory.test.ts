/**
 * The response memory budget end to end: a real upstream on 127.0.0.1 streams bodies
 * larger than the per-response limit, and pages in flight whose bodies together
 * exceed the process budget. Small limits keep the tests fast.
 */
import http from 'node:http';
import { MEMORY_PER_BODY_BYTE, ResponseBudget } from '../../shared/extract/responseBudget';
import { type Harness, makeHarness, parseCsv } from '../support/engineHarness';
import { listenLocal } from '../support/listen';

const MB = 1024 * 1024;

interface Upstream {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

/** Answers each request with `respond`, which writes the body in 64 KiB chunks. */
async function startUpstream(respond: (url: URL, res: http.ServerResponse) => void): Promise<Upstream> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    requests.push(url.pathname + url.search);
    respond(url, res);
  });
  return { ...(await listenLocal(server)), requests };
}

/** Writes `total` bytes of a JSON document `{"data":[{"pad":"xxx…"}]}` with backpressure. */
function streamJson(res: http.ServerResponse, total: number, withLength: boolean): void {
  const head = '{"data":[{"pad":"';
  const tail = '"}]}';
  res.writeHead(200, {
    'content-type': 'application/json',
    ...(withLength ? { 'content-length': String(total) } : {}),
  });
  let left = total - head.length - tail.length;
  res.write(head);
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const pump = (): void => {
    while (left > 0) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      if (!res.write(piece)) return void res.once('drain', pump);
    }
    res.end(tail);
  };
  pump();
  res.on('error', () => undefined);
}

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(() => h.close());

function oneExtraction(url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'big',
    extractions: [
      {
        name: 'big',
        endpoint: { url },
        data_key: 'data',
        format: 'json',
        http: { max_attempts: 4, backoff_base_ms: 1, backoff_max_ms: 5 },
        ...extra,
      },
    ],
  };
}

describe('a response larger than the per-response limit', () => {
  test.each([
    ['streamed without Content-Length', false],
    ['announced by Content-Length', true],
  ])(
    '%s fails at once with the URL, the size and the limit, and is not retried',
    async (_name, withLength) => {
      const budget = new ResponseBudget({ budgetBytes: 8 * MB, maxResponseBytes: 2 * MB });
      h.deps.responseBudget = budget;
      const upstream = await startUpstream((_url, res) => streamJson(res, 10 * MB, withLength));
      try {
        const report = await h.run(oneExtraction(`${upstream.url}/huge?page=1`));
        const log = report.logs[0]!;
        expect(log.success).toBe('false');
        const size = withLength
          ? `its Content-Length is ${10 * MB} bytes`
          : `more than ${2 * MB} bytes arrived`;
        expect(log.error).toBe(
          `response from ${upstream.url}/huge?page=1 is larger than the per-response limit of 2 MB (${size}); ` +
            'raise RESPONSE_MAX_BODY_MB (and RESPONSE_MEMORY_BUDGET_MB, at least 3 times as large) if such responses are expected, or request smaller pages',
        );
        expect(upstream.requests).toEqual(['/huge?page=1']);
        expect(budget.stats()).toMatchObject({ reserved: 0, holders: 0, waiting: 0 });
        expect(budget.stats().highWater).toBeLessThanOrEqual(2 * MB * MEMORY_PER_BODY_BYTE);
        expect(await h.objectFiles()).toEqual([]);
      } finally {
        await upstream.close();
      }
    },
  );

  test('credentials in the URL are not repeated in the error', async () => {
    h.deps.responseBudget = new ResponseBudget({ budgetBytes: 8 * MB, maxResponseBytes: 2 * MB });
    const upstream = await startUpstream((_url, res) => streamJson(res, 3 * MB, true));
    try {
      const withUser = upstream.url.replace('http://', 'http://user:pa55word@');
      const report = await h.run(oneExtraction(`${withUser}/huge`));
      expect(report.logs[0]!.error).toContain(`response from ${upstream.url}/huge is larger`);
      expect(report.logs[0]!.error).not.toContain('pa55word');
    } finally {
      await upstream.close();
    }
  });
});

describe('pages in flight whose bodies together exceed the process budget', () => {
  const PAGES = 12;
  const PAGE_BYTES = 1 * MB;

  test('wait for memory, never reserve more than the budget, and the run completes in order', async () => {
    // 8 pages of 1 MiB in flight would reserve 24 MiB; the budget holds 8 MiB.
    const budget = new ResponseBudget({ budgetBytes: 8 * MB, maxResponseBytes: 2 * MB });
    h.deps.responseBudget = budget;
    // Pages 1-8 send their first half at once and the rest only when all eight were
    // asked for: eight half-received bodies (12 MiB reserved) cannot all fit, so some wait.
    const gate: Array<() => void> = [];
    const upstream = await startUpstream((url, res) => {
      const page = Number(url.searchParams.get('page'));
      const pad = 'p'.repeat(PAGE_BYTES - 200);
      const bytes = Buffer.from(JSON.stringify({ data: [{ id: page, pad }], more: page < PAGES }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.on('error', () => undefined);
      const half = bytes.length >> 1;
      const send = (from: number, to: number, then: () => void): void => {
        const piece = bytes.subarray(from, Math.min(to, from + 64 * 1024));
        if (piece.length === 0) return then();
        const more = res.write(piece);
        const next = (): void => send(from + piece.length, to, then);
        if (more) setImmediate(next);
        else res.once('drain', next);
      };
      if (page > 8) return send(0, bytes.length, () => res.end());
      const firstHalf = new Promise<void>((sent) => send(0, half, sent));
      gate.push(() => void firstHalf.then(() => send(half, bytes.length, () => res.end())));
      if (gate.length === 8) for (const open of gate) open();
    });
    try {
      const report = await h.run({
        name: 'wide',
        extractions: [
          {
            name: 'wide',
            endpoint: { url: `${upstream.url}/pages` },
            data_key: 'data',
            data_schema: { id: 'id' },
            format: 'csv',
            pagination: {
              type: 'sequential',
              parameters: { param_name: 'page', there_are_more_pages: 'more', pages_in_flight: 8 },
            },
          },
        ],
      });
      const log = report.logs[0]!;
      expect(log.error).toBeNull();
      expect(log.success).toBe('true');
      const ids = parseCsv(await h.output(log))
        .slice(1)
        .map((r) => r[0]);
      expect(ids).toEqual(Array.from({ length: PAGES }, (_, i) => String(i + 1)));
      const stats = budget.stats();
      expect(stats.highWater).toBeLessThanOrEqual(8 * MB);
      // The budget was the limit: pages did wait for one another's memory.
      expect(stats.waited).toBeGreaterThan(0);
      expect(stats).toMatchObject({ reserved: 0, holders: 0, waiting: 0 });
    } finally {
      await upstream.close();
    }
  });
});

describe('detail requests of concurrent runs share the process budget', () => {
  test('two runs with mapping_fetch concurrency 8 never reserve more than the budget and both complete', async () => {
    const budget = new ResponseBudget({ budgetBytes: 8 * MB, maxResponseBytes: 2 * MB });
    h.deps.responseBudget = budget;
    const DETAIL_BYTES = 1 * MB;
    // The first 8 detail requests send half their body, then the rest once all 8 have
    // arrived: 8 half bodies (12 MiB reserved) cannot all fit, so some must wait.
    const gate: Array<() => void> = [];
    const upstream = await startUpstream((url, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.on('error', () => undefined);
      if (url.pathname === '/list') {
        const run = url.searchParams.get('run');
        return void res.end(JSON.stringify(Array.from({ length: 8 }, (_, i) => ({ id: `${run}${i}` }))));
      }
      const id = url.pathname.split('/').pop()!;
      const bytes = Buffer.from(JSON.stringify({ id, pad: 'd'.repeat(DETAIL_BYTES - 100) }));
      const half = bytes.length >> 1;
      if (gate.length >= 8) return void res.end(bytes);
      res.write(bytes.subarray(0, half));
      gate.push(() => res.end(bytes.subarray(half)));
      if (gate.length === 8) for (const open of gate) open();
    });
    const config = (run: string): Record<string, unknown> => ({
      name: `details ${run}`,
      extractions: [
        {
          name: `details-${run}`,
          endpoint: { url: `${upstream.url}/list?run=${run}` },
          data_schema: { id: 'id' },
          mapping_fetch: {
            endpoint: { url: `${upstream.url}/detail/\${extracted_item::id}` },
            prefix: 'd_',
            data_schema: { id: 'id' },
            concurrency: 8,
          },
          format: 'csv',
          s3_destiny: { folder: 'details', filename: `run-${run}` },
        },
      ],
    });
    try {
      const reports = await Promise.all([h.run(config('a')), h.run(config('b'))]);
      for (const [i, run] of ['a', 'b'].entries()) {
        const log = reports[i]!.logs[0]!;
        expect(log.error).toBeNull();
        const rows = parseCsv(await h.output(log)).slice(1);
        expect(rows.map((r) => [r[0], r[1]])).toEqual(
          Array.from({ length: 8 }, (_, k) => [`${run}${k}`, `${run}${k}`]),
        );
      }
      const stats = budget.stats();
      expect(stats.highWater).toBeLessThanOrEqual(8 * MB);
      expect(stats.waited).toBeGreaterThan(0);
      expect(stats).toMatchObject({ reserved: 0, holders: 0, waiting: 0, prefetched: 0 });
    } finally {
      await upstream.close();
    }
  });
});
