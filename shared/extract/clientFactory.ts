import type { HttpOptions } from '../core/config/types';
import { type ClientEvents, HttpTransport, RateLimiter, RetryingClient } from './http';
import type { ResponseBudget } from './responseBudget';
import {
  extractionRetryPolicy,
  type RetryPolicy,
  TOKEN_ENDPOINT_CONNECT_TIMEOUT_MS,
  TOKEN_ENDPOINT_POLICY,
} from './retryPolicy';

/** The connection pool and retrying client of one extraction, from its `http` options. */
export function createExtractionHttp(
  http: HttpOptions,
  options: { allowLinkLocal?: boolean; budget?: ResponseBudget; events?: ClientEvents },
): { transport: HttpTransport; client: RetryingClient } {
  const transport = new HttpTransport({
    connectTimeoutMs: http.connect_timeout_ms,
    allowLinkLocal: options.allowLinkLocal,
    budget: options.budget,
  });
  const client = new RetryingClient(
    transport,
    extractionRetryPolicy(http),
    http.requests_per_second ? new RateLimiter(http.requests_per_second) : undefined,
    options.events,
  );
  return { transport, client };
}

/** The token endpoint's pool and client: a few quick tries (`policy`), a run cannot start without it. */
export function createTokenEndpointHttp(options: {
  allowLinkLocal?: boolean;
  budget?: ResponseBudget;
  policy?: RetryPolicy;
}): { transport: HttpTransport; client: RetryingClient } {
  const transport = new HttpTransport({
    connectTimeoutMs: TOKEN_ENDPOINT_CONNECT_TIMEOUT_MS,
    allowLinkLocal: options.allowLinkLocal,
    budget: options.budget,
  });
  return { transport, client: new RetryingClient(transport, options.policy ?? TOKEN_ENDPOINT_POLICY) };
}
