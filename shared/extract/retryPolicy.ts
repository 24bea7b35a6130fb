/**
 * Retry policy, in one place: how many attempts, how long to wait between them
 * (exponential backoff with equal jitter, or the server's Retry-After), which answers
 * and errors are worth another attempt, and the fixed policies of the token endpoint
 * and of previews. Pure: the HTTP client (./http) applies it.
 */
import type { HttpOptions } from '../core/config/types';
import { isPermanentFailure } from '../core/errors';

export interface RetryPolicy {
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Idle timeout for the response headers and for each body chunk. */
  timeoutMs: number;
  /** Deadline for one attempt, headers and whole body (see RequestLimits in ./http). */
  requestTimeoutMs?: number;
  /** Slowest body accepted (see RequestLimits in ./http). */
  minBytesPerSecond?: number;
  /** Statuses retried besides 429 and 5xx (Carol's 408 and 409). */
  alsoRetried?: readonly number[];
}

/** A Retry-After longer than this is not worth waiting for: the request fails instead. */
export const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

/** What to do with an attempt's outcome. */
export type RetryVerdict = { retry: false } | { retry: true; reason: string; retryAfterMs?: number };

/** 429 (too many requests) and every 5xx are retried; any other status is the answer. */
export function isRetriedStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** The verdict on a response: retried statuses wait for the server's Retry-After when it sends one. */
export function statusVerdict(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  now = Date.now(),
  alsoRetried: readonly number[] = [],
): RetryVerdict {
  if (!isRetriedStatus(status) && !alsoRetried.includes(status)) return { retry: false };
  return {
    retry: true,
    reason: `HTTP ${status}`,
    retryAfterMs: parseRetryAfter(headers['retry-after'], now),
  };
}

/**
 * The verdict on an attempt that threw: an abort and a permanent failure (the client's
 * own refusals: a blocked address, a refused or already retried request) are final;
 * anything else (a network error, a timeout, a slow body) is retried.
 */
export function errorVerdict(err: unknown): RetryVerdict {
  if (isPermanentFailure(err)) return { retry: false };
  const e = err as { name?: string; code?: string; message?: string } | null | undefined;
  if (e?.name === 'AbortError' || e?.code === 'UND_ERR_ABORTED') return { retry: false };
  return { retry: true, reason: e?.code ?? e?.message ?? String(err) };
}

/** The HTTP-date forms (RFC 9110 5.6.7): IMF-fixdate and the obsolete RFC 850 form, both in GMT. */
const HTTP_DATE = [
  /^[a-z]{3}, \d{2} [a-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/i,
  /^[a-z]{6,9}, \d{2}-[a-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT$/i,
];
/** The obsolete asctime form, which names no zone (it is GMT). */
const ASCTIME_DATE = /^[a-z]{3} [a-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/i;

/**
 * Retry-After in seconds or as an HTTP-date, in ms from `now` (a date in the past: no
 * wait); undefined when absent or neither form, so the backoff applies (JavaScript's
 * lenient date parser would read `-5` or `Dec 1` as dates long past).
 */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  let date: number;
  if (HTTP_DATE.some((form) => form.test(text))) date = Date.parse(text);
  else if (ASCTIME_DATE.test(text)) date = Date.parse(`${text} GMT`);
  else return undefined;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The wait before attempt `attempt + 1`: the ceiling doubles from `backoffBaseMs` up to
 * `backoffMaxMs`, and the wait is drawn between half the ceiling and the ceiling
 * ("equal jitter": never less than half, so retries still back off).
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'backoffBaseMs' | 'backoffMaxMs'>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * How long to wait after failed attempt number `attempt` (1-based) before the next one,
 * or undefined to give up: the attempts are spent, or the server asks for a wait
 * longer than {@link MAX_RETRY_AFTER_MS}.
 */
export function retryDelay(
  attempt: number,
  verdict: { retryAfterMs?: number },
  policy: Pick<RetryPolicy, 'maxAttempts' | 'backoffBaseMs' | 'backoffMaxMs'>,
): number | undefined {
  const wait = verdict.retryAfterMs ?? backoffDelay(attempt, policy);
  if (attempt >= policy.maxAttempts || wait > MAX_RETRY_AFTER_MS) return undefined;
  return wait;
}

/** The policy of an extraction's requests, from its `http` options. */
export function extractionRetryPolicy(http: HttpOptions): RetryPolicy {
  return {
    maxAttempts: http.max_attempts,
    backoffBaseMs: http.backoff_base_ms,
    backoffMaxMs: http.backoff_max_ms,
    timeoutMs: http.timeout_ms,
    requestTimeoutMs: http.request_timeout_ms,
    minBytesPerSecond: http.min_bytes_per_second,
  };
}

/** Carol asks clients to retry 408 (timeout) and 409 (conflict) too, besides 429 and 5xx. */
export const CAROL_ALSO_RETRIED: readonly number[] = Object.freeze([408, 409]);

/** The policy of the requests to Carol: the extraction's `http` options, 408 and 409 retried too. */
export function carolRetryPolicy(http: HttpOptions): RetryPolicy {
  return { ...extractionRetryPolicy(http), alsoRetried: CAROL_ALSO_RETRIED };
}

/** Connect timeout of the token endpoint's connections (runs and previews). */
export const TOKEN_ENDPOINT_CONNECT_TIMEOUT_MS = 10_000;

/** The token endpoint during a run: a few quick tries, a run cannot start without a token. */
export const TOKEN_ENDPOINT_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 3,
  backoffBaseMs: 500,
  backoffMaxMs: 10_000,
  timeoutMs: 30_000,
});

/** Attempts and idle timeout of preview requests, whatever the extraction says. */
export const PREVIEW_MAX_ATTEMPTS = 2;
export const PREVIEW_TIMEOUT_MS = 15_000;

/** The token endpoint during a preview: the preview caps, short backoff. */
export const PREVIEW_TOKEN_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: PREVIEW_MAX_ATTEMPTS,
  backoffBaseMs: 200,
  backoffMaxMs: 2_000,
  timeoutMs: PREVIEW_TIMEOUT_MS,
});

/**
 * An extraction's `http` options capped for a preview: at most {@link PREVIEW_MAX_ATTEMPTS}
 * attempts, an idle timeout of at most {@link PREVIEW_TIMEOUT_MS} and a per-attempt
 * deadline of at most twice that; everything else as configured.
 */
export function previewHttp(http: HttpOptions): HttpOptions {
  return {
    ...http,
    max_attempts: Math.min(http.max_attempts, PREVIEW_MAX_ATTEMPTS),
    timeout_ms: Math.min(http.timeout_ms, PREVIEW_TIMEOUT_MS),
    request_timeout_ms: Math.min(http.request_timeout_ms, 2 * PREVIEW_TIMEOUT_MS),
  };
}

/** Transaction conflicts in DynamoDB: waits of 25–50 ms doubling up to 0.5–1 s, at most 8 attempts. */
export const CONFLICT_RETRY: Readonly<Pick<RetryPolicy, 'maxAttempts' | 'backoffBaseMs' | 'backoffMaxMs'>> =
  Object.freeze({ maxAttempts: 8, backoffBaseMs: 50, backoffMaxMs: 1_000 });
