/**
 * HTTP for extraction: pooled keep-alive connections (one undici Agent per
 * extraction run), connect/header/body timeouts, bounded retries with exponential
 * backoff and jitter on network errors, 429 and 5xx (honouring Retry-After), an
 * optional request rate limit, and a guard that refuses link-local and cloud
 * metadata addresses so a config cannot read the task's credentials.
 */
import dns from 'node:dns';
import net from 'node:net';
import { Agent, request } from 'undici';
import {
  type BodyReservation,
  formatBytes,
  MEMORY_PER_BODY_BYTE,
  type PageHold,
  processResponseBudget,
  type ResponseBudget,
} from './responseBudget';

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text ('' when empty). */
  body: string;
  url: string;
  /**
   * Gives the body's memory back to the response budget; call it once the body is
   * parsed (idempotent). Bodies not released are released when the transport closes.
   */
  release(): void;
}

export interface TransportOptions {
  connectTimeoutMs: number;
  /** Connections kept per origin. */
  connections?: number;
  /** Deployment-level escape hatch (ALLOW_LINK_LOCAL_REQUESTS); configs cannot set it. */
  allowLinkLocal?: boolean;
  /** Memory budget for response bodies; default the process-wide one. */
  budget?: ResponseBudget;
}

export interface RetryPolicy {
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Idle timeout for the response headers and for each body chunk. */
  timeoutMs: number;
}

export interface RetryEvent {
  attempt: number;
  delayMs: number;
  reason: string;
  url: string;
}

/** A request that kept failing, or a refused one; `status` is set when the server answered. */
export class HttpRequestError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HttpRequestError';
  }
}

/** A body over the per-response limit: permanent, the same answer would come again. */
export class ResponseTooLargeError extends HttpRequestError {
  constructor(url: string, status: number, limit: number, contentLength: number | undefined) {
    const size =
      contentLength !== undefined
        ? `its Content-Length is ${contentLength} bytes`
        : `more than ${limit} bytes arrived`;
    super(
      `response from ${withoutCredentials(url)} is larger than the per-response limit of ${formatBytes(limit)} (${size}); ` +
        `raise RESPONSE_MAX_BODY_MB (and RESPONSE_MEMORY_BUDGET_MB, at least ${MEMORY_PER_BODY_BYTE} times as large) if such responses are expected, or request smaller pages`,
      withoutCredentials(url),
      status,
    );
    this.name = 'ResponseTooLargeError';
  }
}

/** The URL without `user:password@`. */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

export class BlockedAddressError extends Error {
  readonly code = 'EBLOCKEDADDRESS';
  constructor(address: string) {
    super(`requests to link-local and metadata addresses are refused (${address})`);
    this.name = 'BlockedAddressError';
  }
}

/** A Retry-After longer than this is not worth waiting for: the request fails instead. */
const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

/** 169.254.0.0/16 (IPv4 link-local, EC2 and ECS metadata), fe80::/10, fd00:ec2::254. */
export function isBlockedAddress(address: string): boolean {
  const ip = address.replace(/^\[|\]$/g, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  const v4 = mapped ? mapped[1]! : ip;
  if (net.isIPv4(v4)) return v4.startsWith('169.254.');
  if (!net.isIPv6(ip)) return false;
  if (/^fe[89ab][0-9a-f]:/.test(ip)) return true;
  return expandIPv6(ip) === 'fd00:0ec2:0000:0000:0000:0000:0000:0254';
}

function expandIPv6(ip: string): string {
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.map((g) => g.padStart(4, '0')).join(':');
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

function guardedLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, options, (err, address, family) => {
    if (err) return callback(err, '', 0);
    const addresses = Array.isArray(address) ? address.map((a) => a.address) : [address];
    const blocked = addresses.find(isBlockedAddress);
    if (blocked) return callback(new BlockedAddressError(`${hostname} -> ${blocked}`), '', 0);
    callback(null, address, family);
  });
}

/**
 * One attempt per call; owns the connection pool. Each body reserves memory from the
 * response budget as it arrives (reading pauses while the budget is spent) and keeps
 * it until the caller releases the response.
 */
export class HttpTransport {
  private readonly agent: Agent;
  private readonly budget: ResponseBudget;
  private readonly reservations = new Set<BodyReservation>();

  constructor(private readonly options: TransportOptions) {
    this.budget = options.budget ?? processResponseBudget();
    this.agent = new Agent({
      connections: options.connections ?? 64,
      keepAliveTimeout: 30_000,
      connect: options.allowLinkLocal
        ? { timeout: options.connectTimeoutMs }
        : { timeout: options.connectTimeoutMs, lookup: guardedLookup },
    });
  }

  /** `hold`: a prefetched page's stream, which then owns the body's memory (see PageHold). */
  async send(
    req: HttpRequest,
    timeoutMs: number,
    signal?: AbortSignal,
    hold?: PageHold,
  ): Promise<HttpResponse> {
    const url = new URL(req.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new HttpRequestError(`unsupported URL scheme "${url.protocol}"`, req.url);
    }
    // IP literals skip DNS, so the lookup guard never sees them.
    if (!this.options.allowLinkLocal && isBlockedAddress(url.hostname)) {
      throw new BlockedAddressError(url.hostname);
    }
    // Whoever releases it (the caller, the page stream or close()), the pool forgets it.
    const reservation = this.budget.open({
      prefetch: hold?.prefetch,
      onRelease: () => this.reservations.delete(reservation),
    });
    this.reservations.add(reservation);
    hold?.attach(reservation);
    const release = (): void => reservation.release();
    try {
      const res = await request(url, {
        dispatcher: this.agent,
        method: req.method as 'GET',
        headers: req.headers,
        body: req.body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal,
      });
      const limit = this.budget.maxResponseBytes;
      const declared = contentLength(res.headers['content-length']);
      if (declared !== undefined && declared > limit) {
        res.body.destroy();
        throw new ResponseTooLargeError(req.url, res.statusCode, limit, declared);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        if (size + chunk.length > limit)
          throw new ResponseTooLargeError(req.url, res.statusCode, limit, undefined);
        // Not reading while this waits is the backpressure: undici pauses the socket.
        await reservation.reserve(chunk.length, signal);
        size += chunk.length;
        chunks.push(chunk);
      }
      const body = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      chunks.length = 0;
      return { status: res.statusCode, headers: res.headers, body, url: req.url, release };
    } catch (err) {
      release();
      throw err;
    }
  }

  close(): Promise<void> {
    for (const reservation of [...this.reservations]) reservation.release();
    return this.agent.close();
  }
}

function contentLength(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text || !/^\d+$/.test(text.trim())) return undefined;
  return Number(text);
}

/** Spaces requests evenly: at most `perSecond` starts in any second. */
export class RateLimiter {
  private nextSlot = 0;
  private readonly intervalMs: number;

  constructor(perSecond: number) {
    this.intervalMs = 1000 / perSecond;
  }

  async acquire(): Promise<void> {
    const now = Date.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.intervalMs;
    if (slot > now) await delay(slot - now);
  }
}

/** What to do with an attempt's outcome; one table instead of scattered ifs. */
type Verdict = { retry: false } | { retry: true; reason: string; retryAfterMs?: number };

function classifyStatus(res: HttpResponse): Verdict {
  if (res.status === 429 || res.status >= 500) {
    return {
      retry: true,
      reason: `HTTP ${res.status}`,
      retryAfterMs: parseRetryAfter(res.headers['retry-after']),
    };
  }
  return { retry: false };
}

function classifyError(err: unknown): Verdict {
  if (err instanceof BlockedAddressError || err instanceof HttpRequestError) return { retry: false };
  const e = err as { name?: string; code?: string; message?: string };
  if (e.name === 'AbortError' || e.code === 'UND_ERR_ABORTED') return { retry: false };
  return { retry: true, reason: e.code ?? e.message ?? String(err) };
}

/** Seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'backoffBaseMs' | 'backoffMaxMs'>,
): number {
  const ceiling = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** (attempt - 1));
  // "Equal jitter": never less than half the ceiling, so retries still back off.
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

export interface ClientEvents {
  onRequest?(): void;
  onRetry?(event: RetryEvent): void;
}

/**
 * Sends a request with retries. `build` is called for every attempt so that
 * references (a refreshed token) are rendered fresh each time.
 */
export class RetryingClient {
  constructor(
    private readonly transport: HttpTransport,
    private readonly policy: RetryPolicy,
    private readonly limiter?: RateLimiter,
    private readonly events: ClientEvents = {},
  ) {}

  async send(build: () => HttpRequest, signal?: AbortSignal, hold?: PageHold): Promise<HttpResponse> {
    for (let attempt = 1; ; attempt++) {
      const req = build();
      if (this.limiter) await this.limiter.acquire();
      signal?.throwIfAborted();
      this.events.onRequest?.();
      let verdict: Verdict;
      let outcome: HttpResponse | undefined;
      let failure: unknown;
      try {
        outcome = await this.transport.send(req, this.policy.timeoutMs, signal, hold);
        verdict = classifyStatus(outcome);
      } catch (err) {
        failure = err;
        verdict = classifyError(err);
      }
      // The caller owns a returned response; one that is dropped gives its memory back now.
      if (!verdict.retry) {
        if (outcome) return outcome;
        throw failure instanceof HttpRequestError || failure instanceof BlockedAddressError
          ? failure
          : new HttpRequestError(
              `${req.method} ${req.url} failed: ${describeError(failure)}`,
              req.url,
              undefined,
              {
                cause: failure,
              },
            );
      }
      outcome?.release();
      const wait = verdict.retryAfterMs ?? backoffDelay(attempt, this.policy);
      if (attempt >= this.policy.maxAttempts || wait > MAX_RETRY_AFTER_MS) {
        const why = outcome ? `HTTP ${outcome.status}: ${excerpt(outcome.body)}` : describeError(failure);
        throw new HttpRequestError(
          `${req.method} ${req.url} failed after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${why}`,
          req.url,
          outcome?.status,
          { cause: failure },
        );
      }
      this.events.onRetry?.({ attempt, delayMs: wait, reason: verdict.reason, url: req.url });
      await delay(wait, signal);
    }
  }
}

export function describeError(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.code ?? e?.cause?.code;
  const message = e?.message ?? String(err);
  return code && !message.includes(code) ? `${code} ${message}` : message;
}

/** A short, single-line piece of a response body for error messages. */
export function excerpt(body: string, max = 200): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  if (!flat) return '(empty body)';
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
