/**
 * A fake TOTVS Carol, a real HTTP server on 127.0.0.1 (node:http only), for the tests
 * and the benchmark: both auth styles with expiring tokens, the staging schema routes,
 * intake with Carol's batch rules, the batch summary, delete by identifier, the query
 * route with offset/pageSize paging, and scripted faults per route.
 *
 * Rules it enforces (each answers 400 `{errorCode, errorMessage}` unless said otherwise):
 * - intake: a table name must be letters and digits starting with a letter (≤ 64);
 *   the body must be gzip (RFC 1952) of a JSON array of objects; `batchIdSequence`
 *   counts from 1 and may not skip ahead (n > highest received + 1); a number already
 *   received with the same records is acknowledged (200) and not stored again, with
 *   different records refused; when the table has a schema, every record carries every
 *   crosswalk field; a batch already summarised takes no new request.
 * - summary: the totals must equal what the batch holds; an identical repeat is 200.
 * - auth: `Authorization` carries the token as is (no `Bearer`); an expired or unknown
 *   token is 401. Connector tokens: `X-Auth-Key` + `X-Auth-ConnectorId`.
 *
 * @example
 * const carol = await startFakeCarol({ users: { ana: 'pw' } });
 * carol.seed('deals', [{ id: 1 }, { id: 2 }]);
 * carol.faults.next('query', { status: 429, retryAfter: 1 });
 * // ... run the client against carol.url ...
 * await carol.close();
 */
import { createHash, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { listenLocal } from './listen';

export interface FakeCarolOptions {
  /** `expires_in` of issued access tokens, in seconds (judged on `now()`). Default 3600. */
  tokenTtlSeconds?: number;
  /** An access token becomes invalid after this many authenticated requests. Default: never. */
  tokenMaxRequests?: number;
  /** The connector id every route expects (query `connectorId`, `X-Auth-ConnectorId`, token grant). Default `conn0001`. */
  connectorId?: string;
  /** The connector token (`X-Auth-Key`). Default `carol-api-key`. */
  apiKey?: string;
  /** Users of the password grant, username → password. Default `{ admin: 'admin-password' }`. */
  users?: Record<string, string>;
  /** When set, the password grant requires this `subdomain`. */
  environment?: string;
  /** When set, the password grant requires this `orgSubdomain`. */
  organization?: string;
  /** The query route serves at most this many hits a page, whatever `pageSize` asks (an API capping its page size). Default: none. */
  pageSizeCap?: number;
  /** Keep the records of intake requests (off for the benchmark: counts and digests only). Default true. */
  keepRecords?: boolean;
  /** Record every request in `requests`. Default true. */
  record?: boolean;
  /** The clock tokens expire by (ms since epoch). Default `Date.now`. */
  now?: () => number;
  /** Port to listen on. Default 0 (any free port). */
  port?: number;
}

export type CarolRoute =
  'token' | 'userAccessDetails' | 'schema' | 'table' | 'intake' | 'summary' | 'delete' | 'query';

/**
 * One scripted fault (`{}` lets one request through untouched, to aim at a later one). `reset`: `true` destroys the socket as soon as the request
 * arrives (nothing processed); `'after'` processes the request (an intake is stored)
 * and then destroys the socket without answering, as a connection lost on the way
 * back; `'mid-response'` processes it, sends the status line and half the body, then
 * destroys the socket. `expireToken` expires the token the request carries, before it
 * is checked (the request gets 401).
 */
export interface CarolFault {
  status?: number;
  /** `Retry-After` sent with `status` (seconds, or a string sent verbatim). */
  retryAfter?: number | string;
  reset?: boolean | 'after' | 'mid-response';
  expireToken?: boolean;
}

export interface CarolSummary {
  totalRecords: number;
  totalRequests: number;
  timestampStart: string;
  timestampEnd: string;
}

export interface CarolBatch {
  table: string;
  /** Intake route version of the first request (`v2` or `v3`). */
  route: 'v2' | 'v3';
  /** batchIdSequence → records (empty arrays when `keepRecords` is false). */
  requests: Map<number, unknown[]>;
  /** batchIdSequence → number of records. */
  counts: Map<number, number>;
  summary?: CarolSummary;
}

export interface CarolRecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** The body as text; an intake body is recorded decompressed (or `<not gzip>`). */
  body: string;
  /** What the fake answered (0 when the socket was reset before an answer). */
  status: number;
}

export interface FakeCarolStats {
  /** Intake requests answered 200, resends included. */
  intakeRequests: number;
  /** Bytes of intake bodies as received (gzip). */
  intakeBytes: number;
  /** Bytes of intake bodies once decompressed. */
  intakeUncompressedBytes: number;
}

export interface FakeCarol {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  connectorId: string;
  apiKey: string;
  close(): Promise<void>;
  /** batchId → what the batch holds. */
  batches: Map<string, CarolBatch>;
  /** Every record received for a table, batch by batch in arrival order, each batch in sequence order (resends once). */
  records(table: string): unknown[];
  /** table → the schema document last created or updated. */
  schemas: Map<string, unknown>;
  /** Records the query route serves for `name` (a staging table or a data model) under `indexType`. */
  seed(name: string, records: unknown[], indexType?: 'STAGING' | 'MASTER'): void;
  /** Records the query route serves for a name: seeded, plus staging records of summarised batches, minus deleted ones. */
  served(name: string, indexType?: 'STAGING' | 'MASTER'): unknown[];
  /** Crosswalk values removed by delete-by-identifier, per table, in arrival order. */
  deleted: Map<string, unknown[]>;
  faults: {
    /** The next `times` requests on `route` get `fault` (queued after faults already scripted). */
    next(route: CarolRoute, fault: CarolFault, times?: number): void;
    clear(): void;
  };
  /** Every request in arrival order (empty when `record` is false). */
  requests: CarolRecordedRequest[];
  /** Access tokens issued, in order. */
  tokensIssued: string[];
  /** Every access token issued so far becomes invalid. */
  expireTokens(): void;
  stats: FakeCarolStats;
}

/** Carol's rule for a staging table name. */
export const CAROL_TABLE_NAME = /^[A-Za-z][A-Za-z0-9]*$/;
const MAX_TABLE_NAME_LENGTH = 64;
const SUMMARY_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const MAX_PAGE_SIZE = 5000;

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

class CarolError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const fail = (status: number, message: string): never => {
  throw new CarolError(status, message);
};

interface TokenState {
  issuedAt: number;
  ttlMs: number;
  uses: number;
  expired: boolean;
  refreshToken: string;
}

interface StoredBatch extends CarolBatch {
  digests: Map<number, string>;
}

/** Canonical digest of one request's records: the same records give the same digest, however compressed. */
const digestOf = (records: unknown[]): string =>
  createHash('sha256').update(JSON.stringify(records)).digest('hex');

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function checkTable(table: string): void {
  if (!CAROL_TABLE_NAME.test(table) || table.length > MAX_TABLE_NAME_LENGTH) {
    fail(
      400,
      `invalid staging table name "${table}": letters and digits, starting with a letter, at most 64`,
    );
  }
}

function nonNegativeInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) fail(400, `${name} must be a non-negative integer`);
  return Number(value);
}

/** The crosswalk fields of a schema document for `table` (undefined when absent or malformed). */
function crosswalkOf(schema: unknown, table: string): string[] | undefined {
  if (!isObject(schema) || !isObject(schema.mdmCrosswalkTemplate)) return undefined;
  const refs = schema.mdmCrosswalkTemplate.mdmCrossreference;
  if (!isObject(refs)) return undefined;
  const fields = refs[table];
  return Array.isArray(fields) ? (fields as string[]) : undefined;
}

function checkSchemaDocument(table: string, doc: unknown): void {
  if (!isObject(doc)) return fail(400, 'schema body must be a JSON object');
  const mapping = doc.mdmStagingMapping;
  if (!isObject(mapping) || !isObject(mapping.properties)) {
    return fail(400, 'schema body needs mdmStagingMapping.properties');
  }
  const fields = crosswalkOf(doc, table);
  if (!fields || fields.length === 0 || !fields.every((f) => typeof f === 'string' && f !== '')) {
    return fail(
      400,
      `schema body needs mdmCrosswalkTemplate.mdmCrossreference.${table}: a non-empty list of fields`,
    );
  }
  const properties = mapping.properties;
  for (const field of fields) {
    if (!(field in properties))
      fail(400, `crosswalk field "${field}" is not in mdmStagingMapping.properties`);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fail(400, 'body is not valid JSON');
  }
}

/** The `mdmValue` of the filter's TYPE_FILTER: the staging table or data model it reads. */
function typeOfFilter(filter: unknown): string {
  const must = isObject(filter) ? filter.mustList : undefined;
  const entry = Array.isArray(must)
    ? must.find((m) => isObject(m) && m.mdmFilterType === 'TYPE_FILTER' && typeof m.mdmValue === 'string')
    : undefined;
  if (!isObject(entry)) return fail(400, 'the filter needs a mustList entry with mdmFilterType TYPE_FILTER');
  return entry.mdmValue as string;
}

/** The key of a record (or of a delete-by-identifier entry) over the crosswalk fields. */
function keyOf(value: unknown, fields: string[]): string {
  if (isObject(value)) return JSON.stringify(fields.map((f) => value[f] ?? null));
  if (Array.isArray(value)) return JSON.stringify(fields.map((_, i) => (value[i] as unknown) ?? null));
  return JSON.stringify([value]);
}

/**
 * Starts a fake Carol on 127.0.0.1.
 *
 * @example
 * const carol = await startFakeCarol({ tokenMaxRequests: 2 });
 * // the third request with one token gets 401; a refresh_token grant issues a new one
 */
export async function startFakeCarol(options: FakeCarolOptions = {}): Promise<FakeCarol> {
  const connectorId = options.connectorId ?? 'conn0001';
  const apiKey = options.apiKey ?? 'carol-api-key';
  const users = options.users ?? { admin: 'admin-password' };
  const ttlMs = (options.tokenTtlSeconds ?? 3600) * 1000;
  const keepRecords = options.keepRecords ?? true;
  const recordRequests = options.record ?? true;
  const now = options.now ?? Date.now;

  const tokens = new Map<string, TokenState>();
  const refreshTokens = new Set<string>();
  const tokensIssued: string[] = [];
  const batches = new Map<string, StoredBatch>();
  const schemas = new Map<string, unknown>();
  const seeded = new Map<string, unknown[]>();
  const deleted = new Map<string, unknown[]>();
  const deletedKeys = new Map<string, Set<string>>();
  const faultQueues = new Map<CarolRoute, CarolFault[]>();
  const requests: CarolRecordedRequest[] = [];
  const stats: FakeCarolStats = { intakeRequests: 0, intakeBytes: 0, intakeUncompressedBytes: 0 };

  const seedKey = (name: string, indexType: string): string => `${indexType}:${name}`;

  function records(table: string): unknown[] {
    const out: unknown[] = [];
    for (const batch of batches.values()) {
      if (batch.table !== table) continue;
      const sequences = [...batch.requests.keys()].sort((a, b) => a - b);
      for (const n of sequences) out.push(...(batch.requests.get(n) ?? []));
    }
    return out;
  }

  function served(name: string, indexType: 'STAGING' | 'MASTER' = 'STAGING'): unknown[] {
    const out = [...(seeded.get(seedKey(name, indexType)) ?? [])];
    if (indexType === 'STAGING') {
      for (const batch of batches.values()) {
        if (batch.table !== name || !batch.summary) continue;
        const sequences = [...batch.requests.keys()].sort((a, b) => a - b);
        for (const n of sequences) out.push(...(batch.requests.get(n) ?? []));
      }
      const gone = deletedKeys.get(name);
      const fields = crosswalkOf(schemas.get(name), name);
      if (gone && fields) return out.filter((r) => !gone.has(keyOf(r, fields)));
    }
    return out;
  }

  function issueToken(refreshToken: string): Reply {
    const token = randomUUID().replace(/-/g, '');
    const issuedAt = now();
    tokens.set(token, { issuedAt, ttlMs, uses: 0, expired: false, refreshToken });
    tokensIssued.push(token);
    return {
      status: 200,
      body: {
        access_token: token,
        refresh_token: refreshToken,
        expires_in: ttlMs / 1000,
        timeIssuedInMillis: issuedAt,
        token_type: 'Bearer',
      },
    };
  }

  function tokenValid(token: string): TokenState | undefined {
    const state = tokens.get(token);
    if (!state || state.expired) return undefined;
    if (now() >= state.issuedAt + state.ttlMs) return undefined;
    if (options.tokenMaxRequests !== undefined && state.uses >= options.tokenMaxRequests) return undefined;
    return state;
  }

  function handleToken(headers: http.IncomingHttpHeaders, body: string): Reply {
    if (!String(headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      fail(400, 'the token request must be application/x-www-form-urlencoded');
    }
    const form = new URLSearchParams(body);
    const grant = form.get('grant_type');
    if (grant === 'password') {
      const username = form.get('username') ?? '';
      if (!(username in users) || users[username] !== form.get('password')) {
        fail(401, 'invalid username or password');
      }
      if (options.environment !== undefined && form.get('subdomain') !== options.environment) {
        fail(401, 'unknown environment (subdomain)');
      }
      if (options.organization !== undefined && form.get('orgSubdomain') !== options.organization) {
        fail(401, 'unknown organization (orgSubdomain)');
      }
      if (form.get('connectorId') !== connectorId) fail(401, 'unknown connectorId');
      const refresh = randomUUID();
      refreshTokens.add(refresh);
      return issueToken(refresh);
    }
    if (grant === 'refresh_token') {
      const refresh = form.get('refresh_token') ?? '';
      if (!refreshTokens.has(refresh)) fail(401, 'invalid refresh_token');
      return issueToken(refresh);
    }
    return fail(400, `unsupported grant_type "${grant ?? ''}" (password or refresh_token)`);
  }

  /** Checks the request's credentials; an OAuth token counts one use. */
  function authenticate(headers: http.IncomingHttpHeaders, fault: CarolFault | undefined): void {
    const key = headers['x-auth-key'];
    if (key !== undefined) {
      if (key !== apiKey || headers['x-auth-connectorid'] !== connectorId) {
        fail(401, 'invalid X-Auth-Key or X-Auth-ConnectorId');
      }
      return;
    }
    const token = headers.authorization;
    if (!token) return fail(401, 'no credentials: Authorization or X-Auth-Key');
    if (fault?.expireToken) {
      const state = tokens.get(token);
      if (state) state.expired = true;
    }
    const state = tokenValid(token);
    if (!state) return fail(401, 'invalid or expired token');
    state.uses++;
  }

  function checkConnector(query: Record<string, string>): void {
    if (query.connectorId !== connectorId) fail(400, `unknown connectorId "${query.connectorId ?? ''}"`);
  }

  function handleSchema(method: string, table: string, query: Record<string, string>, body: string): Reply {
    checkTable(table);
    checkConnector(query);
    if (method === 'GET') {
      const schema = schemas.get(table);
      return schema === undefined
        ? fail(404, `no schema for staging table "${table}"`)
        : { status: 200, body: schema };
    }
    if (method !== 'POST' && method !== 'PUT') return fail(405, `${method} not allowed`);
    const doc = parseJson(body);
    checkSchemaDocument(table, doc);
    if (method === 'POST' && schemas.has(table)) fail(400, `staging table "${table}" already has a schema`);
    schemas.set(table, doc);
    return { status: 200, body: doc };
  }

  function handleIntake(
    version: 'v2' | 'v3',
    table: string,
    query: Record<string, string>,
    headers: http.IncomingHttpHeaders,
    raw: Buffer,
    recorded: CarolRecordedRequest | undefined,
  ): Reply {
    checkTable(table);
    checkConnector(query);
    let text: string;
    try {
      text = gunzipSync(raw).toString('utf8');
    } catch {
      if (recorded) recorded.body = '<not gzip>';
      return fail(400, 'the intake body must be gzip (RFC 1952)');
    }
    if (recorded) recorded.body = text;
    if (String(headers['content-encoding'] ?? '').toLowerCase() !== 'gzip') {
      fail(400, 'the intake body must be sent with Content-Encoding: gzip');
    }
    const records = parseJson(text);
    if (!Array.isArray(records) || !records.every(isObject))
      fail(400, 'the intake body must be a JSON array of objects');
    const list = records as Record<string, unknown>[];
    const batchId = query.batchId ?? '';
    if (batchId === '') fail(400, 'batchId is required');
    const sequenceText = query.batchIdSequence ?? '';
    if (!/^[1-9]\d{0,9}$/.test(sequenceText)) fail(400, 'batchIdSequence must be an integer from 1');
    const sequence = Number(sequenceText);

    const fields = crosswalkOf(schemas.get(table), table);
    if (fields) {
      list.forEach((record, i) => {
        for (const field of fields) {
          if (record[field] === undefined || record[field] === null) {
            fail(400, `record ${i} lacks crosswalk field "${field}" of staging table "${table}"`);
          }
        }
      });
    }

    let batch = batches.get(batchId);
    if (batch && batch.table !== table)
      fail(400, `batch ${batchId} belongs to staging table "${batch.table}"`);
    const digest = digestOf(list);
    const held = batch?.digests.get(sequence);
    if (held !== undefined) {
      if (held !== digest)
        fail(400, `batchIdSequence ${sequence} of batch ${batchId} was received with other records`);
      return accepted(raw, text);
    }
    const highest = batch ? Math.max(0, ...batch.digests.keys()) : 0;
    if (sequence > highest + 1) {
      fail(
        400,
        `batchIdSequence ${sequence} skips ahead: the highest received for batch ${batchId} is ${highest}`,
      );
    }
    if (batch?.summary) fail(400, `batch ${batchId} is already summarised`);
    if (!batch) {
      batch = { table, route: version, requests: new Map(), counts: new Map(), digests: new Map() };
      batches.set(batchId, batch);
    }
    batch.digests.set(sequence, digest);
    batch.counts.set(sequence, list.length);
    batch.requests.set(sequence, keepRecords ? list : []);
    return accepted(raw, text);
  }

  function accepted(raw: Buffer, text: string): Reply {
    stats.intakeRequests++;
    stats.intakeBytes += raw.length;
    stats.intakeUncompressedBytes += Buffer.byteLength(text);
    return { status: 200, body: { received: true } };
  }

  function handleSummary(batchId: string, body: string): Reply {
    const batch = batches.get(batchId);
    if (!batch) return fail(404, `unknown batch ${batchId}`);
    const doc = parseJson(body);
    if (!isObject(doc)) return fail(400, 'the summary must be a JSON object');
    for (const name of ['totalRecords', 'totalRequests'] as const) {
      if (!Number.isInteger(doc[name])) fail(400, `${name} must be an integer`);
    }
    for (const name of ['timestampStart', 'timestampEnd'] as const) {
      if (typeof doc[name] !== 'string' || !SUMMARY_TIMESTAMP.test(doc[name])) {
        fail(400, `${name} must be UTC YYYY-MM-DDTHH:MM:SSZ`);
      }
    }
    const summary = doc as unknown as CarolSummary;
    const heldRequests = batch.counts.size;
    const heldRecords = [...batch.counts.values()].reduce((a, b) => a + b, 0);
    if (summary.totalRequests !== heldRequests || summary.totalRecords !== heldRecords) {
      fail(
        400,
        `summary totals (${summary.totalRecords} records, ${summary.totalRequests} requests) differ from what batch ${batchId} holds (${heldRecords} records, ${heldRequests} requests)`,
      );
    }
    if (batch.summary && JSON.stringify(batch.summary) !== JSON.stringify(pickSummary(summary))) {
      fail(400, `batch ${batchId} already has another summary`);
    }
    batch.summary = pickSummary(summary);
    return { status: 200, body: { batchId, status: 'PROCESSING' } };
  }

  function handleDeleteByIdentifier(table: string, query: Record<string, string>, body: string): Reply {
    checkTable(table);
    checkConnector(query);
    const fields = crosswalkOf(schemas.get(table), table);
    if (!fields) return fail(400, `staging table "${table}" has no schema (no crosswalk to delete by)`);
    const ids = parseJson(body);
    if (!Array.isArray(ids) || ids.length === 0)
      return fail(400, 'the body must be a non-empty JSON array of crosswalk values');
    const gone = deletedKeys.get(table) ?? new Set<string>();
    const list = deleted.get(table) ?? [];
    for (const id of ids) {
      gone.add(keyOf(id, fields));
      list.push(id);
    }
    deletedKeys.set(table, gone);
    deleted.set(table, list);
    return { status: 200, body: { deleted: ids.length } };
  }

  function handleQuery(query: Record<string, string>, body: string): Reply {
    const indexType = query.indexType ?? '';
    if (indexType !== 'STAGING' && indexType !== 'MASTER') fail(400, 'indexType must be STAGING or MASTER');
    const offset = nonNegativeInteger(query.offset, 'offset', 0);
    const pageSize = nonNegativeInteger(query.pageSize, 'pageSize', 50);
    if (pageSize < 1 || pageSize > MAX_PAGE_SIZE)
      fail(400, `pageSize must be between 1 and ${MAX_PAGE_SIZE}`);
    const name = typeOfFilter(parseJson(body));
    const all = served(name, indexType as 'STAGING' | 'MASTER');
    const hits = all.slice(offset, offset + Math.min(pageSize, options.pageSizeCap ?? pageSize));
    return { status: 200, body: { hits, count: hits.length, totalHits: all.length } };
  }

  /** Which route a request is for, and its handler (auth already checked where needed). */
  function route(
    method: string,
    path: string,
  ): { name: CarolRoute; authenticated: boolean; run: (ctx: Ctx) => Reply } | undefined {
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    const is = (...pattern: string[]): boolean =>
      parts.length === pattern.length && pattern.every((p, i) => p === '*' || p === parts[i]);
    if (method === 'POST' && is('api', 'v1', 'oauth2', 'token')) {
      return { name: 'token', authenticated: false, run: (c) => handleToken(c.headers, c.text) };
    }
    if (method === 'GET' && is('api', 'v1', 'oauth2', 'token', '*', 'userAccessDetails')) {
      return {
        name: 'userAccessDetails',
        authenticated: false,
        run: () => {
          const token = parts[4] ?? '';
          const state = tokenValid(token);
          if (!state) return fail(401, 'invalid or expired token');
          return {
            status: 200,
            body: { accessToken: token, connectorId, expiresAt: state.issuedAt + state.ttlMs },
          };
        },
      };
    }
    if (is('api', 'v2', 'staging', 'tables', '*', 'schema')) {
      return {
        name: 'schema',
        authenticated: true,
        run: (c) => handleSchema(method, parts[4] ?? '', c.query, c.text),
      };
    }
    if (method === 'DELETE' && is('api', 'v2', 'staging', 'tables', '*', 'using_identifier')) {
      return {
        name: 'delete',
        authenticated: true,
        run: (c) => handleDeleteByIdentifier(parts[4] ?? '', c.query, c.text),
      };
    }
    if (method === 'DELETE' && is('api', 'v2', 'staging', 'tables', '*')) {
      return {
        name: 'table',
        authenticated: true,
        run: (c) => {
          const table = parts[4] ?? '';
          checkTable(table);
          checkConnector(c.query);
          schemas.delete(table);
          seeded.delete(seedKey(table, 'STAGING'));
          for (const [id, batch] of batches) if (batch.table === table) batches.delete(id);
          deletedKeys.delete(table);
          return { status: 200, body: { deleted: table } };
        },
      };
    }
    if (
      method === 'POST' &&
      (is('api', 'v3', 'staging', 'intake', '*') || is('api', 'v2', 'staging', 'intake', '*'))
    ) {
      const version = parts[1] === 'v2' ? 'v2' : 'v3';
      return {
        name: 'intake',
        authenticated: true,
        run: (c) => handleIntake(version, parts[4] ?? '', c.query, c.headers, c.raw, c.recorded),
      };
    }
    if (method === 'POST' && is('api', 'v3', 'staging', 'batch', '*', 'summary')) {
      return { name: 'summary', authenticated: true, run: (c) => handleSummary(parts[4] ?? '', c.text) };
    }
    if (method === 'POST' && is('api', 'v2', 'queries', 'filter')) {
      return { name: 'query', authenticated: true, run: (c) => handleQuery(c.query, c.text) };
    }
    return undefined;
  }

  interface Ctx {
    query: Record<string, string>;
    headers: http.IncomingHttpHeaders;
    raw: Buffer;
    text: string;
    recorded: CarolRecordedRequest | undefined;
  }

  function send(res: http.ServerResponse, reply: Reply, fault?: CarolFault): void {
    const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(payload),
      ...reply.headers,
    });
    if (fault?.reset === 'mid-response') {
      res.write(payload.slice(0, Math.floor(payload.length / 2)), () => res.destroy());
      return;
    }
    res.end(payload);
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://carol.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const query = Object.fromEntries(url.searchParams);
    const matched = route(method, url.pathname);
    const fault = matched ? faultQueues.get(matched.name)?.shift() : undefined;
    const recorded: CarolRecordedRequest | undefined = recordRequests
      ? {
          method,
          path: url.pathname,
          query,
          headers: Object.fromEntries(
            Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
          ),
          body: '',
          status: 0,
        }
      : undefined;
    if (recorded) requests.push(recorded);
    if (fault?.reset === true) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.socket.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text = raw.toString('utf8');
      if (recorded && matched?.name !== 'intake') recorded.body = text;
      let reply: Reply;
      if (!matched) {
        reply = { status: 404, body: { errorCode: 404, errorMessage: `no route ${method} ${url.pathname}` } };
      } else if (fault?.status !== undefined) {
        reply = {
          status: fault.status,
          body: { errorCode: fault.status, errorMessage: 'injected fault' },
          headers: fault.retryAfter === undefined ? undefined : { 'Retry-After': String(fault.retryAfter) },
        };
      } else {
        try {
          if (matched.authenticated) authenticate(req.headers, fault);
          reply = matched.run({ query, headers: req.headers, raw, text, recorded });
        } catch (err) {
          if (!(err instanceof CarolError)) throw err;
          reply = { status: err.status, body: { errorCode: err.status, errorMessage: err.message } };
        }
      }
      if (fault?.reset === 'after') {
        req.socket.destroy();
        return;
      }
      if (recorded) recorded.status = reply.status;
      send(res, reply, fault);
    });
  });

  const listening = await listenLocal(server, options.port);
  return {
    url: listening.url,
    connectorId,
    apiKey,
    close: listening.close,
    batches,
    records,
    schemas,
    seed(name, list, indexType = 'STAGING') {
      seeded.set(seedKey(name, indexType), [...list]);
    },
    served,
    deleted,
    faults: {
      next(name, fault, times = 1) {
        const queue = faultQueues.get(name) ?? [];
        for (let i = 0; i < times; i++) queue.push(fault);
        faultQueues.set(name, queue);
      },
      clear() {
        faultQueues.clear();
      },
    },
    requests,
    tokensIssued,
    expireTokens() {
      for (const state of tokens.values()) state.expired = true;
    },
    stats,
  };
}

function pickSummary(s: CarolSummary): CarolSummary {
  return {
    totalRecords: s.totalRecords,
    totalRequests: s.totalRequests,
    timestampStart: s.timestampStart,
    timestampEnd: s.timestampEnd,
  };
}
