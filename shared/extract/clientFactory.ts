import type { HttpOptions } from '../core/config/types';
import type { RequestGate } from '../ports/rateBudget';
import { type ClientEvents, HttpTransport, RetryingClient } from './http';
import type { ResponseBudget } from './responseBudget';
import {
  extractionRetryPolicy,
  type RetryPolicy,
  TOKEN_ENDPOINT_CONNECT_TIMEOUT_MS,
  TOKEN_ENDPOINT_POLICY,
} from './retryPolicy';

/**
 * The connection pool of one extraction, from its `http` options, and its retrying
 * clients: one for pages and one for details, each through its gate (the shared rate
 * and in-flight budgets, see ./rateBudget).
 */
export function createExtractionHttp(
  http: HttpOptions,
  options: {
    allowLinkLocal?: boolean;
    budget?: ResponseBudget;
    events?: ClientEvents;
    gates?: { pages?: RequestGate; details?: RequestGate };
  },
): { transport: HttpTransport; client: RetryingClient; detailClient: RetryingClient } {
  const transport = new HttpTransport({
    connectTimeoutMs: http.connect_timeout_ms,
    allowLinkLocal: options.allowLinkLocal,
    budget: options.budget,
  });
  const policy = extractionRetryPolicy(http);
  return {
    transport,
    client: new RetryingClient(transport, policy, options.gates?.pages, options.events),
    detailClient: new RetryingClient(transport, policy, options.gates?.details, options.events),
  };
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
