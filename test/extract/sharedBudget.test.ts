/**
 * One request budget per upstream, in one process (the command line, the embedded
 * mode): several sessions of the same config — as several runs, or the stand-ins of
 * several workers — share `requests_per_second` and `mapping_fetch.concurrency`, and a
 * 429 one of them sees pauses all of them.
 */
import { parseConfig } from '../../shared/core/config/validate';
import { Semaphore } from '../../shared/extract/concurrency';
import { fetchDetails, RunSession } from '../../shared/extract/extractionKit';
import { MemoryRateBudgetStore } from '../../shared/extract/rateBudget';
import { systemClock } from '../../shared/ports/logger';
import { budgetedConfig, type LimitedApi, startLimitedApi } from '../support/limitedApi';

jest.setTimeout(120_000);

const RATE = 25;
const IN_FLIGHT = 6;
let api: LimitedApi;
afterEach(() => api?.close());

/** `sessions` sessions of one config, each sending `each` detail requests, 8 at a time. */
async function sendFrom(sessions: number, each: number, store = new MemoryRateBudgetStore()) {
  const config = parseConfig(budgetedConfig(api, 'budgeted', RATE, IN_FLIGHT));
  const opened = await Promise.all(
    Array.from({ length: sessions }, (_, n) =>
      RunSession.open(
        config,
        { secrets: { getAll: async () => ({}) }, clock: systemClock, rateBudgets: store },
        { runId: `run-${n}` },
      ),
    ),
  );
  try {
    const outcomes = await Promise.all(
      opened.map((session, n) => {
        const kit = session.extraction(0, undefined);
        const rows = Array.from({ length: each }, (_, i) => ({ id: n * 1000 + i }));
        return fetchDetails(kit.details!, rows, rows, new Semaphore(8));
      }),
    );
    return outcomes.flat();
  } finally {
    await Promise.all(opened.map((s) => s.close()));
  }
}

test('four sessions of one config keep its rate and its requests in flight together', async () => {
  api = await startLimitedApi({ requestsPerSecond: RATE, delayMs: 40 });
  const outcomes = await sendFrom(4, 30);
  expect(outcomes.filter((o) => o.found)).toHaveLength(120);
  expect(api.violations()).toBe(0);
  expect(api.maxInFlight).toBeLessThanOrEqual(IN_FLIGHT);
  // Throughput within 10% of the limit: counted over a two-second sliding window.
  expect(api.busiestWindow(2000)).toBeGreaterThanOrEqual(0.9 * RATE * 2);
});

test('a 429 one session sees pauses every session for its Retry-After', async () => {
  api = await startLimitedApi({ requestsPerSecond: RATE });
  const sending = sendFrom(4, 30);
  while (api.arrivals.length < 20) await new Promise((resolve) => setTimeout(resolve, 10));
  api.throttleNext(2);
  expect((await sending).filter((o) => o.found)).toHaveLength(120);
  const at = api.throttled!.at;
  // Senders holding start times claimed before the pause may still use them for a quarter
  // second or so; after that nobody sends until the two seconds are over.
  const during = api.arrivals.filter((a) => a.at > at + 500 && a.at < at + 2000);
  expect(during).toEqual([]);
  expect(api.violations()).toBe(0);
});
