/**
 * The routes the dashboard needs: every run (filtered, paginated), validation without
 * saving, who a key is, short-lived links to output files, and the page's headers.
 */
import { type FakeApi, makeRecord, startFakeApi } from '../support/fakeApi';
import { loggedPath } from '../../shared/api/errors';
import { type ApiHarness, eventually, ROOT_KEY, startApiHarness } from './harness';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let api: ApiHarness;
let upstream: FakeApi;
beforeAll(async () => {
  upstream = await startFakeApi({ records: 5, pageSize: 10 });
  api = await startApiHarness();
});
afterAll(async () => {
  await api.close();
  await upstream.close();
});

const config = (name: string) => ({
  name,
  extractions: [
    {
      name: 'deals',
      endpoint: { url: `${upstream.url}/crm/v2/deals` },
      data_key: 'data',
      data_schema: { id: 'id', Deal_Name: 'name' },
      format: 'csv',
      s3_destiny: { folder: 'deals/', filename: 'deals' },
    },
  ],
});

async function ok(method: string, path: string, json?: unknown, auth?: string): Promise<Json> {
  const res = await api.request(method, path, { json, auth });
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
  return res.body as Json;
}

async function finishedRun(configId: string): Promise<Json> {
  const { run_id: runId } = await ok('POST', `/config/${configId}/execute`);
  return eventually(async () => {
    const run = await ok('GET', `/runs/${runId}`);
    return run.status === 'running' ? undefined : run;
  }, `run ${runId}`);
}

test('GET /runs lists every run newest first, filters by config and status, and pages with a cursor', async () => {
  const a = await ok('POST', '/config', config('a'));
  const b = await ok('POST', '/config', config('b'));
  const a1 = await finishedRun(a.id);
  const b1 = await finishedRun(b.id);
  const a2 = await finishedRun(a.id);

  const all = await ok('GET', '/runs');
  expect(all.Items.map((r: Json) => r.run_id).slice(0, 3)).toEqual([a2.run_id, b1.run_id, a1.run_id]);
  expect(all.next_cursor).toBeNull();

  const first = await ok('GET', `/runs?config_id=${a.id}&limit=1`);
  expect(first.Items.map((r: Json) => r.run_id)).toEqual([a2.run_id]);
  const second = await ok('GET', `/runs?config_id=${a.id}&limit=1&cursor=${first.next_cursor}`);
  expect(second.Items.map((r: Json) => r.run_id)).toEqual([a1.run_id]);
  expect(second.next_cursor).toBeNull();

  expect((await ok('GET', `/runs?config_id=${b.id}&status=succeeded`)).Items).toHaveLength(1);
  expect((await ok('GET', `/runs?config_id=${b.id}&status=failed`)).Items).toHaveLength(0);

  const bad = await api.request('GET', '/runs?cursor=not-a-cursor');
  expect(bad.status).toBe(400);
  expect((bad.body as Json).details[0].path).toBe('cursor');
  expect((await api.request('GET', '/runs?status=done')).status).toBe(400);
  expect((await api.request('GET', '/runs', { auth: 'wrong-key' })).status).toBe(401);
}, 120_000);

test("POST /validate answers 200 for a valid config, the 400 of a refused save with each field's path otherwise, and saves nothing", async () => {
  const before = (await ok('GET', '/config')).Count;
  const broken = config('broken');
  (broken.extractions[0]!.endpoint as { url: unknown }).url = 42;
  const invalid = await api.request('POST', '/validate', { json: broken });
  expect(invalid.status).toBe(400);
  expect((invalid.body as Json).error).toBe('invalid config');
  expect((invalid.body as Json).details.map((d: Json) => d.path)).toContain('extractions[0].endpoint.url');
  expect(await ok('POST', '/validate', config('fine'))).toEqual({ valid: true, details: [] });
  expect((await ok('GET', '/config')).Count).toBe(before);
  // No config at all is a bad request, not an invalid config.
  for (const raw of ['', '[]', '"x"', 'null']) {
    const res = await api.request('POST', '/validate', {
      raw,
      headers: { 'content-type': 'application/json' },
    });
    expect(`${JSON.stringify(raw)}: ${res.status}`).toBe(`${JSON.stringify(raw)}: 400`);
  }
});

test('GET /me says who the key is', async () => {
  expect(await ok('GET', '/me')).toEqual({ name: 'rootkey', root: true });
  const juan = await ok('POST', '/api-keys', { name: 'me-juan' });
  expect(await ok('GET', '/me', undefined, juan.api_key)).toEqual({ name: 'me-juan', root: false });
  expect((await api.request('GET', '/me', { auth: null })).status).toBe(401);
});

test('an output file downloads through a short-lived link, needing no key; an altered link is refused', async () => {
  const saved = await ok('POST', '/config', config('files'));
  const run = await finishedRun(saved.id);
  expect(run.status).toBe('succeeded');
  const extractionId = saved.extractions[0].id;
  const link = await ok('GET', `/runs/${run.run_id}/files/${extractionId}`);
  expect(link).toMatchObject({ extraction_id: extractionId, expires_in: 300 });
  expect(link.file_name).toMatch(/\.csv$/);
  expect(link.url).toMatch(/^\/downloads\//);
  expect(link.url).not.toContain(ROOT_KEY);

  const file = await api.request('GET', link.url, { auth: null });
  expect(file.status).toBe(200);
  expect(file.headers.get('content-disposition')).toContain(link.file_name);
  const lines = file.text.trim().split(/\r?\n/);
  expect(lines).toHaveLength(6);
  expect(lines[1]).toContain(String(makeRecord(0).id));

  const tampered = link.url.replace(/.$/, (c: string) => (c === 'A' ? 'B' : 'A'));
  expect((await api.request('GET', tampered, { auth: null })).status).toBe(404);
  expect((await api.request('GET', `/runs/${run.run_id}/files/${extractionId}`, { auth: null })).status).toBe(
    401,
  );
  expect((await api.request('GET', `/runs/${run.run_id}/files/no-such-extraction`)).status).toBe(404);
}, 120_000);

test('the dashboard page is served at / with a CSP forbidding inline script, and the other headers', async () => {
  const page = await api.request('GET', '/', { auth: null });
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/text\/html/);
  const csp = page.headers.get('content-security-policy')!;
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).toContain("frame-ancestors 'none'");
  expect(page.headers.get('x-content-type-options')).toBe('nosniff');
  expect(page.headers.get('referrer-policy')).toBe('no-referrer');
  expect(page.text).toContain('/docs/');
  expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
});

test("a run's status has each extraction's own counters, for live progress", async () => {
  const saved = await ok('POST', '/config', config('progress'));
  const run = await finishedRun(saved.id);
  expect(run.extractions[0].counters).toMatchObject({ pages: 1, rows: 5, requests: 1 });
}, 120_000);

test('the request log shows no download token (a link grants its file for minutes)', () => {
  expect(loggedPath('/downloads/eyJiIjoiYSJ9.c2ln?x=1')).toBe('/downloads/[token]');
  expect(loggedPath('/runs/r1/files/e1?x=1')).toBe('/runs/r1/files/e1');
});

test('GET /api-keys lists key names for the root key only, never a key', async () => {
  const maria = await ok('POST', '/api-keys', { name: 'list-maria' });
  const listed = await ok('GET', '/api-keys');
  expect(listed.Items).toEqual(
    expect.arrayContaining([
      { name: 'rootkey', root: true },
      { name: 'list-maria', root: false },
    ]),
  );
  expect(JSON.stringify(listed)).not.toContain(maria.api_key);
  expect(JSON.stringify(listed)).not.toContain(ROOT_KEY);
  const personal = await api.request('GET', '/api-keys', { auth: maria.api_key });
  expect(personal.status).toBe(403);
});
