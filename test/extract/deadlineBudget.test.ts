/**
 * `http.request_timeout_ms` counts the upstream's time, not the time a body waits for
 * the memory budget that pages of the same run hold (a real server on 127.0.0.1).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpTransport, SlowResponseError } from '../../shared/extract/http';
import { MEMORY_PER_BODY_BYTE, ResponseBudget } from '../../shared/extract/responseBudget';

const DEADLINE_MS = 300;
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/slow') {
      // Headers now, the body after the deadline: the upstream itself is too slow.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"a":');
      setTimeout(() => res.end('1}'), DEADLINE_MS * 3);
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const limits = { idleTimeoutMs: 10_000, totalTimeoutMs: DEADLINE_MS };
const request = (path: string) => ({ method: 'GET', url: `${base}${path}`, headers: {} });

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('a body that waits for the memory budget longer than the deadline still arrives, whole', async () => {
  const budget = new ResponseBudget({ budgetBytes: 2 * 1000 * MEMORY_PER_BODY_BYTE, maxResponseBytes: 1000 });
  // Two pages of the run hold the whole budget.
  const held = [budget.open(), budget.open()];
  for (const page of held) expect(page.tryReserve(1000)).toBe(true);
  const transport = new HttpTransport({ connectTimeoutMs: 2_000, allowLinkLocal: true, budget });
  try {
    const answer = transport.send(request('/fast'), limits);
    answer.catch(() => undefined);
    await until(() => budget.stats().waiting === 1);
    // The wait outlasts the deadline by far; the upstream answered at once.
    const waitedFrom = Date.now();
    await until(() => Date.now() - waitedFrom > DEADLINE_MS * 3);
    for (const page of held) page.release();
    const res = await answer;
    // Whole: the stream ended while its only chunk waited for the budget (it used to be dropped).
    expect(JSON.parse(res.body)).toEqual({ ok: true });
    res.release();
  } finally {
    await transport.close();
  }
});

test('an upstream slower than the deadline still fails it', async () => {
  const transport = new HttpTransport({ connectTimeoutMs: 2_000, allowLinkLocal: true });
  try {
    const failure = await transport.send(request('/slow'), limits).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(SlowResponseError);
    expect((failure as Error).message).toContain(`no complete response within ${DEADLINE_MS} ms`);
  } finally {
    await transport.close();
  }
});
