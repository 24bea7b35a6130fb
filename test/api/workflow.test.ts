/**
 * The original tool's workflow, end to end over HTTP on the embedded system: root
 * gives each person a key, Ana creates a config, root sets its secret, Ana runs
 * it, the logs say success, the file is there, Bruno edits the config, and the
 * history says who did what. No response ever carries a secret or a token.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FakeApi, startFakeApi } from '../support/fakeApi';
import {
  type ApiHarness,
  type ApiResponse,
  dealsConfig,
  eventually,
  ROOT_KEY,
  startApiHarness,
} from './harness';

const REFRESH_TOKEN = 'rt-zoho-refresh-secret-4711';

let upstream: FakeApi;
let api: ApiHarness;
const responses: ApiResponse[] = [];

beforeAll(async () => {
  upstream = await startFakeApi({ records: 45, pageSize: 20, token: { refreshToken: REFRESH_TOKEN } });
  api = await startApiHarness();
});
afterAll(async () => {
  await api.close();
  await upstream.close();
});

async function call(method: string, path: string, auth: string, json?: unknown): Promise<ApiResponse> {
  const res = await api.request(method, path, { auth, json });
  responses.push(res);
  return res;
}

interface StoredConfig {
  id: string;
  name: string;
  extractions: Array<{ id: string; name: string }>;
}

interface ExecutionLogItem {
  success: string;
  destiny: string | null;
  data_inserted_len: string;
  error: string | null;
  run_id: string;
}

test('root creates a key per person; A creates, root sets the secret, A runs it, B edits; history names them', async () => {
  // Root gives each person a key; each is shown once.
  const ana = await call('POST', '/api-keys', ROOT_KEY, { name: 'ana' });
  const bruno = await call('POST', '/api-keys', ROOT_KEY, { name: 'bruno' });
  expect(ana.status).toBe(200);
  expect(bruno.status).toBe(200);
  const anaKey = (ana.body as { api_key: string }).api_key;
  const brunoKey = (bruno.body as { api_key: string }).api_key;
  expect(ana.body).toEqual({ name: 'ana', api_key: expect.stringMatching(/^[0-9a-f]{64}$/) });

  // Ana creates the config (its secret is a reference, not a value).
  const created = await call('POST', '/config', anaKey, dealsConfig(upstream.url));
  expect(created.status).toBe(200);
  const config = created.body as StoredConfig;
  expect(config.id).toMatch(/^[0-9a-f-]{36}$/);
  const extractionId = config.extractions[0]!.id;
  expect(extractionId).toMatch(/^[0-9a-f-]{36}$/);

  // Root stores the secret the config references; listing shows names only.
  expect((await call('PUT', '/secrets/zoho_refresh_token', ROOT_KEY, { value: REFRESH_TOKEN })).body).toEqual(
    {
      name: 'zoho_refresh_token',
      saved: true,
    },
  );
  // Written the original tool's way (a value only): not bound to any origin yet.
  expect((await call('GET', '/secrets', ROOT_KEY)).body).toEqual({
    Items: ['zoho_refresh_token'],
    Count: 1,
    Origins: { zoho_refresh_token: null },
  });

  // Ana runs it; the run proceeds in the workers.
  const executed = await call('POST', `/config/${config.id}/execute`, anaKey);
  expect(executed.status).toBe(200);
  const { run_id: runId, extraction_ids: extractionIds } = executed.body as {
    run_id: string;
    extraction_ids: string[];
  };
  expect(extractionIds).toEqual([extractionId]);
  // Its first use bound it to the origin the config sends it to, and root sees that.
  expect(((await call('GET', '/secrets', ROOT_KEY)).body as { Origins: unknown }).Origins).toEqual({
    zoho_refresh_token: [new URL(upstream.url).origin],
  });

  // Poll the logs (as a user would) until the run's log says how it went.
  const log = await eventually(async () => {
    const res = await call('GET', `/extractions/${extractionId}/logs`, anaKey);
    const items = (res.body as { Items: ExecutionLogItem[] }).Items;
    return items.find((l) => l.run_id === runId);
  }, 'the execution log');
  expect(log).toMatchObject({ success: 'true', error: null, data_inserted_len: '45' });

  // The output file is under <data-dir>/s3/<bucket>/<key>.
  expect(log.destiny).toBe('s3://api-extractor-output-local-1/deals/deals.csv');
  const csv = await readFile(join(api.pipeline.dataDir, 's3', log.destiny!.replace('s3://', '')), 'utf8');
  const lines = csv.trimEnd().split('\n');
  expect(lines[0]).toBe('id,deal_name,owner_email,stage,ext__timestamp');
  expect(lines).toHaveLength(46);
  expect(lines[1]).toMatch(/^1000000,Deal 0,owner0@example\.com,Qualification,\d{4}-\d\d-\d\d /);

  // The run's status agrees.
  const run = await call('GET', `/runs/${runId}`, anaKey);
  expect(run.body).toMatchObject({
    run_id: runId,
    config_id: config.id,
    status: 'succeeded',
    trigger: 'api',
    counters: { rows: 45, pages: 3 },
    extractions: [
      {
        extraction_id: extractionId,
        extraction_name: 'deals',
        status: 'succeeded',
        pages_done: 3,
        pages_total: 3,
      },
    ],
  });
  const runs = await call('GET', `/config/${config.id}/runs`, anaKey);
  expect((runs.body as { Items: Array<{ run_id: string }> }).Items.map((r) => r.run_id)).toEqual([runId]);

  // Bruno edits the config without its ids: the extraction keeps its id (matched by name).
  const edited = { ...dealsConfig(upstream.url), name: 'Deals (weekly)' };
  const updated = await call('PUT', `/config/${config.id}`, brunoKey, edited);
  expect(updated.status).toBe(200);
  expect(updated.body).toMatchObject({
    id: config.id,
    name: 'Deals (weekly)',
    extractions: [{ id: extractionId, name: 'deals' }],
  });

  // History: newest first, each version with the name of the key that saved it.
  const history = await call('GET', `/config/${config.id}/history`, anaKey);
  const items = (history.body as { Items: Array<Record<string, unknown>> }).Items;
  expect(items.map((i) => [i.version, i.api_key_name, i.api_key, i.name])).toEqual([
    [2, 'bruno', 'bruno', 'Deals (weekly)'],
    [1, 'ana', 'ana', 'Deals'],
  ]);
  for (const item of items) expect(item.updated_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  expect(items.some((i) => 'delete' in i)).toBe(false);

  // Nothing that came back carried the secret, a token, or anyone's key but at issue time.
  const texts = responses.map((r) => r.text);
  expect(upstream.tokensIssued.length).toBeGreaterThan(0);
  for (const text of texts) {
    expect(text).not.toContain(REFRESH_TOKEN);
    for (const token of upstream.tokensIssued) expect(text).not.toContain(`"${token}"`);
    expect(text).not.toContain(ROOT_KEY);
  }
  expect(texts.filter((t) => t.includes(anaKey))).toHaveLength(1);
  expect(texts.filter((t) => t.includes(brunoKey))).toHaveLength(1);
  // The stored config keeps the reference, not the value.
  expect((await call('GET', `/config/${config.id}`, brunoKey)).text).toContain(
    '${secret::zoho_refresh_token}',
  );
});
