/**
 * The two Zoho configs of the original tool's documentation, verbatim except for
 * their hosts, run end to end against the fake API on 127.0.0.1.
 */
import dealsSeed from '../fixtures/seed-zoho-deals.json';
import ticketsSeed from '../fixtures/seed-zoho-tickets.json';
import { type FakeApi, makeRecord, startFakeApi } from '../support/fakeApi';
import { type Harness, makeHarness, parseCsv } from '../support/engineHarness';

const SECRETS = {
  zoho_refresh_token: 'refresh-abc123',
  zoho_client_id: 'client-xyz789',
  zoho_client_secret: 'secret-qwe456',
  zoho_tickets_refresh_token: 'refresh-tickets-1',
  zoho_tickets_client_id: 'client-tickets-1',
  zoho_tickets_client_secret: 'secret-tickets-1',
};

/** The seed config with its Zoho hosts pointed at the fake API. */
function pointAt<T>(seed: T, api: FakeApi): T {
  const text = JSON.stringify(seed)
    .replaceAll('https://accounts.zoho.com', api.url)
    .replaceAll('https://www.zohoapis.com', api.url)
    .replaceAll('https://desk.zoho.com', api.url);
  return JSON.parse(text) as T;
}

describe('Zoho CRM deals (seed config)', () => {
  let api: FakeApi;
  let h: Harness;
  beforeEach(async () => {
    api = await startFakeApi({
      records: 250,
      token: {
        refreshToken: SECRETS.zoho_refresh_token,
        clientId: SECRETS.zoho_client_id,
        clientSecret: SECRETS.zoho_client_secret,
      },
    });
    h = await makeHarness();
    await h.setSecrets(SECRETS);
  });
  afterEach(async () => {
    await api.close();
    await h.close();
  });

  test('extracts every deal into a ;-separated CSV with the schema columns in order', async () => {
    const report = await h.run(pointAt(dealsSeed, api));
    const [log] = report.logs;
    expect(log).toMatchObject({ success: 'true', error: null, data_inserted_len: '250', pages: 3 });
    expect(log!.destiny).toMatch(
      /^s3:\/\/api-extractor-output-local-1\/zoho\/deals\/\d{4}-\d\d-\d\d@\d\d-\d\d-\d\d\.csv$/,
    );

    const rows = parseCsv(await h.output(log!), ';');
    const header = rows[0]!;
    expect(header.slice(0, 6)).toEqual([
      'owner_name',
      'owner_id',
      'owner_email',
      'description',
      'currency_symbol',
      'field_states',
    ]);
    expect(header).toHaveLength(Object.keys(flatLeaves(dealsSeed.extractions[0]!.data_schema)).length + 1);
    expect(header[header.length - 1]).toBe('ext__timestamp');
    expect(rows).toHaveLength(251);

    const col = (name: string): number => header.indexOf(name);
    for (const i of [0, 1, 99, 100, 249]) {
      const record = makeRecord(i) as Record<string, never> & { Owner: Record<string, unknown> };
      const row = rows[i + 1]!;
      expect(row).toHaveLength(header.length);
      expect(row[col('id')]).toBe(String(record.id));
      expect(row[col('deal_name')]).toBe(record.Deal_Name);
      expect(row[col('owner_email')]).toBe(record.Owner.email);
      expect(row[col('currency_symbol')]).toBe('$');
      expect(row[col('amount')]).toBe(String(record.Amount));
      // The replace transformation turns every ';' of the description into '.'.
      expect(row[col('description')]).toBe(String(record.Description).replaceAll(';', '.'));
      // Fields the records do not have are empty cells.
      expect(row[col('causas_de_perdida')]).toBe('');
      expect(row[col('ext__timestamp')]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    }
  });

  test('refreshes the token with the secrets as query params and sends it as a Bearer header', async () => {
    await h.run(pointAt(dealsSeed, api));
    const tokenCall = api.requests.find((r) => r.path === '/oauth/v2/token')!;
    expect(tokenCall.method).toBe('POST');
    expect(tokenCall.query).toMatchObject({
      refresh_token: SECRETS.zoho_refresh_token,
      client_id: SECRETS.zoho_client_id,
      client_secret: SECRETS.zoho_client_secret,
      grant_type: 'refresh_token',
    });
    const dataCalls = api.requests.filter((r) => r.path === '/crm/v2/deals');
    expect(dataCalls.map((r) => r.query.page)).toEqual(['1', '2', '3']);
    expect(dataCalls.every((r) => r.headers.authorization === `Bearer ${api.tokensIssued[0]}`)).toBe(true);
    expect(dataCalls[0]!.query).toMatchObject({ sort_by: 'Modified_Time', sort_order: 'asc' });
    expect(dataCalls[0]!.headers['if-modified-since']).toBe('2020-09-03T17:40:53-05:00');
  });

  test('a second run asks If-Modified-Since the last record and a 304 means nothing new, not a failure', async () => {
    const first = await h.run(pointAt(dealsSeed, api));
    const second = await h.run(pointAt(dealsSeed, api));
    expect(second.logs[0]).toMatchObject({ success: 'true', data_inserted_len: '0', destiny: null });
    const lastCall = api.requests.filter((r) => r.path === '/crm/v2/deals').at(-1)!;
    expect(lastCall.headers['if-modified-since']).toBe(makeRecord(249).Modified_Time);
    // `last` stays the last record ever extracted, and only one file exists.
    expect(second.logs[0]!.last).toEqual(first.logs[0]!.last);
    expect(await h.objectFiles()).toHaveLength(1);
  });

  test('no secret reaches the execution log or the logs', async () => {
    api.setFaults('/oauth/v2/token', { status503: { count: 10 } });
    const report = await h.run(pointAt(dealsSeed, api));
    const everything = JSON.stringify(report) + JSON.stringify(h.logLines);
    expect(report.logs[0]!.success).toBe('false');
    expect(report.logs[0]!.error).toContain('token refresh failed');
    for (const secret of Object.values(SECRETS)) expect(everything).not.toContain(secret);
  }, 60_000);
});

describe('Zoho Desk tickets (seed config)', () => {
  test('pages with from/step 100 while the status is 200; the 204 with an empty body ends it', async () => {
    const api = await startFakeApi({
      records: 250,
      token: { refreshToken: SECRETS.zoho_tickets_refresh_token },
    });
    const h = await makeHarness();
    try {
      await h.setSecrets(SECRETS);
      const report = await h.run(pointAt(ticketsSeed, api));
      const [log] = report.logs;
      expect(log).toMatchObject({ success: 'true', data_inserted_len: '250', pages: 4 });
      expect(log!.destiny).toBe('s3://api-extractor-output-local-1/zoho/tickets/ticketsdata.csv');
      const calls = api.requests.filter((r) => r.path === '/api/v1/tickets');
      expect(calls.map((r) => r.query.from)).toEqual(['1', '101', '201', '301']);
      expect(calls[0]!.query).toMatchObject({ sortBy: 'ticketNumber', limit: '100' });
      expect(calls[0]!.headers.authorization).toBe(`Zoho-oauthtoken ${api.tokensIssued[0]}`);
      const rows = parseCsv(await h.output(log!), ';');
      expect(rows[0]!.slice(0, 3)).toEqual(['id', 'ticket_number', 'layout_id']);
      expect(rows.slice(1).map((r) => r[0])).toEqual(
        Array.from({ length: 250 }, (_, i) => String(makeRecord(i).id)),
      );
    } finally {
      await api.close();
      await h.close();
    }
  });
});

function flatLeaves(schema: object, out: Record<string, true> = {}): Record<string, true> {
  for (const value of Object.values(schema)) {
    if (typeof value === 'string') out[value] = true;
    else flatLeaves(value as object, out);
  }
  return out;
}
