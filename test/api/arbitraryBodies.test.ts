/**
 * Property: whatever JSON (or non-JSON) a client sends to create or update a
 * config, the API answers 200 or a 4xx with `{"error": …}`, never a 5xx.
 * Besides fully random JSON, the generator builds near-configs (right keys, random
 * values) so the deeper rules (pagination, references, transformations, ids) run.
 */
import fc from 'fast-check';
import { type ApiHarness, type ApiResponse, startApiHarness } from './harness';

let api: ApiHarness;
let configId: string;
let extractionId: string;

beforeAll(async () => {
  api = await startApiHarness();
  const created = await api.request('POST', '/config', {
    json: { name: 'Target', extractions: [{ name: 'deals', endpoint: { url: 'http://127.0.0.1:9/deals' } }] },
  });
  const body = created.body as { id: string; extractions: Array<{ id: string }> };
  configId = body.id;
  extractionId = body.extractions[0]!.id;
});
afterAll(() => api.close());

const anyJson = fc.jsonValue({ maxDepth: 4 });
const text = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '${secret::x}',
    '$(self::auth.access_token, d)',
    '${last::id, 1}',
    '${nope::x}',
    '${self:x}',
    'a < b',
    'info.more',
    'http://127.0.0.1:9/x',
    'ftp://127.0.0.1/x',
    '',
  ),
);
const name = fc.string({ minLength: 1, maxLength: 12 });
const url = fc.constantFrom(
  'http://127.0.0.1:9/a',
  'http://127.0.0.1:9/x?y=1',
  'http://127.0.0.1:9/${secret::token}',
  '${secret::base_url}/x',
);

/** Valid configs of every pagination type, with schemas and transformations. */
const validPagination = fc.oneof(
  fc.constant({ type: 'none' }),
  fc.record({
    type: fc.constant('sequential'),
    parameters: fc.record(
      {
        param_name: name,
        start_from: fc.integer(),
        step: fc.integer({ min: 1, max: 100 }),
        there_are_more_pages: fc.constantFrom(
          'info.more_records',
          'info.current_page < info.total_pages',
          'a.b != null',
        ),
        stop_when_response_body_is_empty: fc.boolean(),
        pages_in_flight: fc.integer({ min: 1, max: 64 }),
      },
      { requiredKeys: ['param_name'] },
    ),
  }),
  fc.record({
    type: fc.constant('link'),
    parameters: fc.record({ next_link: fc.constantFrom('next', 'pagination.next_link') }),
  }),
  fc.constant({ type: 'header_link' }),
  fc.record({
    type: fc.constant('cursor'),
    parameters: fc.record({ cursor_key: fc.constant('next_cursor'), param_name: name }),
  }),
);
const dataSchema = fc
  .uniqueArray(fc.tuple(name, name), { selector: ([, column]) => column, maxLength: 5 })
  .map((pairs) => Object.fromEntries(pairs));
const validExtraction = fc.record(
  {
    name,
    endpoint: fc.record(
      {
        url,
        headers: fc.dictionary(name, fc.string()),
        query_params: fc.dictionary(name, fc.oneof(fc.string(), fc.integer())),
      },
      { requiredKeys: ['url'] },
    ),
    data_key: fc.constantFrom('data', 'result.items', '$items'),
    pagination: validPagination,
    data_schema: dataSchema,
    transformations: fc.array(
      fc.constantFrom(
        { action: 'upper' },
        { action: 'replace', params: { to_replace: ';', value: '.' } },
        { action: 'slice', params: { start: 0, stop: -1 }, priority: 2 },
      ),
    ),
    format: fc.constantFrom('csv', 'json', 'jsonl'),
  },
  { requiredKeys: ['name', 'endpoint'] },
);
const validConfig = fc.record(
  {
    name,
    enabled: fc.boolean(),
    auth: fc.record({ access_token: fc.constantFrom('', 'literal', '${secret::token}') }),
    // A folder per name: extractions of one config may not write the same file.
    extractions: fc
      .uniqueArray(validExtraction, { selector: (e) => e.name, minLength: 1, maxLength: 3 })
      .map((list) => list.map((e) => ({ ...e, s3_destiny: { folder: e.name } }))),
  },
  { requiredKeys: ['name', 'extractions'] },
);

/** Where a mutation strikes: the places validation has rules for. */
const PATHS: Array<Array<string | number>> = [
  ['name'],
  ['auth'],
  ['auth', 'access_token'],
  ['auth', 'refresh_token'],
  ['auth', 'endpoint'],
  ['extractions'],
  ['extractions', 0],
  ['extractions', 0, 'id'],
  ['extractions', 0, 'name'],
  ['extractions', 0, 'endpoint'],
  ['extractions', 0, 'endpoint', 'url'],
  ['extractions', 0, 'endpoint', 'method'],
  ['extractions', 0, 'pagination'],
  ['extractions', 0, 'pagination', 'type'],
  ['extractions', 0, 'pagination', 'parameters'],
  ['extractions', 0, 'pagination', 'parameters', 'step'],
  ['extractions', 0, 'pagination', 'parameters', 'continue_while_status_code_is'],
  ['extractions', 0, 'pagination', 'parameters', 'there_are_more_pages'],
  ['extractions', 0, 'data_schema'],
  ['extractions', 0, 'mapping_fetch'],
  ['extractions', 0, 'transformations'],
  ['extractions', 0, 'transformations', 0],
  ['extractions', 0, 'format'],
  ['extractions', 0, 'http'],
  ['extractions', 1],
];
const mutation = fc.record({
  path: fc.constantFrom(...PATHS),
  value: fc.option(fc.oneof(anyJson, text), { nil: undefined }),
});

/** Sets (or, for undefined, deletes) `path` in a copy of `value`, creating objects on the way. */
function mutate(value: unknown, path: Array<string | number>, replacement: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return replacement;
  const copy: unknown = Array.isArray(value)
    ? [...(value as unknown[])]
    : value && typeof value === 'object'
      ? { ...value }
      : {};
  const container = copy as Record<string | number, unknown>;
  const next = rest.length === 0 ? replacement : mutate(container[head], rest, replacement);
  if (next === undefined && !Array.isArray(container)) delete container[head];
  else container[head] = next;
  return container;
}

const nearConfig = fc
  .tuple(validConfig, fc.array(mutation, { maxLength: 2 }))
  .map(([config, mutations]) => mutations.reduce<unknown>((acc, m) => mutate(acc, m.path, m.value), config));

type Body = { json: unknown } | { raw: string };
const body: fc.Arbitrary<Body> = fc.oneof(
  { weight: 2, arbitrary: anyJson.map((json) => ({ json })) },
  { weight: 6, arbitrary: nearConfig.map((json) => ({ json })) },
  { weight: 1, arbitrary: fc.string().map((raw) => ({ raw })) },
);

function expectNo5xx(res: ApiResponse, sent: Body): void {
  if (
    res.status >= 500 ||
    (res.status !== 200 && typeof (res.body as { error?: unknown })?.error !== 'string')
  ) {
    throw new Error(`${res.status} ${res.text} for ${JSON.stringify(sent)}`);
  }
}

test('POST /config never answers 5xx', async () => {
  const statuses: number[] = [];
  await fc.assert(
    fc.asyncProperty(body, async (sent) => {
      const res = await api.request('POST', '/config', sent);
      expectNo5xx(res, sent);
      statuses.push(res.status);
    }),
    // Enough runs that both sides stay clear of the floor below: with 250, one CI run saved
    // exactly 25 configs and failed it.
    { numRuns: 400 },
  );
  // The generator reaches both sides: saved configs and refusals.
  expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(25);
  expect(statuses.filter((s) => s === 400).length).toBeGreaterThan(25);
});

test("PUT /config/{id} never answers 5xx, even naming the config's own extraction id", async () => {
  const withKnownId = nearConfig.map((config): Body => {
    if (!config || typeof config !== 'object' || Array.isArray(config)) return { json: config };
    const base = config as Record<string, unknown>;
    if (!Array.isArray(base.extractions) || base.extractions.length === 0) return { json: base };
    const [first, ...rest] = base.extractions as unknown[];
    const named =
      first && typeof first === 'object' && !Array.isArray(first) ? { ...first, id: extractionId } : first;
    return { json: { ...base, extractions: [named, ...rest] } };
  });
  await fc.assert(
    fc.asyncProperty(fc.oneof(body, withKnownId), async (sent) => {
      expectNo5xx(await api.request('PUT', `/config/${configId}`, sent), sent);
    }),
    { numRuns: 250 },
  );
});

test('POST /preview never answers 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(body, async (sent) => {
      const res = await api.request('POST', '/preview', sent);
      // A valid one is previewed against a closed port on 127.0.0.1: 200 with per-extraction errors.
      expectNo5xx(res, sent);
    }),
    // Fewer runs: each valid config costs a refused connection and one retry per extraction.
    { numRuns: 40 },
  );
});
