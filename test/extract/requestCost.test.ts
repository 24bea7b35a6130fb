/**
 * What one request costs the engine: the URL is parsed once, an attempt has one abort
 * signal (no composite per request), a free request slot admits without waiting, and
 * a body the memory budget has room for is reserved at once. Timeouts, cancellation
 * and the budget's waits keep their meaning (test/engine/upstreamAbuse.test.ts,
 * test/engine/responseMemory.test.ts).
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpTransport } from '../../shared/extract/http';
import { budgetGate, MemoryRateBudgetStore, SharedBudget } from '../../shared/extract/rateBudget';
import { renderEndpoint } from '../../shared/extract/render';
import { MEMORY_PER_BODY_BYTE, ResponseBudget } from '../../shared/extract/responseBudget';
import type { SecretScope } from '../../shared/core/secretOrigins';

const LIMITS = { idleTimeoutMs: 5_000, totalTimeoutMs: 10_000 };
/** A scope for endpoints that carry no secret. */
const openScope = { assertRequest: () => undefined } as unknown as SecretScope;

let server: Server;
let base: string;
/** Responses held until the test answers them. */
const held: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url?.startsWith('/hold')) {
      held.push(res);
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ path: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of held) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Counts the URLs parsed (constructed, `URL.parse`, `URL.canParse`) while `work` runs. */
async function countParses(work: () => Promise<void>): Promise<number> {
  const Real = URL;
  let parses = 0;
  const counting = new Proxy(Real, {
    construct(target, args: [string, string?]) {
      parses++;
      return new target(...args);
    },
    get(target, key, receiver) {
      if (key === 'parse' || key === 'canParse')
        return (...args: [string, string?]) => {
          parses++;
          return target[key](...args);
        };
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  globalThis.URL = counting;
  try {
    await work();
  } finally {
    globalThis.URL = Real;
  }
  return parses;
}

test('a rendered request is parsed once on its way to the upstream', async () => {
  const transport = new HttpTransport({ connectTimeoutMs: 2_000, allowLinkLocal: true });
  const endpoint = { url: `${base}/items/7`, query_params: { q: 'x' } };
  const send = async (): Promise<void> => {
    const req = renderEndpoint(endpoint, () => undefined, {
      at: 'extractions[0].endpoint',
      defaultMethod: 'GET',
      defaultBodyEncoding: 'json',
      scope: openScope,
    });
    const res = await transport.send(req, LIMITS);
    expect(JSON.parse(res.body)).toEqual({ path: '/items/7?q=x' });
    res.release();
  };
  try {
    // The first request to an origin sets up its pool; the count is of a request after it.
    await send();
    expect(await countParses(send)).toBe(1);
  } finally {
    await transport.close();
  }
});

test("an attempt follows the caller's signal without a composite signal, and aborting it still cancels the request", async () => {
  const transport = new HttpTransport({ connectTimeoutMs: 2_000, allowLinkLocal: true });
  const any = jest.spyOn(AbortSignal, 'any');
  try {
    const caller = new AbortController();
    const sent = transport.send({ method: 'GET', url: `${base}/hold/1`, headers: {} }, LIMITS, caller.signal);
    const settled = sent.then(
      () => 'answered',
      (err: unknown) => err,
    );
    const deadline = Date.now() + 10_000;
    while (held.length === 0 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    expect(held).toHaveLength(1);
    const reason = new Error('run cancelled');
    caller.abort(reason);
    expect(await settled).toBe(reason);
    expect(any).not.toHaveBeenCalled();
  } finally {
    any.mockRestore();
    await transport.close();
  }
});

describe('a request gate with a free slot admits at once', () => {
  test('within the in-flight limit, and not during a pause', async () => {
    const store = new MemoryRateBudgetStore();
    const inFlight = new SharedBudget(store, 'k/details', { inFlight: 2 });
    const upstream = new SharedBudget(store, 'k/rate', {});
    const gate = budgetGate(inFlight, upstream);
    // The first turns come through the store (the share is claimed, the pause record read).
    const first = await gate.enter();
    const second = await gate.enter();
    // Both slots of the share are in use.
    expect(gate.tryEnter!()).toBeUndefined();
    first();
    const third = gate.tryEnter!();
    expect(third).toBeDefined();
    expect(gate.tryEnter!()).toBeUndefined();
    second();
    third!();
    // A cancelled caller is not admitted, even with slots free.
    const aborted = new AbortController();
    aborted.abort(new Error('stop'));
    expect(gate.tryEnter!(aborted.signal)).toBeUndefined();
    const fourth = gate.tryEnter!();
    expect(fourth).toBeDefined();
    fourth!();
    // A pause: nobody is admitted before it is over.
    gate.slowDown(Date.now() + 60_000);
    expect(gate.tryEnter!()).toBeUndefined();
    await Promise.all([inFlight.close(), upstream.close()]);
  });

  test('a budget with a rate always goes through its schedule', async () => {
    const store = new MemoryRateBudgetStore();
    const rated = new SharedBudget(store, 'k/rate', { requestsPerSecond: 1000 });
    await (
      await rated.enter()
    )();
    expect(rated.tryEnter()).toBeUndefined();
    await rated.close();
  });
});

test('a body the budget has room for is reserved at once; otherwise the caller waits as before', async () => {
  const M = MEMORY_PER_BODY_BYTE;
  const budget = new ResponseBudget({ budgetBytes: 25 * M, maxResponseBytes: 10 });
  const a = budget.open();
  expect(a.tryReserve(10)).toBe(true);
  const b = budget.open();
  expect(b.tryReserve(10)).toBe(true);
  const c = budget.open();
  // Granting c would leave the largest holder unable to finish: c must wait.
  expect(c.tryReserve(10)).toBe(false);
  const waiting = c.reserve(10);
  expect(budget.stats().waiting).toBe(1);
  // A waiter first: nobody passes it.
  expect(budget.open().tryReserve(1)).toBe(false);
  a.release();
  await waiting;
  // Over the per-response claim: refused here, and `reserve` says why.
  expect(c.tryReserve(1)).toBe(false);
  await expect(c.reserve(1)).rejects.toThrow(RangeError);
  b.release();
  c.release();
  expect(budget.stats()).toMatchObject({ reserved: 0, holders: 0, waiting: 0 });
});
