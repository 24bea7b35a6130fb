import type { HttpOptions } from '../core/config/types';
import { type ClientEvents, HttpTransport, RateLimiter, RetryingClient } from './http';

/** The connection pool and retrying client of one extraction, from its `http` options. */
export function createExtractionHttp(
  http: HttpOptions,
  options: { allowLinkLocal?: boolean; events?: ClientEvents },
): { transport: HttpTransport; client: RetryingClient } {
  const transport = new HttpTransport({
    connectTimeoutMs: http.connect_timeout_ms,
    allowLinkLocal: options.allowLinkLocal,
  });
  const client = new RetryingClient(
    transport,
    {
      maxAttempts: http.max_attempts,
      backoffBaseMs: http.backoff_base_ms,
      backoffMaxMs: http.backoff_max_ms,
      timeoutMs: http.timeout_ms,
      requestTimeoutMs: http.request_timeout_ms,
      minBytesPerSecond: http.min_bytes_per_second,
    },
    http.requests_per_second ? new RateLimiter(http.requests_per_second) : undefined,
    options.events,
  );
  return { transport, client };
}

/** The token endpoint's pool and client: a few quick tries, a run cannot start without it. */
export function createTokenEndpointHttp(options: { allowLinkLocal?: boolean }): {
  transport: HttpTransport;
  client: RetryingClient;
} {
  const transport = new HttpTransport({ connectTimeoutMs: 10_000, allowLinkLocal: options.allowLinkLocal });
  const client = new RetryingClient(transport, {
    maxAttempts: 3,
    backoffBaseMs: 500,
    backoffMaxMs: 10_000,
    timeoutMs: 30_000,
  });
  return { transport, client };
}
