/**
 * Extracting from Carol: the documented example configs (test/fixtures/carol-source-*.json)
 * run by the in-process engine against the fake Carol. The query route pages by
 * offset/pageSize until totalHits; OAuth by password grant (the token as is in
 * Authorization, refreshed by the refresh_token grant when it expires mid-run), or
 * connector-token headers. Secrets come from `${secret::…}` and never reach the output
 * or the logs.
 */
import oauthExample from '../fixtures/carol-source-oauth.json';
import connectorTokenExample from '../fixtures/carol-source-connector-token.json';
import { type FakeCarol, startFakeCarol } from '../support/fakeCarol';
import { type Harness, makeHarness, parseCsv } from '../support/engineHarness';

const CONNECTOR_ID = '0a1b2c3d4e5f';
const SECRETS = {
  carol: { username: 'ana@example.com', password: 'pa55-secret', api_key: 'carol-key-secret' },
};

/** The example config, pointed at the fake Carol, with `edit` applied to its first extraction. */
function example(
  document: unknown,
  carol: FakeCarol,
  edit: (extraction: Record<string, unknown>) => void = () => undefined,
): Record<string, unknown> {
  const text = JSON.stringify(document).replaceAll('https://myorg.carol.ai', carol.url);
  const config = JSON.parse(text) as { extractions: Array<Record<string, unknown>> };
  edit(config.extractions[0]!);
  return config;
}

function pageSize(size: number): (extraction: Record<string, unknown>) => void {
  return (extraction) => {
    (extraction.pagination as { parameters: Record<string, unknown> }).parameters.page_size = size;
  };
}

const deals = Array.from({ length: 8 }, (_, i) => ({
  id: 100 + i,
  name: i === 3 ? 'Deal, "three"' : `Deal ${i}`,
  amount: i * 10.5,
  mdmId: `m${i}`,
}));

let h: Harness;
let carol: FakeCarol;
beforeEach(async () => {
  h = await makeHarness();
  await h.setSecrets(SECRETS);
});
afterEach(async () => {
  await carol.close();
  await h.close();
});

describe('OAuth password grant', () => {
  beforeEach(async () => {
    carol = await startFakeCarol({
      connectorId: CONNECTOR_ID,
      users: { [SECRETS.carol.username]: SECRETS.carol.password },
      environment: 'myenv',
      organization: 'myorg',
      // Each token serves two queries: a three-page run sees it expire mid-run.
      tokenMaxRequests: 2,
    });
    carol.seed('deals', deals);
  });

  test('pages by offset/pageSize until totalHits, refreshing the expired token by the refresh_token grant', async () => {
    const report = await h.run(example(oauthExample, carol, pageSize(3)));
    const [log] = report.logs;
    expect(log).toMatchObject({ success: 'true', data_inserted_len: '8' });
    const rows = parseCsv(await h.output(log!));
    expect(rows[0]).toEqual(['id', 'name', 'amount', 'ext__timestamp']);
    expect(rows.slice(1).map((r) => r.slice(0, 3))).toEqual(
      deals.map((d) => [String(d.id), d.name, String(d.amount)]),
    );

    const queries = carol.requests.filter((r) => r.path === '/api/v2/queries/filter');
    // Three pages (8 records by 3), the third retried once after its 401: no empty page past totalHits.
    expect(queries.map((r) => [r.query.offset, r.query.pageSize, r.status])).toEqual([
      ['0', '3', 200],
      ['3', '3', 200],
      ['6', '3', 401],
      ['6', '3', 200],
    ]);
    expect(queries.every((r) => r.query.indexType === 'STAGING')).toBe(true);
    expect(JSON.parse(queries[0]!.body)).toEqual({
      mustList: [{ mdmFilterType: 'TYPE_FILTER', mdmValue: 'deals' }],
    });
    // The token goes in Authorization as is, the refreshed one after the 401.
    expect(queries.map((r) => r.headers.authorization)).toEqual([
      carol.tokensIssued[0],
      carol.tokensIssued[0],
      carol.tokensIssued[0],
      carol.tokensIssued[1],
    ]);
    const grants = carol.requests
      .filter((r) => r.path === '/api/v1/oauth2/token')
      .map((r) => Object.fromEntries(new URLSearchParams(r.body)));
    expect(grants).toEqual([
      {
        grant_type: 'password',
        username: SECRETS.carol.username,
        password: SECRETS.carol.password,
        subdomain: 'myenv',
        orgSubdomain: 'myorg',
        connectorId: CONNECTOR_ID,
      },
      { grant_type: 'refresh_token', refresh_token: expect.any(String) },
    ]);
    expect(carol.requests.find((r) => r.path.endsWith('/token'))?.headers['content-type']).toBe(
      'application/x-www-form-urlencoded',
    );
    const logged = JSON.stringify(h.logLines) + JSON.stringify(report);
    for (const secret of [SECRETS.carol.password, ...carol.tokensIssued])
      expect(logged).not.toContain(secret);
  });

  test('a refused refresh_token grant falls back to the password grant once', async () => {
    // The password grant passes; the refresh grant after the mid-run 401 is refused.
    carol.faults.next('token', {});
    carol.faults.next('token', { status: 401 });
    const report = await h.run(example(oauthExample, carol, pageSize(3)));
    expect(report.logs[0]).toMatchObject({ success: 'true', data_inserted_len: '8' });
    const grants = carol.requests.filter((r) => r.path === '/api/v1/oauth2/token');
    expect(grants.map((r) => [new URLSearchParams(r.body).get('grant_type'), r.status])).toEqual([
      ['password', 200],
      ['refresh_token', 401],
      ['password', 200],
    ]);
    const rows = parseCsv(await h.output(report.logs[0]!));
    expect(rows.slice(1).map((r) => r[0])).toEqual(deals.map((d) => String(d.id)));
  });

  test('a refused password grant fails the run clearly, without the password', async () => {
    carol.faults.next('token', { status: 401 });
    const report = await h.run(example(oauthExample, carol, pageSize(3)));
    expect(report.logs[0]!.success).toBe('false');
    expect(report.logs[0]!.error).toMatch(/^token refresh failed: HTTP 401/);
    expect(JSON.stringify(report) + JSON.stringify(h.logLines)).not.toContain(SECRETS.carol.password);
    expect(carol.requests.filter((r) => r.path === '/api/v2/queries/filter')).toEqual([]);
  });
});

describe('connector token', () => {
  beforeEach(async () => {
    carol = await startFakeCarol({ connectorId: CONNECTOR_ID, apiKey: SECRETS.carol.api_key });
  });

  test('reads a data model with X-Auth-Key/X-Auth-ConnectorId, pages in flight, through a 503', async () => {
    const customers = Array.from({ length: 11 }, (_, i) => ({
      mdmGoldenFieldAndValues: { customerid: `c${i}`, name: `Customer ${i}` },
      mdmId: `g${i}`,
    }));
    carol.seed('customerGolden', customers, 'MASTER');
    carol.faults.next('query', { status: 503 });
    const report = await h.run(
      example(connectorTokenExample, carol, (extraction) => {
        pageSize(4)(extraction);
        extraction.http = { backoff_base_ms: 1, backoff_max_ms: 5 };
      }),
    );
    const [log] = report.logs;
    expect(log).toMatchObject({ success: 'true', data_inserted_len: '11' });
    const lines = (await h.output(log!))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.id, l.name])).toEqual(
      customers.map((c) => [c.mdmGoldenFieldAndValues.customerid, c.mdmGoldenFieldAndValues.name]),
    );
    const queries = carol.requests.filter((r) => r.path === '/api/v2/queries/filter' && r.status === 200);
    // Pages requested past the end while in flight are discarded; the three that hold rows are there.
    expect(queries.map((r) => Number(r.query.offset))).toEqual(expect.arrayContaining([0, 4, 8]));
    expect(queries.every((r) => r.query.indexType === 'MASTER' && r.query.pageSize === '4')).toBe(true);
    expect(queries.every((r) => r.headers['x-auth-key'] === SECRETS.carol.api_key)).toBe(true);
    expect(queries.every((r) => r.headers['x-auth-connectorid'] === CONNECTOR_ID)).toBe(true);
    expect(JSON.stringify(h.logLines) + JSON.stringify(report)).not.toContain(SECRETS.carol.api_key);
  });

  test('a wrong key fails the run with the status, and the key is not in the error', async () => {
    await h.setSecrets({ carol: { api_key: 'wrong-key-secret' } });
    const report = await h.run(example(connectorTokenExample, carol));
    expect(report.logs[0]!.success).toBe('false');
    expect(report.logs[0]!.error).toContain('401');
    expect(JSON.stringify(report)).not.toContain('wrong-key-secret');
  });

  test('an upstream that caps pageSize below page_size fails the run instead of skipping records', async () => {
    await carol.close();
    carol = await startFakeCarol({
      connectorId: CONNECTOR_ID,
      apiKey: SECRETS.carol.api_key,
      pageSizeCap: 3,
    });
    carol.seed(
      'customerGolden',
      Array.from({ length: 11 }, (_, i) => ({ id: i })),
      'MASTER',
    );
    const report = await h.run(example(connectorTokenExample, carol, pageSize(4)));
    expect(report.logs[0]!.success).toBe('false');
    expect(report.logs[0]!.error).toBe(
      'pagination.parameters.page_size: page 1 (offset 0) brought 3 records, fewer than page_size (4), before reaching the total (11): the API may cap its page size (lower page_size), or the data changed during the run',
    );
  });
});
