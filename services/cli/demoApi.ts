/**
 * The demo API: a fake upstream REST API, a real HTTP server on 127.0.0.1 (node:http
 * only), that the `demo` command serves and the extractor's tests and the benchmark
 * extract from. It serves one deterministic
 * dataset (modelled on Zoho CRM deals) through several pagination styles, an OAuth
 * token endpoint, per-item detail routes, and scripted faults per route prefix.
 *
 * @example
 * const api = await startFakeApi({ records: 250, token: { refreshToken: 'r' } });
 * const res = await fetch(`${api.url}/crm/v2/deals?page=1`, {
 *   headers: { Authorization: `Zoho-oauthtoken ${api.currentToken()}` },
 * });
 * await api.close();
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Faults for one route prefix, consumed in arrival order: hang → reset → 429 → 503 → normal. */
export interface FaultPlan {
  /** The first `count` requests get 429; `Retry-After` is sent only when `retryAfterSeconds` is given (a string is sent verbatim, e.g. an HTTP-date). */
  status429?: { count: number; retryAfterSeconds?: number | string };
  /** The next `count` requests answer 503. */
  status503?: { count: number };
  /** Every response on this prefix (faults included) is delayed by this many ms. */
  latencyMs?: number;
  /** The first N requests never answer; their sockets stay open until `close()`. */
  hangCount?: number;
  /** The first N requests get their socket destroyed (a network error for the client). */
  resetCount?: number;
}

export interface FakeApiOptions {
  /** Size of the dataset. Default 250. */
  records?: number;
  /** Default page size of every data route (`per_page`/`limit` override it). Default 100. */
  pageSize?: number;
  /** When set, data and detail routes require a valid token. */
  token?: {
    /** The token valid at start. Default `tok-0`. */
    initial?: string;
    /** When set, the token endpoint requires this `refresh_token`. */
    refreshToken?: string;
    /** When set, the token endpoint requires this `client_id`. */
    clientId?: string;
    /** When set, the token endpoint requires this `client_secret`. */
    clientSecret?: string;
    /** `expires_in` of token responses. Default 3600. */
    expiresIn?: number;
    /** A token becomes invalid after this many data/detail requests. Default: never. */
    expireAfterRequests?: number;
  };
  /** Fault plans keyed by route prefix (`/crm/v2/deals`); the longest matching prefix wins. */
  faults?: Record<string, FaultPlan>;
  /** Latency added to every data/detail request. Default 0. */
  latencyMs?: number;
  /** Makes some detail ids answer 404 (`notfound`) or 200 with an empty body (`empty`). */
  detailMissing?: (id: number) => 'notfound' | 'empty' | undefined;
  /** Record every request in `requests`. Default true (the benchmark turns it off). */
  record?: boolean;
  /** Port to listen on. Default 0 (any free port). */
  port?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
  at: number;
}

export interface FakeApi {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  /** Every request in arrival order (empty when `record` is false). */
  requests: RecordedRequest[];
  /** Tokens issued by the token endpoint, in order (the initial token is not listed). */
  tokensIssued: string[];
  currentToken(): string;
  /** The current token becomes invalid: data routes answer 401 until a refresh. */
  expireToken(): void;
  /** Replaces the fault plan of a route prefix, with fresh counters. */
  setFaults(route: string, plan: FaultPlan): void;
  /** Stops the server, destroying open (including hanging) sockets. Idempotent. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Dataset

const BASE_TIME_MS = Date.UTC(2024, 0, 1);
const MINUTE_MS = 60_000;
const STAGES = [
  'Qualification',
  'Needs Analysis',
  'Proposal',
  'Negotiation',
  'Closed Won',
  'Closed Lost',
] as const;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `Modified_Time` of record i: 2024-01-01T00:00:00+00:00 plus i minutes. */
export function modifiedTime(i: number): string {
  const d = new Date(BASE_TIME_MS + i * MINUTE_MS);
  return (
    `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}` +
    `T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:00+00:00`
  );
}

function stageOf(i: number): string {
  return STAGES[i % STAGES.length] ?? 'Qualification';
}

/** Contains `;` and `,` always, a newline or double quotes sometimes: exercises CSV quoting. */
function descriptionOf(i: number): string {
  let text = `Deal ${i}; notes, misc`;
  if (i % 10 === 3) text += '\nsecond line';
  if (i % 10 === 7) text += ' with "quotes"';
  return text;
}

/** JSON-escaped form of descriptionOf (kept in step with it; the self-test checks both agree). */
function descriptionJson(i: number): string {
  let text = `Deal ${i}; notes, misc`;
  if (i % 10 === 3) text += '\\nsecond line';
  if (i % 10 === 7) text += ' with \\"quotes\\"';
  return text;
}

/** Non-ASCII now and then, to exercise UTF-8 output. */
function accountNameOf(i: number): string {
  const a = i % 50;
  return a % 5 === 0 ? `Café ${a}` : `Account ${a}`;
}

/** Deterministic record i (0-based), shaped like a Zoho CRM deal. */
export function makeRecord(i: number): Record<string, unknown> {
  const owner = i % 7;
  return {
    id: 1_000_000 + i,
    Deal_Name: `Deal ${i}`,
    Amount: Math.round(i * 1050) / 100,
    Stage: stageOf(i),
    Description: descriptionOf(i),
    Owner: { name: `Owner ${owner}`, id: String(2_000_000 + owner), email: `owner${owner}@example.com` },
    Account_Name: { name: accountNameOf(i), id: 3_000_000 + (i % 50) },
    $currency_symbol: '$',
    Tag: i % 4 === 0 ? ['a', 'b'] : [],
    Modified_Time: modifiedTime(i),
    Closed: stageOf(i).startsWith('Closed'),
  };
}

/**
 * `JSON.stringify(makeRecord(i))`, built by a template: about 3x faster, which the
 * benchmark needs (a million records through one core). Caching the strings was
 * measured and did not help: joining a page dominates, and the cache costs ~1 GB.
 */
export function recordJson(i: number): string {
  const owner = i % 7;
  const stage = stageOf(i);
  return (
    `{"id":${1_000_000 + i},"Deal_Name":"Deal ${i}","Amount":${Math.round(i * 1050) / 100},` +
    `"Stage":"${stage}","Description":"${descriptionJson(i)}",` +
    `"Owner":{"name":"Owner ${owner}","id":"${2_000_000 + owner}","email":"owner${owner}@example.com"},` +
    `"Account_Name":{"name":"${accountNameOf(i)}","id":${3_000_000 + (i % 50)}},` +
    `"$currency_symbol":"$","Tag":${i % 4 === 0 ? '["a","b"]' : '[]'},` +
    `"Modified_Time":"${modifiedTime(i)}","Closed":${stage.startsWith('Closed')}}`
  );
}

/** JSON array text of records [start, end). */
function recordsJson(start: number, end: number): string {
  if (end <= start) return '[]';
  const parts = new Array<string>(end - start);
  for (let i = start; i < end; i++) parts[i - start] = recordJson(i);
  return `[${parts.join(',')}]`;
}

// ---------------------------------------------------------------------------
// HTTP plumbing

interface Reply {
  status: number;
  /** undefined = no body at all (204, 304); '' = an empty body with a JSON content type. */
  body?: string;
  headers?: Record<string, string>;
}

interface FaultState {
  hang: number;
  reset: number;
  tooMany: number;
  retryAfter: number | string | undefined;
  unavailable: number;
  latencyMs: number;
}

type FaultAction = 'hang' | 'reset' | 'tooMany' | 'unavailable' | undefined;

type RouteKind = 'data' | 'detail' | 'token' | 'other';

/** What a route handler sees: parameters are the query string, merged with a POST body's. */
interface RouteRequest {
  method: string;
  path: string;
  params: URLSearchParams;
  headers: http.IncomingHttpHeaders;
}

class BadRequest extends Error {}

function json(status: number, value: unknown, headers?: Record<string, string>): Reply {
  return headers === undefined
    ? { status, body: JSON.stringify(value) }
    : { status, body: JSON.stringify(value), headers };
}

function errorReply(kind: RouteKind, error: unknown): Reply {
  if (!(error instanceof BadRequest)) {
    return json(500, {
      code: 'INTERNAL_ERROR',
      message: error instanceof Error ? error.message : String(error),
    });
  }
  return kind === 'token'
    ? json(400, { error: 'invalid_request' })
    : json(400, { code: 'INVALID_DATA', message: error.message });
}

function toFaultState(plan: FaultPlan): FaultState {
  return {
    hang: plan.hangCount ?? 0,
    reset: plan.resetCount ?? 0,
    tooMany: plan.status429?.count ?? 0,
    retryAfter: plan.status429?.retryAfterSeconds,
    unavailable: plan.status503?.count ?? 0,
    latencyMs: plan.latencyMs ?? 0,
  };
}

function takeFault(state: FaultState | undefined): FaultAction {
  if (state === undefined) return undefined;
  if (state.hang > 0) {
    state.hang--;
    return 'hang';
  }
  if (state.reset > 0) {
    state.reset--;
    return 'reset';
  }
  if (state.tooMany > 0) {
    state.tooMany--;
    return 'tooMany';
  }
  if (state.unavailable > 0) {
    state.unavailable--;
    return 'unavailable';
  }
  return undefined;
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Parameters of a request body: JSON object or form-encoded (the default for anything else). */
function bodyParams(contentType: string | undefined, body: string): URLSearchParams {
  if (body === '') return new URLSearchParams();
  if (contentType !== undefined && contentType.toLowerCase().includes('json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new BadRequest('body is not valid JSON');
    }
    const params = new URLSearchParams();
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      for (const [key, value] of Object.entries(parsed)) {
        if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
          params.set(key, String(value));
        }
      }
    }
    return params;
  }
  return new URLSearchParams(body);
}

function intParam(params: URLSearchParams, name: string, fallback: number, min: number): number {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) throw new BadRequest(`${name} must be an integer`);
  const value = Number(raw);
  if (value < min) throw new BadRequest(`${name} must be >= ${min}`);
  return value;
}

/** Page size: `per_page` or `limit` on any data route. */
function pageSizeParam(params: URLSearchParams, fallback: number): number {
  return params.has('per_page')
    ? intParam(params, 'per_page', fallback, 1)
    : intParam(params, 'limit', fallback, 1);
}

// ---------------------------------------------------------------------------
// Server

/** Starts the fake API on 127.0.0.1 and resolves once it listens. */
export function startFakeApi(options: FakeApiOptions = {}): Promise<FakeApi> {
  const total = options.records ?? 250;
  const defaultPageSize = options.pageSize ?? 100;
  const recordRequests = options.record ?? true;
  const globalLatency = options.latencyMs ?? 0;
  const tokenOptions = options.token;

  const requests: RecordedRequest[] = [];
  const tokensIssued: string[] = [];
  const faults = new Map<string, FaultState>();
  for (const [route, plan] of Object.entries(options.faults ?? {})) faults.set(route, toFaultState(plan));
  const timers = new Set<NodeJS.Timeout>();

  let token = tokenOptions?.initial ?? 'tok-0';
  let tokenValid = true;
  let tokenUses = 0;
  let url = '';
  let closing: Promise<void> | undefined;

  const faultFor = (path: string): FaultState | undefined => {
    let best: FaultState | undefined;
    let bestLength = -1;
    for (const [prefix, state] of faults) {
      if (path.startsWith(prefix) && prefix.length > bestLength) {
        best = state;
        bestLength = prefix.length;
      }
    }
    return best;
  };

  /** Checks and counts a data/detail request's token; undefined when it may proceed. */
  const authorize = (headers: http.IncomingHttpHeaders): Reply | undefined => {
    if (tokenOptions === undefined) return undefined;
    const match = /^(?:Bearer|Zoho-oauthtoken)\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
    const limit = tokenOptions.expireAfterRequests;
    if (match === null || match[1] !== token || !tokenValid || (limit !== undefined && tokenUses >= limit)) {
      return json(401, { code: 'INVALID_TOKEN' });
    }
    tokenUses++;
    return undefined;
  };

  const issueToken = (params: URLSearchParams): Reply => {
    if (params.get('grant_type') !== 'refresh_token') return json(400, { error: 'unsupported_grant_type' });
    const expected: [string, string | undefined][] = [
      ['refresh_token', tokenOptions?.refreshToken],
      ['client_id', tokenOptions?.clientId],
      ['client_secret', tokenOptions?.clientSecret],
    ];
    for (const [name, value] of expected) {
      if (value !== undefined && params.get(name) !== value) return json(400, { error: 'invalid_client' });
    }
    token = `tok-${tokensIssued.length + 1}`;
    tokensIssued.push(token);
    tokenValid = true;
    tokenUses = 0;
    return json(200, {
      access_token: token,
      api_domain: url,
      token_type: 'Bearer',
      expires_in: tokenOptions?.expiresIn ?? 3600,
    });
  };

  const linkTo = (
    path: string,
    page: number,
    params: URLSearchParams,
    extra: Record<string, string> = {},
  ): string => {
    const next = new URLSearchParams({ page: String(page), ...extra });
    const perPage = params.get('per_page') ?? params.get('limit');
    if (perPage !== null) next.set('per_page', perPage);
    return `${path}?${next.toString()}`;
  };

  const crmDeals = (req: RouteRequest): Reply => {
    const page = intParam(req.params, 'page', 1, 1);
    const perPage = pageSizeParam(req.params, defaultPageSize);
    let first = 0;
    const since = req.headers['if-modified-since'];
    if (since !== undefined) {
      const sinceMs = Date.parse(since);
      // Modified_Time grows with i, so "strictly after" is a suffix of the dataset.
      if (!Number.isNaN(sinceMs) && sinceMs >= BASE_TIME_MS)
        first = Math.floor((sinceMs - BASE_TIME_MS) / MINUTE_MS) + 1;
      if (first >= total) return { status: 304 };
    }
    const start = Math.min(total, first + (page - 1) * perPage);
    const end = Math.min(total, start + perPage);
    return {
      status: 200,
      body:
        `{"data":${recordsJson(start, end)},"info":{"per_page":${perPage},"count":${end - start},` +
        `"page":${page},"more_records":${end < total}}}`,
    };
  };

  const deskTickets = (req: RouteRequest): Reply => {
    const from = intParam(req.params, 'from', 1, 1);
    const limit = pageSizeParam(req.params, defaultPageSize);
    if (from > total) return { status: 204 };
    return { status: 200, body: `{"data":${recordsJson(from - 1, Math.min(total, from - 1 + limit))}}` };
  };

  const offsetPage = (req: RouteRequest): Reply => {
    const offset = intParam(req.params, 'offset', 0, 0);
    const limit = pageSizeParam(req.params, defaultPageSize);
    const start = Math.min(offset, total);
    return {
      status: 200,
      body: `{"items":${recordsJson(start, Math.min(total, start + limit))},"total":${total}}`,
    };
  };

  const numberedPages = (req: RouteRequest): Reply => {
    const page = intParam(req.params, 'page', 1, 1);
    const perPage = pageSizeParam(req.params, defaultPageSize);
    const pages = Math.ceil(total / perPage);
    const start = Math.min(total, (page - 1) * perPage);
    return {
      status: 200,
      body: `{"result":${recordsJson(start, Math.min(total, start + perPage))},"info":{"current_page":${page},"total_pages":${pages}}}`,
    };
  };

  const bodyLink = (req: RouteRequest): Reply => {
    const page = intParam(req.params, 'page', 1, 1);
    const perPage = pageSizeParam(req.params, defaultPageSize);
    const style = req.params.get('style') ?? 'absolute';
    const start = Math.min(total, (page - 1) * perPage);
    const end = Math.min(total, start + perPage);
    let next: string | null = null;
    if (end < total) {
      const tail = linkTo('link', page + 1, req.params, { style });
      if (style === 'relative') next = tail;
      else if (style === 'root') next = `/${tail}`;
      else next = `${url}/${tail}`;
    }
    return {
      status: 200,
      body: `{"results":${recordsJson(start, end)},"pagination":{"next_link":${JSON.stringify(next)}}}`,
    };
  };

  const headerLink = (req: RouteRequest): Reply => {
    const page = intParam(req.params, 'page', 1, 1);
    const perPage = pageSizeParam(req.params, defaultPageSize);
    const start = Math.min(total, (page - 1) * perPage);
    const end = Math.min(total, start + perPage);
    const lastPage = Math.max(1, Math.ceil(total / perPage));
    const links: string[] = [];
    if (end < total) links.push(`<${url}${linkTo('/header-link', page + 1, req.params)}>; rel="next"`);
    links.push(`<${url}${linkTo('/header-link', 1, req.params)}>; rel="first"`);
    links.push(`<${url}${linkTo('/header-link', lastPage, req.params)}>; rel="last"`);
    return { status: 200, body: recordsJson(start, end), headers: { link: links.join(', ') } };
  };

  const cursorPage = (req: RouteRequest): Reply => {
    const cursor = req.params.get('cursor');
    const limit = pageSizeParam(req.params, defaultPageSize);
    let offset = 0;
    if (cursor !== null && cursor !== '') {
      const decoded = Buffer.from(cursor, 'base64').toString('utf8');
      if (!/^\d+$/.test(decoded)) throw new BadRequest('invalid cursor');
      offset = Number(decoded);
    }
    const start = Math.min(offset, total);
    const end = Math.min(total, start + limit);
    const next = end < total ? Buffer.from(String(end), 'utf8').toString('base64') : null;
    return {
      status: 200,
      body: `{"items":${recordsJson(start, end)},"next_cursor":${JSON.stringify(next)}}`,
    };
  };

  const detail = (req: RouteRequest): Reply => {
    const raw = req.path.slice('/details/'.length);
    if (!/^\d+$/.test(raw)) return json(404, { code: 'NOT_FOUND' });
    const id = Number(raw);
    const missing = options.detailMissing?.(id);
    if (missing === 'notfound') return json(404, { code: 'NOT_FOUND' });
    if (missing === 'empty') return { status: 200, body: '' };
    return json(200, {
      id,
      detail: { owner_phone: `+1-555-${String(id % 10_000).padStart(4, '0')}`, score: id % 97 },
      tags: ['x'],
    });
  };

  const dataRoutes = new Map<string, (req: RouteRequest) => Reply>([
    ['/crm/v2/deals', crmDeals],
    ['/api/v1/tickets', deskTickets],
    ['/offset', offsetPage],
    ['/pages', numberedPages],
    ['/link', bodyLink],
    ['/header-link', headerLink],
    ['/cursor', cursorPage],
  ]);

  const classify = (path: string): RouteKind => {
    if (dataRoutes.has(path)) return 'data';
    if (path.startsWith('/details/')) return 'detail';
    if (path === '/oauth/v2/token' || path === '/oauth/v2/token-error200') return 'token';
    return 'other';
  };

  const route = (kind: RouteKind, req: RouteRequest): Reply => {
    if (kind === 'token') {
      if (req.method !== 'POST') return json(405, { error: 'method_not_allowed' });
      return req.path === '/oauth/v2/token-error200'
        ? json(200, { error: 'invalid_code' })
        : issueToken(req.params);
    }
    if (kind === 'other') return json(404, { code: 'NOT_FOUND', path: req.path });
    if (req.method !== 'GET' && req.method !== 'POST') return json(405, { code: 'METHOD_NOT_ALLOWED' });
    const denied = authorize(req.headers);
    if (denied !== undefined) return denied;
    if (kind === 'detail') return detail(req);
    const handler = dataRoutes.get(req.path);
    return handler === undefined ? json(404, { code: 'NOT_FOUND' }) : handler(req);
  };

  const faultReply = (action: 'tooMany' | 'unavailable', state: FaultState): Reply => {
    if (action === 'unavailable') return json(503, { code: 'SERVICE_UNAVAILABLE' });
    return state.retryAfter === undefined
      ? json(429, { code: 'TOO_MANY_REQUESTS' })
      : json(429, { code: 'TOO_MANY_REQUESTS' }, { 'retry-after': String(state.retryAfter) });
  };

  const send = (res: http.ServerResponse, reply: Reply): void => {
    if (res.destroyed) return;
    const headers: http.OutgoingHttpHeaders = { ...reply.headers };
    if (reply.body === undefined) {
      res.writeHead(reply.status, headers);
      res.end();
      return;
    }
    const payload = Buffer.from(reply.body, 'utf8');
    headers['content-type'] = 'application/json; charset=utf-8';
    headers['content-length'] = payload.length;
    res.writeHead(reply.status, headers);
    res.end(payload);
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse, body: string): void => {
    const parsed = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const path = parsed.pathname;
    if (recordRequests) {
      requests.push({
        method,
        path,
        query: Object.fromEntries(parsed.searchParams),
        headers: flattenHeaders(req.headers),
        body,
        at: Date.now(),
      });
    }
    const state = faultFor(path);
    const action = takeFault(state);
    if (action === 'hang') return; // never answered; close() destroys the socket
    if (action === 'reset') {
      req.socket.destroy();
      return;
    }
    const kind = classify(path);
    const latency = (state?.latencyMs ?? 0) + (kind === 'data' || kind === 'detail' ? globalLatency : 0);
    const answer = (): void => {
      let reply: Reply;
      if (state !== undefined && (action === 'tooMany' || action === 'unavailable')) {
        reply = faultReply(action, state);
      } else {
        try {
          const params = new URLSearchParams(parsed.searchParams);
          if (method !== 'GET' && method !== 'HEAD') {
            for (const [key, value] of bodyParams(req.headers['content-type'], body)) params.set(key, value);
          }
          reply = route(kind, { method, path, params, headers: req.headers });
        } catch (error) {
          reply = errorReply(kind, error);
        }
      }
      send(res, reply);
    };
    if (latency <= 0) {
      answer();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      answer();
    }, latency);
    timers.add(timer);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        handle(req, res, chunks.length === 0 ? '' : Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        send(res, errorReply('other', error));
      }
    });
  });
  // Generous keep-alive so benchmark clients keep reusing connections.
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 31_000;

  const api: FakeApi = {
    url: '',
    requests,
    tokensIssued,
    currentToken: () => token,
    expireToken: () => {
      tokenValid = false;
    },
    setFaults: (routePrefix, plan) => {
      faults.set(routePrefix, toFaultState(plan));
    },
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      });
      return closing;
    },
  };

  return new Promise<FakeApi>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      url = `http://127.0.0.1:${address.port}`;
      api.url = url;
      resolve(api);
    });
  });
}
