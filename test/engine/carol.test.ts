/**
 * Loading an extraction into Carol in process: a REST extraction (the fake upstream)
 * into the fake Carol, over real HTTP; faults during intake; a failed load.
 */
import { type FakeApi, makeRecord, startFakeApi } from '../support/fakeApi';
import { type FakeCarol, startFakeCarol } from '../support/fakeCarol';
import { type Harness, makeHarness } from '../support/engineHarness';
import { carolBatchId } from '../../shared/output/carolDestination';

const RECORDS = 60;
let h: Harness;
let api: FakeApi;
let carol: FakeCarol;

beforeEach(async () => {
  h = await makeHarness();
  api = await startFakeApi({ records: RECORDS, pageSize: 25 });
  carol = await startFakeCarol({ users: { ana: 'ana-password' } });
  await h.setSecrets({ carol: { user: 'ana', password: 'ana-password', key: 'carol-api-key' } });
});
afterEach(async () => {
  await carol.close();
  await api.close();
  await h.close();
});

const expectedRows = (n = RECORDS) =>
  Array.from({ length: n }, (_, i) => {
    const r = makeRecord(i);
    return { id: r.id, name: r.Deal_Name, amount: r.Amount, closed: r.Closed };
  });

function config(carolDestiny: Record<string, unknown> = {}, extraction: Record<string, unknown> = {}) {
  return {
    name: 'crm',
    extractions: [
      {
        name: 'deals',
        endpoint: { url: `${api.url}/crm/v2/deals` },
        data_key: 'data',
        data_schema: { id: 'id', Deal_Name: 'name', Amount: 'amount', Closed: 'closed' },
        pagination: {
          type: 'sequential',
          parameters: { param_name: 'page', there_are_more_pages: 'info.more_records' },
        },
        format: 'json',
        http: { backoff_base_ms: 10, backoff_max_ms: 40 },
        carol_destiny: {
          url: carol.url,
          connector_id: carol.connectorId,
          table: 'deals',
          auth: {
            type: 'oauth',
            username: '${secret::carol.user}',
            password: '${secret::carol.password}',
            environment: 'env',
            organization: 'org',
          },
          crosswalk: ['id'],
          records_per_request: 7,
          schema: 'create',
          ...carolDestiny,
        },
        ...extraction,
      },
    ],
  };
}

/** The intake requests Carol answered 200, in arrival order, decompressed. */
function acceptedIntake() {
  return carol.requests.filter((r) => r.path.startsWith('/api/v3/staging/intake/') && r.status === 200);
}

describe('loading into Carol in process', () => {
  test('the decompressed batches are the extracted rows in order; the summary and the log carry exact totals', async () => {
    const report = await h.run(config());
    const [log] = report.logs;
    expect(log).toMatchObject({ success: 'true', data_inserted_len: String(RECORDS) });
    // Carol in addition to the file: the file is still written and named by destiny.
    expect(log!.destiny).toMatch(/^s3:\/\//);
    const file = JSON.parse(await h.output(log!)) as Array<Record<string, unknown>>;
    expect(file.map(({ ext__timestamp: _, ...row }) => row)).toEqual(expectedRows());

    expect(carol.records('deals')).toEqual(expectedRows());
    const intake = acceptedIntake();
    expect(intake.map((r) => r.query.batchIdSequence)).toEqual(
      Array.from({ length: Math.ceil(RECORDS / 7) }, (_, i) => String(i + 1)),
    );
    expect(intake.every((r) => r.headers['content-encoding'] === 'gzip')).toBe(true);
    const batchId = carolBatchId(log!.run_id, log!.extraction_id);
    expect(new Set(intake.map((r) => r.query.batchId))).toEqual(new Set([batchId]));
    expect(carol.batches.get(batchId)!.summary).toMatchObject({
      totalRecords: RECORDS,
      totalRequests: Math.ceil(RECORDS / 7),
    });
    // The summary is the last request, after every intake.
    expect(carol.requests.at(-1)!.path).toBe(`/api/v3/staging/batch/${batchId}/summary`);
    expect(log!.carol).toEqual({
      destination: carol.url,
      table: 'deals',
      batch_id: batchId,
      requests: Math.ceil(RECORDS / 7),
      records: RECORDS,
    });
    // schema: create, from the data_schema's columns, typed from the data.
    expect(carol.schemas.get('deals')).toEqual({
      mdmFlexible: false,
      mdmExportData: false,
      mdmStagingMapping: {
        properties: {
          id: { type: 'long' },
          name: { type: 'string' },
          amount: { type: 'long' },
          closed: { type: 'boolean' },
        },
      },
      mdmCrosswalkTemplate: { mdmCrossreference: { deals: ['id'] } },
    });
    // The password grant, and the token as is in Authorization.
    const token = carol.requests.find((r) => r.path === '/api/v1/oauth2/token')!;
    expect(new URLSearchParams(token.body).get('grant_type')).toBe('password');
    expect(intake[0]!.headers.authorization).toBe(carol.tokensIssued[0]);
    // No credential or token in any log line.
    const logged = JSON.stringify(h.logLines) + JSON.stringify(report.logs);
    for (const secret of ['ana-password', ...carol.tokensIssued]) expect(logged).not.toContain(secret);
  });

  test('write_file false: Carol only, and the destiny names Carol; schema_types and the byte cap decide', async () => {
    const report = await h.run(
      config({
        write_file: false,
        records_per_request: 5000,
        max_request_bytes: 1024,
        schema_types: { amount: 'double' },
        auth: { type: 'connector_token', api_key: '${secret::carol.key}' },
        connector_id: carol.connectorId,
      }),
    );
    const [log] = report.logs;
    expect(log).toMatchObject({ success: 'true', destiny: `carol:${carol.url}/staging/deals` });
    expect(await h.objectFiles()).toEqual([]);
    expect(carol.records('deals')).toEqual(expectedRows());
    const intake = acceptedIntake();
    expect(intake.length).toBeGreaterThan(1);
    for (const request of intake) expect(Buffer.byteLength(request.body)).toBeLessThanOrEqual(1024);
    expect(intake[0]!.headers['x-auth-key']).toBe('carol-api-key');
    expect(log!.carol).toMatchObject({ requests: intake.length, records: RECORDS });
    expect(
      (carol.schemas.get('deals') as { mdmStagingMapping: { properties: unknown } }).mdmStagingMapping
        .properties,
    ).toMatchObject({ amount: { type: 'double' } });
    expect(JSON.stringify(h.logLines) + JSON.stringify(report.logs)).not.toContain('carol-api-key');
  });

  test('a 429/503 storm and lost connections during intake: nothing lost, nothing duplicated', async () => {
    carol.faults.next('intake', {}, 2);
    carol.faults.next('intake', { status: 429, retryAfter: 0 }, 2);
    carol.faults.next('intake', { status: 503 }, 2);
    carol.faults.next('intake', { reset: 'after' }, 1);
    carol.faults.next('intake', { reset: true }, 1);
    carol.faults.next('intake', {}, 1);
    carol.faults.next('intake', { status: 408 }, 1);
    carol.faults.next('summary', { status: 503 }, 1);
    const report = await h.run(
      config({}, { http: { backoff_base_ms: 10, backoff_max_ms: 40, max_attempts: 8 } }),
    );
    const [log] = report.logs;
    expect(log).toMatchObject({ success: 'true', data_inserted_len: String(RECORDS) });
    expect(carol.records('deals')).toEqual(expectedRows());
    const batch = carol.batches.get(log!.carol!.batch_id)!;
    expect(batch.summary).toMatchObject({ totalRecords: RECORDS, totalRequests: Math.ceil(RECORDS / 7) });
    expect(log!.carol).toMatchObject({ requests: Math.ceil(RECORDS / 7), records: RECORDS });
    // Every fault was met: retried statuses, a lost answer (resent, acknowledged once), a reset.
    const statuses = carol.requests.filter((r) => r.path.includes('/intake/')).map((r) => r.status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
    expect(statuses.filter((s) => s === 503)).toHaveLength(2);
    expect(statuses.filter((s) => s === 408)).toHaveLength(1);
    expect(statuses.filter((s) => s === 0)).toHaveLength(2);
    // The lost answer's request was stored; its resend is acknowledged, not stored again.
    expect(statuses.filter((s) => s === 200)).toHaveLength(Math.ceil(RECORDS / 7));
    expect(h.logLines.filter((l) => l.message === 'retrying a Carol request').length).toBeGreaterThanOrEqual(
      8,
    );
  });

  test('a token that stops working mid-load is refreshed (refresh_token grant) and the load goes on', async () => {
    await carol.close();
    carol = await startFakeCarol({ users: { ana: 'ana-password' }, tokenMaxRequests: 3 });
    const report = await h.run(config({ url: carol.url, connector_id: carol.connectorId }));
    expect(report.logs[0]).toMatchObject({ success: 'true' });
    expect(carol.records('deals')).toEqual(expectedRows());
    const grants = carol.requests
      .filter((r) => r.path === '/api/v1/oauth2/token')
      .map((r) => new URLSearchParams(r.body).get('grant_type'));
    expect(grants[0]).toBe('password');
    expect(grants.slice(1)).toContain('refresh_token');
    expect(grants.length).toBeGreaterThan(2);
  });

  test('a refused refresh_token falls back to the password grant', async () => {
    await carol.close();
    carol = await startFakeCarol({ users: { ana: 'ana-password' }, tokenMaxRequests: 3 });
    carol.faults.next('token', {}, 1);
    carol.faults.next('token', { status: 401 }, 1);
    const report = await h.run(config({ url: carol.url, connector_id: carol.connectorId }));
    expect(report.logs[0]).toMatchObject({ success: 'true' });
    expect(carol.records('deals')).toEqual(expectedRows());
    const grants = carol.requests
      .filter((r) => r.path === '/api/v1/oauth2/token')
      .map((r) => [new URLSearchParams(r.body).get('grant_type'), r.status]);
    expect(grants.slice(0, 3)).toEqual([
      ['password', 200],
      ['refresh_token', 401],
      ['password', 200],
    ]);
  });

  test('a permanent refusal after some requests fails the run clearly, and no summary is sent', async () => {
    carol.faults.next('intake', {}, 3);
    carol.faults.next('intake', { status: 400 }, 1);
    const report = await h.run(config());
    const [log] = report.logs;
    expect(log).toMatchObject({ success: 'false', destiny: null });
    expect(log!.error).toMatch(
      /Carol refused intake request 4 of batch .* into "deals": HTTP 400: injected fault/,
    );
    expect(log!.carol).toBeUndefined();
    expect(carol.requests.some((r) => r.path.includes('/summary'))).toBe(false);
    expect([...carol.batches.values()].every((b) => b.summary === undefined)).toBe(true);
    // `last` did not move: the next run repeats the whole load (a new batch).
    expect(log!.last).toBeNull();
  });

  test('wrong credentials fail the run without the credential in the error or the logs', async () => {
    await h.setSecrets({ carol: { user: 'ana', password: 'not-the-password-42', key: 'x' } });
    const report = await h.run(config());
    const [log] = report.logs;
    expect(log).toMatchObject({ success: 'false' });
    expect(log!.error).toMatch(/Carol refused the token request \(password grant\): HTTP 401/);
    const logged = JSON.stringify(h.logLines) + JSON.stringify(report.logs);
    expect(logged).not.toContain('not-the-password-42');
    expect(carol.records('deals')).toEqual([]);
  });

  test('a Carol secret that does not exist fails the run at its start, naming the field; nothing is requested', async () => {
    await h.setSecrets({ other: 'x' });
    const report = await h.run(config());
    const [log] = report.logs;
    expect(log).toMatchObject({ success: 'false' });
    expect(log!.error).toMatch(
      /extractions\[0\]\.carol_destiny\.auth\.username reads secret "carol", which does not exist/,
    );
    expect(api.requests).toEqual([]);
    expect(carol.requests).toEqual([]);
  });

  test('a row without its crosswalk field fails the load before it is sent', async () => {
    const report = await h.run(config({ crosswalk: ['missing'] }, { data_schema: undefined }));
    const [log] = report.logs;
    expect(log).toMatchObject({ success: 'false' });
    expect(log!.error).toContain('extractions[0].carol_destiny.crosswalk: row 1 has no value for "missing"');
    expect(acceptedIntake()).toEqual([]);
  });
});
