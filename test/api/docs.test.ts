/**
 * The OpenAPI document and the Postman collection: generated from the same joi
 * schemas and route table, valid, and in step with the app and with each other.
 * `UPDATE_DOCS=1 npx jest test/api/docs.test.ts` rewrites docs/postman_collection.json.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { PAGINATION_TYPES } from '../../shared/core/config/schema';
import { validateConfig } from '../../shared/core/config/validate';
import { buildOpenApiDocument } from '../../shared/api/openapi';
import { buildPostmanCollection } from '../../shared/api/postman';
import { EXAMPLE_CONFIG, ROUTE_DOCS } from '../../shared/api/routeDocs';
import { type ApiHarness, ROOT_KEY, startApiHarness } from './harness';

const POSTMAN_FILE = join(__dirname, '..', '..', 'docs', 'postman_collection.json');

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
});
afterAll(() => api.close());

test('the OpenAPI document is valid OpenAPI 3.0', async () => {
  const document = buildOpenApiDocument();
  // The parser dereferences in place: give it a copy.
  await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
  expect(document.openapi).toBe('3.0.3');
});

test('its config schema comes from the joi schema: same class names, every pagination type', () => {
  const { schemas } = buildOpenApiDocument().components;
  for (const name of [
    'ApiConfig',
    'Auth',
    'RefreshToken',
    'Endpoint',
    'Extraction',
    'Pagination',
    'SequentialParameters',
    'DataSchemaDoc',
    'MappingFetch',
    'Transformation',
    'HttpOptions',
    'S3Destiny',
  ]) {
    expect(Object.keys(schemas)).toContain(name);
  }
  const pagination = schemas.Pagination as { discriminator: { mapping: Record<string, string> } };
  expect(Object.keys(pagination.discriminator.mapping).sort()).toEqual([...PAGINATION_TYPES].sort());
  const sequential = schemas.SequentialParameters as {
    required: string[];
    properties: Record<string, { default?: unknown }>;
  };
  expect(sequential.required).toEqual(['param_name']);
  expect(sequential.properties.step!.default).toBe(1);
  // data_schema nests itself.
  expect(JSON.stringify(schemas.DataSchemaDoc)).toContain('#/components/schemas/DataSchemaDoc');
});

test('GET /openapi.json serves the document, without a key', async () => {
  const res = await api.request('GET', '/openapi.json', { auth: null });
  expect(res.status).toBe(200);
  expect(res.body).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
});

test('the example config in the docs is a valid config', () => {
  expect(validateConfig(EXAMPLE_CONFIG).ok).toBe(true);
});

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
const concrete = (path: string): string =>
  path
    .replace('{id}', 'no-such-id')
    .replace('{name}', path.startsWith('/secrets') ? 'no_such_secret' : 'no-such-key');

test('the app serves exactly the documented methods on every documented path', async () => {
  const byPath = new Map<string, string[]>();
  for (const route of ROUTE_DOCS) byPath.set(route.path, [...(byPath.get(route.path) ?? []), route.method]);
  for (const [path, methods] of byPath) {
    for (const method of METHODS) {
      const res = await api.request(method, concrete(path));
      const served =
        res.status !== 405 &&
        !(res.status === 404 && /^no route for/.test((res.body as { error?: string })?.error ?? ''));
      expect(`${method} ${path}: ${served ? 'served' : 'not served'}`).toBe(
        `${method} ${path}: ${methods.includes(method) ? 'served' : 'not served'}`,
      );
    }
  }
});

/** node:http, because fetch refuses TRACE. */
function nodeRequest(method: string, url: string): Promise<{ status: number; allow: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: { authorization: ROOT_KEY } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a method a documented path does not serve answers 405 with Allow (TRACE and OPTIONS too), never 404', async () => {
  const byPath = new Map<string, string[]>();
  for (const route of ROUTE_DOCS) byPath.set(route.path, [...(byPath.get(route.path) ?? []), route.method]);
  for (const [path, methods] of byPath) {
    for (const method of ['TRACE', 'OPTIONS', 'PATCH']) {
      const res = await nodeRequest(method, `${api.baseUrl}${concrete(path)}`);
      expect(`${method} ${path}: ${res.status} ${res.allow}`).toBe(
        `${method} ${path}: 405 ${methods.join(', ')}`,
      );
    }
  }
});

test('schedule documents the shape of a cron expression: what it rules out, the service refuses', () => {
  const apiConfig = buildOpenApiDocument().components.schemas.ApiConfig as {
    properties: { schedule: { pattern: string } };
  };
  const shape = new RegExp(apiConfig.properties.schedule.pattern);
  for (const schedule of ['0 1 * * ? *', 'cron(0 1 * * ? *)', '*/5 * * * *', ' 0 12 * * MON-FRI ']) {
    expect(`${schedule}: ${shape.test(schedule)}`).toBe(`${schedule}: true`);
    expect(validateConfig({ ...EXAMPLE_CONFIG, schedule }).ok).toBe(true);
  }
  for (const schedule of ['0', '* * * *', '0 1 * * ? * 2026', 'every day', 'cron()']) {
    expect(`${schedule}: ${shape.test(schedule)}`).toBe(`${schedule}: false`);
    expect(validateConfig({ ...EXAMPLE_CONFIG, schedule }).ok).toBe(false);
  }
});

test('routes with a query string document its 400', () => {
  const { paths } = buildOpenApiDocument();
  for (const route of ROUTE_DOCS.filter((r) => r.query)) {
    const responses = paths[route.path]![route.method.toLowerCase()]!.responses as Record<string, unknown>;
    expect(`${route.method} ${route.path}: ${'400' in responses}`).toBe(
      `${route.method} ${route.path}: true`,
    );
  }
  const runs = paths['/config/{id}/runs']!.get!.parameters as Array<{ name: string; schema: unknown }>;
  expect(runs.find((p) => p.name === 'limit')?.schema).toMatchObject({ minimum: 1, maximum: 200 });
});

test('docs/postman_collection.json is the collection generated from the route table', async () => {
  const generated = `${JSON.stringify(buildPostmanCollection(), null, 2)}\n`;
  if (process.env.UPDATE_DOCS === '1') await writeFile(POSTMAN_FILE, generated);
  expect(await readFile(POSTMAN_FILE, 'utf8')).toBe(generated);
});

test('the Postman collection covers every route, with {{base_url}} and {{api_key}}', async () => {
  const collection = JSON.parse(await readFile(POSTMAN_FILE, 'utf8')) as {
    item: Array<{
      item: Array<{
        name: string;
        request: { method: string; url: { raw: string }; header: Array<{ key: string; value: string }> };
      }>;
    }>;
    variable: Array<{ key: string }>;
  };
  const requests = collection.item.flatMap((folder) => folder.item);
  const covered = requests.map(
    (r) => `${r.request.method} ${r.request.url.raw.replace('{{base_url}}', '').replace(/:(\w+)/g, '{$1}')}`,
  );
  expect(covered.sort()).toEqual(ROUTE_DOCS.map((r) => `${r.method} ${r.path}`).sort());
  for (const request of requests) {
    expect(request.request.url.raw.startsWith('{{base_url}}/')).toBe(true);
    const route = ROUTE_DOCS.find((r) => r.summary === request.name)!;
    const auth = request.request.header.find((h) => h.key === 'Authorization');
    expect(auth?.value).toBe(route.access === 'public' ? undefined : '{{api_key}}');
  }
  expect(collection.variable.map((v) => v.key)).toEqual(expect.arrayContaining(['base_url', 'api_key']));
});

test('the OpenAPI document and the Postman collection cite nothing outside the repository', () => {
  for (const text of [JSON.stringify(buildOpenApiDocument()), JSON.stringify(buildPostmanCollection())])
    expect(text).not.toMatch(/SPEC|DESIGN\.md/);
});
