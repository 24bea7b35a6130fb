/**
 * A client of the TOTVS Carol platform's staging API, for loading an extraction's rows:
 * auth by connector token (`X-Auth-Key`, `X-Auth-ConnectorId`) or OAuth password grant
 * (the token in `Authorization` as is, refreshed before it expires and on a 401, by
 * `refresh_token` when Carol gave one, else by the password again); the staging schema
 * (GET, POST, PUT); intake (a gzip-compressed JSON array per request); the batch summary.
 *
 * Requests go through the project's transport (address guard, response budget) and
 * retry policy (429, 5xx, 408 and 409 retried with backoff and `Retry-After`). Every
 * request is checked against the secret scope first: the credentials only ever go to
 * the origin of `carol_destiny.url`. Every credential and token is registered with the
 * run's redactor, and every error message passes through it.
 */
import type { CarolDestiny, HttpOptions } from '../core/config/types';
import { ConfigError, PermanentFailure } from '../core/errors';
import type { Redactor } from '../core/redact';
import { type ReferenceLookup, resolveString } from '../core/references';
import { carolEndpoint, type SecretScope } from '../core/secretOrigins';
import { excerpt, type HttpRequest, type HttpResponse, HttpTransport, RetryingClient } from './http';
import type { ResponseBudget } from './responseBudget';
import { carolRetryPolicy, TOKEN_ENDPOINT_POLICY } from './retryPolicy';

export interface CarolClientOptions {
  /** The config's destination, references unresolved. */
  destiny: CarolDestiny;
  /** Where the destination is in the config (`extractions[0].carol_destiny`), for errors. */
  at: string;
  /** Resolves the `${secret::…}` references of the connector id and the auth. */
  lookup: ReferenceLookup;
  scope: SecretScope;
  redactor: Redactor;
  /** The extraction's `http` options: timeouts, attempts and backoff of every request to Carol. */
  http: HttpOptions;
  allowLinkLocal?: boolean;
  budget?: ResponseBudget;
  /** Hears of each retry (for the run's log). */
  onRetry?: (event: { attempt: number; delayMs: number; reason: string }) => void;
  now?: () => number;
}

/** Carol refused a request, or it kept failing: the load fails (never retried as a whole). */
export class CarolError extends PermanentFailure {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'CarolError';
  }
}

/** The staging schema document Carol keeps per table. */
export interface CarolSchema {
  mdmFlexible: boolean;
  mdmExportData: boolean;
  mdmStagingMapping: { properties: Record<string, { type: string }> };
  mdmCrosswalkTemplate: { mdmCrossreference: Record<string, string[]> };
}

export interface BatchSummary {
  totalRecords: number;
  totalRequests: number;
  /** UTC, `YYYY-MM-DDTHH:MM:SSZ`. */
  timestampStart: string;
  timestampEnd: string;
}

interface Token {
  access: string;
  refresh: string | undefined;
  /** ms since the epoch; undefined = Carol named no lifetime. */
  expiresAt: number | undefined;
}

/** Refresh this long before the token's announced end (at most a tenth of its life). */
const EXPIRY_MARGIN_MS = 30_000;

export class CarolClient {
  private readonly transport: HttpTransport;
  private readonly client: RetryingClient;
  private readonly tokenClient: RetryingClient;
  private readonly base: string;
  private readonly connectorId: string;
  private readonly credentials: Record<string, string> = {};
  private token: Token | undefined;
  private refreshing: Promise<void> | undefined;
  /** Aborted by close(): a request still on its way (a failed run's last one) is given up. */
  private readonly closing = new AbortController();
  private readonly now: () => number;

  constructor(private readonly options: CarolClientOptions) {
    const { destiny, redactor } = options;
    this.now = options.now ?? Date.now;
    this.base = destiny.url.replace(/\/+$/, '');
    this.connectorId = this.resolve(destiny.connector_id, 'connector_id');
    const fields = destiny.auth.type === 'oauth' ? ['username', 'password'] : ['api_key'];
    for (const field of fields) {
      this.credentials[field] = this.resolve(
        (destiny.auth as unknown as Record<string, string>)[field] ?? '',
        `auth.${field}`,
      );
    }
    // A literal connector id is not a secret; one read through a reference is, like every credential.
    if (this.connectorId !== destiny.connector_id) redactor.add(this.connectorId);
    for (const value of Object.values(this.credentials)) redactor.add(value);
    this.transport = new HttpTransport({
      connectTimeoutMs: options.http.connect_timeout_ms,
      allowLinkLocal: options.allowLinkLocal,
      budget: options.budget,
    });
    const onRetry = options.onRetry ? { onRetry: options.onRetry } : {};
    this.client = new RetryingClient(this.transport, carolRetryPolicy(options.http), undefined, onRetry);
    this.tokenClient = new RetryingClient(this.transport, TOKEN_ENDPOINT_POLICY, undefined, onRetry);
  }

  /** The table's staging schema, or undefined when it has none (404). */
  async getSchema(table: string): Promise<unknown> {
    const res = await this.call('GET', schemaPath(table), { connectorId: this.connectorId });
    if (res.status === 404) return undefined;
    return this.expectOk(res, `reading the staging schema of "${table}"`, true);
  }

  /** Creates (POST) or replaces (PUT) the table's staging schema. */
  async saveSchema(table: string, schema: CarolSchema, replace: boolean): Promise<void> {
    const res = await this.call(
      replace ? 'PUT' : 'POST',
      schemaPath(table),
      { connectorId: this.connectorId },
      { body: JSON.stringify(schema), contentType: 'application/json' },
    );
    this.expectOk(res, `${replace ? 'updating' : 'creating'} the staging schema of "${table}"`);
  }

  /** Sends one request of a batch: `gzipped` is the gzip of a JSON array of records. */
  async intake(
    table: string,
    route: 'v3' | 'v2',
    batchId: string,
    sequence: number,
    gzipped: Uint8Array,
  ): Promise<void> {
    const res = await this.call(
      'POST',
      `/api/${route}/staging/intake/${encodeURIComponent(table)}`,
      {
        connectorId: this.connectorId,
        returnData: 'false',
        batchId,
        batchIdSequence: String(sequence),
      },
      { body: gzipped, contentType: 'application/json', contentEncoding: 'gzip' },
    );
    this.expectOk(res, `intake request ${sequence} of batch ${batchId} into "${table}"`);
  }

  /** Tells Carol the batch is complete: processing starts then. */
  async summary(batchId: string, summary: BatchSummary): Promise<void> {
    const res = await this.call(
      'POST',
      `/api/v3/staging/batch/${encodeURIComponent(batchId)}/summary`,
      {},
      { body: JSON.stringify(summary), contentType: 'application/json' },
    );
    this.expectOk(res, `the summary of batch ${batchId}`);
  }

  close(): Promise<void> {
    this.closing.abort(new CarolError('Carol: the load was given up'));
    return this.transport.close();
  }

  private resolve(configured: string, field: string): string {
    const value = resolveString(configured, this.options.lookup);
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new ConfigError(
        `${this.options.at}.${field}: ${JSON.stringify(configured)} resolves to nothing (does the secret exist?)`,
      );
    }
    const text = String(value);
    if (text === '') throw new ConfigError(`${this.options.at}.${field}: resolves to an empty value`);
    return text;
  }

  /**
   * One request with the retry policy; a 401 under OAuth gets a new token and one more
   * try. The answer is the caller's to judge (and release).
   */
  private async call(
    method: string,
    path: string,
    query: Record<string, string>,
    payload?: { body: string | Uint8Array; contentType: string; contentEncoding?: string },
  ): Promise<HttpResponse> {
    const url = new URL(`${this.base}${path}`);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const target = url.toString();
    const oauth = this.options.destiny.auth.type === 'oauth';
    for (let authTry = 1; ; authTry++) {
      const auth = await this.authHeaders();
      const build = (): HttpRequest => {
        this.options.scope.assertRequest(carolEndpoint(this.options.destiny), target);
        const headers: Record<string, string> = { accept: 'application/json', ...auth };
        if (payload) {
          headers['content-type'] = payload.contentType;
          if (payload.contentEncoding) headers['content-encoding'] = payload.contentEncoding;
        }
        return { method, url: target, headers, body: payload?.body };
      };
      const res = await this.send(this.client, build);
      if (res.status === 401 && oauth && authTry < 3) {
        res.release();
        await this.refreshToken(auth.Authorization);
        continue;
      }
      return res;
    }
  }

  private async send(client: RetryingClient, build: () => HttpRequest): Promise<HttpResponse> {
    try {
      return await client.send(build, this.closing.signal);
    } catch (err) {
      const status = (err as { status?: number }).status;
      throw new CarolError(this.options.redactor.redact(`Carol: ${(err as Error).message}`), status);
    }
  }

  private expectOk(res: HttpResponse, what: string, parse = false): unknown {
    try {
      if (res.status >= 200 && res.status < 300) {
        if (!parse || res.body.trim() === '') return undefined;
        try {
          return JSON.parse(res.body) as unknown;
        } catch {
          throw new CarolError(`Carol answered ${what} with a body that is not JSON`, res.status);
        }
      }
      throw new CarolError(
        this.options.redactor.redact(
          `Carol refused ${what}: HTTP ${res.status}: ${carolErrorText(res.body)}`,
        ),
        res.status,
      );
    } finally {
      res.release();
    }
  }

  private async authHeaders(): Promise<Record<string, string>> {
    if (this.options.destiny.auth.type === 'connector_token') {
      return { 'X-Auth-Key': this.credentials.api_key!, 'X-Auth-ConnectorId': this.connectorId };
    }
    const token = this.token;
    if (!token || (token.expiresAt !== undefined && this.now() >= token.expiresAt)) {
      await this.refreshToken();
    }
    return { Authorization: this.token!.access };
  }

  /** One refresh at a time; `refused`: the token Carol answered 401 to. */
  private refreshToken(refused?: string): Promise<void> {
    // Another request already replaced the token Carol refused.
    if (refused !== undefined && this.token !== undefined && this.token.access !== refused) {
      return Promise.resolve();
    }
    if (!this.refreshing) {
      const stale = this.token;
      this.refreshing = (async () => {
        if (stale?.refresh) {
          try {
            this.token = await this.requestToken({
              grant_type: 'refresh_token',
              refresh_token: stale.refresh,
            });
            return;
          } catch (err) {
            // A refused refresh token: the password grant is the way back in.
            if (!(err instanceof CarolError) || err.status === undefined || err.status >= 500) throw err;
          }
        }
        const auth = this.options.destiny.auth;
        this.token = await this.requestToken({
          grant_type: 'password',
          username: this.credentials.username!,
          password: this.credentials.password!,
          subdomain: auth.environment ?? '',
          orgSubdomain: auth.organization ?? '',
          connectorId: this.connectorId,
        });
      })().finally(() => {
        this.refreshing = undefined;
      });
    }
    return this.refreshing;
  }

  private async requestToken(form: Record<string, string>): Promise<Token> {
    const target = `${this.base}/api/v1/oauth2/token`;
    const body = new URLSearchParams(form).toString();
    const res = await this.send(this.tokenClient, () => {
      this.options.scope.assertRequest(carolEndpoint(this.options.destiny), target);
      return {
        method: 'POST',
        url: target,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
      };
    });
    const answer = this.expectOk(res, `the token request (${form.grant_type} grant)`, true) as Record<
      string,
      unknown
    > | null;
    const access = answer?.access_token;
    if (typeof access !== 'string' || access === '') {
      throw new CarolError('Carol answered the token request without an access_token');
    }
    this.options.redactor.add(access);
    const refresh = typeof answer?.refresh_token === 'string' ? answer.refresh_token : undefined;
    if (refresh) this.options.redactor.add(refresh);
    const expiresIn = Number(answer?.expires_in);
    const lifeMs = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : undefined;
    return {
      access,
      refresh,
      expiresAt:
        lifeMs === undefined ? undefined : this.now() + lifeMs - Math.min(EXPIRY_MARGIN_MS, lifeMs / 10),
    };
  }
}

function schemaPath(table: string): string {
  return `/api/v2/staging/tables/${encodeURIComponent(table)}/schema`;
}

/** Carol's `{errorCode, errorMessage}`, or an excerpt of whatever else came. */
function carolErrorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errorMessage?: unknown };
    if (typeof parsed?.errorMessage === 'string') return excerpt(parsed.errorMessage, 300);
  } catch {
    // not JSON
  }
  return excerpt(body);
}
