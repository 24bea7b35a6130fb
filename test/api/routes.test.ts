/**
 * Every route's success path over real HTTP on the embedded system, each answer
 * checked against the schema the OpenAPI document publishes for it.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type Joi from 'joi';
import { validateConfig } from '../../shared/core/config/validate';
import {
  apiKeyIssuedSchema,
  deletedSchema,
  executeResultSchema,
  executionLogListSchema,
  healthSchema,
  previewResultSchema,
  runListSchema,
  runStatusSchema,
  secretNamesSchema,
  secretSavedSchema,
} from '../../shared/api/schemas';
import { type FakeApi, startFakeApi } from '../support/fakeApi';
import { configBase } from '../support/originalSuite';
import { type ApiHarness, dealsConfig, eventually, ROOT_KEY, startApiHarness } from './harness';

const REFRESH_TOKEN = 'rt-routes-secret-0042';

let upstream: FakeApi;
let api: ApiHarness;

beforeAll(async () => {
  upstream = await startFakeApi({ records: 30, pageSize: 10, token: { refreshToken: REFRESH_TOKEN } });
  api = await startApiHarness();
  await api.request('PUT', '/secrets/zoho_refresh_token', { json: { value: REFRESH_TOKEN } });
});
afterAll(async () => {
  await api.close();
  await upstream.close();
});

/** The answer matches its published schema exactly (no missing required, no extra keys). */
function expectShape(schema: Joi.Schema, body: unknown): void {
  const { error } = schema.validate(body, { allowUnknown: false, abortEarly: false });
  expect(error?.details.map((d) => d.message) ?? []).toEqual([]);
}

/** Without the `warnings` a save may answer with (these configs name secrets the tests never set). */
function withoutWarnings(body: unknown): unknown {
  const { warnings: _warnings, ...config } = body as Record<string, unknown>;
  return config;
}

/** A stored config: a valid config document with the server's ids. */
function expectStoredConfig(answer: unknown): {
  id: string;
  extractions: Array<{ id: string; name: string }>;
} {
  const body = withoutWarnings(answer);
  expect(validateConfig(body).ok).toBe(true);
  const config = body as { id: string; extractions: Array<{ id: string; name: string }> };
  expect(typeof config.id).toBe('string');
  for (const e of config.extractions) expect(typeof e.id).toBe('string');
  return config;
}

/** A config document as validation fills it (no server-side defaults such as the bucket). */
function validConfigOf(document: unknown): unknown {
  const result = validateConfig(document);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config;
}

/** Every file under `dir` except the database (which the API's own reads touch), sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('api-extractor.db'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

interface Stored {
  id: string;
  extractions: Array<{ id: string; name: string }>;
}

describe('service routes', () => {
  test('GET /health needs no key', async () => {
    const res = await api.request('GET', '/health', { auth: null });
    expect(res.status).toBe(200);
    expectShape(healthSchema, res.body);
  });

  test('GET /docs redirects to /docs/, which serves Swagger UI with its assets from this server', async () => {
    const redirect = await fetch(`${api.baseUrl}/docs`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/docs/');
    const page = await api.request('GET', '/docs/', { auth: null });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    // No CDN: every script and stylesheet is relative to /docs/.
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(2);
    for (const asset of assets) expect(asset).toMatch(/^\.\//);
    for (const asset of assets) {
      const res = await fetch(`${api.baseUrl}/docs/${asset.slice(2)}`);
      expect([asset, res.status]).toEqual([asset, 200]);
    }
    const init = await api.request('GET', '/docs/swagger-ui-init.js', { auth: null });
    expect(init.text).toContain('"openapi": "3.0.3"');
  });
});

describe('configs', () => {
  test('create, get, list, update, delete; history records each change with the key name', async () => {
    const body = {
      name: 'Columns',
      auth: { access_token: '${secret::zoho_refresh_token}' },
      extractions: [
        {
          name: 'first',
          endpoint: { url: `${upstream.url}/pages` },
          data_key: 'result',
          data_schema: { z: 'z', a: 'a', m: { q: 'q', b: 'b' } },
        },
      ],
    };
    // Bearer works as well as the raw key.
    const created = await api.request('POST', '/config', { auth: `Bearer ${ROOT_KEY}`, json: body });
    expect(created.status).toBe(200);
    const config = expectStoredConfig(created.body) as Stored;
    // Key order as written, defaults filled in, the reference kept as a reference.
    expect(created.text).toContain('"data_schema":{"z":"z","a":"a","m":{"q":"q","b":"b"}}');
    expect(created.body).toMatchObject({
      enabled: true,
      auth: { access_token: '${secret::zoho_refresh_token}' },
    });
    expect(created.body).toMatchObject({ extractions: [{ format: 'csv', pagination: { type: 'none' } }] });

    const got = await api.request('GET', `/config/${config.id}`);
    expect(got.text).toBe(created.text);
    const list = await api.request('GET', '/config');
    expect((list.body as { Items: Stored[]; Count: number }).Items.map((c) => c.id)).toContain(config.id);
    expect((list.body as { Count: number }).Count).toBe((list.body as { Items: unknown[] }).Items.length);

    // Update with the ids: the named extraction keeps its id, a new one gets a new id.
    const first = config.extractions[0]!;
    const update = {
      ...body,
      name: 'Columns v2',
      extractions: [
        { ...body.extractions[0], id: first.id },
        { name: 'second', endpoint: { url: `${upstream.url}/pages` }, s3_destiny: { folder: 'second' } },
      ],
    };
    const updated = await api.request('PUT', `/config/${config.id}`, { json: update });
    expect(updated.status).toBe(200);
    const after = expectStoredConfig(updated.body);
    expect(after.id).toBe(config.id);
    expect(after.extractions[0]!.id).toBe(first.id);
    expect(after.extractions[1]!.id).not.toBe(first.id);

    const deleted = await api.request('DELETE', `/config/${config.id}`);
    expect(deleted.status).toBe(200);
    expectShape(deletedSchema, deleted.body);
    expect((await api.request('GET', `/config/${config.id}`)).status).toBe(404);
    expect((await api.request('PUT', `/config/${config.id}`, { json: update })).status).toBe(404);
    const listed = (await api.request('GET', '/config')).body as { Items: Stored[] };
    expect(listed.Items.map((c) => c.id)).not.toContain(config.id);

    const history = await api.request('GET', `/config/${config.id}/history`);
    expect(history.status).toBe(200);
    const items = (history.body as { Items: Array<Record<string, unknown>>; Count: number }).Items;
    expect(items.map((i) => [i.version, i.name, i.api_key, i.delete])).toEqual([
      [3, 'Columns v2', 'rootkey', true],
      [2, 'Columns v2', 'rootkey', undefined],
      [1, 'Columns', 'rootkey', undefined],
    ]);
    expect(history.text).toContain('"data_schema":{"z":"z","a":"a","m":{"q":"q","b":"b"}}');
  });

  test('POST ignores ids in the body: a copied config gets ids of its own', async () => {
    const original = expectStoredConfig(
      (await api.request('POST', '/config', { json: dealsConfig(upstream.url) })).body,
    );
    const copy = expectStoredConfig(
      (await api.request('POST', '/config', { json: { ...original, name: 'Copy' } })).body,
    );
    expect(copy.id).not.toBe(original.id);
    expect(copy.extractions[0]!.id).not.toBe(original.extractions[0]!.id);
  });

  test('the seed synonym auth.endpoint is stored as auth.refresh_token', async () => {
    const res = await api.request('POST', '/config', {
      json: {
        name: 'Synonym',
        auth: { endpoint: { url: `${upstream.url}/oauth/v2/token` }, response_token_key: 'mytoken' },
        extractions: [{ name: 'x', endpoint: { url: `${upstream.url}/pages` } }],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      auth: {
        refresh_token: { endpoint: { url: `${upstream.url}/oauth/v2/token` }, response_token_key: 'mytoken' },
      },
    });
  });
});

describe('compatibility with configs as the original tool writes and answers them', () => {
  const DEFAULT_BUCKET = 'api-extractor-output-local-1';

  /** The original suite's `config_base`: `{domain}` placeholders, two extractions named payments. */
  const suiteConfig = configBase;

  test('POST accepts {domain} placeholders and two extractions of one name, each with an id of its own', async () => {
    const res = await api.request('POST', '/config', { json: suiteConfig() });
    expect(res.status).toBe(200);
    const config = expectStoredConfig(res.body);
    expect(config.extractions.map((e) => e.name)).toEqual(['payments', 'payments']);
    expect(new Set(config.extractions.map((e) => e.id)).size).toBe(2);
    expect(res.body).toMatchObject({ extractions: [{ endpoint: { url: '{domain}/payments' } }, {}] });
  });

  test('POST and PUT answer with the default bucket filled in; GET, list and history keep it', async () => {
    const body = suiteConfig();
    (body.extractions[1]!.s3_destiny as Record<string, string>).bucket = 'my-own-bucket';
    const created = await api.request('POST', '/config', { json: body });
    const buckets = (doc: unknown) =>
      (doc as { extractions: Array<{ s3_destiny: { bucket?: string } }> }).extractions.map(
        (e) => e.s3_destiny.bucket,
      );
    expect(buckets(created.body)).toEqual([DEFAULT_BUCKET, 'my-own-bucket']);
    const { id } = created.body as Stored;
    expect(buckets((await api.request('GET', `/config/${id}`)).body)).toEqual([
      DEFAULT_BUCKET,
      'my-own-bucket',
    ]);
    const listed = ((await api.request('GET', '/config')).body as { Items: Stored[] }).Items.find(
      (c) => c.id === id,
    );
    expect(buckets(listed)).toEqual([DEFAULT_BUCKET, 'my-own-bucket']);
    const updated = await api.request('PUT', `/config/${id}`, {
      json: { ...suiteConfig(), name: 'base v2' },
    });
    expect(updated.status).toBe(200);
    expect(buckets(updated.body)).toEqual([DEFAULT_BUCKET, DEFAULT_BUCKET]);
    const history = (await api.request('GET', `/config/${id}/history`)).body as { Items: unknown[] };
    expect(history.Items.map(buckets)).toEqual([
      [DEFAULT_BUCKET, DEFAULT_BUCKET],
      [DEFAULT_BUCKET, 'my-own-bucket'],
    ]);
  });

  test('a version saved without a bucket (before the default was stored) is answered with it', async () => {
    const document = { id: 'legacy-config', ...suiteConfig() };
    await api.stores.configs.create({
      configId: 'legacy-config',
      json: JSON.stringify(validConfigOf(document)),
      at: new Date().toISOString(),
      by: 'rootkey',
    });
    const got = (await api.request('GET', '/config/legacy-config')).body as {
      extractions: Array<{ s3_destiny: Record<string, string> }>;
    };
    expect(got.extractions[0]!.s3_destiny).toEqual({
      bucket: DEFAULT_BUCKET,
      folder: 'payments/',
      filename: 'payments_{timestamp}',
    });
  });

  test('a config as the original answers GET (empty optional fields as null) PUTs back unchanged', async () => {
    const created = (await api.request('POST', '/config', { json: suiteConfig() })).body as Stored;
    const got = (await api.request('GET', `/config/${created.id}`)).body as Record<string, unknown>;
    const asTheOriginalSpellsIt = structuredClone(got) as {
      extractions: Array<
        Record<string, unknown> & {
          endpoint: Record<string, unknown>;
          pagination: { parameters: Record<string, unknown> };
        }
      >;
    };
    // Every optional field the config leaves out, spelled as an explicit null.
    for (const e of asTheOriginalSpellsIt.extractions) {
      for (const key of ['method', 'headers', 'body']) e.endpoint[key] ??= null;
      for (const key of ['data_schema', 'mapping_fetch']) e[key] ??= null;
      for (const key of ['continue_while_status_code_is', 'there_are_more_pages'])
        e.pagination.parameters[key] ??= null;
    }
    const put = await api.request('PUT', `/config/${created.id}`, { json: asTheOriginalSpellsIt });
    expect(put.status).toBe(200);
    expect(withoutWarnings(put.body)).toEqual(got);
    expect((await api.request('GET', `/config/${created.id}`)).body).toEqual(got);
  });

  test('PUT without ids: extractions of one name keep their ids, in order', async () => {
    const created = (await api.request('POST', '/config', { json: suiteConfig() })).body as Stored;
    const updated = await api.request('PUT', `/config/${created.id}`, { json: suiteConfig() });
    expect(updated.status).toBe(200);
    expect((updated.body as Stored).extractions.map((e) => e.id)).toEqual(
      created.extractions.map((e) => e.id),
    );
  });

  const SAME_FILE = {
    path: 'extractions[1].s3_destiny',
    message:
      'writes the same file as extractions[0] (same bucket, folder, filename and format); give one of them another folder or filename',
  };

  test('two extractions writing the same file are refused, naming both', async () => {
    const body = suiteConfig();
    body.extractions[1]!.s3_destiny = { folder: 'payments', filename: 'payments_{timestamp}' };
    const res = await api.request('POST', '/config', { json: body });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid config', details: [SAME_FILE] });
  });

  test('an explicit default bucket and an absent one are the same file', async () => {
    const body = suiteConfig();
    body.extractions[1]!.s3_destiny = {
      bucket: DEFAULT_BUCKET,
      folder: 'payments/',
      filename: 'payments_{timestamp}',
    } as never;
    const res = await api.request('POST', '/config', { json: body });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid config', details: [SAME_FILE] });
  });

  test('the history of a config that never existed is empty, as in the original', async () => {
    const res = await api.request('GET', '/config/no-such-config/history');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ Items: [], Count: 0 });
  });
});

describe('runs and logs', () => {
  test('execute answers with the run id; the run, its progress and its logs are readable', async () => {
    const config = expectStoredConfig(
      (await api.request('POST', '/config', { json: dealsConfig(upstream.url, { enabled: false }) })).body,
    );
    const executed = await api.request('POST', `/config/${config.id}/execute`);
    expect(executed.status).toBe(200);
    expectShape(executeResultSchema, executed.body);
    const { run_id: runId } = executed.body as { run_id: string };

    // Disabled only pauses the schedule: a manual run goes ahead.
    const run = await eventually(async () => {
      const res = await api.request('GET', `/runs/${runId}`);
      return res.status === 200 && (res.body as { status: string }).status !== 'running' ? res : undefined;
    }, 'the run to finish');
    expectShape(runStatusSchema, run.body);
    expect(run.body).toMatchObject({
      status: 'succeeded',
      counters: { rows: 30 },
      extractions: [{ status: 'succeeded' }],
    });

    const runs = await api.request('GET', `/config/${config.id}/runs?limit=5`);
    expectShape(runListSchema, runs.body);
    expect((runs.body as { Items: Array<{ run_id: string }> }).Items[0]!.run_id).toBe(runId);

    const logs = await api.request('GET', `/extractions/${config.extractions[0]!.id}/logs`);
    expectShape(executionLogListSchema, logs.body);
    expect(logs.body).toMatchObject({
      Count: 1,
      Items: [{ success: 'true', run_id: runId, data_inserted_len: '30' }],
    });
  });

  test('an extraction that never ran has no logs', async () => {
    const res = await api.request('GET', '/extractions/never-ran/logs');
    expect(res.body).toEqual({ Items: [], Count: 0 });
  });
});

describe('preview', () => {
  test('a saved config: the first page mapped, details and transformations applied, nothing written', async () => {
    const body = dealsConfig(upstream.url);
    const [extraction] = body.extractions as Array<Record<string, unknown>>;
    Object.assign(extraction!, {
      mapping_fetch: {
        endpoint: {
          url: `${upstream.url}/details/\${extracted_item::id}`,
          headers: { Authorization: 'Bearer ${self::auth.access_token}' },
        },
        prefix: 'd_',
        data_schema: { detail: { score: 'score' } },
      },
      transformations: [{ action: 'upper', on: ['stage'] }],
    });
    const config = expectStoredConfig((await api.request('POST', '/config', { json: body })).body);
    const before = upstream.requests.length;
    const filesBefore = await filesUnder(api.pipeline.dataDir);
    const res = await api.request('POST', `/config/${config.id}/preview?limit=3`);
    expect(res.status).toBe(200);
    expectShape(previewResultSchema, res.body);
    expect(res.body).toEqual({
      Items: [
        {
          extraction_id: config.extractions[0]!.id,
          extraction_name: 'deals',
          ok: true,
          status: 200,
          records_on_page: 20,
          more_pages: true,
          columns: ['id', 'deal_name', 'owner_email', 'stage', 'd_score'],
          rows: [
            {
              id: 1000000,
              deal_name: 'Deal 0',
              owner_email: 'owner0@example.com',
              stage: 'QUALIFICATION',
              d_score: 1000000 % 97,
            },
            {
              id: 1000001,
              deal_name: 'Deal 1',
              owner_email: 'owner1@example.com',
              stage: 'NEEDS ANALYSIS',
              d_score: 1000001 % 97,
            },
            {
              id: 1000002,
              deal_name: 'Deal 2',
              owner_email: 'owner2@example.com',
              stage: 'PROPOSAL',
              d_score: 1000002 % 97,
            },
          ],
        },
      ],
    });
    // One token request, one page, three details; no run, no log, no file.
    const made = upstream.requests.slice(before).map((r) => r.path);
    expect(made.filter((p) => p.startsWith('/details/'))).toHaveLength(3);
    expect(made.filter((p) => p === '/crm/v2/deals')).toHaveLength(1);
    expect((await api.request('GET', `/config/${config.id}/runs`)).body).toEqual({ Items: [], Count: 0 });
    expect((await api.request('GET', `/extractions/${config.extractions[0]!.id}/logs`)).body).toEqual({
      Items: [],
      Count: 0,
    });
    expect(await filesUnder(api.pipeline.dataDir)).toEqual(filesBefore);
    expect(res.text).not.toContain(REFRESH_TOKEN);
  });

  test('an unsaved config, one extraction picked by name', async () => {
    const config = dealsConfig(upstream.url);
    config.extractions = [
      ...(config.extractions as object[]),
      {
        name: 'pages',
        endpoint: {
          url: `${upstream.url}/pages`,
          headers: { Authorization: 'Bearer ${self::auth.access_token}' },
        },
        data_key: 'result',
        data_schema: { id: 'id' },
      },
    ];
    const res = await api.request('POST', '/preview?extraction=pages&limit=2', { json: config });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      Items: [
        {
          extraction_id: null,
          extraction_name: 'pages',
          ok: true,
          status: 200,
          records_on_page: 10,
          more_pages: false,
          columns: ['id'],
          rows: [{ id: 1000000 }, { id: 1000001 }],
        },
      ],
    });
  });

  test('an upstream failure is reported per extraction, with secrets masked', async () => {
    const config = {
      name: 'Failing',
      extractions: [
        {
          name: 'missing',
          endpoint: {
            url: `${upstream.url}/no-such-route`,
            query_params: { key: '${secret::zoho_refresh_token}' },
          },
        },
      ],
    };
    const res = await api.request('POST', '/preview', { json: config });
    expect(res.status).toBe(200);
    const [item] = (res.body as { Items: Array<{ ok: boolean; error: string }> }).Items;
    expect(item!.ok).toBe(false);
    expect(item!.error).toMatch(/^HTTP 404 from http:\/\/127\.0\.0\.1:\d+\/no-such-route\?key=\*\*\*: /);
    expect(res.text).not.toContain(REFRESH_TOKEN);
  });
});

describe('API keys', () => {
  test("a person's key: raw or Bearer; refreshed by its owner or root; deleted by its owner", async () => {
    const created = await api.request('POST', '/api-keys', { json: { name: 'carla' } });
    expectShape(apiKeyIssuedSchema, created.body);
    const first = (created.body as { api_key: string }).api_key;
    expect((await api.request('GET', '/config', { auth: first })).status).toBe(200);
    expect((await api.request('GET', '/config', { auth: `Bearer ${first}` })).status).toBe(200);
    expect((await api.request('GET', '/config', { auth: `bearer ${first}` })).status).toBe(200);

    const refreshed = await api.request('POST', '/api-keys/carla/refresh', { auth: first });
    expectShape(apiKeyIssuedSchema, refreshed.body);
    const second = (refreshed.body as { api_key: string }).api_key;
    expect(second).not.toBe(first);
    expect((await api.request('GET', '/config', { auth: first })).status).toBe(401);

    const byRoot = await api.request('POST', '/api-keys/carla/refresh');
    const third = (byRoot.body as { api_key: string }).api_key;
    expect((await api.request('GET', '/config', { auth: second })).status).toBe(401);

    const deleted = await api.request('DELETE', '/api-keys/carla', { auth: third });
    expect(deleted.body).toEqual({ name: 'carla', deleted: true });
    expect((await api.request('GET', '/config', { auth: third })).status).toBe(401);
  });

  test('with the root key from ROOT_API_KEY, rotating it through the API is refused (409) and the key keeps working', async () => {
    const fromEnv = await startApiHarness({ rootKeySource: 'environment' });
    try {
      const refused = await fromEnv.request('POST', '/api-keys/rootkey/refresh');
      expect({ status: refused.status, body: refused.body }).toEqual({
        status: 409,
        body: {
          error:
            'the root key is set by ROOT_API_KEY: rotate it by changing ROOT_API_KEY and restarting the service',
        },
      });
      expect((await fromEnv.request('GET', '/secrets', { auth: ROOT_KEY })).status).toBe(200);
      // Person keys are refreshed as usual.
      await fromEnv.request('POST', '/api-keys', { json: { name: 'erin' } });
      expect((await fromEnv.request('POST', '/api-keys/erin/refresh')).status).toBe(200);
    } finally {
      await fromEnv.close();
    }
  });

  test('root deletes a key; the root key can be refreshed by root', async () => {
    const separate = await startApiHarness();
    try {
      await separate.request('POST', '/api-keys', { json: { name: 'dario' } });
      expect((await separate.request('DELETE', '/api-keys/dario')).status).toBe(200);
      const refreshed = await separate.request('POST', '/api-keys/rootkey/refresh');
      const newRoot = (refreshed.body as { api_key: string }).api_key;
      expect((await separate.request('GET', '/secrets')).status).toBe(401);
      expect((await separate.request('GET', '/secrets', { auth: newRoot })).status).toBe(200);
    } finally {
      await separate.close();
    }
  });
});

describe('secrets', () => {
  test('set, list (names only), replace, delete; the file keeps values, private to its owner', async () => {
    const set = await api.request('PUT', '/secrets/client_id', { json: { value: 'cid-very-secret-99' } });
    expectShape(secretSavedSchema, set.body);
    await api.request('PUT', '/secrets/nested', { json: { value: { a: 1, b: 'x' } } });
    await api.request('PUT', '/secrets/client_id', { json: { value: 'cid-rotated-secret-100' } });
    const list = await api.request('GET', '/secrets');
    expectShape(secretNamesSchema, list.body);
    // zoho_refresh_token was bound, on first use, by the config saved in beforeAll.
    const zohoOrigins = (list.body as { Origins: Record<string, string[] | null> }).Origins
      .zoho_refresh_token;
    expect(zohoOrigins).toEqual([expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/)]);
    expect(list.body).toEqual({
      Items: ['client_id', 'nested', 'zoho_refresh_token'],
      Count: 3,
      Origins: { client_id: null, nested: null, zoho_refresh_token: zohoOrigins },
    });
    expect(list.text).not.toMatch(/cid-/);

    const file = join(api.pipeline.dataDir, 'secrets.json');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      zoho_refresh_token: REFRESH_TOKEN,
      client_id: 'cid-rotated-secret-100',
      nested: { a: 1, b: 'x' },
      '@origins': { zoho_refresh_token: zohoOrigins },
    });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    // The pipeline's secret store reads what the API wrote.
    expect(await api.pipeline.deps.secrets.getAll()).toMatchObject({ client_id: 'cid-rotated-secret-100' });

    const deleted = await api.request('DELETE', '/secrets/nested');
    expect(deleted.body).toEqual({ name: 'nested', deleted: true });
    expect((await api.request('GET', '/secrets')).body).toEqual({
      Items: ['client_id', 'zoho_refresh_token'],
      Count: 2,
      Origins: { client_id: null, zoho_refresh_token: zohoOrigins },
    });
  });
});

describe('execute, when starting is slow or fails', () => {
  test('a slow start (token endpoint) does not hold the answer back', async () => {
    const slow = await startApiHarness({ startRun: () => new Promise(() => undefined), executeWaitMs: 50 });
    try {
      const config = expectStoredConfig(
        (await slow.request('POST', '/config', { json: dealsConfig(upstream.url) })).body,
      );
      const res = await slow.request('POST', `/config/${config.id}/execute`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'running', config_id: config.id });
    } finally {
      await slow.close();
    }
  });

  test('a start that fails at once answers 500 without details, and is logged', async () => {
    const failing = await startApiHarness({
      startRun: () => Promise.reject(new Error('database is locked')),
    });
    try {
      const config = expectStoredConfig(
        (await failing.request('POST', '/config', { json: dealsConfig(upstream.url) })).body,
      );
      const res = await failing.request('POST', `/config/${config.id}/execute`);
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ error: 'internal error' });
      expect(failing.pipeline.logLines).toContainEqual(
        expect.objectContaining({
          level: 'error',
          message: 'request failed',
          fields: expect.objectContaining({ error: 'database is locked' }),
        }),
      );
    } finally {
      await failing.close();
    }
  });
});
