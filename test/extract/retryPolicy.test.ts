/**
 * The retry policy, directly: backoff bounds with jitter, Retry-After in both forms,
 * which statuses and errors are retried, when to give up, and the fixed policies
 * (token endpoint, preview caps). The client applying it over HTTP is tested through
 * the engine (test/engine/faults.test.ts).
 */
import type { HttpOptions } from '../../shared/core/config/types';
import {
  backoffDelay,
  carolRetryPolicy,
  CONFLICT_RETRY,
  errorVerdict,
  extractionRetryPolicy,
  isRetriedStatus,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  PREVIEW_MAX_ATTEMPTS,
  PREVIEW_TIMEOUT_MS,
  PREVIEW_TOKEN_POLICY,
  previewHttp,
  retryDelay,
  statusVerdict,
  TOKEN_ENDPOINT_POLICY,
} from '../../shared/extract/retryPolicy';
import { PermanentFailure } from '../../shared/core/errors';

describe('backoffDelay', () => {
  const policy = { backoffBaseMs: 100, backoffMaxMs: 1_000 };

  test.each<[number, number]>([
    [1, 100],
    [2, 200],
    [3, 400],
    [4, 800],
    [5, 1_000],
    [30, 1_000],
  ])('attempt %i: between half the ceiling and the ceiling %i ms', (attempt, ceiling) => {
    expect(backoffDelay(attempt, policy, () => 0)).toBe(ceiling / 2);
    expect(backoffDelay(attempt, policy, () => 0.999_999)).toBe(ceiling);
    expect(backoffDelay(attempt, policy, () => 0.5)).toBe(Math.round(ceiling * 0.75));
  });

  test('with real jitter every wait stays within the bounds and they are not all equal', () => {
    const waits = Array.from({ length: 200 }, () => backoffDelay(3, policy));
    for (const wait of waits) {
      expect(wait).toBeGreaterThanOrEqual(200);
      expect(wait).toBeLessThanOrEqual(400);
    }
    expect(new Set(waits).size).toBeGreaterThan(1);
  });

  test('a zero base never waits', () => {
    expect(backoffDelay(5, { backoffBaseMs: 0, backoffMaxMs: 1_000 })).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-29T12:00:00Z');

  test.each<[string, string | string[] | undefined, number | undefined]>([
    ['whole seconds', '120', 120_000],
    ['zero', '0', 0],
    ['fractional seconds', '1.5', 1_500],
    ['seconds with spaces around', ' 3 ', 3_000],
    ['the first of repeated headers', ['2', '9'], 2_000],
    ['an HTTP-date in the future', 'Sun, 29 Nov 2026 12:00:30 GMT', 30_000],
    ['an HTTP-date in the past: no wait', 'Sun, 29 Nov 2026 11:59:00 GMT', 0],
    ['an obsolete RFC 850 date', 'Sunday, 29-Nov-26 12:01:00 GMT', 60_000],
    ['an obsolete asctime date (GMT)', 'Sun Nov 29 12:00:05 2026', 5_000],
    ['an asctime date with a one-digit day', 'Tue Dec  1 12:00:00 2026', 2 * 86_400_000],
    ['absent', undefined, undefined],
    ['empty', '', undefined],
    ['garbage', 'soon', undefined],
    ['negative seconds (neither form)', '-5', undefined],
    ['seconds with a unit', '10s', undefined],
    ['a date JavaScript reads leniently', 'Dec 1', undefined],
    ['an ISO date (not an HTTP-date)', '2026-11-29T12:00:30Z', undefined],
    ['an HTTP-date in another zone', 'Sun, 29 Nov 2026 12:00:30 PST', undefined],
  ])('%s', (_name, value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('verdicts', () => {
  test('429 and every 5xx are retried; other statuses are the answer', () => {
    for (const status of [429, 500, 502, 503, 504, 599]) expect(isRetriedStatus(status)).toBe(true);
    for (const status of [200, 204, 301, 304, 400, 401, 403, 404, 408, 428])
      expect(isRetriedStatus(status)).toBe(false);
  });

  test('a retried status carries its reason and the Retry-After wait', () => {
    const now = Date.parse('2026-11-29T12:00:00Z');
    expect(statusVerdict(503, { 'retry-after': '7' }, now)).toEqual({
      retry: true,
      reason: 'HTTP 503',
      retryAfterMs: 7_000,
    });
    expect(statusVerdict(429, {}, now)).toEqual({ retry: true, reason: 'HTTP 429', retryAfterMs: undefined });
    expect(statusVerdict(404, { 'retry-after': '7' }, now)).toEqual({ retry: false });
  });

  test("Carol's policy retries 408 and 409 too; an extraction's does not", () => {
    const now = Date.parse('2026-11-29T12:00:00Z');
    const http = {
      max_attempts: 3,
      backoff_base_ms: 10,
      backoff_max_ms: 20,
      timeout_ms: 1000,
    } as HttpOptions;
    const carol = carolRetryPolicy(http);
    expect(carol).toMatchObject({ maxAttempts: 3, backoffBaseMs: 10, backoffMaxMs: 20 });
    for (const status of [408, 409])
      expect(statusVerdict(status, { 'retry-after': '2' }, now, carol.alsoRetried)).toEqual({
        retry: true,
        reason: `HTTP ${status}`,
        retryAfterMs: 2_000,
      });
    expect(statusVerdict(400, {}, now, carol.alsoRetried)).toEqual({ retry: false });
    expect(statusVerdict(409, {}, now, extractionRetryPolicy(http).alsoRetried)).toEqual({ retry: false });
  });

  test('network errors and timeouts are retried, with their code (or message) as the reason', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(errorVerdict(reset)).toEqual({ retry: true, reason: 'ECONNRESET' });
    expect(errorVerdict(new Error('no code here'))).toEqual({ retry: true, reason: 'no code here' });
    expect(errorVerdict('a string')).toEqual({ retry: true, reason: 'a string' });
  });

  test('aborts, and the errors named final, are not retried', () => {
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    expect(errorVerdict(abort)).toEqual({ retry: false });
    expect(errorVerdict(Object.assign(new Error('x'), { code: 'UND_ERR_ABORTED' }))).toEqual({
      retry: false,
    });
    class Refused extends PermanentFailure {}
    expect(errorVerdict(new Refused('blocked'))).toEqual({ retry: false });
    expect(errorVerdict(new Error('other')).retry).toBe(true);
  });
});

describe('retryDelay', () => {
  const policy = { maxAttempts: 3, backoffBaseMs: 100, backoffMaxMs: 1_000 };

  test('backs off while attempts remain, then gives up', () => {
    const first = retryDelay(1, {}, policy);
    expect(first).toBeGreaterThanOrEqual(50);
    expect(first).toBeLessThanOrEqual(100);
    expect(retryDelay(2, {}, policy)).toBeGreaterThanOrEqual(100);
    expect(retryDelay(3, {}, policy)).toBeUndefined();
  });

  test("the server's Retry-After replaces the backoff, up to the longest wait worth waiting", () => {
    expect(retryDelay(1, { retryAfterMs: 5_000 }, policy)).toBe(5_000);
    expect(retryDelay(1, { retryAfterMs: 0 }, policy)).toBe(0);
    expect(retryDelay(1, { retryAfterMs: MAX_RETRY_AFTER_MS }, policy)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryDelay(1, { retryAfterMs: MAX_RETRY_AFTER_MS + 1 }, policy)).toBeUndefined();
  });
});

describe('policies', () => {
  const http: HttpOptions = {
    timeout_ms: 60_000,
    connect_timeout_ms: 5_000,
    request_timeout_ms: 300_000,
    min_bytes_per_second: 100,
    max_attempts: 6,
    backoff_base_ms: 250,
    backoff_max_ms: 8_000,
  } as HttpOptions;

  test("an extraction's policy is its http options", () => {
    expect(extractionRetryPolicy(http)).toEqual({
      maxAttempts: 6,
      backoffBaseMs: 250,
      backoffMaxMs: 8_000,
      timeoutMs: 60_000,
      requestTimeoutMs: 300_000,
      minBytesPerSecond: 100,
    });
  });

  test('the token endpoint: 3 attempts, 500 ms doubling up to 10 s, 30 s idle timeout', () => {
    expect(TOKEN_ENDPOINT_POLICY).toEqual({
      maxAttempts: 3,
      backoffBaseMs: 500,
      backoffMaxMs: 10_000,
      timeoutMs: 30_000,
    });
  });

  test('previews: 2 attempts and 15 s at most, the deadline at most twice that, the rest as configured', () => {
    expect(PREVIEW_MAX_ATTEMPTS).toBe(2);
    expect(PREVIEW_TIMEOUT_MS).toBe(15_000);
    expect(previewHttp(http)).toEqual({
      ...http,
      max_attempts: 2,
      timeout_ms: 15_000,
      request_timeout_ms: 30_000,
    });
    const modest = { ...http, max_attempts: 1, timeout_ms: 1_000, request_timeout_ms: 2_000 };
    expect(previewHttp(modest)).toEqual(modest);
    expect(PREVIEW_TOKEN_POLICY).toEqual({
      maxAttempts: 2,
      backoffBaseMs: 200,
      backoffMaxMs: 2_000,
      timeoutMs: 15_000,
    });
  });

  test('DynamoDB transaction conflicts: 8 attempts, waits from 25–50 ms up to 0.5–1 s', () => {
    expect(CONFLICT_RETRY.maxAttempts).toBe(8);
    expect(backoffDelay(1, CONFLICT_RETRY, () => 0)).toBe(25);
    expect(backoffDelay(1, CONFLICT_RETRY, () => 0.999_999)).toBe(50);
    expect(backoffDelay(7, CONFLICT_RETRY, () => 0)).toBe(500);
    expect(backoffDelay(7, CONFLICT_RETRY, () => 0.999_999)).toBe(1_000);
  });
});
