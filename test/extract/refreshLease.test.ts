/**
 * A token refresh happens once however many token managers (workers) share the token
 * store: the first takes the store's lease and asks the token endpoint, the others
 * wait for it and adopt the token it stored.
 */
import { MemoryTokenStore } from '../../shared/adapters/local/state';
import { parseConfig } from '../../shared/core/config/validate';
import { HttpTransport } from '../../shared/extract/http';
import { type LimitedApi, startLimitedApi } from '../support/limitedApi';
import { makeTokenManager } from '../support/tokens';

let api: LimitedApi;
let transport: HttpTransport;
beforeEach(async () => {
  api = await startLimitedApi({ requestsPerSecond: 1000, tokenLifetimeSeconds: 3600 });
  transport = new HttpTransport({ connectTimeoutMs: 1000 });
});
afterEach(async () => {
  await transport.close();
  await api.close();
});

test('twenty workers that find the token expiring cause one refresh', async () => {
  const config = parseConfig({
    name: 'lease',
    auth: {
      refresh_token: {
        endpoint: { url: `${api.url}/token`, body: { grant_type: 'client_credentials' } },
        refresh_grant: true,
      },
    },
    extractions: [{ name: 'items', endpoint: { url: `${api.url}/items` } }],
  });
  const store = new MemoryTokenStore();
  let now = Date.parse('2026-01-01T00:00:00Z');
  const clock = { now: () => new Date(now) };
  const make = () => makeTokenManager(config, transport, { store, clock }).tokens;
  await make().start();
  const workers = Array.from({ length: 20 }, make);
  await Promise.all(workers.map((w) => w.resume()));
  expect(workers.map((w) => w.current())).toEqual(Array(20).fill('at-1'));

  now += 3_600_000 - 10_000; // inside the last minute of the token's hour
  await Promise.all(workers.map((w) => w.ensureFresh()));
  expect(api.tokenCalls).toEqual([
    { grant: 'client_credentials' },
    { grant: 'refresh_token', refreshToken: 'rt-1' },
  ]);
  expect(workers.map((w) => w.current())).toEqual(Array(20).fill('at-2'));
});
