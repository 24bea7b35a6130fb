/** Token refresh, retries, timeouts and refused addresses, against real servers on 127.0.0.1. */
import { type FakeApi, startFakeApi } from '../support/fakeApi';
import { type Harness, makeHarness, parseCsv, startServer } from '../support/engineHarness';

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(() => h.close());

/** Fast backoff so retry tests take milliseconds (Retry-After is still honoured). */
const FAST_HTTP = { backoff_base_ms: 1, backoff_max_ms: 5, max_attempts: 4, timeout_ms: 2000 };

function dealsConfig(api: FakeApi, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'deals',
    auth: {
      access_token: '',
      refresh_token: {
        endpoint: {
          url: `${api.url}/oauth/v2/token`,
          body: { grant_type: 'refresh_token', refresh_token: '${secret::rt}' },
        },
      },
    },
    extractions: [
      {
        name: 'deals',
        endpoint: {
          url: `${api.url}/crm/v2/deals`,
          headers: { Authorization: 'Bearer ${self::auth.access_token}' },
        },
        data_key: 'data',
        data_schema: { id: 'id' },
        pagination: {
          type: 'sequential',
          parameters: { param_name: 'page', there_are_more_pages: 'info.more_records' },
        },
        http: FAST_HTTP,
        ...extra,
      },
    ],
  };
}

describe('token refresh', () => {
  test('the token endpoint gets a form-encoded POST by default', async () => {
    const api = await startFakeApi({ records: 30, pageSize: 10, token: { refreshToken: 'rt-secret-1' } });
    try {
      await h.setSecrets({ rt: 'rt-secret-1' });
      const report = await h.run(dealsConfig(api));
      expect(report.logs[0]).toMatchObject({ success: 'true', data_inserted_len: '30' });
      const call = api.requests.find((r) => r.path === '/oauth/v2/token')!;
      expect(call.method).toBe('POST');
      expect(call.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(call.body).toBe('grant_type=refresh_token&refresh_token=rt-secret-1');
    } finally {
      await api.close();
    }
  });

  test('a 401 mid-run refreshes once and retries the request', async () => {
    const api = await startFakeApi({
      records: 50,
      pageSize: 10,
      token: { refreshToken: 'rt-secret-1', expireAfterRequests: 2 },
    });
    try {
      await h.setSecrets({ rt: 'rt-secret-1' });
      const report = await h.run(dealsConfig(api));
      expect(report.logs[0]).toMatchObject({ success: 'true', data_inserted_len: '50' });
      expect(api.tokensIssued.length).toBe(3); // start, then after pages 2 and 4
      const pages = api.requests.filter((r) => r.path === '/crm/v2/deals').map((r) => r.query.page);
      expect(pages).toEqual(['1', '2', '3', '3', '4', '5', '5']);
    } finally {
      await api.close();
    }
  });

  test('a token that stays rejected fails the run with the status', async () => {
    const api = await startFakeApi({
      records: 50,
      pageSize: 10,
      token: { refreshToken: 'rt-secret-1', expireAfterRequests: 0 },
    });
    try {
      await h.setSecrets({ rt: 'rt-secret-1' });
      const report = await h.run(dealsConfig(api));
      expect(report.logs[0]!.success).toBe('false');
      expect(report.logs[0]!.error).toBe(
        `HTTP 401 from ${api.url}/crm/v2/deals?page=1: {"code":"INVALID_TOKEN"}`,
      );
      expect(api.tokensIssued.length).toBe(2);
    } finally {
      await api.close();
    }
  });

  test('a token response without the token key fails with its status and a secret-free excerpt', async () => {
    const api = await startFakeApi({ records: 5 });
    try {
      await h.setSecrets({ rt: 'rt-secret-1' });
      const config = dealsConfig(api);
      (config.auth as { refresh_token: { endpoint: { url: string } } }).refresh_token.endpoint.url =
        `${api.url}/oauth/v2/token-error200`;
      const report = await h.run(config);
      expect(report.logs[0]!.error).toBe(
        'token refresh failed: HTTP 200, no "access_token" in the response: {"error":"invalid_code"}',
      );
      expect(api.requests.filter((r) => r.path === '/crm/v2/deals')).toHaveLength(0);
    } finally {
      await api.close();
    }
  });

  test('expires_in makes the engine refresh ahead of expiry on long runs', async () => {
    // A 1-second token: the margin (a tenth of the lifetime) is 100 ms, so pages 50 ms apart need refreshes.
    const api = await startFakeApi({
      records: 40,
      pageSize: 10,
      latencyMs: 60,
      token: { refreshToken: 'rt-secret-1', expiresIn: 0.2 },
    });
    try {
      await h.setSecrets({ rt: 'rt-secret-1' });
      const report = await h.run(dealsConfig(api));
      expect(report.logs[0]).toMatchObject({ success: 'true', data_inserted_len: '40' });
      expect(api.tokensIssued.length).toBeGreaterThan(1);
      expect(
        api.requests
          .filter((r) => r.path === '/crm/v2/deals')
          .every((r) => r.headers.authorization !== undefined),
      ).toBe(true);
    } finally {
      await api.close();
    }
  });
});

describe('retries', () => {
  test('429 with Retry-After is retried after the delay the server asked for', async () => {
    const api = await startFakeApi({
      records: 20,
      pageSize: 10,
      faults: { '/crm/v2/deals': { status429: { count: 1, retryAfterSeconds: 1 } } },
    });
    try {
      const config = dealsConfig(api);
      delete config.auth;
      const report = await h.run(config);
      expect(report.logs[0]).toMatchObject({ success: 'true', data_inserted_len: '20', retries: 1 });
      const retry = h.logLines.find((l) => l.message === 'retrying request')!;
      expect(retry.fields).toMatchObject({ delay_ms: 1000, reason: 'HTTP 429', attempt: 1 });
    } finally {
      await api.close();
    }
  });

  test('a burst of 503s and dropped connections is ridden out', async () => {
    const api = await startFakeApi({
      records: 20,
      pageSize: 10,
      faults: { '/crm/v2/deals': { status503: { count: 2 }, resetCount: 1 } },
    });
    try {
      const config = dealsConfig(api);
      delete config.auth;
      const report = await h.run(config);
      expect(report.logs[0]).toMatchObject({ success: 'true', data_inserted_len: '20', retries: 3 });
      const rows = parseCsv(await h.output(report.logs[0]!));
      expect(rows).toHaveLength(21);
    } finally {
      await api.close();
    }
  });

  test('a hanging response times out and is retried', async () => {
    const api = await startFakeApi({
      records: 10,
      pageSize: 10,
      faults: { '/crm/v2/deals': { hangCount: 1 } },
    });
    try {
      const config = dealsConfig(api, { http: { ...FAST_HTTP, timeout_ms: 200 } });
      delete config.auth;
      const report = await h.run(config);
      expect(report.logs[0]).toMatchObject({ success: 'true', data_inserted_len: '10', retries: 1 });
      expect(h.logLines.find((l) => l.message === 'retrying request')!.fields!.reason).toBe(
        'UND_ERR_HEADERS_TIMEOUT',
      );
    } finally {
      await api.close();
    }
  });

  test('retries are bounded: a lasting 503 fails the run with the attempts and the status', async () => {
    const api = await startFakeApi({
      records: 10,
      faults: { '/crm/v2/deals': { status503: { count: 100 } } },
    });
    try {
      const config = dealsConfig(api);
      delete config.auth;
      const report = await h.run(config);
      expect(report.logs[0]!.success).toBe('false');
      expect(report.logs[0]!.error).toMatch(
        new RegExp(`^GET ${api.url}/crm/v2/deals\\?page=1 failed after 4 attempts: HTTP 503`),
      );
      expect(api.requests).toHaveLength(4);
    } finally {
      await api.close();
    }
  });

  test('requests_per_second spaces the requests', async () => {
    const api = await startFakeApi({ records: 50, pageSize: 10 });
    try {
      const config = dealsConfig(api, { http: { ...FAST_HTTP, requests_per_second: 20 } });
      delete config.auth;
      await h.run(config);
      const times = api.requests.map((r) => r.at);
      expect(times).toHaveLength(5);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(40);
    } finally {
      await api.close();
    }
  });
});

describe('refused addresses', () => {
  test.each([
    ['the EC2 metadata address', 'http://169.254.169.254/latest/meta-data/'],
    ['the ECS credentials endpoint', 'http://169.254.170.2/v2/credentials'],
    ['the IPv6 metadata address', 'http://[fd00:ec2::254]/latest/'],
    ['the IPv4-mapped metadata address', 'http://[::ffff:169.254.169.254]/latest/'],
    ['the IPv4-mapped metadata address, written out', 'http://[0:0:0:0:0:ffff:a9fe:a9fe]/latest/'],
    ['the NAT64 metadata address', 'http://[64:ff9b::169.254.169.254]/latest/'],
  ])('%s is refused before any connection', async (_name, url) => {
    const report = await h.run({ name: 'ssrf', extractions: [{ name: 'creds', endpoint: { url } }] });
    expect(report.logs[0]!.success).toBe('false');
    expect(report.logs[0]!.error).toMatch(/^requests to link-local and metadata addresses are refused/);
    expect(report.logs[0]!.requests).toBe(1);
  });

  test('a non-JSON body fails with a clear message', async () => {
    const server = await startServer(() => ({
      body: '<html>oops</html>',
      headers: { 'content-type': 'text/html' },
    }));
    try {
      const report = await h.run({
        name: 'html',
        extractions: [{ name: 'x', endpoint: { url: `${server.url}/x` } }],
      });
      expect(report.logs[0]!.error).toBe(
        `response from ${server.url}/x is not JSON (HTTP 200): <html>oops</html>`,
      );
    } finally {
      await server.close();
    }
  });
});
