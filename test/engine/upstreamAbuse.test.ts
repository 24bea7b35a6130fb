/** Hostile upstreams against the in-process engine: deep nesting, trickling bodies, link loops. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Harness, makeHarness, startServer } from '../support/engineHarness';
import { loopingUpstream } from '../support/loopingUpstream';
import { formatIssue, validateConfig } from '../../shared/core/config/validate';

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

/** Answers `[`, then one space every 25 ms (400 of them), then `]`: valid JSON, 1 byte at a time. */
async function startTrickle(): Promise<{ url: string; requests(): number; close(): Promise<void> }> {
  let requests = 0;
  const server = http.createServer((_req, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('[');
    let sent = 0;
    const timer = setInterval(() => {
      if (sent++ < 400) res.write(' ');
      else {
        clearInterval(timer);
        res.end(']');
      }
    }, 25);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('a body that trickles', () => {
  test.each([
    ['request_timeout_ms', 99, 'must be an integer between 100 and 3600000'],
    ['request_timeout_ms', 3_600_001, 'must be an integer between 100 and 3600000'],
    ['min_bytes_per_second', -1, 'must be an integer between 0 and 1000000000'],
    ['min_bytes_per_second', 0.5, 'must be an integer between 0 and 1000000000'],
  ])('http.%s %p is refused with the field named', (field, value, message) => {
    const result = validateConfig({
      name: 'c',
      extractions: [{ name: 'x', endpoint: { url: 'https://example.com' }, http: { [field]: value } }],
    });
    expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual([
      `extractions[0].http.${field}: ${message}`,
    ]);
  });

  const trickled = (url: string, httpOptions: Record<string, unknown>) => ({
    name: 'trickle',
    extractions: [
      {
        name: 'x',
        endpoint: { url: `${url}/x` },
        http: { backoff_base_ms: 1, backoff_max_ms: 5, max_attempts: 2, ...httpOptions },
      },
    ],
  });

  test('fails on the minimum transfer rate, retried as a timeout', async () => {
    const server = await startTrickle();
    try {
      const report = await h.run(trickled(server.url, { timeout_ms: 200, min_bytes_per_second: 100 }));
      expect(report.logs[0]!.success).toBe('false');
      expect(report.logs[0]!.error).toMatch(
        new RegExp(
          `^GET ${server.url}/x failed after 2 attempts: ERESPONSETOOSLOW response body slower than 100 bytes/s \\(\\d+ bytes in \\d+ ms; http.min_bytes_per_second\\)$`,
        ),
      );
      expect(report.logs[0]!.retries).toBe(1);
      expect(server.requests()).toBe(2);
    } finally {
      await server.close();
    }
  });

  test('fails on the total deadline per request, retried as a timeout', async () => {
    const server = await startTrickle();
    try {
      const report = await h.run(
        trickled(server.url, { timeout_ms: 5000, request_timeout_ms: 300, min_bytes_per_second: 0 }),
      );
      expect(report.logs[0]!.success).toBe('false');
      expect(report.logs[0]!.error).toBe(
        `GET ${server.url}/x failed after 2 attempts: ERESPONSEDEADLINE no complete response within 300 ms (http.request_timeout_ms)`,
      );
      expect(report.logs[0]!.retries).toBe(1);
      expect(server.requests()).toBe(2);
      expect(h.logLines.find((l) => l.message === 'retrying request')!.fields!.reason).toBe(
        'ERESPONSEDEADLINE',
      );
    } finally {
      await server.close();
    }
  });
});

describe('pagination loops', () => {
  test.each([
    ['a link back to the first page', 'link', '/pingpong?page=1', 3, 1, 2, '/pingpong?page=1'],
    ['a link to itself', 'link', '/self?page=1', 2, 1, 1, '/self?page=1'],
    ['a Link header back to page 2', 'header_link', '/header?page=1', 4, 2, 3, '/header?page=2'],
    ['a repeated cursor', 'cursor', '/cursor', 3, 2, 2, '/cursor?cursor=again'],
  ])(
    '%s fails at once with the default max_pages',
    async (_name, type, path, page, earlier, requests, repeated) => {
      const server = await startServer(loopingUpstream);
      try {
        const parameters =
          type === 'link'
            ? { next_link: 'next' }
            : type === 'cursor'
              ? { cursor_key: 'next_cursor', param_name: 'cursor' }
              : {};
        const report = await h.run({
          name: 'loop',
          extractions: [
            {
              name: 'x',
              endpoint: { url: `${server.url}${path}` },
              data_key: type === 'header_link' ? undefined : 'results',
              pagination: { type, parameters },
              http: FAST_HTTP,
            },
          ],
        });
        expect(report.logs[0]!.success).toBe('false');
        expect(report.logs[0]!.error).toBe(
          `pagination loops: page ${page} would repeat the request of page ${earlier} (${server.url}${repeated}); the upstream's next link or cursor points back`,
        );
        expect(server.requests).toHaveLength(requests);
        expect(await h.objectFiles()).toEqual([]);
      } finally {
        await server.close();
      }
    },
  );
});
