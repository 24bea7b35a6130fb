/**
 * Access tokens: the literal `auth.access_token`, or one fetched from the token
 * endpoint at the start of a run, refreshed once on a 401 and ahead of expiry
 * when the endpoint says `expires_in`. Tokens live here and in the TokenStore,
 * never in the saved config; every token is registered with the redactor.
 */
import type { Auth, Endpoint } from '../core/config/types';
import { PermanentFailure } from '../core/errors';
import { readJsonField } from '../core/jsonField';
import type { Redactor } from '../core/redact';
import type { ReferenceLookup } from '../core/references';
import { resolveDeep } from '../core/references';
import type { SecretScope } from '../core/secretOrigins';
import type { Clock } from '../ports/logger';
import type { TokenStore } from '../ports/storage';
import { excerpt, type HttpRequest, type HttpResponse, type RetryingClient } from './http';
import { renderEndpoint } from './render';
import type { PageHold } from './responseBudget';

export class TokenRefreshError extends PermanentFailure {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenRefreshError';
  }
}

/** Refresh this long before expiry, at most (a tenth of the lifetime for short-lived tokens). */
const EXPIRY_MARGIN_MS = 60_000;

/** Where the refresh token is in a token response when `refresh_token_key` is absent. */
const DEFAULT_REFRESH_TOKEN_KEY = 'refresh_token';

/** Where the token endpoint's body is in the config (its `body` field is under it). */
const BODY_AT = 'auth.refresh_token.endpoint';

/** `client_id` and `client_secret` of the token endpoint's body (an object or a form string), resolved. */
function clientCredentials(body: Endpoint['body'], lookup: ReferenceLookup): Array<[string, string]> {
  let fields: Record<string, unknown> = {};
  if (typeof body === 'string') {
    const form = new URLSearchParams(String(resolveDeep({ body }, lookup, BODY_AT).body ?? ''));
    fields = {
      client_id: form.get('client_id') ?? undefined,
      client_secret: form.get('client_secret') ?? undefined,
    };
  } else if (body && !Array.isArray(body)) {
    fields = resolveDeep(
      { client_id: body.client_id, client_secret: body.client_secret },
      lookup,
      `${BODY_AT}.body`,
    );
  }
  const out: Array<[string, string]> = [];
  for (const name of ['client_id', 'client_secret']) {
    const value = fields[name];
    if (value !== undefined && value !== null && value !== '') out.push([name, String(value)]);
  }
  return out;
}

export interface TokenManagerOptions {
  auth: Auth;
  /** Resolves `secret` and `self` references in the token endpoint and the literal token. */
  lookup: ReferenceLookup;
  /** Where the token endpoint's secrets may go. */
  scope: SecretScope;
  client: RetryingClient;
  redactor: Redactor;
  clock: Clock;
  store?: TokenStore;
  /** Where the token is kept in the store: the run id, so every worker of a run shares it. */
  tokenKey: string;
  /**
   * Where the config's refresh token is kept across runs, and the name of the lease
   * under which a refresh happens: one refresh at a time per config, in every process.
   */
  refreshKey: string;
  onRefresh?(): void;
}

export class TokenManager {
  private token = '';
  /** The refresh token of the last token response (with `refresh_grant`); the store's copy wins. */
  private refreshToken: string | undefined;
  private expiresAt: number | undefined;
  private refreshMarginMs = EXPIRY_MARGIN_MS;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly options: TokenManagerOptions) {}

  get canRefresh(): boolean {
    return this.options.auth.refresh_token !== undefined;
  }

  /** The token references see as `${self::auth.access_token}`. */
  current(): string {
    return this.token;
  }

  /** Called once per run: a run with a token endpoint always starts with a fresh token. */
  async start(): Promise<void> {
    this.useLiteral();
    if (this.canRefresh) await this.refresh();
    else await this.options.store?.put(this.options.tokenKey, { accessToken: this.token });
  }

  /** A worker joining a run: takes the run's token from the store (the literal one if none). */
  async resume(): Promise<void> {
    this.useLiteral();
    const stored = await this.options.store?.get(this.options.tokenKey);
    if (stored) this.adopt(stored.accessToken, stored.expiresAt);
  }

  private useLiteral(): void {
    const literal = resolveDeep(
      { access_token: this.options.auth.access_token ?? '' },
      this.options.lookup,
      'auth',
    ).access_token;
    this.token = literal === undefined || literal === null ? '' : String(literal);
    this.options.redactor.add(this.token);
  }

  private adopt(token: string, expiresAt: number | undefined): void {
    this.token = token;
    this.expiresAt = expiresAt;
    this.options.redactor.add(token);
    // The margin of a token another worker fetched: a tenth of what is left of its lifetime, at most.
    if (expiresAt !== undefined)
      this.refreshMarginMs = Math.min(
        this.refreshMarginMs,
        Math.max(0, (expiresAt - this.options.clock.now().getTime()) / 10),
      );
  }

  private expiring(expiresAt: number | undefined): boolean {
    return expiresAt !== undefined && this.options.clock.now().getTime() >= expiresAt - this.refreshMarginMs;
  }

  /** Refreshes first when the token is about to expire. */
  async ensureFresh(): Promise<void> {
    if (this.canRefresh && this.expiring(this.expiresAt)) await this.refresh(this.token);
  }

  /**
   * After a 401 with `usedToken`: refreshes once (concurrent callers share one refresh)
   * and says whether a retry makes sense. With `refresh: false` it only adopts a newer
   * token that another worker stored.
   */
  async recoverFrom401(
    usedToken: string,
    options: { refresh: boolean } = { refresh: true },
  ): Promise<boolean> {
    if (!this.canRefresh) return false;
    if (this.token !== usedToken) return true;
    // Another worker of the run may have refreshed already: its token is in the store.
    const stored = await this.options.store?.get(this.options.tokenKey);
    if (stored && stored.accessToken !== usedToken) {
      this.adopt(stored.accessToken, stored.expiresAt);
      return true;
    }
    if (!options.refresh) return false;
    await this.refresh(usedToken);
    return true;
  }

  /**
   * One refresh at a time: concurrent callers of this process share it, and the
   * processes sharing the store take turns under its lease. `stale` is the token the
   * caller found wanting: a different, fresh token stored meanwhile by whoever held
   * the lease before is adopted instead of asking the token endpoint again. Without
   * `stale` (the start of a run) a new token is always fetched.
   */
  private refresh(stale?: string): Promise<void> {
    this.inFlight ??= this.refreshOnce(stale).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async refreshOnce(stale: string | undefined): Promise<void> {
    const store = this.options.store;
    if (!store) return this.fetchToken();
    await store.exclusive(this.options.refreshKey, async () => {
      if (stale !== undefined) {
        const stored = await store.get(this.options.tokenKey);
        if (stored && stored.accessToken !== stale && !this.expiring(stored.expiresAt)) {
          this.adopt(stored.accessToken, stored.expiresAt);
          return;
        }
      }
      await this.fetchToken();
    });
  }

  /** The latest refresh token: the store's (another worker or an earlier run may have rotated it), else ours. */
  private async latestRefreshToken(): Promise<string | undefined> {
    const saved = (await this.options.store?.get(this.options.refreshKey))?.refreshToken;
    if (saved !== undefined) {
      this.options.redactor.add(saved);
      return saved;
    }
    return this.refreshToken;
  }

  /**
   * With `refresh_grant` and a refresh token in hand, the refresh_token grant first;
   * when it is refused (the refresh token expired or was revoked), the endpoint's own
   * request once, as at the start of the run.
   */
  private async fetchToken(): Promise<void> {
    const refresh = this.options.auth.refresh_token!;
    const refreshToken = refresh.refresh_grant ? await this.latestRefreshToken() : undefined;
    if (refreshToken !== undefined) {
      try {
        await this.requestToken(() => this.refreshGrant(refreshToken));
        return;
      } catch (err) {
        if (!(err instanceof TokenRefreshError)) throw err;
        this.refreshToken = undefined;
      }
    }
    await this.requestToken(() =>
      renderEndpoint(refresh.endpoint, this.options.lookup, {
        defaultMethod: 'POST',
        defaultBodyEncoding: 'form',
        scope: this.options.scope,
        at: 'auth.refresh_token.endpoint',
      }),
    );
  }

  /**
   * RFC 6749 section 6: the token endpoint's URL, query and headers, a form body with
   * `grant_type=refresh_token`, the refresh token and the client credentials of the
   * endpoint's body (`client_id`, `client_secret`) when it has them. The refresh token
   * is set after rendering, so text in it is never read as a reference.
   */
  private refreshGrant(refreshToken: string): HttpRequest {
    const endpoint = this.options.auth.refresh_token!.endpoint;
    const request = renderEndpoint({ ...endpoint, body: undefined }, this.options.lookup, {
      defaultMethod: 'POST',
      defaultBodyEncoding: 'form',
      scope: this.options.scope,
      at: 'auth.refresh_token.endpoint',
    });
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken });
    for (const [name, value] of clientCredentials(endpoint.body, this.options.lookup))
      form.append(name, value);
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(([name]) => name.toLowerCase() !== 'content-type'),
    );
    return {
      ...request,
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    };
  }

  private async requestToken(build: () => HttpRequest): Promise<void> {
    const refresh = this.options.auth.refresh_token!;
    let res: HttpResponse;
    try {
      res = await this.options.client.send(build);
    } catch (err) {
      throw new TokenRefreshError(`token refresh failed: ${(err as Error).message}`, { cause: err });
    }
    let body: unknown;
    try {
      body = res.body.trim() ? JSON.parse(res.body) : undefined;
    } catch {
      body = undefined;
    } finally {
      res.release();
    }
    const token = readJsonField(body, refresh.response_token_key);
    if (
      res.status < 200 ||
      res.status >= 300 ||
      (typeof token !== 'string' && typeof token !== 'number') ||
      token === ''
    ) {
      // The excerpt is redacted by whoever prints the error; the old token and secrets are registered.
      throw new TokenRefreshError(
        `token refresh failed: HTTP ${res.status}, no "${refresh.response_token_key}" in the response: ${excerpt(res.body, 120)}`,
      );
    }
    this.adopt(String(token), undefined);
    const refreshToken = readJsonField(body, refresh.refresh_token_key ?? DEFAULT_REFRESH_TOKEN_KEY);
    let rotated = false;
    if (refresh.refresh_grant && typeof refreshToken === 'string' && refreshToken !== '') {
      // A response without one keeps the previous refresh token (RFC 6749 section 6).
      this.options.redactor.add(refreshToken);
      rotated = refreshToken !== this.refreshToken;
      this.refreshToken = refreshToken;
    }
    const lifetime = readJsonField(body, refresh.expires_in_key);
    const seconds = typeof lifetime === 'string' ? Number(lifetime) : lifetime;
    if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0) {
      const lifetimeMs = seconds * 1000;
      this.refreshMarginMs = Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 10);
      this.expiresAt = this.options.clock.now().getTime() + lifetimeMs;
    } else {
      this.expiresAt = undefined;
    }
    this.options.onRefresh?.();
    // The rotated refresh token first: the upstream may already have revoked the one before it.
    if (rotated)
      await this.options.store?.put(this.options.refreshKey, {
        accessToken: this.token,
        expiresAt: this.expiresAt,
        refreshToken: this.refreshToken,
      });
    await this.options.store?.put(this.options.tokenKey, {
      accessToken: this.token,
      expiresAt: this.expiresAt,
    });
  }
}

/**
 * Sends data and detail requests with the current token; one refresh and one retry
 * on 401. When workers of one run refresh at the same moment, a token endpoint that
 * revokes the previous token can reject the retry too: then the newer token another
 * worker stored is adopted for one last try (never a second refresh).
 */
export class AuthenticatedClient {
  constructor(
    private readonly client: RetryingClient,
    private readonly tokens: TokenManager,
  ) {}

  async send(build: () => HttpRequest, signal?: AbortSignal, hold?: PageHold): Promise<HttpResponse> {
    await this.tokens.ensureFresh();
    const used = this.tokens.current();
    let res = await this.client.send(build, signal, hold);
    if (res.status !== 401) return res;
    // Released before the refresh: a body held while waiting for another could starve the budget.
    res.release();
    if (!(await this.tokens.recoverFrom401(used))) return res;
    const retried = this.tokens.current();
    res = await this.client.send(build, signal, hold);
    if (res.status !== 401) return res;
    res.release();
    if (await this.tokens.recoverFrom401(retried, { refresh: false }))
      res = await this.client.send(build, signal, hold);
    return res;
  }
}
