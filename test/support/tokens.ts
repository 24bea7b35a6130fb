/** A TokenManager over a real transport for the token tests: one try per request, a short timeout. */
import type { ApiConfig } from '../../shared/core/config/types';
import { Redactor } from '../../shared/core/redact';
import type { ReferenceLookup } from '../../shared/core/references';
import { SecretScope } from '../../shared/core/secretOrigins';
import { TokenManager } from '../../shared/extract/auth';
import { type HttpTransport, RetryingClient } from '../../shared/extract/http';
import { type Clock, systemClock } from '../../shared/ports/logger';
import type { TokenStore } from '../../shared/ports/storage';

export interface TestTokens {
  tokens: TokenManager;
  client: RetryingClient;
  redactor: Redactor;
}

/** `secrets` are what `${secret::…}` reads (all unbound); the token is stored under `run-1`. */
export function makeTokenManager(
  config: ApiConfig,
  transport: HttpTransport,
  options: { secrets?: Record<string, unknown>; store?: TokenStore; clock?: Clock } = {},
): TestTokens {
  const secrets = options.secrets ?? {};
  const lookup: ReferenceLookup = (type, path) => (type === 'secret' ? secrets[path] : undefined);
  const client = new RetryingClient(transport, {
    maxAttempts: 1,
    backoffBaseMs: 1,
    backoffMaxMs: 1,
    timeoutMs: 2000,
  });
  const redactor = new Redactor();
  const tokens = new TokenManager({
    auth: config.auth,
    lookup,
    scope: new SecretScope(config, {}, Object.keys(secrets)),
    client,
    redactor,
    clock: options.clock ?? systemClock,
    store: options.store,
    tokenKey: 'run-1',
    refreshKey: 'config:test',
  });
  return { tokens, client, redactor };
}
