/**
 * An upstream that enforces a request rate and counts what it saw, for the shared
 * budget tests: `GET /items/{id}` answers `{ id }` (after `delayMs`), and a request
 * that would be the (limit + 1)th in a one-second sliding window is a violation,
 * answered 429 with `Retry-After`. `POST /token` is a token endpoint with refresh
 * token rotation: the client-credentials grant and the refresh_token grant (with the
 * current refresh token only) each issue `at-{n}` and `rt-{n}`.
 *
 * Times are the server's own arrival times (monotonic ms); tests assert on counts of
 * arrivals, never on how long they took.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { listenLocal } from './listen';

export interface Arrival {
  at: number;
  sender: string;
  status: number;
}

export interface TokenCall {
  grant: string;
  refreshToken?: string;
}

export interface LimitedApi {
  url: string;
  arrivals: Arrival[];
  tokenCalls: TokenCall[];
  /** The most requests in flight at once. */
  maxInFlight: number;
  /** Arrivals beyond the limit in their one-second window. */
  violations(): number;
  /** The most arrivals in any window of `ms`. */
  busiestWindow(ms: number): number;
  /** The next data request is answered 429 with `Retry-After: seconds`; its arrival is returned by `throttled`. */
  throttleNext(seconds: number): void;
  throttled: Arrival | undefined;
  close(): Promise<void>;
}

export async function startLimitedApi(options: {
  requestsPerSecond: number;
  delayMs?: number;
  retryAfterSeconds?: number;
  /** `expires_in` of the tokens issued. */
  tokenLifetimeSeconds?: number;
}): Promise<LimitedApi> {
  const limit = options.requestsPerSecond;
  let inFlight = 0;
  let throttleSeconds: number | undefined;
  let issued = 0;
  let currentRefresh: string | undefined;
  const api: Omit<LimitedApi, 'url' | 'close'> = {
    arrivals: [],
    tokenCalls: [],
    maxInFlight: 0,
    throttled: undefined,
    violations: () => api.arrivals.filter((a) => a.status === 429 && a !== api.throttled).length,
    busiestWindow(ms) {
      const times = api.arrivals.map((a) => a.at);
      let best = 0;
      for (let i = 0, j = 0; i < times.length; i++) {
        while (times[j]! <= times[i]! - ms) j++;
        best = Math.max(best, i - j + 1);
      }
      return best;
    },
    throttleNext(seconds) {
      throttleSeconds = seconds;
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/token') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        const grant = form.get('grant_type') ?? '';
        const refreshToken = form.get('refresh_token') ?? undefined;
        api.tokenCalls.push({ grant, ...(refreshToken !== undefined ? { refreshToken } : {}) });
        if (grant === 'refresh_token' && refreshToken !== currentRefresh) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'invalid_grant' }));
          return;
        }
        issued++;
        currentRefresh = `rt-${issued}`;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            access_token: `at-${issued}`,
            refresh_token: currentRefresh,
            ...(options.tokenLifetimeSeconds ? { expires_in: options.tokenLifetimeSeconds } : {}),
          }),
        );
        return;
      }
      const at = performance.now();
      const sender = String(req.headers['x-sender'] ?? '');
      // Arrivals are in order: the window is the last second's, this one included, every answer counted.
      let inWindow = 1;
      for (let i = api.arrivals.length - 1; i >= 0 && api.arrivals[i]!.at > at - 1000; i--) inWindow++;
      const arrival: Arrival = { at, sender, status: 200 };
      api.arrivals.push(arrival);
      if (throttleSeconds !== undefined || inWindow > limit) {
        arrival.status = 429;
        const seconds = throttleSeconds ?? options.retryAfterSeconds ?? 1;
        if (throttleSeconds !== undefined) api.throttled = arrival;
        throttleSeconds = undefined;
        res.writeHead(429, { 'retry-after': String(seconds), 'content-type': 'application/json' });
        res.end('{"error":"too many requests"}');
        return;
      }
      inFlight++;
      api.maxInFlight = Math.max(api.maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: url.pathname.split('/').pop() }));
      }, options.delayMs ?? 0);
    });
  });
  const listening = await listenLocal(server);
  return Object.assign(api, { url: listening.url, close: listening.close });
}

/**
 * A config whose extraction sends one detail request per row to `api`, limited to
 * `requestsPerSecond` and `inFlight` detail requests at once (rows are `{ id }`).
 */
export function budgetedConfig(
  api: Pick<LimitedApi, 'url'>,
  name: string,
  requestsPerSecond: number,
  inFlight: number,
) {
  return {
    name,
    extractions: [
      {
        name: 'items',
        endpoint: { url: `${api.url}/items` },
        data_schema: { id: 'id' },
        http: { requests_per_second: requestsPerSecond, backoff_base_ms: 100, backoff_max_ms: 1000 },
        mapping_fetch: {
          endpoint: { url: `${api.url}/items/\${extracted_item::id}`, headers: { 'x-sender': 'w' } },
          concurrency: inFlight,
        },
      },
    ],
  };
}
