/**
 * Every way a request can be refused, with the exact status and body the client
 * gets: authentication, rights, malformed and oversized bodies, invalid configs,
 * unknown ids, extraction ids a config does not have, the root key.
 */
import { badRequestCases, type BadRequestContext, validConfig } from './badRequestCases';
import { startApiHarness, type ApiHarness } from './harness';

let api: ApiHarness;
const ctx: BadRequestContext = { configId: '', extractionId: '', anaKey: '' };

beforeAll(async () => {
  api = await startApiHarness();
  ctx.anaKey = (
    (await api.request('POST', '/api-keys', { json: { name: 'ana' } })).body as { api_key: string }
  ).api_key;
  const created = await api.request('POST', '/config', { json: validConfig });
  const body = created.body as { id: string; extractions: Array<{ id: string }> };
  ctx.configId = body.id;
  ctx.extractionId = body.extractions[0]!.id;
});
afterAll(() => api.close());

const cases = badRequestCases(ctx);

test.each(cases)('$name: $status', async ({ method, path, options, status, body }) => {
  const res = await api.request(method, path(), options?.());
  expect({ status: res.status, body: res.body }).toEqual({ status, body: body() });
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
});

test('no refused request changed anything: the config has one version, and only rootkey and ana exist', async () => {
  const history = await api.request('GET', `/config/${ctx.configId}/history`);
  expect((history.body as { Count: number }).Count).toBe(1);
  expect(await api.stores.apiKeys.get('bob')).toBeUndefined();
  expect(await api.stores.secretAdmin.listNames()).toEqual([]);
});
