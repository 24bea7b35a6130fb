/**
 * HTTP for extraction: pooled keep-alive connections (one undici Agent per
 * extraction run), connect/header/body timeouts, bounded retries as ./retryPolicy
 * decides (backoff with jitter on network errors, 429 and 5xx, honouring Retry-After), an
 * optional request rate limit, and a guard (see ./addressGuard) that refuses link-local
 * and cloud metadata addresses so a config cannot read the task's credentials.
 */
import { DEFAULT_MIN_BYTES_PER_SECOND, DEFAULT_REQUEST_TIMEOUT_MS } from '../core/config/schema';
import { isPermanentFailure, PermanentFailure } from '../core/errors';
import type { Readable } from 'node:stream';
import type { buildConnector as UndiciConnector } from 'undici';
import { AddressPolicy, BlockedAddressError, DEFAULT_ADDRESS_POLICY, guardedLookup } from './addressGuard';
import {
  type BodyReservation,
  formatBytes,
  MEMORY_PER_BODY_BYTE,
  type PageHold,
  processResponseBudget,
  type ResponseBudget,
} from './responseBudget';
import type { RequestGate } from '../ports/rateBudget';
import {
  errorVerdict,
  MAX_RETRY_AFTER_MS,
  retryDelay,
  type RetryPolicy,
  type RetryVerdict,
  statusVerdict,
} from './retryPolicy';
import { Agent, buildConnector, request } from './undiciClient';

export {
  AddressPolicy,
  BlockedAddressError,
  DEFAULT_BLOCKED_IPV4,
  DEFAULT_BLOCKED_IPV6,
  isBlockedAddress,
} from './addressGuard';

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Text, or bytes (a gzip-compressed body). */
  body?: string | Uint8Array;
  /** `url` already parsed (by the renderer), so the transport does not parse it again; never changed after. */
  parsedUrl?: URL;
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
  /** Which addresses are refused (unless `allowLinkLocal`); default {@link DEFAULT_ADDRESS_POLICY}. */
  addressPolicy?: AddressPolicy;
  /** Memory budget for response bodies; default the process-wide one. */
  budget?: ResponseBudget;
}

/** Time limits of one attempt. */
export interface RequestLimits {
  /** Idle timeout for the response headers and for each body chunk. */
  idleTimeoutMs: number;
  /** Deadline for the whole attempt, headers and body; default {@link DEFAULT_REQUEST_TIMEOUT_MS}. */
  totalTimeoutMs?: number;
  /**
   * Slowest body accepted: every window of `idleTimeoutMs` must bring at least this many
   * bytes per second (a body that ends first is never judged); 0 turns it off. Default
   * {@link DEFAULT_MIN_BYTES_PER_SECOND}.
   */
  minBytesPerSecond?: number;
}

export { DEFAULT_MIN_BYTES_PER_SECOND, DEFAULT_REQUEST_TIMEOUT_MS };

export interface RetryEvent {
  attempt: number;
  delayMs: number;
  reason: string;
  url: string;
}

/** A request that kept failing, or a refused one; `status` is set when the server answered. */
export class HttpRequestError extends PermanentFailure {
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

/** A response that missed its deadline or came too slowly: retried like a network error. */
export class SlowResponseError extends Error {
  constructor(
    readonly code: 'ERESPONSEDEADLINE' | 'ERESPONSETOOSLOW',
    message: string,
  ) {
    super(message);
    this.name = 'SlowResponseError';
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

/**
 * undici's connector with the address policy applied where the socket is made: an IP
 * literal is checked before connecting, a name through {@link guardedLookup} (the
 * socket uses exactly the answers checked), and the connected peer once more.
 */
function guardedConnector(timeout: number, policy: AddressPolicy): UndiciConnector.connector {
  const connect = buildConnector({ timeout, lookup: guardedLookup(policy) });
  return (options, callback) => {
    // An IP literal (a host name is never "blocked" here: its DNS answers are checked).
    if (policy.isBlocked(options.hostname)) {
      callback(new BlockedAddressError(options.hostname), null);
      return;
    }
    connect(options, (err, socket) => {
      if (err) return callback(err, null);
      const peer = socket.remoteAddress;
      if (peer && policy.isBlocked(peer)) {
        socket.destroy();
        return callback(new BlockedAddressError(`${options.hostname} -> ${peer}`), null);
      }
      callback(null, socket);
    });
  };
}

/**
 * One attempt per call; owns the connection pool. Each body reserves memory from the
 * response budget as it arrives (reading pauses while the budget is spent) and keeps
 * it until the caller releases the response.
 */
export class HttpTransport {
  private readonly agent: InstanceType<typeof Agent>;
  private readonly budget: ResponseBudget;
  private readonly reservations = new Set<BodyReservation>();

  constructor(private readonly options: TransportOptions) {
    this.budget = options.budget ?? processResponseBudget();
    this.agent = new Agent({
      connections: options.connections ?? 64,
      keepAliveTimeout: 30_000,
      connect: options.allowLinkLocal
        ? { timeout: options.connectTimeoutMs }
        : guardedConnector(options.connectTimeoutMs, options.addressPolicy ?? DEFAULT_ADDRESS_POLICY),
    });
  }

  /** `hold`: a prefetched page's stream, which then owns the body's memory (see PageHold). */
  async send(
    req: HttpRequest,
    limits: RequestLimits,
    signal?: AbortSignal,
    hold?: PageHold,
  ): Promise<HttpResponse> {
    // The URL as rendered, parsed once (a request built elsewhere is parsed here).
    const url = req.parsedUrl ?? new URL(req.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new HttpRequestError(`unsupported URL scheme "${url.protocol}"`, req.url);
    }
    // Whoever releases it (the caller, the page stream or close()), the pool forgets it.
    const reservation = this.budget.open({
      prefetch: hold?.prefetch,
      onRelease: () => this.reservations.delete(reservation),
    });
    this.reservations.add(reservation);
    hold?.attach(reservation);
    const release = (): void => reservation.release();
    const totalMs = limits.totalTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const minRate = limits.minBytesPerSecond ?? DEFAULT_MIN_BYTES_PER_SECOND;
    // One signal for the attempt: the deadline aborts it, and so does the caller's signal
    // (a listener, not AbortSignal.any, which costs a composite signal per request).
    const deadline = new AbortController();
    const expire = (): void =>
      deadline.abort(
        new SlowResponseError(
          'ERESPONSEDEADLINE',
          `no complete response within ${totalMs} ms (http.request_timeout_ms)`,
        ),
      );
    // The deadline counts the upstream's time: it stands still while this body waits
    // for the memory budget (pages of this run hold it), and moves on after.
    let deadlineAt = Date.now() + totalMs;
    let timer = setTimeout(expire, totalMs);
    const onCallerAbort = (): void => deadline.abort(signal?.reason);
    if (signal?.aborted) onCallerAbort();
    else signal?.addEventListener('abort', onCallerAbort, { once: true });
    const aborted = deadline.signal;
    try {
      const res = await request(url, {
        dispatcher: this.agent,
        method: req.method as 'GET',
        headers: req.headers,
        body: req.body,
        headersTimeout: limits.idleTimeoutMs,
        bodyTimeout: limits.idleTimeoutMs,
        signal: aborted,
      });
      const limit = this.budget.maxResponseBytes;
      const declared = contentLength(res.headers['content-length']);
      if (declared !== undefined && declared > limit) {
        res.body.destroy();
        throw new ResponseTooLargeError(req.url, res.statusCode, limit, declared);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let windowStart = Date.now();
      let windowBytes = 0;
      await readChunks(res.body, (chunk) => {
        if (size + chunk.length > limit)
          throw new ResponseTooLargeError(req.url, res.statusCode, limit, undefined);
        const received = (): void => {
          size += chunk.length;
          chunks.push(chunk);
          windowBytes += chunk.length;
          const elapsed = Date.now() - windowStart;
          if (minRate > 0 && elapsed >= limits.idleTimeoutMs) {
            if ((windowBytes * 1000) / elapsed < minRate) {
              throw new SlowResponseError(
                'ERESPONSETOOSLOW',
                `response body slower than ${minRate} bytes/s (${windowBytes} bytes in ${elapsed} ms; http.min_bytes_per_second)`,
              );
            }
            windowStart += elapsed;
            windowBytes = 0;
          }
        };
        // Granted at once when the budget has room (the common case): no promise, no wait.
        if (reservation.tryReserve(chunk.length, aborted)) return received();
        // Not reading while this waits is the backpressure: the socket is paused. The
        // wait is the budget's, not the upstream's: it does not count against the rate.
        const waitStart = Date.now();
        clearTimeout(timer);
        return reservation.reserve(chunk.length, aborted).then(() => {
          const waited = Date.now() - waitStart;
          windowStart += waited;
          deadlineAt += waited;
          timer = setTimeout(expire, Math.max(0, deadlineAt - Date.now()));
          received();
        });
      });
      const body = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      chunks.length = 0;
      return { status: res.statusCode, headers: res.headers, body, url: req.url, release };
    } catch (err) {
      release();
      // The deadline's own error, whichever way undici surfaced the abort.
      if (deadline.signal.aborted && !signal?.aborted) throw deadline.signal.reason;
      throw err;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  close(): Promise<void> {
    for (const reservation of [...this.reservations]) reservation.release();
    return this.agent.close();
  }
}

/**
 * Reads a body chunk by chunk, as `for await` would, without an async iterator per
 * response: `take` handles each chunk; while the promise it may return is pending the
 * stream is paused (backpressure). A throw or rejection of `take`, or an error of the
 * stream, destroys the stream and rejects.
 */
function readChunks(stream: Readable, take: (chunk: Buffer) => Promise<void> | void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    /** A chunk waiting to be taken (for the memory budget). */
    let taking: Promise<void> | undefined;
    const finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (err === undefined) resolve();
      else {
        // Destroying emits an abort error of its own, with nobody left to hear it.
        stream.on('error', ignore);
        stream.destroy();
        reject(err);
      }
    };
    const onData = (chunk: Buffer): void => {
      let wait: Promise<void> | void;
      try {
        wait = take(chunk);
      } catch (err) {
        finish(err);
        return;
      }
      if (!wait) return;
      stream.pause();
      taking = wait.then(
        () => {
          taking = undefined;
          if (!settled) stream.resume();
        },
        (err: unknown) => finish(err),
      );
    };
    // The stream may end while the last chunk still waits to be taken: finish after it.
    let ended = false;
    const onEnd = (): void => {
      ended = true;
      if (taking) void taking.then(() => finish());
      else finish();
    };
    const onError = (err: unknown): void => finish(err);
    // Destroyed without an error: the body was cut short.
    const onClose = (): void => {
      if (!ended) finish(new Error('response body closed before its end'));
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.once('close', onClose);
  });
}

function ignore(): void {}

function contentLength(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text || !/^\d+$/.test(text.trim())) return undefined;
  return Number(text);
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
    /** The upstream's shared budget (rate, requests in flight, pauses), when it has one. */
    private readonly gate?: RequestGate,
    private readonly events: ClientEvents = {},
  ) {}

  async send(build: () => HttpRequest, signal?: AbortSignal, hold?: PageHold): Promise<HttpResponse> {
    for (let attempt = 1; ; attempt++) {
      const req = build();
      signal?.throwIfAborted();
      const leave = this.gate ? (this.gate.tryEnter?.(signal) ?? (await this.gate.enter(signal))) : undefined;
      this.events.onRequest?.();
      let verdict: RetryVerdict;
      let outcome: HttpResponse | undefined;
      let failure: unknown;
      try {
        outcome = await this.transport.send(
          req,
          {
            idleTimeoutMs: this.policy.timeoutMs,
            totalTimeoutMs: this.policy.requestTimeoutMs,
            minBytesPerSecond: this.policy.minBytesPerSecond,
          },
          signal,
          hold,
        );
        verdict = statusVerdict(outcome.status, outcome.headers, Date.now(), this.policy.alsoRetried);
      } catch (err) {
        failure = err;
        verdict = errorVerdict(err);
      } finally {
        leave?.();
      }
      // The caller owns a returned response; one that is dropped gives its memory back now.
      if (!verdict.retry) {
        if (outcome) return outcome;
        throw isPermanentFailure(failure)
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
      const wait = retryDelay(attempt, verdict, this.policy);
      // A 429, or any answer naming a wait, slows every sender of the budget, not only this one.
      if (this.gate && (outcome?.status === 429 || verdict.retryAfterMs !== undefined))
        this.gate.slowDown(Date.now() + (wait ?? Math.min(verdict.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS)));
      if (wait === undefined) {
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
