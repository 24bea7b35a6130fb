/**
 * Config validation: the seed configs pass unchanged and get their defaults; invalid
 * configs are a table of inputs with the exact expected messages (`path: message`,
 * as `formatIssue` prints them), every problem reported at once.
 */
import {
  ConfigValidationError,
  formatIssue,
  parseConfig,
  validateConfig,
  type ValidationIssue,
} from '../../../shared/core/config/validate';
import type { ApiConfig, Extraction } from '../../../shared/core/config/types';
import dealsSeed from '../../fixtures/seed-zoho-deals.json';
import ticketsSeed from '../../fixtures/seed-zoho-tickets.json';
import { doublingRatio } from '../../support/workMeter';

type Json = Record<string, unknown>;

/** A minimal valid config whose single extraction gets `extraction` merged in. */
function config(extraction: Json = {}, top: Json = {}): Json {
  return {
    name: 'Fake',
    extractions: [{ name: 'items', endpoint: { url: 'https://api.example.com/items' }, ...extraction }],
    ...top,
  };
}

/** A config with sequential pagination on `page` plus `parameters`. */
function sequential(parameters: Json): Json {
  return config({ pagination: { type: 'sequential', parameters: { param_name: 'page', ...parameters } } });
}

/** A config with one transformation. */
function transformation(t: Json): Json {
  return config({ transformations: [t] });
}

/** A config whose data endpoint sends `value` as query parameter `q`. */
function queryParam(value: string): Json {
  return config({ endpoint: { url: 'https://api.example.com/items', query_params: { q: value } } });
}

/** A config whose extraction sets the numeric option `where` (e.g. `http.timeout_ms`) to `value`. */
function numericOption(where: string, value: number): Json {
  const [head, ...rest] = where.split('.');
  if (head === 'pagination') return sequential({ [rest[1]!]: value });
  if (head === 'transformations[0]') return transformation({ action: 'trim', [rest[0]!]: value });
  if (head === 'mapping_fetch') {
    return config({ mapping_fetch: { endpoint: { url: 'https://api.example.com/x' }, [rest[0]!]: value } });
  }
  return config({ [head!]: { [rest[0]!]: value } });
}

function valid(input: unknown): ApiConfig {
  const result = validateConfig(input);
  if (!result.ok) throw new Error(`expected a valid config:\n${result.issues.map(formatIssue).join('\n')}`);
  return result.config;
}

function firstExtraction(input: unknown): Extraction {
  return valid(input).extractions[0] as Extraction;
}

/** Every issue as `formatIssue` prints it, in reported order. */
function issuesOf(input: unknown): string[] {
  const result = validateConfig(input);
  if (result.ok) throw new Error('expected validation to fail');
  return result.issues.map(formatIssue);
}

const clone = <T>(value: T): T => structuredClone(value);

const HTTP_DEFAULTS = {
  timeout_ms: 30_000,
  connect_timeout_ms: 10_000,
  request_timeout_ms: 120_000,
  min_bytes_per_second: 100,
  max_attempts: 5,
  backoff_base_ms: 500,
  backoff_max_ms: 30_000,
};

const REFERENCE_TYPE_LIST = 'self, secret, last, extracted_item';
const BUCKET_RULE =
  'must be an S3 bucket name: 3 to 63 lower-case letters, digits, dots or hyphens, starting and ending with a letter or digit';
const ACTION_LIST = 'replace, trim, ltrim, rtrim, lower, upper, title, capitalize, split, join, slice';

describe('seed configs', () => {
  test.each<[string, Json]>([
    ['Zoho deals', dealsSeed],
    ['Zoho tickets', ticketsSeed],
  ])('%s validates unchanged: every field as written, defaults only added', (_name, seed) => {
    const input = clone(seed);
    const validated = valid(input);
    expect(validated).toMatchObject(seed);
    expect(input).toEqual(seed); // the input is not mutated
  });

  test('Zoho deals gets the defaults it does not write', () => {
    const validated = valid(clone(dealsSeed));
    expect(validated.enabled).toBe(true);
    expect(validated.auth.refresh_token).toEqual({
      endpoint: {
        url: 'https://accounts.zoho.com/oauth/v2/token',
        query_params: {
          refresh_token: '${secret::zoho_refresh_token}',
          client_id: '${secret::zoho_client_id}',
          client_secret: '${secret::zoho_client_secret}',
          grant_type: 'refresh_token',
        },
      },
      response_token_key: 'access_token',
      expires_in_key: 'expires_in',
    });
    expect(validated.auth.refresh_token?.endpoint).not.toHaveProperty('method'); // engine default: POST
    const deals = validated.extractions[0] as Extraction;
    expect(deals.endpoint).not.toHaveProperty('method'); // engine default: GET
    expect(deals.format).toBe('csv');
    expect(deals.output_params).toEqual({ csv_separator: ';' });
    expect(deals.s3_destiny).toEqual({ folder: 'zoho/deals/', filename: '{timestamp}' });
    expect(deals.pagination).toEqual({
      type: 'sequential',
      parameters: {
        param_name: 'page',
        start_from: 1,
        step: 1,
        there_are_more_pages: 'info.more_records',
        pages_in_flight: 1,
        max_pages: 10_000,
      },
    });
    expect(deals.transformations).toEqual([
      { action: 'replace', priority: 0, on: ['description'], params: { to_replace: ';', value: '.' } },
    ]);
    expect(deals.http).toEqual(HTTP_DEFAULTS);
  });

  test('Zoho tickets gets the defaults it does not write', () => {
    const validated = valid(clone(ticketsSeed));
    expect(validated.enabled).toBe(true);
    const tickets = validated.extractions[0] as Extraction;
    expect(tickets.endpoint).not.toHaveProperty('method');
    expect(tickets.endpoint.query_params).toEqual({
      sortBy: 'ticketNumber',
      include: 'contacts,products,departments,team,isRead,assignee',
      limit: 100,
    });
    expect(tickets.format).toBe('csv');
    expect(tickets.s3_destiny).toEqual({ folder: 'zoho/tickets/', filename: 'ticketsdata' });
    expect(tickets.pagination).toEqual({
      type: 'sequential',
      parameters: {
        param_name: 'from',
        start_from: 1,
        step: 100,
        continue_while_status_code_is: 200,
        pages_in_flight: 1,
        max_pages: 10_000,
      },
    });
    expect(tickets.transformations).toEqual([]);
    expect(tickets.http).toEqual(HTTP_DEFAULTS);
  });

  test.each<[string, Json]>([
    ['Zoho deals', dealsSeed],
    ['Zoho tickets', ticketsSeed],
  ])('%s keeps data_schema key order, nested levels included', (_name, seed) => {
    const written = (seed.extractions as Json[])[0]?.data_schema;
    const validated = firstExtraction(clone(seed)).data_schema;
    expect(JSON.stringify(validated)).toBe(JSON.stringify(written));
  });
});

describe('defaults of a minimal config', () => {
  test('an extraction with only name and endpoint gets every default', () => {
    const validated = valid(config());
    expect(validated.enabled).toBe(true);
    expect(validated.auth).toEqual({ access_token: '' });
    expect(validated.extractions[0]).toEqual({
      name: 'items',
      endpoint: { url: 'https://api.example.com/items' },
      pagination: { type: 'none', parameters: {} },
      transformations: [],
      format: 'csv',
      output_params: { csv_separator: ',' },
      s3_destiny: { folder: '', filename: '{timestamp}' },
      http: HTTP_DEFAULTS,
    });
  });

  test('a transformation gets priority 0 and empty params', () => {
    expect(firstExtraction(transformation({ action: 'trim' })).transformations).toEqual([
      { action: 'trim', priority: 0, params: {} },
    ]);
  });

  test('cursor and link pagination get max_pages 10000; mapping_fetch gets prefix and concurrency', () => {
    const cursor = firstExtraction(
      config({ pagination: { type: 'cursor', parameters: { cursor_key: 'next', param_name: 'cursor' } } }),
    );
    expect(cursor.pagination.parameters).toEqual({
      cursor_key: 'next',
      param_name: 'cursor',
      max_pages: 10_000,
    });
    const link = firstExtraction(
      config({ pagination: { type: 'link', parameters: { next_link: 'links.next' } } }),
    );
    expect(link.pagination.parameters).toEqual({ next_link: 'links.next', max_pages: 10_000 });
    const detail = firstExtraction(
      config({ mapping_fetch: { endpoint: { url: 'https://api.example.com/items/${extracted_item::id}' } } }),
    );
    expect(detail.mapping_fetch).toEqual({
      endpoint: { url: 'https://api.example.com/items/${extracted_item::id}' },
      prefix: '',
      concurrency: 8,
    });
  });

  test('method is upper-cased', () => {
    const e = firstExtraction(config({ endpoint: { url: 'https://api.example.com/items', method: 'post' } }));
    expect(e.endpoint.method).toBe('POST');
  });
});

describe('auth.endpoint / auth.response_token_key synonym', () => {
  const seedExample = {
    endpoint: {
      url: 'https://accounts.com/oauth/v2/',
      query_params: { refresh_token: 'afe21e5ac3f9ea12639' },
    },
    response_token_key: 'mytoken',
  };

  test('the seed example becomes auth.refresh_token', () => {
    expect(valid(config({}, { auth: clone(seedExample) })).auth).toEqual({
      access_token: '',
      refresh_token: { ...seedExample, expires_in_key: 'expires_in' },
    });
  });

  test('access_token is kept next to it and response_token_key defaults to access_token', () => {
    const auth = { access_token: 'literal', endpoint: { url: 'https://accounts.com/token' } };
    expect(valid(config({}, { auth })).auth).toEqual({
      access_token: 'literal',
      refresh_token: {
        endpoint: { url: 'https://accounts.com/token' },
        response_token_key: 'access_token',
        expires_in_key: 'expires_in',
      },
    });
  });

  test('its errors name the paths as written', () => {
    const auth = {
      endpoint: { url: 'accounts.com/token', query_params: { s: '${vault::x}' } },
      response_token_key: 1,
    };
    expect(issuesOf(config({}, { auth }))).toEqual([
      'auth.response_token_key: must be a string',
      `auth.endpoint.query_params.s: reference \${vault::x} has unknown type "vault" (valid: ${REFERENCE_TYPE_LIST})`,
    ]);
  });
});

describe('data_schema key order', () => {
  test('keys keep the order they were written in, not alphabetical', () => {
    const schema = { zeta: 'z', alpha: { second: 'a2', first: 'a1' }, mid: 'm', $currency_symbol: 'c' };
    const e = firstExtraction(
      config({
        data_schema: schema,
        mapping_fetch: {
          endpoint: { url: 'https://api.example.com/items/${extracted_item::id}' },
          data_schema: { y: 'y', b: 'b' },
        },
      }),
    );
    expect(Object.keys(e.data_schema ?? {})).toEqual(['zeta', 'alpha', 'mid', '$currency_symbol']);
    expect(Object.keys((e.data_schema?.alpha ?? {}) as Json)).toEqual(['second', 'first']);
    expect(Object.keys(e.mapping_fetch?.data_schema ?? {})).toEqual(['y', 'b']);
  });
});

describe('accepted configs', () => {
  test.each<[string, Json]>([
    [
      'a URL made of a reference is not URL-checked',
      config({ endpoint: { url: '${secret::base_url}/items' } }),
    ],
    [
      'a URL with a $(…) reference is not URL-checked',
      config({ endpoint: { url: '$(secret::host)/items' } }),
    ],
    ['a plain http URL', config({ endpoint: { url: 'http://localhost:8080/items' } })],
    ['the seed reference with a default', queryParam('$(last::id, 1)')],
    [
      'extracted_item inside mapping_fetch',
      config({
        mapping_fetch: {
          endpoint: {
            url: 'https://api.example.com/items/${extracted_item::id}',
            headers: { 'X-Owner': '$(extracted_item::owner.id, none)' },
          },
        },
      }),
    ],
    ['slice with only start', transformation({ action: 'slice', params: { start: 2 } })],
    ['slice with only stop', transformation({ action: 'slice', params: { stop: -1 } })],
    ['slice with no params', transformation({ action: 'slice' })],
    ['a condition expression', sequential({ there_are_more_pages: 'info.current_page < info.total_pages' })],
    ['a status code alone', sequential({ continue_while_status_code_is: 200 })],
    [
      'stop_when_response_body_is_empty with there_are_more_pages',
      sequential({
        there_are_more_pages: 'more',
        stop_when_response_body_is_empty: true,
      }),
    ],
    [
      'pages_in_flight and max_pages at their bounds',
      sequential({ pages_in_flight: 64, max_pages: 1_000_000 }),
    ],
    ['a negative step', sequential({ start_from: 1000, step: -100 })],
    ['format jsonl', config({ format: 'jsonl' })],
    ['a tab csv_separator', config({ output_params: { csv_separator: '\t' } })],
    [
      'the same column name in data_schema and mapping_fetch.data_schema',
      config({
        data_schema: { id: 'id' },
        mapping_fetch: {
          endpoint: { url: 'https://api.example.com/x' },
          prefix: 'd__',
          data_schema: { id: 'id' },
        },
      }),
    ],
    [
      'S3 bucket names: dotted, hyphenated, 3 and 63 characters',
      config(
        {},
        {
          extractions: ['team.exports-2026', 'abc', 'a'.repeat(63), '10.0.0.1.exports'].map((bucket, i) => ({
            name: `e${i}`,
            endpoint: { url: 'https://api.example.com/items' },
            s3_destiny: { bucket },
          })),
        },
      ),
    ],
    [
      'numeric options at their bounds',
      config({
        http: {
          requests_per_second: 0.01,
          timeout_ms: 100,
          connect_timeout_ms: 120_000,
          max_attempts: 20,
          backoff_base_ms: 0,
          backoff_max_ms: 600_000,
        },
        mapping_fetch: { endpoint: { url: 'https://api.example.com/x' }, concurrency: 256 },
        pagination: {
          type: 'sequential',
          parameters: { param_name: 'offset', start_from: 1_000_000_000, step: -1_000_000 },
        },
        transformations: [{ action: 'trim', priority: -1_000_000 }],
      }),
    ],
    ['requests_per_second at its upper bound', config({ http: { requests_per_second: 1000 } })],
    ['header_link without parameters', config({ pagination: { type: 'header_link' } })],
    // The original tool stores any string as a URL; a URL that is unusable fails the run, not the save.
    ['a URL with a {domain} placeholder', config({ endpoint: { url: '{domain}/data' } })],
    ['a relative URL', config({ endpoint: { url: '/api/v1/tickets' } })],
    ['an ftp URL', config({ endpoint: { url: 'ftp://files.example.com/x.csv' } })],
    ['a file URL in mapping_fetch', config({ mapping_fetch: { endpoint: { url: 'file:///etc/passwd' } } })],
    [
      'a token endpoint URL without a scheme',
      config({}, { auth: { refresh_token: { endpoint: { url: 'accounts.zoho.com/oauth/v2/token' } } } }),
    ],
    [
      'two extractions of the same name (extractions are identified by their ids)',
      config(
        {},
        {
          extractions: [
            { name: 'deals', endpoint: { url: 'https://a.example.com' }, s3_destiny: { folder: 'a' } },
            { name: 'tickets', endpoint: { url: 'https://b.example.com' }, s3_destiny: { folder: 'b' } },
            { name: 'deals', endpoint: { url: 'https://c.example.com' }, s3_destiny: { folder: 'c' } },
          ],
        },
      ),
    ],
    [
      'two extractions with the same folder and filename but different formats',
      config(
        {},
        {
          extractions: [
            { name: 'a', endpoint: { url: 'https://a.example.com' } },
            { name: 'b', endpoint: { url: 'https://b.example.com' }, format: 'json' },
          ],
        },
      ),
    ],
    ['none without parameters', config({ pagination: { type: 'none' } })],
  ])('%s', (_rule, input) => {
    expect(validateConfig(input)).toMatchObject({ ok: true });
  });
});

describe('invalid configs', () => {
  test.each<[string, unknown, string[]]>([
    // document
    ['the config is not an object', ['x'], ['the config must be a JSON object']],
    ['the config is null', null, ['the config must be a JSON object']],
    ['name is required', { extractions: config().extractions }, ['name: is required']],
    ['name must not be empty', config({}, { name: '' }), ['name: is not allowed to be empty']],
    ['extractions is required', { name: 'Fake' }, ['extractions: is required']],
    [
      'extractions must not be empty',
      config({}, { extractions: [] }),
      ['extractions: must contain at least one extraction'],
    ],
    ['extractions must be an array', config({}, { extractions: {} }), ['extractions: must be an array']],
    ['enabled must be a boolean', config({}, { enabled: 'yes' }), ['enabled: must be a boolean']],
    [
      'an unknown top-level key is not allowed',
      config({}, { schedul: '0 1 * * ? *' }),
      ['schedul: is not allowed'],
    ],
    [
      'an unknown extraction key is not allowed',
      config({ dataKey: 'data' }),
      ['extractions[0].dataKey: is not allowed'],
    ],
    [
      'an unknown auth key is not allowed',
      config({}, { auth: { token: 'x' } }),
      ['auth.token: is not allowed'],
    ],
    [
      'auth.refresh_token needs an endpoint',
      config({}, { auth: { refresh_token: { response_token_key: 't' } } }),
      ['auth.refresh_token.endpoint: is required'],
    ],
    [
      'an extraction needs a name',
      config({}, { extractions: [{ endpoint: { url: 'https://a.example.com' } }] }),
      ['extractions[0].name: is required'],
    ],

    // endpoint
    [
      'an extraction needs an endpoint',
      config({}, { extractions: [{ name: 'items' }] }),
      ['extractions[0].endpoint: is required'],
    ],
    [
      'the url must not be empty',
      config({ endpoint: { url: '' } }),
      ['extractions[0].endpoint.url: is not allowed to be empty'],
    ],
    // null means absent only where a field is optional; a required one still says what it must be.
    ['a null url', config({ endpoint: { url: null } }), ['extractions[0].endpoint.url: must be a string']],
    ['a null name', config({}, { name: null }), ['name: must be a string']],
    [
      'a null endpoint',
      config({}, { extractions: [{ name: 'items', endpoint: null }] }),
      ['extractions[0].endpoint: must be an object'],
    ],
    ['null extractions', config({}, { extractions: null }), ['extractions: must be an array']],
    [
      'a null data_schema leaf',
      config({ data_schema: { id: null } }),
      ['extractions[0].data_schema.id: must be a column name (a string) or a nested data_schema object'],
    ],
    [
      'a null header value',
      config({ endpoint: { url: 'https://a.example.com', headers: { H: null } } }),
      ['extractions[0].endpoint.headers.H: must be a string, a number or a boolean'],
    ],
    [
      'two extractions writing the same file (same bucket, folder, filename and format)',
      config(
        {},
        {
          extractions: [
            { name: 'a', endpoint: { url: 'https://a.example.com' } },
            { name: 'b', endpoint: { url: 'https://b.example.com' }, s3_destiny: { folder: 'x' } },
            {
              name: 'c',
              endpoint: { url: 'https://c.example.com' },
              s3_destiny: { filename: '{timestamp}' },
            },
          ],
        },
      ),
      [
        'extractions[2].s3_destiny: writes the same file as extractions[0] (same bucket, folder, filename and format); give one of them another folder or filename',
      ],
    ],
    [
      'the same file, spelled with and without the folder slashes',
      config(
        {},
        {
          extractions: [
            {
              name: 'a',
              endpoint: { url: 'https://a.example.com' },
              s3_destiny: { bucket: 'out', folder: 'deals', filename: 'd' },
            },
            {
              name: 'a',
              endpoint: { url: 'https://b.example.com' },
              s3_destiny: { bucket: 'out', folder: '/deals/', filename: 'd' },
            },
          ],
        },
      ),
      [
        'extractions[1].s3_destiny: writes the same file as extractions[0] (same bucket, folder, filename and format); give one of them another folder or filename',
      ],
    ],
    [
      'the endpoint needs a url',
      config({ endpoint: { method: 'GET' } }),
      ['extractions[0].endpoint.url: is required'],
    ],
    [
      'method must be an HTTP method',
      config({ endpoint: { url: 'https://a.example.com', method: 'FETCH' } }),
      ['extractions[0].endpoint.method: must be one of [GET, POST, PUT, PATCH, DELETE]'],
    ],
    [
      'a header value must be a scalar',
      config({ endpoint: { url: 'https://a.example.com', headers: { A: { b: 1 } } } }),
      ['extractions[0].endpoint.headers.A: must be a string, a number or a boolean'],
    ],
    [
      'a body must be an object, an array or a string',
      config({ endpoint: { url: 'https://a.example.com', body: 3 } }),
      ['extractions[0].endpoint.body: must be an object, an array or a string'],
    ],

    // pagination
    [
      'an unknown pagination type lists the valid ones',
      config({ pagination: { type: 'page_offset' } }),
      [
        'extractions[0].pagination.type: must be one of [none, sequential, link, header_link, cursor, offset]',
      ],
    ],
    [
      'a pagination type is required and lists the valid ones',
      config({ pagination: { parameters: {} } }),
      [
        'extractions[0].pagination.type: is required and must be one of [none, sequential, link, header_link, cursor, offset]',
      ],
    ],
    [
      'pagination must be an object',
      config({ pagination: 'sequential' }),
      ['extractions[0].pagination: must be an object'],
    ],
    [
      'sequential needs parameters',
      config({ pagination: { type: 'sequential' } }),
      ['extractions[0].pagination.parameters: is required'],
    ],
    [
      'sequential needs param_name',
      config({ pagination: { type: 'sequential', parameters: { step: 100 } } }),
      ['extractions[0].pagination.parameters.param_name: is required'],
    ],
    [
      'step must be a number',
      sequential({ step: 'ten' }),
      ['extractions[0].pagination.parameters.step: must be a number'],
    ],
    [
      'step must not be 0',
      sequential({ step: 0 }),
      ['extractions[0].pagination.parameters.step: must not be 0'],
    ],
    [
      'start_from must be a number',
      sequential({ start_from: 'first' }),
      ['extractions[0].pagination.parameters.start_from: must be a number'],
    ],
    [
      'continue_while_status_code_is excludes there_are_more_pages',
      sequential({
        continue_while_status_code_is: 200,
        there_are_more_pages: 'info.more_records',
      }),
      [
        'extractions[0].pagination.parameters.continue_while_status_code_is: cannot be set together with there_are_more_pages',
      ],
    ],
    [
      'continue_while_status_code_is excludes stop_when_response_body_is_empty',
      sequential({
        continue_while_status_code_is: 200,
        stop_when_response_body_is_empty: true,
      }),
      [
        'extractions[0].pagination.parameters.continue_while_status_code_is: cannot be set together with stop_when_response_body_is_empty',
      ],
    ],
    [
      'continue_while_status_code_is with both others reports both',
      sequential({
        continue_while_status_code_is: 200,
        there_are_more_pages: 'info.more_records',
        stop_when_response_body_is_empty: true,
      }),
      [
        'extractions[0].pagination.parameters.continue_while_status_code_is: cannot be set together with there_are_more_pages',
        'extractions[0].pagination.parameters.continue_while_status_code_is: cannot be set together with stop_when_response_body_is_empty',
      ],
    ],
    [
      'continue_while_status_code_is must be a status code',
      sequential({ continue_while_status_code_is: 700 }),
      [
        'extractions[0].pagination.parameters.continue_while_status_code_is: must be an HTTP status code between 100 and 599',
      ],
    ],
    [
      'there_are_more_pages must parse: two operands',
      sequential({ there_are_more_pages: 'info.page info.total' }),
      [
        'extractions[0].pagination.parameters.there_are_more_pages: invalid condition "info.page info.total": expected an operator after "info.page" but found "info.total"',
      ],
    ],
    [
      'there_are_more_pages must parse: unknown operator',
      sequential({ there_are_more_pages: 'a =< b' }),
      [
        'extractions[0].pagination.parameters.there_are_more_pages: invalid condition "a =< b": unknown operator "=" at column 3 (valid: == != < <= > >=)',
      ],
    ],
    [
      'there_are_more_pages must parse: missing right operand',
      sequential({ there_are_more_pages: 'info.page <' }),
      [
        'extractions[0].pagination.parameters.there_are_more_pages: invalid condition "info.page <": expected an operand after "<"',
      ],
    ],
    [
      'pages_in_flight below range',
      sequential({ pages_in_flight: 0 }),
      ['extractions[0].pagination.parameters.pages_in_flight: must be an integer between 1 and 64'],
    ],
    [
      'pages_in_flight above range',
      sequential({ pages_in_flight: 65 }),
      ['extractions[0].pagination.parameters.pages_in_flight: must be an integer between 1 and 64'],
    ],
    [
      'pages_in_flight not an integer',
      sequential({ pages_in_flight: 2.5 }),
      ['extractions[0].pagination.parameters.pages_in_flight: must be an integer between 1 and 64'],
    ],
    [
      'max_pages below range',
      sequential({ max_pages: 0 }),
      ['extractions[0].pagination.parameters.max_pages: must be an integer between 1 and 1000000'],
    ],
    [
      'max_pages above range',
      config({ pagination: { type: 'link', parameters: { next_link: 'next', max_pages: 1_000_001 } } }),
      ['extractions[0].pagination.parameters.max_pages: must be an integer between 1 and 1000000'],
    ],
    [
      'a parameter of another type lists the valid ones',
      sequential({ next_link: 'links.next' }),
      [
        'extractions[0].pagination.parameters.next_link: is not a parameter of pagination type "sequential" (valid: param_name, start_from, step, there_are_more_pages, continue_while_status_code_is, stop_when_response_body_is_empty, pages_in_flight, max_pages)',
      ],
    ],
    [
      'link needs next_link',
      config({ pagination: { type: 'link', parameters: {} } }),
      ['extractions[0].pagination.parameters.next_link: is required'],
    ],
    [
      'cursor needs cursor_key and param_name',
      config({ pagination: { type: 'cursor', parameters: {} } }),
      [
        'extractions[0].pagination.parameters.cursor_key: is required',
        'extractions[0].pagination.parameters.param_name: is required',
      ],
    ],
    [
      'type none takes no parameters',
      config({ pagination: { type: 'none', parameters: { param_name: 'page' } } }),
      [
        'extractions[0].pagination.parameters.param_name: is not allowed: pagination type "none" takes no parameters',
      ],
    ],
    [
      'header_link takes only max_pages',
      config({ pagination: { type: 'header_link', parameters: { rel: 'next' } } }),
      [
        'extractions[0].pagination.parameters.rel: is not a parameter of pagination type "header_link" (valid: max_pages)',
      ],
    ],

    // references
    [
      'an unknown reference type lists the valid ones',
      config({
        endpoint: { url: 'https://a.example.com', headers: { Home: '${env::HOME}' } },
      }),
      [
        `extractions[0].endpoint.headers.Home: reference \${env::HOME} has unknown type "env" (valid: ${REFERENCE_TYPE_LIST})`,
      ],
    ],
    [
      'an unknown reference type in the $(…) form',
      queryParam('$(env::HOME, /root)'),
      [
        `extractions[0].endpoint.query_params.q: reference $(env::HOME, /root) has unknown type "env" (valid: ${REFERENCE_TYPE_LIST})`,
      ],
    ],
    [
      'extracted_item only inside mapping_fetch',
      queryParam('${extracted_item::id}'),
      [
        'extractions[0].endpoint.query_params.q: reference ${extracted_item::id} is only available inside mapping_fetch',
      ],
    ],
    [
      'extracted_item not in auth either',
      config(
        {},
        {
          auth: {
            refresh_token: {
              endpoint: { url: 'https://a.example.com', body: { id: '$(extracted_item::id)' } },
            },
          },
        },
      ),
      [
        'auth.refresh_token.endpoint.body.id: reference $(extracted_item::id) is only available inside mapping_fetch',
      ],
    ],
    [
      'a single-colon typo says "::"',
      queryParam('Bearer ${self:auth.access_token}'),
      [
        'extractions[0].endpoint.query_params.q: reference ${self:auth.access_token} needs "::" between type and path, as in ${self::auth.access_token}',
      ],
    ],
    [
      'a single-colon typo in the $(…) form',
      queryParam('$(last:id, 1)'),
      [
        'extractions[0].endpoint.query_params.q: reference $(last:id, 1) needs "::" between type and path, as in $(last::id, 1)',
      ],
    ],
    [
      'a reference needs a path',
      queryParam('${secret::}'),
      ['extractions[0].endpoint.query_params.q: reference ${secret::} has an empty path'],
    ],

    // transformations
    [
      'an unknown action lists the valid ones',
      transformation({ action: 'reverse' }),
      [`extractions[0].transformations[0].action: unknown action "reverse" (valid: ${ACTION_LIST})`],
    ],
    [
      'action is required',
      transformation({ on: ['a'] }),
      ['extractions[0].transformations[0].action: is required'],
    ],
    [
      'replace needs to_replace',
      transformation({ action: 'replace', params: { value: '.' } }),
      ['extractions[0].transformations[0].params.to_replace: is required by action "replace"'],
    ],
    [
      'replace without params needs both',
      transformation({ action: 'replace' }),
      [
        'extractions[0].transformations[0].params.to_replace: is required by action "replace"',
        'extractions[0].transformations[0].params.value: is required by action "replace"',
      ],
    ],
    [
      'split char must be a string',
      transformation({ action: 'split', params: { char: 1 } }),
      ['extractions[0].transformations[0].params.char: must be a string'],
    ],
    [
      'slice start must be an integer',
      transformation({ action: 'slice', params: { start: '1' } }),
      ['extractions[0].transformations[0].params.start: must be an integer'],
    ],
    [
      'an unknown param is named',
      transformation({ action: 'trim', params: { chars: ' ' } }),
      ['extractions[0].transformations[0].params.chars: is not a parameter of action "trim"'],
    ],
    [
      'on must be a list of columns',
      transformation({ action: 'trim', on: 'description' }),
      ['extractions[0].transformations[0].on: must be an array'],
    ],
    [
      'priority must be a number',
      transformation({ action: 'trim', priority: 'high' }),
      ['extractions[0].transformations[0].priority: must be a number'],
    ],

    // data_schema
    [
      'a data_schema leaf must be a column name',
      config({ data_schema: { id: 1 } }),
      ['extractions[0].data_schema.id: must be a column name (a string) or a nested data_schema object'],
    ],
    [
      'a nested data_schema leaf must be a column name',
      config({ data_schema: { owner: { id: true } } }),
      [
        'extractions[0].data_schema.owner.id: must be a column name (a string) or a nested data_schema object',
      ],
    ],
    [
      'a column name must not be empty',
      config({ data_schema: { id: '' } }),
      ['extractions[0].data_schema.id: is not allowed to be empty'],
    ],
    [
      'data_schema must be an object',
      config({ data_schema: ['id'] }),
      ['extractions[0].data_schema: must be an object'],
    ],
    [
      'column names are unique in data_schema',
      config({ data_schema: { id: 'id', owner: { id: 'id' } } }),
      [
        'extractions[0].data_schema.owner.id: column "id" is already produced by extractions[0].data_schema.id',
      ],
    ],
    [
      'column names are unique in mapping_fetch.data_schema',
      config({
        mapping_fetch: {
          endpoint: { url: 'https://api.example.com/items/${extracted_item::id}' },
          data_schema: { name: 'name', account: { name: 'name' } },
        },
      }),
      [
        'extractions[0].mapping_fetch.data_schema.account.name: column "name" is already produced by extractions[0].mapping_fetch.data_schema.name',
      ],
    ],
    [
      'mapping_fetch needs an endpoint',
      config({ mapping_fetch: { prefix: 'd__' } }),
      ['extractions[0].mapping_fetch.endpoint: is required'],
    ],

    // output
    [
      'format must be csv, json or jsonl',
      config({ format: 'xlsx' }),
      ['extractions[0].format: must be one of [csv, json, jsonl]'],
    ],
    [
      'csv_separator must be one character, not two',
      config({ output_params: { csv_separator: ';;' } }),
      ['extractions[0].output_params.csv_separator: must be a single character'],
    ],
    [
      'csv_separator must be one character, not none',
      config({ output_params: { csv_separator: '' } }),
      ['extractions[0].output_params.csv_separator: must be a single character'],
    ],
    [
      's3_destiny.filename must not be empty',
      config({ s3_destiny: { filename: '' } }),
      ['extractions[0].s3_destiny.filename: is not allowed to be empty'],
    ],
    ...(
      [
        ['..', BUCKET_RULE],
        ['../../../X', BUCKET_RULE],
        ['/etc', BUCKET_RULE],
        ['ab', BUCKET_RULE],
        ['a'.repeat(64), BUCKET_RULE],
        ['My-Bucket', BUCKET_RULE],
        ['-exports', BUCKET_RULE],
        ['exports.', BUCKET_RULE],
        ['team/exports', BUCKET_RULE],
        ['team..exports', 'must not contain two adjacent dots (S3 bucket naming rules)'],
        ['192.168.5.4', 'must not be formatted as an IP address (S3 bucket naming rules)'],
        ['xn--exports', 'must not start with "xn--" (reserved by S3)'],
        ['exports-s3alias', 'must not end with "-s3alias" (reserved by S3)'],
      ] as const
    ).map(([bucket, message]): [string, Json, string[]] => [
      `s3_destiny.bucket ${JSON.stringify(bucket.length > 20 ? `${bucket.slice(0, 8)}…` : bucket)} is refused by S3's naming rules`,
      config({ s3_destiny: { bucket } }),
      [`extractions[0].s3_destiny.bucket: ${message}`],
    ]),
    ...(
      [
        // [where, value, message]; `where` is the field under extractions[0], the path used for the input.
        ['http.requests_per_second', 1e-12, 'must be a number between 0.01 and 1000'],
        ['http.requests_per_second', 0, 'must be a number between 0.01 and 1000'],
        ['http.requests_per_second', -5, 'must be a number between 0.01 and 1000'],
        ['http.requests_per_second', 1001, 'must be a number between 0.01 and 1000'],
        ['http.timeout_ms', 99, 'must be an integer between 100 and 600000'],
        ['http.timeout_ms', 600_001, 'must be an integer between 100 and 600000'],
        ['http.timeout_ms', 1.5e3 + 0.5, 'must be an integer between 100 and 600000'],
        ['http.connect_timeout_ms', 99, 'must be an integer between 100 and 120000'],
        ['http.connect_timeout_ms', 120_001, 'must be an integer between 100 and 120000'],
        ['http.max_attempts', 21, 'must be an integer between 1 and 20'],
        ['http.backoff_base_ms', -1, 'must be an integer between 0 and 60000'],
        ['http.backoff_base_ms', 60_001, 'must be an integer between 0 and 60000'],
        ['http.backoff_max_ms', -1, 'must be an integer between 0 and 600000'],
        ['http.backoff_max_ms', 600_001, 'must be an integer between 0 and 600000'],
        ['mapping_fetch.concurrency', 0, 'must be an integer between 1 and 256'],
        ['mapping_fetch.concurrency', 257, 'must be an integer between 1 and 256'],
        ['pagination.parameters.start_from', -1, 'must be an integer between 0 and 1000000000'],
        ['pagination.parameters.start_from', 1e10, 'must be an integer between 0 and 1000000000'],
        ['pagination.parameters.start_from', 1.5, 'must be an integer between 0 and 1000000000'],
        ['pagination.parameters.step', 1_000_001, 'must be an integer between -1000000 and 1000000'],
        ['pagination.parameters.step', -1_000_001, 'must be an integer between -1000000 and 1000000'],
        ['pagination.parameters.step', 0.5, 'must be an integer between -1000000 and 1000000'],
        ['transformations[0].priority', 1_000_001, 'must be an integer between -1000000 and 1000000'],
        ['transformations[0].priority', 1.5, 'must be an integer between -1000000 and 1000000'],
      ] as const
    ).map(([where, value, message]): [string, Json, string[]] => [
      `${where} ${value} is out of range`,
      numericOption(where, value),
      [`extractions[0].${where}: ${message}`],
    ]),
    [
      'http options say their range',
      config({ http: { max_attempts: 0 } }),
      ['extractions[0].http.max_attempts: must be an integer between 1 and 20'],
    ],
  ])('%s', (_rule, input, expected) => {
    expect(issuesOf(input)).toEqual(expected);
  });
});

describe('null for an optional field means absent (the original tool spells empty fields as null)', () => {
  /** A config as the original tool's GET answers it: every empty optional field an explicit null. */
  const asTheOriginalSpellsIt = {
    id: 'c1',
    name: 'base',
    schedule: null,
    enabled: null,
    auth: {
      refresh_token: {
        endpoint: {
          url: '{domain}/auth',
          method: null,
          query_params: { secret: '${secret::s}' },
          headers: null,
          body: null,
        },
        response_token_key: 'access_token',
      },
      access_token: '',
    },
    extractions: [
      {
        id: 'e1',
        name: 'payments',
        endpoint: { url: '{domain}/payments', method: null, query_params: null, headers: null, body: null },
        data_key: null,
        pagination: {
          type: 'sequential',
          parameters: {
            param_name: 'page',
            start_from: 1,
            step: null,
            there_are_more_pages: 'pagination.more_records',
            continue_while_status_code_is: null,
            stop_when_response_body_is_empty: null,
          },
        },
        data_schema: null,
        mapping_fetch: null,
        transformations: null,
        format: null,
        output_params: null,
        s3_destiny: { bucket: null, folder: 'payments/', filename: null },
        http: null,
      },
    ],
  };

  test('a config exported from the original validates as if the nulls were not there', () => {
    expect(valid(clone(asTheOriginalSpellsIt))).toEqual(
      valid({
        id: 'c1',
        name: 'base',
        auth: {
          refresh_token: {
            endpoint: { url: '{domain}/auth', query_params: { secret: '${secret::s}' } },
            response_token_key: 'access_token',
          },
          access_token: '',
        },
        extractions: [
          {
            id: 'e1',
            name: 'payments',
            endpoint: { url: '{domain}/payments' },
            pagination: {
              type: 'sequential',
              parameters: {
                param_name: 'page',
                start_from: 1,
                there_are_more_pages: 'pagination.more_records',
              },
            },
            s3_destiny: { folder: 'payments/' },
          },
        ],
      }),
    );
  });

  test('the nulls are gone from the validated config, and the defaults are filled', () => {
    const extraction = firstExtraction(clone(asTheOriginalSpellsIt));
    expect(JSON.stringify(extraction)).not.toContain('null');
    expect(extraction.s3_destiny).toEqual({ folder: 'payments/', filename: '{timestamp}' });
    expect(extraction.format).toBe('csv');
    expect(extraction.pagination).toMatchObject({ parameters: { step: 1, pages_in_flight: 1 } });
  });

  test('null in a status code next to there_are_more_pages does not count as setting both', () => {
    expect(
      validateConfig(sequential({ there_are_more_pages: 'more', continue_while_status_code_is: null })),
    ).toMatchObject({ ok: true });
  });

  test('null inside a free-form object (a JSON body) is a value, kept as is', () => {
    const body = { filter: null, page: 1 };
    expect(
      firstExtraction(config({ endpoint: { url: 'https://a.example.com', method: 'POST', body } })).endpoint
        .body,
    ).toEqual(body);
  });
});

describe('several problems', () => {
  test('are all reported at once, joi shape errors first, then the rules joi cannot express', () => {
    const input = {
      name: '',
      extra: true,
      extractions: [
        {
          name: 'deals',
          endpoint: { url: 'ftp://x.example.com', method: 'FETCH', headers: { H: '${env::HOME}' } },
          pagination: {
            type: 'sequential',
            parameters: { param_name: 'page', step: 'x', there_are_more_pages: 'a b' },
          },
          transformations: [{ action: 'reverse' }],
          format: 'xml',
        },
        {
          name: 'deals',
          data_schema: { id: 'id', other: 'id', n: 5 },
          output_params: { csv_separator: ';;' },
        },
      ],
    };
    expect(issuesOf(input)).toEqual([
      'name: is not allowed to be empty',
      'extractions[0].endpoint.method: must be one of [GET, POST, PUT, PATCH, DELETE]',
      'extractions[0].pagination.parameters.step: must be a number',
      'extractions[0].format: must be one of [csv, json, jsonl]',
      'extractions[1].endpoint: is required',
      'extractions[1].data_schema.n: must be a column name (a string) or a nested data_schema object',
      'extractions[1].output_params.csv_separator: must be a single character',
      'extra: is not allowed',
      `extractions[0].endpoint.headers.H: reference \${env::HOME} has unknown type "env" (valid: ${REFERENCE_TYPE_LIST})`,
      'extractions[0].pagination.parameters.there_are_more_pages: invalid condition "a b": expected an operator after "a" but found "b"',
      `extractions[0].transformations[0].action: unknown action "reverse" (valid: ${ACTION_LIST})`,
      'extractions[1].data_schema.other: column "id" is already produced by extractions[1].data_schema.id',
    ]);
  });

  test('each issue is a {path, message} pair', () => {
    const result = validateConfig(sequential({ step: 'x' }));
    expect(result).toEqual<{ ok: false; issues: ValidationIssue[] }>({
      ok: false,
      issues: [{ path: 'extractions[0].pagination.parameters.step', message: 'must be a number' }],
    });
  });

  test('parseConfig throws ConfigValidationError listing every issue', () => {
    let thrown: unknown;
    try {
      parseConfig(config({ format: 'xml' }, { name: '' }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigValidationError);
    expect((thrown as ConfigValidationError).issues).toEqual([
      { path: 'name', message: 'is not allowed to be empty' },
      { path: 'extractions[0].format', message: 'must be one of [csv, json, jsonl]' },
    ]);
    expect((thrown as Error).message).toBe(
      'invalid config:\n  - name: is not allowed to be empty\n  - extractions[0].format: must be one of [csv, json, jsonl]',
    );
  });

  test('parseConfig returns the validated config', () => {
    expect(parseConfig(clone(ticketsSeed)).name).toBe('Zoho Tickets');
  });
});

describe('length caps on the text the parsers read', () => {
  const long = (n: number, unit = 'x') => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
  test.each<[string, unknown, string[]]>([
    [
      'a URL longer than 8192 characters (400 KB of unclosed references)',
      config({ endpoint: { url: 'https://a.example/' + long(400_000, '${self::') } }),
      ['extractions[0].endpoint.url: must be at most 8192 characters'],
    ],
    [
      'a header value longer than 8192 characters',
      config({ endpoint: { url: 'https://a.example/', headers: { A: long(8193, '$(last::') } } }),
      ['extractions[0].endpoint.headers.A: must be at most 8192 characters'],
    ],
    [
      'an access token longer than 8192 characters',
      config({}, { auth: { access_token: long(8193) } }),
      ['auth.access_token: must be at most 8192 characters'],
    ],
    [
      'a JsonField longer than 1024 characters',
      config({ data_key: long(1025, 'a.') }),
      ['extractions[0].data_key: must be at most 1024 characters'],
    ],
    [
      'a condition longer than 1024 characters',
      sequential({ there_are_more_pages: long(1025, '1') + 'x' }),
      ['extractions[0].pagination.parameters.there_are_more_pages: must be at most 1024 characters'],
    ],
    [
      'a schedule longer than 256 characters',
      config({}, { schedule: long(257, '1,') + ' * * * *' }),
      ['schedule: must be at most 256 characters'],
    ],
    [
      'a transformation parameter longer than 1024 characters',
      transformation({ action: 'replace', params: { to_replace: 'a', value: long(1025) } }),
      ['extractions[0].transformations[0].params.value: must be at most 1024 characters'],
    ],
  ])('%s', (_rule, input, expected) => {
    expect(issuesOf(input)).toEqual(expected);
  });

  test('validating a config with a 400 KB pathological URL is linear work', () => {
    const withUrl = (n: number) =>
      JSON.stringify(config({ endpoint: { url: 'https://a.example/' + long(n, '${self::') } }));
    expect(doublingRatio((text) => validateConfig(JSON.parse(text)), withUrl, 200_000)).toBeLessThanOrEqual(
      2.5,
    );
  });
});

test('two folders that runs write as different keys are different files', () => {
  // Runs keep a folder's inner slashes: `deals/` writes `deals/d.csv`, `deals//` writes `deals//d.csv`.
  const result = validateConfig(
    config(
      {},
      {
        extractions: [
          {
            name: 'a',
            endpoint: { url: 'https://a.example.com' },
            s3_destiny: { folder: 'deals/', filename: 'd' },
          },
          {
            name: 'b',
            endpoint: { url: 'https://b.example.com' },
            s3_destiny: { folder: 'deals//', filename: 'd' },
          },
        ],
      },
    ),
  );
  expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual([]);
});

describe('offset pagination and the refresh grant (extracting from Carol)', () => {
  /** A config with offset pagination plus `parameters`. */
  function offset(parameters: Json): Json {
    return config({ pagination: { type: 'offset', parameters: { page_size: 100, ...parameters } } });
  }

  test('offset pagination gets its defaults; the refresh grant fields stay absent unless written', () => {
    const parsed = valid(offset({ total_key: 'totalHits' }));
    expect(parsed.extractions[0]!.pagination.parameters).toEqual({
      offset_param: 'offset',
      limit_param: 'limit',
      page_size: 100,
      start_from: 0,
      total_key: 'totalHits',
      pages_in_flight: 1,
      max_pages: 10_000,
    });
    const auth = valid(
      config({}, { auth: { refresh_token: { endpoint: { url: 'https://a.example/token' } } } }),
    ).auth.refresh_token;
    expect(auth).not.toHaveProperty('refresh_grant');
    expect(auth).not.toHaveProperty('refresh_token_key');
  });

  test.each<[string, unknown, string[]]>([
    [
      'page_size is required',
      offset({ page_size: undefined }),
      ['extractions[0].pagination.parameters.page_size: is required'],
    ],
    [
      'page_size must be positive',
      offset({ page_size: 0 }),
      ['extractions[0].pagination.parameters.page_size: must be an integer between 1 and 1000000'],
    ],
    [
      'start_from must not be negative',
      offset({ start_from: -1 }),
      ['extractions[0].pagination.parameters.start_from: must be an integer between 0 and 1000000000'],
    ],
    [
      'offset_param and limit_param must differ',
      offset({ offset_param: 'o', limit_param: 'o' }),
      [
        'extractions[0].pagination.parameters.limit_param: must differ from offset_param ("o"): the offset and the page size need a query parameter each',
      ],
    ],
    [
      'the defaults are compared too',
      offset({ limit_param: 'offset' }),
      [
        'extractions[0].pagination.parameters.limit_param: must differ from offset_param ("offset"): the offset and the page size need a query parameter each',
      ],
    ],
    [
      'a parameter of another type lists the valid ones',
      offset({ param_name: 'offset' }),
      [
        'extractions[0].pagination.parameters.param_name: is not a parameter of pagination type "offset" (valid: offset_param, limit_param, page_size, start_from, total_key, pages_in_flight, max_pages)',
      ],
    ],
    [
      'total_key must not be empty',
      offset({ total_key: '' }),
      ['extractions[0].pagination.parameters.total_key: is not allowed to be empty'],
    ],
    [
      'offset pagination needs parameters',
      config({ pagination: { type: 'offset' } }),
      ['extractions[0].pagination.parameters: is required'],
    ],
    [
      'refresh_grant must be a boolean',
      config(
        {},
        { auth: { refresh_token: { endpoint: { url: 'https://a.example/t' }, refresh_grant: 'yes' } } },
      ),
      ['auth.refresh_token.refresh_grant: must be a boolean'],
    ],
    [
      'refresh_token_key must not be empty',
      config(
        {},
        { auth: { refresh_token: { endpoint: { url: 'https://a.example/t' }, refresh_token_key: '' } } },
      ),
      ['auth.refresh_token.refresh_token_key: is not allowed to be empty'],
    ],
  ])('%s', (_rule, input, expected) => {
    expect(issuesOf(input)).toEqual(expected);
  });
});
