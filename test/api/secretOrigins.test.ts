/**
 * Secrets bound to origins, through the config API on the embedded system: the
 * root key binds a secret to origins; configs that would send it elsewhere are
 * refused when saved, previewed or executed; a secret written with a value only is
 * bound on first use; preview never shows a secret, transformed or not.
 */
import { startServer } from '../support/engineHarness';
import { type ApiHarness, eventually, startApiHarness } from './harness';

const TOKEN = 'tok-Secret-value-12345';

let api: ApiHarness;
let allowed: Awaited<ReturnType<typeof startServer>>;
let other: Awaited<ReturnType<typeof startServer>>;
/** What each server saw in X-Token, in order. */
const seen: Record<'allowed' | 'other', string[]> = { allowed: [], other: [] };

beforeAll(async () => {
  api = await startApiHarness();
  // Echoes the header carrying the secret, as an httpbin-like upstream does.
  allowed = await startServer((req, url) => {
    seen.allowed.push(String(req.headers['x-token'] ?? ''));
    if (url.pathname === '/linked') return { body: { data: [{ id: 1 }], next: `${other.url}/page2` } };
    return { body: [{ id: 1, echo: req.headers['x-token'] ?? null, access_token: 'tok-abc' }] };
  });
  other = await startServer((req) => {
    seen.other.push(String(req.headers['x-token'] ?? ''));
    return { body: [{ id: 2, echo: req.headers['x-token'] ?? null }] };
  });
});
afterAll(async () => {
  await Promise.all([allowed.close(), other.close()]);
  await api.close();
});
beforeEach(() => {
  seen.allowed.length = 0;
  seen.other.length = 0;
});

const origin = (url: string): string => new URL(url).origin;

async function personalKey(name: string): Promise<string> {
  const res = await api.request('POST', '/api-keys', { json: { name } });
  expect(res.status).toBe(200);
  return (res.body as { api_key: string }).api_key;
}

async function putSecret(name: string, body: Record<string, unknown>): Promise<void> {
  const res = await api.request('PUT', `/secrets/${name}`, { json: body });
  expect(res.status).toBe(200);
}

async function originsOf(name: string): Promise<string[] | null | undefined> {
  const res = await api.request('GET', '/secrets');
  expect(res.status).toBe(200);
  return (res.body as { Origins: Record<string, string[] | null> }).Origins[name];
}

function config(extraction: Record<string, unknown>, auth: Record<string, unknown> = {}): unknown {
  return { name: 'scoped', auth, extractions: [{ name: 'items', format: 'json', ...extraction }] };
}

type Details = Array<{ path: string; message: string }>;

describe('the root key binds secrets to origins', () => {
  test('PUT with origins binds (normalised); GET lists names with origins, never values', async () => {
    await putSecret('bound_one', { value: TOKEN, origins: ['HTTPS://API.Example.com:443/', allowed.url] });
    const res = await api.request('GET', '/secrets');
    expect((res.body as { Origins: Record<string, unknown> }).Origins.bound_one).toEqual([
      'https://api.example.com',
      origin(allowed.url),
    ]);
    expect(res.text).not.toContain(TOKEN);
    // Rotating the value the original tool's way keeps the binding.
    await putSecret('bound_one', { value: `${TOKEN}-rotated` });
    expect(await originsOf('bound_one')).toEqual(['https://api.example.com', origin(allowed.url)]);
  });

  test.each([
    ['a path', ['https://api.example.com/v1'], 'origins[0]', /origin only/],
    ['a query', ['https://api.example.com?x=1'], 'origins[0]', /origin only/],
    ['another scheme', ['ftp://api.example.com'], 'origins[0]', /http or https/],
    ['a relative URL', ['api.example.com'], 'origins[0]', /absolute URL/],
    ['a user', ['https://u:p@api.example.com'], 'origins[0]', /user or password/],
    ['an empty list', [], 'origins', /at least 1/],
  ])('an origin with %s is refused, naming the field', async (_what, origins, path, message) => {
    const res = await api.request('PUT', '/secrets/bad_origin', { json: { value: 'v-123456', origins } });
    expect(res.status).toBe(400);
    const details = (res.body as { details: Details }).details;
    expect(details).toEqual([{ path, message: expect.stringMatching(message) }]);
  });
});

describe('a config that would send a secret elsewhere is refused when saved', () => {
  beforeAll(async () => {
    await putSecret('tok', { value: TOKEN, origins: [origin(allowed.url)] });
  });

  const elsewhere = (): string => other.url;
  const cases: Array<[string, () => unknown, string]> = [
    [
      'extraction URL (query in the URL)',
      () => config({ endpoint: { url: `${elsewhere()}/items?key=\${secret::tok}` } }),
      'extractions[0].endpoint.url',
    ],
    [
      'extraction header',
      () => config({ endpoint: { url: `${elsewhere()}/items`, headers: { 'X-Token': '${secret::tok}' } } }),
      'extractions[0].endpoint.headers.X-Token',
    ],
    [
      'extraction query param',
      () => config({ endpoint: { url: `${elsewhere()}/items`, query_params: { key: '${secret::tok}' } } }),
      'extractions[0].endpoint.query_params.key',
    ],
    [
      'extraction body',
      () =>
        config({
          endpoint: {
            url: `${elsewhere()}/items`,
            method: 'POST',
            body: { auth: { key: '${secret::tok}' } },
          },
        }),
      'extractions[0].endpoint.body.auth.key',
    ],
    [
      'refresh_token endpoint body',
      () =>
        config(
          { endpoint: { url: `${allowed.url}/items` } },
          {
            refresh_token: {
              endpoint: { url: `${elsewhere()}/token`, body: { refresh_token: '${secret::tok}' } },
            },
          },
        ),
      'auth.refresh_token.endpoint.body.refresh_token',
    ],
    [
      'refresh_token endpoint query param',
      () =>
        config(
          { endpoint: { url: `${allowed.url}/items` } },
          {
            refresh_token: {
              endpoint: { url: `${elsewhere()}/token`, query_params: { rt: '${secret::tok}' } },
            },
          },
        ),
      'auth.refresh_token.endpoint.query_params.rt',
    ],
    [
      'mapping_fetch header',
      () =>
        config({
          endpoint: { url: `${allowed.url}/items` },
          mapping_fetch: {
            endpoint: {
              url: `${elsewhere()}/detail/\${extracted_item::id}`,
              headers: { 'X-Token': '${secret::tok}' },
            },
          },
        }),
      'extractions[0].mapping_fetch.endpoint.headers.X-Token',
    ],
    [
      'mapping_fetch URL',
      () =>
        config({
          endpoint: { url: `${allowed.url}/items` },
          mapping_fetch: { endpoint: { url: `${elsewhere()}/detail?k=\${secret::tok}` } },
        }),
      'extractions[0].mapping_fetch.endpoint.url',
    ],
    [
      'access token made from the secret, sent by an extraction',
      () =>
        config(
          {
            endpoint: {
              url: `${elsewhere()}/items`,
              headers: { Authorization: 'Bearer ${self::auth.access_token}' },
            },
          },
          { access_token: '${secret::tok}' },
        ),
      'extractions[0].endpoint.headers.Authorization',
    ],
  ];

  test.each(cases)(
    'in the %s: 400 naming the field, the secret and the allowed origins',
    async (_w, make, path) => {
      const res = await api.request('POST', '/config', { json: make() });
      expect(res.status).toBe(400);
      const details = (res.body as { details: Details }).details;
      expect(details).toContainEqual({
        path: expect.stringContaining(path),
        message: `sends secret "tok" to ${origin(other.url)}; it may only be sent to ${origin(allowed.url)}`,
      });
      expect(res.text).not.toContain(TOKEN);
    },
  );

  test.each([
    ['the whole URL is a reference', '${secret::base_url}/items'],
    ['the host is a reference', 'http://${self::name}/items'],
    ['the port is a reference', 'http://127.0.0.1:${self::name}/items'],
  ])('a URL whose origin is not literal (%s) cannot carry a secret', async (_w, url) => {
    const res = await api.request('POST', '/config', {
      json: config({ endpoint: { url, headers: { 'X-Token': '${secret::tok}' } } }),
    });
    expect(res.status).toBe(400);
    expect((res.body as { details: Details }).details).toContainEqual({
      path: 'extractions[0].endpoint.headers.X-Token',
      message: expect.stringMatching(
        /^sends secret "tok" to an origin that extractions\[0\]\.endpoint\.url does not write literally/,
      ),
    });
  });

  test('the allowed origin is accepted, and an edit (PUT) towards another origin is refused', async () => {
    const created = await api.request('POST', '/config', {
      json: config({ endpoint: { url: `${allowed.url}/items`, headers: { 'X-Token': '${secret::tok}' } } }),
    });
    expect(created.status).toBe(200);
    const { id } = created.body as { id: string };
    const edited = await api.request('PUT', `/config/${id}`, {
      json: config({ endpoint: { url: `${other.url}/items`, headers: { 'X-Token': '${secret::tok}' } } }),
    });
    expect(edited.status).toBe(400);
    expect((edited.body as { details: Details }).details[0]!.path).toBe(
      'extractions[0].endpoint.headers.X-Token',
    );
  });
});

describe('a secret written with a value only', () => {
  test('is bound on first use to the origins of the first config saved with it; others are refused', async () => {
    await putSecret('legacy', { value: 'legacy-secret-value-777' });
    expect(await originsOf('legacy')).toBeNull();
    const first = await api.request('POST', '/config', {
      json: config({ endpoint: { url: `${allowed.url}/items`, query_params: { k: '${secret::legacy}' } } }),
    });
    expect(first.status).toBe(200);
    expect(await originsOf('legacy')).toEqual([origin(allowed.url)]);

    const second = await api.request('POST', '/config', {
      json: config({ endpoint: { url: `${other.url}/items`, query_params: { k: '${secret::legacy}' } } }),
    });
    expect(second.status).toBe(400);
    expect((second.body as { details: Details }).details).toEqual([
      {
        path: 'extractions[0].endpoint.query_params.k',
        message: `sends secret "legacy" to ${origin(other.url)}; it may only be sent to ${origin(allowed.url)}`,
      },
    ]);

    // The root key changes the binding by writing the secret again with origins.
    await putSecret('legacy', { value: 'legacy-secret-value-777', origins: [origin(other.url)] });
    const third = await api.request('POST', '/config', {
      json: config({ endpoint: { url: `${other.url}/items`, query_params: { k: '${secret::legacy}' } } }),
    });
    expect(third.status).toBe(200);
  });

  test('a config saved before its secret exists binds it when first executed', async () => {
    const key = await personalKey('early');
    const saved = await api.request('POST', '/config', {
      auth: key,
      json: config({ endpoint: { url: `${allowed.url}/items`, headers: { 'X-Token': '${secret::late}' } } }),
    });
    expect(saved.status).toBe(200);
    await putSecret('late', { value: 'late-secret-value-888' });
    expect(await originsOf('late')).toBeNull();
    const { id } = saved.body as { id: string };
    const executed = await api.request('POST', `/config/${id}/execute`, { auth: key });
    expect(executed.status).toBe(200);
    expect(await originsOf('late')).toEqual([origin(allowed.url)]);
  });

  test('execute refuses a saved config once its secret is bound elsewhere, before any request', async () => {
    await putSecret('moved', { value: 'moved-secret-value-999' });
    const saved = await api.request('POST', '/config', {
      json: config({ endpoint: { url: `${other.url}/items`, headers: { 'X-Token': '${secret::moved}' } } }),
    });
    expect(saved.status).toBe(200);
    await putSecret('moved', { value: 'moved-secret-value-999', origins: [origin(allowed.url)] });
    const { id } = saved.body as { id: string };
    const executed = await api.request('POST', `/config/${id}/execute`);
    expect(executed.status).toBe(400);
    expect((executed.body as { details: Details }).details).toEqual([
      {
        path: 'extractions[0].endpoint.headers.X-Token',
        message: `sends secret "moved" to ${origin(other.url)}; it may only be sent to ${origin(allowed.url)}`,
      },
    ]);
    expect(seen.other).toEqual([]);
  });
});

test('a run in the workers refuses a next link to another origin, which never sees the secret', async () => {
  await putSecret('paged', { value: 'paged-secret-value-555', origins: [origin(allowed.url)] });
  const saved = await api.request('POST', '/config', {
    json: config({
      endpoint: { url: `${allowed.url}/linked`, headers: { 'X-Token': '${secret::paged}' } },
      data_key: 'data',
      pagination: { type: 'link', parameters: { next_link: 'next' } },
    }),
  });
  expect(saved.status).toBe(200);
  const { id } = saved.body as { id: string };
  const executed = await api.request('POST', `/config/${id}/execute`);
  expect(executed.status).toBe(200);
  const { run_id: runId } = executed.body as { run_id: string };
  const run = await eventually(async () => {
    const res = await api.request('GET', `/runs/${runId}`);
    const body = res.body as {
      status: string;
      extractions: Array<{ failed_page: { error: string } | null }>;
    };
    return body.status === 'failed' ? body : undefined;
  }, 'the run to fail');
  expect(run.extractions[0]!.failed_page!.error).toContain(
    `request to ${origin(other.url)} refused: it carries secret "paged"; it may only be sent to ${origin(allowed.url)}`,
  );
  expect(seen.other).toEqual([]);
});

describe('preview', () => {
  test('a personal key cannot read a secret through an echo and transformations', async () => {
    await putSecret('echoed', { value: TOKEN });
    const key = await personalKey('mallory');
    const res = await api.request('POST', '/preview', {
      auth: key,
      json: config({
        endpoint: { url: `${allowed.url}/echo`, headers: { 'X-Token': '${secret::echoed}' } },
        transformations: [
          { action: 'upper', on: ['echo'], new_column_prefix: 'upper_' },
          { action: 'lower', on: ['echo'], new_column_prefix: 'lower_' },
          { action: 'slice', on: ['echo'], new_column_prefix: 'slice_', params: { start: 1, stop: 20 } },
          { action: 'split', on: ['echo'], new_column_prefix: 'split_', params: { char: '-' } },
        ],
      }),
    });
    expect(res.status).toBe(200);
    // The upstream did get the secret: it is the origin the secret is bound to now.
    expect(seen.allowed).toEqual([TOKEN]);
    const text = res.text.toLowerCase();
    expect(text).not.toContain(TOKEN.toLowerCase());
    expect(text).not.toContain(TOKEN.slice(1, 20).toLowerCase());
    for (const part of TOKEN.split('-')) if (part.length >= 5) expect(text).not.toContain(part.toLowerCase());
    const [preview] = (res.body as { Items: Array<{ ok: boolean; rows: Array<Record<string, unknown>> }> })
      .Items;
    expect(preview!.ok).toBe(true);
    expect(preview!.rows[0]!.echo).toBe('***');
    expect(await originsOf('echoed')).toEqual([origin(allowed.url)]);
  });

  test('a preview that would send a secret elsewhere is refused before any request', async () => {
    await putSecret('pinned', { value: 'pinned-secret-value-31', origins: [origin(allowed.url)] });
    const key = await personalKey('eve');
    const res = await api.request('POST', '/preview', {
      auth: key,
      json: config({ endpoint: { url: `${other.url}/echo`, headers: { 'X-Token': '${secret::pinned}' } } }),
    });
    expect(res.status).toBe(400);
    expect(seen.other).toEqual([]);
  });
});
