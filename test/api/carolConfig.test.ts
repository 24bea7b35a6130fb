/**
 * `carol_destiny` through the config API: bad input refused when saved, naming the
 * field; the secrets it reads only ever bound to (and sent to) Carol's origin.
 */
import { type ApiHarness, startApiHarness } from './harness';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
  for (const [name, body] of [
    ['carol_key', { value: 'carol-key-value-123' }],
    ['carol_bound', { value: 'carol-bound-value-456', origins: ['https://other.example.com'] }],
  ] as const) {
    const res = await api.request('PUT', `/secrets/${name}`, { json: body });
    expect(res.status).toBe(200);
  }
});
afterAll(() => api.close());

type Details = Array<{ path: string; message: string }>;

function config(carol: Record<string, unknown>, extraction: Record<string, unknown> = {}): unknown {
  return {
    name: 'to-carol',
    extractions: [
      {
        name: 'deals',
        endpoint: { url: 'https://api.example.com/deals' },
        data_schema: { id: 'deal_id', name: 'name' },
        carol_destiny: {
          url: 'https://myorg.carol.ai',
          connector_id: 'conn0001',
          table: 'deals',
          auth: { type: 'connector_token', api_key: '${secret::carol_key}' },
          crosswalk: ['deal_id'],
          ...carol,
        },
        ...extraction,
      },
    ],
  };
}

async function refused(document: unknown): Promise<Details> {
  const res = await api.request('POST', '/config', { json: document });
  expect(res.status).toBe(400);
  return (res.body as { details: Details }).details;
}

describe('carol_destiny: bad input is refused when the config is saved', () => {
  test.each([
    [
      'a table name Carol refuses',
      { table: 'deals-2026' },
      'extractions[0].carol_destiny.table',
      /letters and digits starting with a letter/,
    ],
    [
      'a table name starting with a digit',
      { table: '2deals' },
      'extractions[0].carol_destiny.table',
      /starting with a letter/,
    ],
    [
      'a crosswalk field that is no output column',
      { crosswalk: ['id'] },
      'extractions[0].carol_destiny.crosswalk[0]',
      /"id" is not an output column \(the columns are: deal_id, name\)/,
    ],
    ['no crosswalk field', { crosswalk: [] }, 'extractions[0].carol_destiny.crosswalk', /at least one field/],
    [
      'records_per_request over 5000',
      { records_per_request: 5001 },
      'extractions[0].carol_destiny.records_per_request',
      /between 1 and 5000/,
    ],
    [
      'max_request_bytes over 10 MB',
      { max_request_bytes: 20_000_000 },
      'extractions[0].carol_destiny.max_request_bytes',
      /between 1024 and 10000000/,
    ],
    [
      'an unknown schema mode',
      { schema: 'replace' },
      'extractions[0].carol_destiny.schema',
      /keep, create, update/,
    ],
    [
      'an unknown column type',
      { schema_types: { name: 'text' } },
      'extractions[0].carol_destiny.schema_types.name',
      /string, long, double/,
    ],
    [
      'a URL made by a reference',
      { url: '${secret::carol_key}' },
      'extractions[0].carol_destiny.url',
      /written literally/,
    ],
    [
      'a URL with credentials',
      { url: 'https://u:p@myorg.carol.ai' },
      'extractions[0].carol_destiny.url',
      /user or password/,
    ],
    [
      'oauth without a password',
      { auth: { type: 'oauth', username: 'ana', environment: 'e', organization: 'o' } },
      'extractions[0].carol_destiny.auth.password',
      /required when auth.type is "oauth"/,
    ],
    [
      'a connector token with oauth fields',
      { auth: { type: 'connector_token', api_key: '${secret::carol_key}', password: 'x' } },
      'extractions[0].carol_destiny.auth.password',
      /only used when auth.type is "oauth"/,
    ],
    [
      'an unknown auth type',
      { auth: { type: 'basic' } },
      'extractions[0].carol_destiny.auth.type',
      /connector_token, oauth/,
    ],
  ])('%s', async (_what, carol, path, message) => {
    expect(await refused(config(carol))).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  test('a crosswalk field a transformation produces is not judged at save time', async () => {
    const document = config(
      { crosswalk: ['up_name'] },
      { transformations: [{ action: 'upper', on: ['name'], new_column_prefix: 'up_' }] },
    );
    const res = await api.request('POST', '/config', { json: document });
    expect(res.status).toBe(200);
  });

  test('a secret that does not exist is refused, naming the field and the secret', async () => {
    const details = await refused(config({ auth: { type: 'connector_token', api_key: '${secret::nope}' } }));
    expect(details).toContainEqual({
      path: 'extractions[0].carol_destiny.auth.api_key',
      message: expect.stringMatching(/secret "nope", which does not exist/),
    });
  });

  test('a secret bound to another origin may not go to Carol', async () => {
    const details = await refused(
      config({ auth: { type: 'connector_token', api_key: '${secret::carol_bound}' } }),
    );
    expect(details).toContainEqual({
      path: 'extractions[0].carol_destiny.auth.api_key',
      message: expect.stringMatching(
        /sends secret "carol_bound" to https:\/\/myorg\.carol\.ai; it may only be sent to https:\/\/other\.example\.com/,
      ),
    });
  });

  test("an unbound secret is bound to Carol's origin when the first config using it is saved", async () => {
    const res = await api.request('POST', '/config', { json: config({}) });
    expect(res.status).toBe(200);
    const listing = await api.request('GET', '/secrets');
    expect((listing.body as { Origins: Record<string, unknown> }).Origins.carol_key).toEqual([
      'https://myorg.carol.ai',
    ]);
    expect(listing.text).not.toContain('carol-key-value-123');
    // From now on it may not go anywhere else, e.g. to the extraction's API.
    const elsewhere = await refused(
      config(
        {},
        { endpoint: { url: 'https://api.example.com/deals', headers: { 'X-Key': '${secret::carol_key}' } } },
      ),
    );
    expect(elsewhere).toContainEqual({
      path: 'extractions[0].endpoint.headers.X-Key',
      message: expect.stringMatching(/it may only be sent to https:\/\/myorg\.carol\.ai/),
    });
  });
});
