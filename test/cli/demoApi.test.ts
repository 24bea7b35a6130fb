import {
  makeRecord,
  modifiedTime,
  recordJson,
  startFakeApi,
  type FakeApi,
  type FakeApiOptions,
} from '../../services/cli/demoApi';

type Json = Record<string, unknown>;

async function getJson(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Json, headers: res.headers };
}

function ids(records: unknown): number[] {
  return (records as Json[]).map((r) => r.id as number);
}

function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, k) => 1_000_000 + start + k);
}

async function withApi(options: FakeApiOptions, body: (api: FakeApi) => Promise<void>): Promise<void> {
  const api = await startFakeApi(options);
  try {
    await body(api);
  } finally {
    await api.close();
  }
}

/** Yields to the event loop until `condition` holds (no timers involved), failing after `limit` turns. */
async function until(condition: () => boolean, limit = 100_000): Promise<void> {
  for (let turn = 0; !condition(); turn++) {
    if (turn >= limit) throw new Error('condition never became true');
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

describe('dataset', () => {
  it('serialises each record exactly as JSON.stringify(makeRecord(i))', () => {
    for (const i of [...Array.from({ length: 2000 }, (_, k) => k), 99_999, 999_999]) {
      expect(recordJson(i)).toBe(JSON.stringify(makeRecord(i)));
    }
    expect(makeRecord(3).Description).toContain('\n');
    expect(makeRecord(7).Description).toContain('"');
    expect(makeRecord(1).Modified_Time).toBe('2024-01-01T00:01:00+00:00');
  });
});

describe('paginated routes', () => {
  let api: FakeApi;
  beforeAll(async () => {
    api = await startFakeApi({ records: 250, pageSize: 100 });
  });
  afterAll(() => api.close());

  it('pages Zoho CRM deals with info.more_records', async () => {
    const first = await getJson(`${api.url}/crm/v2/deals?page=1`);
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual(Array.from({ length: 100 }, (_, i) => makeRecord(i)));
    expect(first.body.info).toEqual({ per_page: 100, count: 100, page: 1, more_records: true });
    const last = await getJson(`${api.url}/crm/v2/deals?page=3`);
    expect(ids(last.body.data)).toEqual(range(200, 250));
    expect(last.body.info).toEqual({ per_page: 100, count: 50, page: 3, more_records: false });
    const small = await getJson(`${api.url}/crm/v2/deals?page=2&per_page=7`);
    expect(ids(small.body.data)).toEqual(range(7, 14));
  });

  it('honours If-Modified-Since, answering 304 when nothing is newer', async () => {
    const newer = await getJson(`${api.url}/crm/v2/deals?page=1`, {
      headers: { 'If-Modified-Since': modifiedTime(239) },
    });
    expect(ids(newer.body.data)).toEqual(range(240, 250));
    const old = await getJson(`${api.url}/crm/v2/deals`, {
      headers: { 'If-Modified-Since': '2020-09-03T17:40:53-05:00' },
    });
    expect((old.body.data as Json[]).length).toBe(100);
    const none = await fetch(`${api.url}/crm/v2/deals?page=1`, {
      headers: { 'If-Modified-Since': modifiedTime(249) },
    });
    expect(none.status).toBe(304);
    expect(await none.text()).toBe('');
  });

  it('answers Zoho Desk tickets with 204 and an empty body past the end', async () => {
    const page = await getJson(`${api.url}/api/v1/tickets?from=201&limit=100`);
    expect(ids(page.body.data)).toEqual(range(200, 250));
    const end = await fetch(`${api.url}/api/v1/tickets?from=301&limit=100`);
    expect(end.status).toBe(204);
    expect(await end.text()).toBe('');
  });

  it('serves offset pages and numbered pages with totals', async () => {
    expect((await getJson(`${api.url}/offset?offset=240&limit=20`)).body).toEqual({
      items: Array.from({ length: 10 }, (_, k) => makeRecord(240 + k)),
      total: 250,
    });
    expect((await getJson(`${api.url}/offset?offset=300`)).body).toEqual({ items: [], total: 250 });
    const pages = await getJson(`${api.url}/pages?page=3`);
    expect(ids(pages.body.result)).toEqual(range(200, 250));
    expect(pages.body.info).toEqual({ current_page: 3, total_pages: 3 });
  });

  it.each(['absolute', 'relative', 'root'])('follows body next_link (%s) to the end', async (style) => {
    let next: string | null = `${api.url}/link?page=1&style=${style}&per_page=60`;
    const seen: number[] = [];
    const links: string[] = [];
    while (next !== null) {
      const page = await getJson(next);
      seen.push(...ids(page.body.results));
      const link = (page.body.pagination as Json).next_link as string | null;
      if (link !== null) links.push(link);
      next = link === null ? null : new URL(link, next).toString();
    }
    expect(seen).toEqual(range(0, 250));
    expect(links).toHaveLength(4);
    if (style === 'absolute') expect(links[0]).toBe(`${api.url}/link?page=2&style=absolute&per_page=60`);
    if (style === 'relative') expect(links[0]).toBe('link?page=2&style=relative&per_page=60');
    if (style === 'root') expect(links[0]).toBe('/link?page=2&style=root&per_page=60');
  });

  it('follows an RFC 8288 Link header until there is no rel="next"', async () => {
    let next: string | undefined = `${api.url}/header-link?page=1`;
    const seen: number[] = [];
    while (next !== undefined) {
      const res = await fetch(next);
      seen.push(...ids(await res.json()));
      const header = res.headers.get('link') ?? '';
      expect(header).toContain('rel="first"');
      next = /<([^>]+)>;\s*rel="next"/.exec(header)?.[1];
    }
    expect(seen).toEqual(range(0, 250));
  });

  it('follows an opaque cursor until it is null', async () => {
    let cursor: string | null = '';
    const seen: number[] = [];
    const cursors: string[] = [];
    while (cursor !== null) {
      const query: string = cursor === '' ? '' : `?cursor=${encodeURIComponent(cursor)}`;
      const page = await getJson(`${api.url}/cursor${query}`);
      seen.push(...ids(page.body.items));
      cursor = page.body.next_cursor as string | null;
      if (cursor !== null) cursors.push(cursor);
    }
    expect(seen).toEqual(range(0, 250));
    expect(cursors).toEqual([Buffer.from('100').toString('base64'), Buffer.from('200').toString('base64')]);
    expect((await fetch(`${api.url}/cursor?cursor=%25%25`)).status).toBe(400);
  });

  it('records requests and answers 404 JSON to unknown routes', async () => {
    const before = api.requests.length;
    const res = await getJson(`${api.url}/nowhere?x=1`, { headers: { 'X-Probe': 'yes' } });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NOT_FOUND');
    expect(api.requests.slice(before)).toEqual([
      expect.objectContaining({ method: 'GET', path: '/nowhere', query: { x: '1' }, body: '' }),
    ]);
    expect(api.requests[before]?.headers['x-probe']).toBe('yes');
  });
});

describe('token endpoint and auth', () => {
  const token = { initial: 'tok-0', refreshToken: 'refresh-me', clientId: 'cid', clientSecret: 'secret' };
  const form = new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: 'refresh-me',
    client_id: 'cid',
    client_secret: 'secret',
  });

  it('refreshes with a form-encoded body and invalidates the previous token', async () => {
    await withApi({ token }, async (api) => {
      const deals = `${api.url}/crm/v2/deals?page=1`;
      expect((await fetch(deals)).status).toBe(401);
      expect((await fetch(deals, { headers: { Authorization: 'Bearer tok-0' } })).status).toBe(200);
      const refreshed = await getJson(`${api.url}/oauth/v2/token`, { method: 'POST', body: form });
      expect(refreshed.status).toBe(200);
      expect(refreshed.body).toEqual({
        access_token: 'tok-1',
        api_domain: api.url,
        token_type: 'Bearer',
        expires_in: 3600,
      });
      expect(api.tokensIssued).toEqual(['tok-1']);
      expect(api.currentToken()).toBe('tok-1');
      const stale = await getJson(deals, { headers: { Authorization: 'Bearer tok-0' } });
      expect(stale).toMatchObject({ status: 401, body: { code: 'INVALID_TOKEN' } });
      expect((await fetch(deals, { headers: { Authorization: 'Zoho-oauthtoken tok-1' } })).status).toBe(200);
      expect(api.requests.find((r) => r.path === '/oauth/v2/token')?.body).toBe(form.toString());
    });
  });

  it('accepts query-string and JSON parameters, rejects wrong clients, and offers a 200 error route', async () => {
    await withApi({ token: { ...token, expiresIn: 60 } }, async (api) => {
      const viaQuery = await getJson(`${api.url}/oauth/v2/token?${form.toString()}`, { method: 'POST' });
      expect(viaQuery.body).toMatchObject({ access_token: 'tok-1', expires_in: 60 });
      const viaJson = await getJson(`${api.url}/oauth/v2/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(Object.fromEntries(form)),
      });
      expect(viaJson.body.access_token).toBe('tok-2');
      form.set('client_secret', 'wrong');
      const wrong = await getJson(`${api.url}/oauth/v2/token`, { method: 'POST', body: form });
      form.set('client_secret', 'secret');
      expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
      const error200 = await getJson(`${api.url}/oauth/v2/token-error200`, { method: 'POST', body: form });
      expect(error200).toMatchObject({ status: 200, body: { error: 'invalid_code' } });
      expect(api.tokensIssued).toEqual(['tok-1', 'tok-2']);
    });
  });

  it('expires tokens after N data requests and on expireToken()', async () => {
    await withApi({ token: { expireAfterRequests: 2 } }, async (api) => {
      const get = (): Promise<number> =>
        fetch(`${api.url}/offset`, { headers: { Authorization: `Bearer ${api.currentToken()}` } }).then(
          (r) => r.status,
        );
      expect([await get(), await get(), await get()]).toEqual([200, 200, 401]);
      await fetch(`${api.url}/oauth/v2/token?grant_type=refresh_token`, { method: 'POST' });
      expect(await get()).toBe(200);
      api.expireToken();
      expect(await get()).toBe(401);
    });
  });
});

describe('faults', () => {
  it('answers 429 with Retry-After, then 503, then normally', async () => {
    await withApi(
      {
        faults: {
          '/crm/v2/deals': { status429: { count: 2, retryAfterSeconds: 3 }, status503: { count: 1 } },
        },
      },
      async (api) => {
        const statuses: number[] = [];
        for (let k = 0; k < 4; k++) {
          const res = await fetch(`${api.url}/crm/v2/deals?page=1`);
          statuses.push(res.status);
          if (res.status === 429) expect(res.headers.get('retry-after')).toBe('3');
          await res.arrayBuffer();
        }
        expect(statuses).toEqual([429, 429, 503, 200]);
        expect((await fetch(`${api.url}/offset`)).status).toBe(200);
        const date = 'Wed, 21 Oct 2015 07:28:00 GMT';
        api.setFaults('/offset', { status429: { count: 1, retryAfterSeconds: date } });
        expect((await fetch(`${api.url}/offset`)).headers.get('retry-after')).toBe(date);
      },
    );
  });

  it('resets sockets, hangs until the client aborts, and delays responses', async () => {
    const api = await startFakeApi({
      faults: { '/offset': { resetCount: 1, hangCount: 1 }, '/pages': { latencyMs: 120 } },
    });
    try {
      await expect(fetch(`${api.url}/offset`, { signal: AbortSignal.timeout(150) })).rejects.toThrow();
      await expect(fetch(`${api.url}/offset`)).rejects.toThrow('fetch failed');
      expect((await fetch(`${api.url}/offset`)).status).toBe(200);
      const started = Date.now();
      expect((await fetch(`${api.url}/pages`)).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    } finally {
      await api.close();
    }
  });

  it('lets close() end a hanging request', async () => {
    const api = await startFakeApi({ faults: { '/details/': { hangCount: 1 } } });
    const hanging = fetch(`${api.url}/details/5`).then(
      (res) => res.status,
      () => 'failed',
    );
    await until(() => api.requests.length === 1);
    await api.close();
    expect(await hanging).toBe('failed');
  });
});

describe('detail route', () => {
  it('answers details, 404 and empty bodies as detailMissing says', async () => {
    const detailMissing = (id: number): 'notfound' | 'empty' | undefined =>
      id === 404 ? 'notfound' : id === 204 ? 'empty' : undefined;
    await withApi({ detailMissing, latencyMs: 1 }, async (api) => {
      expect((await getJson(`${api.url}/details/1000100`)).body).toEqual({
        id: 1000100,
        detail: { owner_phone: '+1-555-0100', score: 1000100 % 97 },
        tags: ['x'],
      });
      expect(await getJson(`${api.url}/details/404`)).toMatchObject({
        status: 404,
        body: { code: 'NOT_FOUND' },
      });
      const empty = await fetch(`${api.url}/details/204`);
      expect(empty.status).toBe(200);
      expect(await empty.text()).toBe('');
    });
  });
});
