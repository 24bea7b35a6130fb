/**
 * What the original tool's own end-to-end suite does, for our tests to do the same:
 * its fake payments API (a token bought with a secret in the query string; payments
 * ordered by amount, paged by `page` with `pagination.more_records`, or by a `from`
 * offset that ends with 204), its `config_base` (two extractions both named `payments`,
 * `{domain}` placeholders the test fills in, `;` as separator, two transformations) and
 * the comparison of each output file with `test/fixtures/original-suite/payments.csv`,
 * column by column, by name.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv, startServer } from './engineHarness';

export const BASE_SECRET = 'fake-api-secret-for-the-token-0451';
const TOKEN = 'fake-api-token-7f3a';
const PAGE_SIZE = 10;

export interface Payment {
  id: string;
  person: { name: string; id: number; email: string };
  description: string;
  currency: string;
  amount: number;
  retrieve_data: { note: string };
}

/** 25 payments; amounts are a permutation, so ordering by amount reorders them. */
export function payment(i: number): Payment {
  let description = `Item ${i}. Paid in full.`;
  if (i % 5 === 2) description += '\nSecond line. Ok.';
  if (i % 5 === 4) description += ' With "quotes"; and a semicolon.';
  return {
    id: `pay-${i}`,
    person: { name: `Person ${i}`, id: 100 + i, email: `person${i}@example.org` },
    description,
    currency: ['EUR', 'USD', 'COP'][i % 3]!,
    amount: 1000 + ((i * 7) % 25) * 37,
    retrieve_data: { note: 'only on the detail route' },
  };
}

const PAYMENTS = Array.from({ length: 25 }, (_, i) => payment(i));

/** A list item: the payment without `retrieve_data`, as the original's list routes answer. */
function listed(p: Payment): Omit<Payment, 'retrieve_data'> {
  const { retrieve_data: _omitted, ...rest } = p;
  return rest;
}

export interface PaymentsApi {
  /** `http://127.0.0.1:PORT`: what the suite's `{domain}` becomes. */
  url: string;
  close(): Promise<void>;
}

/** The original suite's fake API, on 127.0.0.1. */
export async function startPaymentsApi(): Promise<PaymentsApi> {
  return startServer((req, url) => {
    if (url.pathname === '/auth') {
      if (req.method !== 'POST') return { status: 405, body: { details: 'method' } };
      return url.searchParams.get('secret') === BASE_SECRET
        ? { body: { access_token: TOKEN } }
        : { status: 400, body: { details: 'error secret' } };
    }
    if (req.headers.authorization !== `Bearer ${TOKEN}`)
      return { status: 401, body: { details: 'Error token' } };
    const ordering = url.searchParams.get('ordering') as keyof Payment | null;
    const data = PAYMENTS.map(listed);
    if (ordering) data.sort((a, b) => Number(a[ordering as 'amount']) - Number(b[ordering as 'amount']));
    if (url.pathname === '/payments') {
      const page = Number(url.searchParams.get('page') ?? 1);
      const from = PAGE_SIZE * (page - 1);
      return {
        body: {
          result: data.slice(from, from + PAGE_SIZE),
          pagination: { current_page: page, more_records: page < data.length / PAGE_SIZE },
        },
      };
    }
    if (url.pathname === '/payments-without-pagination') {
      const from = Number(url.searchParams.get('from') ?? 1) - 1;
      const limit = Number(url.searchParams.get('limit') ?? 20);
      const slice = data.slice(from, from + limit);
      return slice.length > 0 ? { body: { data: slice } } : { status: 204 };
    }
    return { status: 404, body: { details: 'not found' } };
  });
}

const transformations = [
  {
    action: 'replace',
    on: ['description'],
    new_column_prefix: 'transformed__',
    params: { to_replace: '.', value: '~' },
  },
  { action: 'slice', on: ['description'], new_column_prefix: 'sub_', params: { start: 2, stop: 6 } },
];

const dataSchema = {
  person: { name: 'person_name', id: 'person_id', email: 'person_email' },
  description: 'description',
  currency: 'currency',
  amount: 'amount',
};

type Endpoint = { url: string } & Record<string, unknown>;

export interface SuiteConfig {
  name: string;
  auth: { refresh_token: { endpoint: Endpoint } & Record<string, unknown>; access_token: string };
  extractions: Array<{ name: string; endpoint: Endpoint } & Record<string, unknown>>;
}

/** One `payments` extraction of the suite: the same data through another route and pagination. */
function paymentsExtraction(
  route: string,
  dataKey: string,
  query: Record<string, unknown>,
  parameters: Record<string, unknown>,
): SuiteConfig['extractions'][number] {
  return {
    name: 'payments',
    endpoint: {
      url: `{domain}/${route}`,
      headers: { Authorization: 'Bearer ${self::auth.access_token}' },
      query_params: { ordering: 'amount', ...query },
    },
    s3_destiny: { folder: `${route}/`, filename: 'payments_{timestamp}' },
    data_key: dataKey,
    transformations,
    format: 'csv',
    output_params: { csv_separator: ';' },
    data_schema: dataSchema,
    pagination: { type: 'sequential', parameters },
  };
}

/** The suite's `config_base`, placeholders unfilled: `"url": "{domain}/…"`. */
export function configBase(): SuiteConfig {
  return {
    name: 'base',
    auth: {
      refresh_token: {
        endpoint: { url: '{domain}/auth', query_params: { secret: '${secret::base_secret}' } },
        response_token_key: 'access_token',
      },
      access_token: '',
    },
    extractions: [
      paymentsExtraction(
        'payments',
        'result',
        {},
        { param_name: 'page', start_from: 1, there_are_more_pages: 'pagination.more_records' },
      ),
      paymentsExtraction(
        'payments-without-pagination',
        'data',
        { limit: 10 },
        { param_name: 'from', start_from: 1, step: 10, continue_while_status_code_is: 200 },
      ),
    ],
  };
}

/** `configBase` with `{domain}` filled in, as the suite does with Python's `str.format`. */
export function filledConfigBase(domain: string): SuiteConfig {
  const config = configBase();
  const fill = (endpoint: Endpoint) => (endpoint.url = endpoint.url.replace('{domain}', domain));
  fill(config.auth.refresh_token.endpoint);
  for (const extraction of config.extractions) fill(extraction.endpoint);
  return config;
}

const EXPECTED = join(__dirname, '..', 'fixtures', 'original-suite', 'payments.csv');

/** The columns the suite compares, each by name. */
export const COMPARED_COLUMNS = [
  'person_id',
  'person_name',
  'person_email',
  'description',
  'currency',
  'amount',
  'transformed__description',
  'sub_description',
];

/**
 * Compares an output file with the expected one as the suite does: same shape, and each
 * compared column equal row by row, looked up by name. Returns the differences (none = `[]`).
 */
export function differencesFromExpected(csv: string): string[] {
  const table = (text: string) => {
    const [header, ...rows] = parseCsv(text, ';');
    return { header: header!, rows };
  };
  const got = table(csv);
  const expected = table(readFileSync(EXPECTED, 'utf8'));
  const problems: string[] = [];
  if (got.rows.length !== expected.rows.length || got.header.length !== expected.header.length)
    problems.push(
      `shape ${got.rows.length}x${got.header.length}, expected ${expected.rows.length}x${expected.header.length}`,
    );
  for (const column of COMPARED_COLUMNS) {
    const g = got.header.indexOf(column);
    const e = expected.header.indexOf(column);
    if (g < 0) {
      problems.push(`no column ${column}`);
      continue;
    }
    expected.rows.forEach((row, i) => {
      if (got.rows[i]?.[g] !== row[e])
        problems.push(`row ${i}, column ${column}: ${got.rows[i]?.[g]} != ${row[e]}`);
    });
  }
  if (got.header.at(-1) !== 'ext__timestamp') problems.push('ext__timestamp is not the last column');
  return problems;
}
