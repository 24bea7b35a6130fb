/**
 * A config that references a secret that does not exist yet is saved (the secret may
 * come later) with a warning naming the field and the secret; a run of it fails naming
 * the field and how to set the secret; no secret value is ever shown.
 */
import { startServer } from '../support/engineHarness';
import { type ApiHarness, eventually, startApiHarness } from './harness';

const VALUE = 'present-Secret-value-98765';

let api: ApiHarness;
let upstream: Awaited<ReturnType<typeof startServer>>;

beforeAll(async () => {
  api = await startApiHarness();
  upstream = await startServer(() => ({ body: [{ id: 1 }] }));
  const res = await api.request('PUT', '/secrets/present', { json: { value: VALUE } });
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await upstream.close();
  await api.close();
});

const config = (headers: Record<string, string>) => ({
  name: 'later',
  extractions: [{ name: 'items', format: 'json', endpoint: { url: `${upstream.url}/items`, headers } }],
});

type Warning = { path: string; message: string };

test('saving a config whose secret does not exist answers 200 with a warning naming the field and the secret', async () => {
  const created = await api.request('POST', '/config', {
    json: config({
      'X-Token': '${secret::not_yet}',
      'X-Other': '${secret::present}',
      'X-Opt': '${secret::absent, none}',
    }),
  });
  expect(created.status).toBe(200);
  const body = created.body as { id: string; warnings?: Warning[] };
  // Only the missing secret without a default warns.
  expect(body.warnings).toEqual([
    {
      path: 'extractions[0].endpoint.headers.X-Token',
      message:
        'secret "not_yet" does not exist: the config is saved, but its runs fail until the secret is set with PUT /secrets/not_yet',
    },
  ]);
  expect(created.text).not.toContain(VALUE);
  // The warning is the answer's, not the stored config's.
  const stored = await api.request('GET', `/config/${body.id}`);
  expect(stored.body).not.toHaveProperty('warnings');

  // The answer, warnings and all, sent back as is, saves (the warnings are the answer's, not the config's).
  const sentBack = await api.request('PUT', `/config/${body.id}`, { json: created.body });
  expect(sentBack.status).toBe(200);
  expect((sentBack.body as { warnings?: Warning[] }).warnings).toEqual(body.warnings);

  const updated = await api.request('PUT', `/config/${body.id}`, {
    json: config({ Authorization: 'Bearer ${secret::still_missing.token}' }),
  });
  expect(updated.status).toBe(200);
  expect((updated.body as { warnings?: Warning[] }).warnings).toEqual([
    {
      path: 'extractions[0].endpoint.headers.Authorization',
      message: expect.stringContaining('secret "still_missing" does not exist'),
    },
  ]);
});

test('a config whose secrets all exist is answered without warnings', async () => {
  const created = await api.request('POST', '/config', { json: config({ 'X-Token': '${secret::present}' }) });
  expect(created.status).toBe(200);
  expect(created.body).not.toHaveProperty('warnings');
});

test('its run fails naming the field and how to set the secret', async () => {
  const created = await api.request('POST', '/config', {
    json: config({ 'X-Token': '${secret::run_missing}' }),
  });
  const { id } = created.body as { id: string };
  const started = await api.request('POST', `/config/${id}/execute`);
  expect(started.status).toBe(200);
  const runId = (started.body as { run_id: string }).run_id;
  const run = await eventually(async () => {
    const res = await api.request('GET', `/runs/${runId}`);
    return (res.body as { status: string }).status === 'running'
      ? undefined
      : (res.body as { error: string });
  }, 'the run to finish');
  expect(run.error).toContain('extractions[0].endpoint.headers.X-Token: reference ${secret::run_missing}');
  expect(run.error).toContain('PUT /secrets/run_missing');
});
