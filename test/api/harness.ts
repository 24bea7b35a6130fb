/**
 * The config API on the embedded system, over real HTTP: SQLite in a temp data
 * dir, the pipeline workers running, the app listening on 127.0.0.1:0, requests
 * with the global fetch.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { type EmbeddedApiStores, embeddedApiStores } from '../../shared/adapters/embedded/apiStores';
import { createApp } from '../../shared/api/app';
import type { ApiDeps } from '../../shared/api/deps';
import { ensureRootKey } from '../../shared/api/rootKey';
import type { EmbeddedSystemOptions } from '../../services/embedded/system';
import { makePipelineHarness, type PipelineHarness } from '../support/pipelineHarness';
import { pollUntil } from '../support/poll';

export const ROOT_KEY = 'root-key-for-tests-0123456789abcdef';

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body; undefined when the body is not JSON. */
  body: unknown;
}

export interface RequestOptions {
  /** The Authorization header value as sent; default the root key. `null` sends none. */
  auth?: string | null;
  /** JSON-encoded into the body. */
  json?: unknown;
  /** Sent as is (for malformed bodies). */
  raw?: string;
  headers?: Record<string, string>;
}

export interface ApiHarness {
  baseUrl: string;
  pipeline: PipelineHarness;
  stores: EmbeddedApiStores;
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  close(): Promise<void>;
}

export async function startApiHarness(
  overrides: Partial<ApiDeps> = {},
  pipelineOptions: Partial<EmbeddedSystemOptions> = {},
): Promise<ApiHarness> {
  const pipeline = await makePipelineHarness({ detailChunkSize: 7, ...pipelineOptions });
  const stores = embeddedApiStores(pipeline.system.db, pipeline.dataDir);
  await ensureRootKey(stores.apiKeys, { ROOT_API_KEY: ROOT_KEY }, () => undefined);
  const app = createApp({ pipeline: pipeline.deps, ...stores, ...overrides });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    pipeline,
    stores,
    request: apiClient(baseUrl),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pipeline.close();
    },
  };
}

/** Polls `probe` until it returns a value (a condition, never a fixed sleep). */
/** An HTTP client of the API: the root key by default, `auth: null` sends none; the body parsed when it is JSON. */
export function apiClient(baseUrl: string) {
  return async (method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> => {
    const headers: Record<string, string> = { ...options.headers };
    const auth = options.auth === undefined ? ROOT_KEY : options.auth;
    if (auth !== null) headers.authorization = auth;
    let body: string | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.json !== undefined) body = JSON.stringify(options.json);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, text, body: parsed };
  };
}

export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  return pollUntil(probe, () => `timed out after ${timeoutMs} ms waiting for ${what}`, { timeoutMs });
}

/** A small config against the fake upstream: Zoho-like deals, paged, with a token endpoint. */
export function dealsConfig(
  upstream: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name: 'Deals',
    auth: {
      refresh_token: {
        endpoint: {
          url: `${upstream}/oauth/v2/token`,
          query_params: { refresh_token: '${secret::zoho_refresh_token}', grant_type: 'refresh_token' },
        },
        response_token_key: 'access_token',
      },
      access_token: '',
    },
    extractions: [
      {
        name: 'deals',
        endpoint: {
          url: `${upstream}/crm/v2/deals`,
          headers: { Authorization: 'Bearer ${self::auth.access_token}' },
          query_params: { per_page: 20 },
        },
        data_key: 'data',
        pagination: {
          type: 'sequential',
          parameters: { param_name: 'page', there_are_more_pages: 'info.more_records' },
        },
        data_schema: { id: 'id', Deal_Name: 'deal_name', Owner: { email: 'owner_email' }, Stage: 'stage' },
        s3_destiny: { folder: 'deals/', filename: 'deals' },
      },
    ],
    ...overrides,
  };
}
