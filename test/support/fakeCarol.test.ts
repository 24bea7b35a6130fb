import { gzipSync } from 'node:zlib';
import { startFakeCarol, type FakeCarol, type FakeCarolOptions } from './fakeCarol';

type Json = Record<string, unknown>;

interface Answer {
  status: number;
  body: Json;
  headers: Headers;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json, headers: res.headers };
}

async function withCarol(
  options: FakeCarolOptions,
  body: (carol: FakeCarol) => Promise<void>,
): Promise<void> {
  const carol = await startFakeCarol(options);
  try {
    await body(carol);
  } finally {
    await carol.close();
  }
}

const form = (fields: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

function passwordGrant(carol: FakeCarol, password = 'pw'): Promise<Answer> {
  return call(
    `${carol.url}/api/v1/oauth2/token`,
    form({
      grant_type: 'password',
      username: 'ana',
      password,
      subdomain: 'env1',
      orgSubdomain: 'org1',
      connectorId: carol.connectorId,
    }),
  );
}

const connectorHeaders = (carol: FakeCarol): Record<string, string> => ({
  'X-Auth-Key': carol.apiKey,
  'X-Auth-ConnectorId': carol.connectorId,
});

const options: FakeCarolOptions = { users: { ana: 'pw' }, environment: 'env1', organization: 'org1' };

function intake(
  carol: FakeCarol,
  records: unknown,
  params: {
    table?: string;
    batchId?: string;
    sequence?: number | string;
    gzip?: boolean;
    version?: 'v2' | 'v3';
  } = {},
): Promise<Answer> {
  const table = params.table ?? 'deals';
  const query = new URLSearchParams({
    connectorId: carol.connectorId,
    returnData: 'false',
    batchId: params.batchId ?? 'batch-1',
    batchIdSequence: String(params.sequence ?? 1),
  });
  const json = JSON.stringify(records);
  const gzip = params.gzip ?? true;
  return call(`${carol.url}/api/${params.version ?? 'v3'}/staging/intake/${table}?${query}`, {
    method: 'POST',
    headers: {
      ...connectorHeaders(carol),
      'Content-Type': 'application/json',
      ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
    },
    body: gzip ? gzipSync(json) : json,
  });
}

function summary(
  carol: FakeCarol,
  batchId: string,
  totals: { records: number; requests: number },
): Promise<Answer> {
  return call(`${carol.url}/api/v3/staging/batch/${batchId}/summary`, {
    method: 'POST',
    headers: { ...connectorHeaders(carol), 'Content-Type': 'application/json' },
    body: JSON.stringify({
      totalRecords: totals.records,
      totalRequests: totals.requests,
      timestampStart: '2026-11-29T10:00:00Z',
      timestampEnd: '2026-11-29T10:05:00Z',
    }),
  });
}

function schemaDoc(table: string, crosswalk: string[]): Json {
  return {
    mdmFlexible: false,
    mdmExportData: false,
    mdmStagingMapping: { properties: { id: { type: 'long' }, name: { type: 'string' } } },
    mdmCrosswalkTemplate: { mdmCrossreference: { [table]: crosswalk } },
  };
}

function putSchema(carol: FakeCarol, table: string, doc: Json, method = 'POST'): Promise<Answer> {
  return call(`${carol.url}/api/v2/staging/tables/${table}/schema?connectorId=${carol.connectorId}`, {
    method,
    headers: { ...connectorHeaders(carol), 'Content-Type': 'application/json' },
    body: JSON.stringify(doc),
  });
}

function query(
  carol: FakeCarol,
  name: string,
  page: { offset: number; pageSize: number },
  auth: Record<string, string>,
  indexType = 'STAGING',
): Promise<Answer> {
  return call(
    `${carol.url}/api/v2/queries/filter?indexType=${indexType}&offset=${page.offset}&pageSize=${page.pageSize}`,
    {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ mustList: [{ mdmFilterType: 'TYPE_FILTER', mdmValue: name }] }),
    },
  );
}

describe('OAuth', () => {
  it('issues a token for the password grant, used as is in Authorization', async () => {
    await withCarol(options, async (carol) => {
      const grant = await passwordGrant(carol);
      expect(grant.status).toBe(200);
      expect(grant.body).toEqual({
        access_token: carol.tokensIssued[0],
        refresh_token: expect.any(String),
        expires_in: 3600,
        timeIssuedInMillis: expect.any(Number),
        token_type: 'Bearer',
      });
      carol.seed('deals', [{ id: 1 }]);
      const token = grant.body.access_token as string;
      expect(
        (await query(carol, 'deals', { offset: 0, pageSize: 10 }, { Authorization: token })).status,
      ).toBe(200);
      const bearer = await query(
        carol,
        'deals',
        { offset: 0, pageSize: 10 },
        { Authorization: `Bearer ${token}` },
      );
      expect(bearer.status).toBe(401);
      expect(bearer.body).toEqual({ errorCode: 401, errorMessage: expect.any(String) });
    });
  });

  it('refuses a wrong password, environment, organization or connector, and a non-form request', async () => {
    await withCarol(options, async (carol) => {
      expect((await passwordGrant(carol, 'wrong')).status).toBe(401);
      const base = {
        grant_type: 'password',
        username: 'ana',
        password: 'pw',
        connectorId: carol.connectorId,
      };
      const url = `${carol.url}/api/v1/oauth2/token`;
      expect((await call(url, form({ ...base, subdomain: 'x', orgSubdomain: 'org1' }))).status).toBe(401);
      expect((await call(url, form({ ...base, subdomain: 'env1', orgSubdomain: 'x' }))).status).toBe(401);
      expect(
        (await call(url, form({ ...base, subdomain: 'env1', orgSubdomain: 'org1', connectorId: 'other' })))
          .status,
      ).toBe(401);
      const json = await call(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(base),
      });
      expect(json.status).toBe(400);
      expect((await call(url, form({ grant_type: 'client_credentials' }))).status).toBe(400);
      expect(carol.tokensIssued).toEqual([]);
    });
  });

  it('refreshes with the refresh_token grant; an unknown refresh token is refused', async () => {
    await withCarol(options, async (carol) => {
      const first = await passwordGrant(carol);
      const url = `${carol.url}/api/v1/oauth2/token`;
      const refreshed = await call(
        url,
        form({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string }),
      );
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.access_token).not.toBe(first.body.access_token);
      expect(carol.tokensIssued).toEqual([first.body.access_token, refreshed.body.access_token]);
      expect((await call(url, form({ grant_type: 'refresh_token', refresh_token: 'nope' }))).status).toBe(
        401,
      );
    });
  });

  it('expires tokens after their lifetime on its clock, and userAccessDetails says so', async () => {
    let clock = 1_000_000;
    await withCarol({ ...options, tokenTtlSeconds: 60, now: () => clock }, async (carol) => {
      carol.seed('deals', [{ id: 1 }]);
      const grant = await passwordGrant(carol);
      expect(grant.body.expires_in).toBe(60);
      const token = grant.body.access_token as string;
      const details = `${carol.url}/api/v1/oauth2/token/${token}/userAccessDetails`;
      expect((await call(details)).status).toBe(200);
      clock += 59_999;
      expect((await query(carol, 'deals', { offset: 0, pageSize: 1 }, { Authorization: token })).status).toBe(
        200,
      );
      clock += 1;
      expect((await query(carol, 'deals', { offset: 0, pageSize: 1 }, { Authorization: token })).status).toBe(
        401,
      );
      expect((await call(details)).status).toBe(401);
    });
  });

  it('expires a token after tokenMaxRequests authenticated requests', async () => {
    await withCarol({ ...options, tokenMaxRequests: 2 }, async (carol) => {
      carol.seed('deals', [{ id: 1 }]);
      const token = (await passwordGrant(carol)).body.access_token as string;
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push(
          (await query(carol, 'deals', { offset: 0, pageSize: 1 }, { Authorization: token })).status,
        );
      }
      expect(statuses).toEqual([200, 200, 401]);
    });
  });

  it('expireTokens() and the expireToken fault invalidate issued tokens', async () => {
    await withCarol(options, async (carol) => {
      carol.seed('deals', [{ id: 1 }]);
      const a = (await passwordGrant(carol)).body.access_token as string;
      carol.faults.next('query', { expireToken: true });
      expect((await query(carol, 'deals', { offset: 0, pageSize: 1 }, { Authorization: a })).status).toBe(
        401,
      );
      const b = (await passwordGrant(carol)).body.access_token as string;
      expect((await query(carol, 'deals', { offset: 0, pageSize: 1 }, { Authorization: b })).status).toBe(
        200,
      );
      carol.expireTokens();
      expect((await query(carol, 'deals', { offset: 0, pageSize: 1 }, { Authorization: b })).status).toBe(
        401,
      );
    });
  });
});

describe('connector token', () => {
  it('accepts the right X-Auth-Key and X-Auth-ConnectorId and refuses a wrong one or none', async () => {
    await withCarol(options, async (carol) => {
      carol.seed('deals', [{ id: 1 }]);
      const page = { offset: 0, pageSize: 1 };
      expect((await query(carol, 'deals', page, connectorHeaders(carol))).status).toBe(200);
      const wrongKey = { ...connectorHeaders(carol), 'X-Auth-Key': 'nope' };
      expect((await query(carol, 'deals', page, wrongKey)).status).toBe(401);
      const wrongConnector = { ...connectorHeaders(carol), 'X-Auth-ConnectorId': 'nope' };
      expect((await query(carol, 'deals', page, wrongConnector)).status).toBe(401);
      expect((await query(carol, 'deals', page, {})).status).toBe(401);
    });
  });
});

describe('schema routes', () => {
  it('GET of a missing schema is 404; POST creates, a second POST is refused, PUT replaces; DELETE drops the table', async () => {
    await withCarol(options, async (carol) => {
      const url = `${carol.url}/api/v2/staging/tables/deals/schema?connectorId=${carol.connectorId}`;
      const headers = connectorHeaders(carol);
      expect((await call(url, { headers })).status).toBe(404);
      expect((await putSchema(carol, 'deals', schemaDoc('deals', ['id']))).status).toBe(200);
      expect((await call(url, { headers })).body).toEqual(schemaDoc('deals', ['id']));
      expect((await putSchema(carol, 'deals', schemaDoc('deals', ['id']))).status).toBe(400);
      expect((await putSchema(carol, 'deals', schemaDoc('deals', ['id', 'name']), 'PUT')).status).toBe(200);
      expect(carol.schemas.get('deals')).toEqual(schemaDoc('deals', ['id', 'name']));
      const drop = await call(`${carol.url}/api/v2/staging/tables/deals?connectorId=${carol.connectorId}`, {
        method: 'DELETE',
        headers,
      });
      expect(drop.status).toBe(200);
      expect((await call(url, { headers })).status).toBe(404);
    });
  });

  it('refuses a schema without crosswalk, a crosswalk field missing from the properties, and a bad table name', async () => {
    await withCarol(options, async (carol) => {
      expect((await putSchema(carol, 'deals', schemaDoc('deals', []))).status).toBe(400);
      expect((await putSchema(carol, 'deals', schemaDoc('deals', ['nope']))).status).toBe(400);
      expect((await putSchema(carol, 'deal_s', schemaDoc('deal_s', ['id']))).status).toBe(400);
      expect(carol.schemas.size).toBe(0);
    });
  });
});

describe('intake', () => {
  const rows = [
    { id: 1, name: 'a' },
    { id: 2, name: 'b' },
  ];

  it('stores a gzip JSON array per batchIdSequence, in sequence order, on v3 and v2', async () => {
    await withCarol(options, async (carol) => {
      expect((await intake(carol, rows, { sequence: 1 })).status).toBe(200);
      expect((await intake(carol, [{ id: 3, name: 'c' }], { sequence: 2 })).status).toBe(200);
      expect((await intake(carol, [{ id: 9 }], { sequence: 1, batchId: 'old', version: 'v2' })).status).toBe(
        200,
      );
      expect(carol.records('deals')).toEqual([...rows, { id: 3, name: 'c' }, { id: 9 }]);
      expect(carol.batches.get('batch-1')?.table).toBe('deals');
      expect(carol.batches.get('old')?.route).toBe('v2');
      expect(carol.stats.intakeRequests).toBe(3);
      expect(carol.stats.intakeUncompressedBytes).toBeGreaterThan(0);
      expect(carol.stats.intakeBytes).toBeGreaterThan(0);
    });
  });

  it('refuses a body that is not gzip, or gzip without Content-Encoding', async () => {
    await withCarol(options, async (carol) => {
      const plain = await intake(carol, rows, { gzip: false });
      expect(plain.status).toBe(400);
      expect(plain.body).toEqual({ errorCode: 400, errorMessage: expect.stringContaining('gzip') });
      const query = `connectorId=${carol.connectorId}&batchId=b&batchIdSequence=1`;
      const unlabelled = await call(`${carol.url}/api/v3/staging/intake/deals?${query}`, {
        method: 'POST',
        headers: { ...connectorHeaders(carol), 'Content-Type': 'application/json' },
        body: gzipSync(JSON.stringify(rows)),
      });
      expect(unlabelled.status).toBe(400);
      expect(carol.records('deals')).toEqual([]);
    });
  });

  it('acknowledges an identical resend without storing it twice', async () => {
    await withCarol(options, async (carol) => {
      expect((await intake(carol, rows, { sequence: 1 })).status).toBe(200);
      expect((await intake(carol, rows, { sequence: 1 })).status).toBe(200);
      expect(carol.records('deals')).toEqual(rows);
      expect(carol.batches.get('batch-1')?.counts.size).toBe(1);
    });
  });

  it('refuses a sequence number that skips ahead, and one resent with other records', async () => {
    await withCarol(options, async (carol) => {
      const skip = await intake(carol, rows, { sequence: 2 });
      expect(skip.status).toBe(400);
      expect(skip.body.errorMessage).toContain('skips ahead');
      expect((await intake(carol, rows, { sequence: 1 })).status).toBe(200);
      expect((await intake(carol, rows, { sequence: 3 })).status).toBe(400);
      const other = await intake(carol, [{ id: 1, name: 'changed' }], { sequence: 1 });
      expect(other.status).toBe(400);
      expect(other.body.errorMessage).toContain('other records');
      expect((await intake(carol, rows, { sequence: 0 })).status).toBe(400);
      expect((await intake(carol, rows, { sequence: 'x' })).status).toBe(400);
      expect(carol.records('deals')).toEqual(rows);
    });
  });

  it('refuses records lacking a crosswalk field once the table has a schema', async () => {
    await withCarol(options, async (carol) => {
      expect((await intake(carol, [{ name: 'no id' }], { batchId: 'free' })).status).toBe(200);
      expect((await putSchema(carol, 'deals', schemaDoc('deals', ['id']))).status).toBe(200);
      const lacking = await intake(carol, [{ id: 1 }, { name: 'no id' }]);
      expect(lacking.status).toBe(400);
      expect(lacking.body.errorMessage).toContain('crosswalk field "id"');
      expect((await intake(carol, [{ id: 1 }])).status).toBe(200);
    });
  });

  it('refuses a bad table name, a wrong connectorId, a non-array body and a batch reused for another table', async () => {
    await withCarol(options, async (carol) => {
      expect((await intake(carol, rows, { table: '1deals' })).status).toBe(400);
      expect((await intake(carol, rows, { table: 'deals_x' })).status).toBe(400);
      expect((await intake(carol, rows, { table: 'd'.repeat(65) })).status).toBe(400);
      expect((await intake(carol, { id: 1 })).status).toBe(400);
      const query = `connectorId=other&batchId=b&batchIdSequence=1`;
      const wrong = await call(`${carol.url}/api/v3/staging/intake/deals?${query}`, {
        method: 'POST',
        headers: { ...connectorHeaders(carol), 'Content-Encoding': 'gzip' },
        body: gzipSync('[]'),
      });
      expect(wrong.status).toBe(400);
      expect((await intake(carol, rows)).status).toBe(200);
      expect((await intake(carol, rows, { table: 'other', sequence: 2 })).status).toBe(400);
      expect(carol.records('deals')).toEqual(rows);
      expect(carol.records('other')).toEqual([]);
    });
  });

  it('requires credentials', async () => {
    await withCarol(options, async (carol) => {
      const res = await call(`${carol.url}/api/v3/staging/intake/deals?connectorId=${carol.connectorId}`, {
        method: 'POST',
        headers: { 'Content-Encoding': 'gzip' },
        body: gzipSync('[]'),
      });
      expect(res.status).toBe(401);
    });
  });
});

describe('batch summary', () => {
  it('accepts exact totals, an identical repeat, and refuses totals that differ', async () => {
    await withCarol(options, async (carol) => {
      await intake(carol, [{ id: 1 }, { id: 2 }], { sequence: 1 });
      await intake(carol, [{ id: 3 }], { sequence: 2 });
      const wrong = await summary(carol, 'batch-1', { records: 2, requests: 2 });
      expect(wrong.status).toBe(400);
      expect(wrong.body.errorMessage).toContain('differ');
      expect((await summary(carol, 'batch-1', { records: 3, requests: 1 })).status).toBe(400);
      expect(carol.batches.get('batch-1')?.summary).toBeUndefined();
      expect((await summary(carol, 'batch-1', { records: 3, requests: 2 })).status).toBe(200);
      expect((await summary(carol, 'batch-1', { records: 3, requests: 2 })).status).toBe(200);
      expect(carol.batches.get('batch-1')?.summary).toEqual({
        totalRecords: 3,
        totalRequests: 2,
        timestampStart: '2026-11-29T10:00:00Z',
        timestampEnd: '2026-11-29T10:05:00Z',
      });
      // No new request once summarised; an identical resend is still acknowledged.
      expect((await intake(carol, [{ id: 4 }], { sequence: 3 })).status).toBe(400);
      expect((await intake(carol, [{ id: 3 }], { sequence: 2 })).status).toBe(200);
    });
  });

  it('refuses an unknown batch and timestamps not in UTC YYYY-MM-DDTHH:MM:SSZ', async () => {
    await withCarol(options, async (carol) => {
      expect((await summary(carol, 'nope', { records: 0, requests: 0 })).status).toBe(404);
      await intake(carol, [{ id: 1 }]);
      const res = await call(`${carol.url}/api/v3/staging/batch/batch-1/summary`, {
        method: 'POST',
        headers: { ...connectorHeaders(carol), 'Content-Type': 'application/json' },
        body: JSON.stringify({
          totalRecords: 1,
          totalRequests: 1,
          timestampStart: '2026-11-29T10:00:00.000Z',
          timestampEnd: '2026-11-29T10:05:00Z',
        }),
      });
      expect(res.status).toBe(400);
      expect(res.body.errorMessage).toContain('timestampStart');
    });
  });
});

describe('delete by identifier', () => {
  it('removes staged records by crosswalk value from what the query route serves', async () => {
    await withCarol(options, async (carol) => {
      await putSchema(carol, 'deals', schemaDoc('deals', ['id']));
      carol.seed('deals', [{ id: 1 }, { id: 2 }, { id: 3 }]);
      const url = `${carol.url}/api/v2/staging/tables/deals/using_identifier?connectorId=${carol.connectorId}&propagateCleanup=true`;
      const res = await call(url, {
        method: 'DELETE',
        headers: { ...connectorHeaders(carol), 'Content-Type': 'application/json' },
        body: JSON.stringify([{ id: 2 }, [3]]),
      });
      expect(res.status).toBe(200);
      expect(carol.deleted.get('deals')).toEqual([{ id: 2 }, [3]]);
      const page = await query(carol, 'deals', { offset: 0, pageSize: 10 }, connectorHeaders(carol));
      expect(page.body.hits).toEqual([{ id: 1 }]);
      const empty = await call(url, { method: 'DELETE', headers: connectorHeaders(carol), body: '[]' });
      expect(empty.status).toBe(400);
    });
  });
});

describe('query route', () => {
  it('pages with offset and pageSize and answers {hits, count, totalHits}', async () => {
    await withCarol(options, async (carol) => {
      const all = Array.from({ length: 7 }, (_, i) => ({ id: i }));
      carol.seed('deals', all);
      carol.seed('dealsGolden', [{ id: 'g' }], 'MASTER');
      const auth = connectorHeaders(carol);
      const pages: Json[] = [];
      for (let offset = 0; offset < 9; offset += 3) {
        pages.push((await query(carol, 'deals', { offset, pageSize: 3 }, auth)).body);
      }
      expect(pages).toEqual([
        { hits: all.slice(0, 3), count: 3, totalHits: 7 },
        { hits: all.slice(3, 6), count: 3, totalHits: 7 },
        { hits: all.slice(6), count: 1, totalHits: 7 },
      ]);
      const master = await query(carol, 'dealsGolden', { offset: 0, pageSize: 3 }, auth, 'MASTER');
      expect(master.body).toEqual({ hits: [{ id: 'g' }], count: 1, totalHits: 1 });
      expect((await query(carol, 'dealsGolden', { offset: 0, pageSize: 3 }, auth)).body.totalHits).toBe(0);
    });
  });

  it('serves staged records once their batch is summarised', async () => {
    await withCarol(options, async (carol) => {
      await intake(carol, [{ id: 1 }]);
      const auth = connectorHeaders(carol);
      expect((await query(carol, 'deals', { offset: 0, pageSize: 5 }, auth)).body.totalHits).toBe(0);
      await summary(carol, 'batch-1', { records: 1, requests: 1 });
      expect((await query(carol, 'deals', { offset: 0, pageSize: 5 }, auth)).body.hits).toEqual([{ id: 1 }]);
    });
  });

  it('refuses a bad indexType, pageSize or a filter without TYPE_FILTER', async () => {
    await withCarol(options, async (carol) => {
      const auth = connectorHeaders(carol);
      expect((await query(carol, 'deals', { offset: 0, pageSize: 3 }, auth, 'OTHER')).status).toBe(400);
      expect((await query(carol, 'deals', { offset: 0, pageSize: 0 }, auth)).status).toBe(400);
      expect((await query(carol, 'deals', { offset: -1, pageSize: 3 }, auth)).status).toBe(400);
      const noType = await call(`${carol.url}/api/v2/queries/filter?indexType=STAGING`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ mustList: [] }),
      });
      expect(noType.status).toBe(400);
      expect(noType.body.errorMessage).toContain('TYPE_FILTER');
    });
  });
});

describe('fault injection', () => {
  it('answers 429 with Retry-After, then 503, then normally, on the scripted route only', async () => {
    await withCarol(options, async (carol) => {
      carol.seed('deals', [{ id: 1 }]);
      carol.faults.next('query', { status: 429, retryAfter: 2 });
      carol.faults.next('query', { status: 503 }, 2);
      const auth = connectorHeaders(carol);
      const page = { offset: 0, pageSize: 1 };
      const first = await query(carol, 'deals', page, auth);
      expect(first.status).toBe(429);
      expect(first.headers.get('retry-after')).toBe('2');
      expect(first.body).toEqual({ errorCode: 429, errorMessage: expect.any(String) });
      expect((await intake(carol, [{ id: 1 }])).status).toBe(200);
      expect((await query(carol, 'deals', page, auth)).status).toBe(503);
      expect((await query(carol, 'deals', page, auth)).status).toBe(503);
      expect((await query(carol, 'deals', page, auth)).status).toBe(200);
    });
  });

  it('resets the connection before processing: nothing stored', async () => {
    await withCarol(options, async (carol) => {
      carol.faults.next('intake', { reset: true });
      await expect(intake(carol, [{ id: 1 }])).rejects.toThrow();
      expect(carol.records('deals')).toEqual([]);
      expect((await intake(carol, [{ id: 1 }])).status).toBe(200);
      expect(carol.records('deals')).toEqual([{ id: 1 }]);
    });
  });

  it('resets the connection after storing: the resend is acknowledged and stored once', async () => {
    await withCarol(options, async (carol) => {
      carol.faults.next('intake', { reset: 'after' });
      await expect(intake(carol, [{ id: 1 }])).rejects.toThrow();
      expect(carol.records('deals')).toEqual([{ id: 1 }]);
      expect((await intake(carol, [{ id: 1 }])).status).toBe(200);
      expect(carol.records('deals')).toEqual([{ id: 1 }]);
    });
  });

  it('resets mid-response: the client sees a broken body', async () => {
    await withCarol(options, async (carol) => {
      carol.seed('deals', [{ id: 1, name: 'x'.repeat(1000) }]);
      carol.faults.next('query', { reset: 'mid-response' });
      await expect(
        query(carol, 'deals', { offset: 0, pageSize: 1 }, connectorHeaders(carol)),
      ).rejects.toThrow();
      expect((await query(carol, 'deals', { offset: 0, pageSize: 1 }, connectorHeaders(carol))).status).toBe(
        200,
      );
    });
  });

  it('faults the token route too, and records every request', async () => {
    await withCarol(options, async (carol) => {
      carol.faults.next('token', { status: 503 });
      expect((await passwordGrant(carol)).status).toBe(503);
      expect((await passwordGrant(carol)).status).toBe(200);
      expect(carol.requests.map((r) => [r.method, r.path, r.status])).toEqual([
        ['POST', '/api/v1/oauth2/token', 503],
        ['POST', '/api/v1/oauth2/token', 200],
      ]);
      expect(carol.requests[1]?.body).toContain('grant_type=password');
    });
  });
});

describe('options', () => {
  it('pageSizeCap serves fewer hits than asked, as an API capping its page size', async () => {
    await withCarol({ ...options, pageSizeCap: 2 }, async (carol) => {
      carol.seed('deals', [{ id: 1 }, { id: 2 }, { id: 3 }]);
      const page = await query(carol, 'deals', { offset: 0, pageSize: 3 }, connectorHeaders(carol));
      expect(page.body).toEqual({ hits: [{ id: 1 }, { id: 2 }], count: 2, totalHits: 3 });
    });
  });

  it('an empty fault lets one request through, aiming the next fault at a later request', async () => {
    await withCarol(options, async (carol) => {
      carol.faults.next('token', {});
      carol.faults.next('token', { status: 503 });
      expect((await passwordGrant(carol)).status).toBe(200);
      expect((await passwordGrant(carol)).status).toBe(503);
    });
  });
});
