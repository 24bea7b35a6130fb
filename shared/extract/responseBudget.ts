/**
 * One memory budget for every response body of the process, whatever the number of
 * runs, pages in flight and detail requests. A body reserves memory as its bytes
 * arrive; when the budget is spent by others it stops reading (the socket is paused)
 * until memory is released, and a body larger than the per-response limit fails.
 *
 * Deadlock freedom. A body holds what it has received while it waits for more, so
 * two half-received bodies could each wait for the other's memory forever. Every
 * body's final claim is bounded by the per-response limit (`claim`), so the budget
 * grants a reservation only if, afterwards, the largest holder could still receive
 * a whole claim from what is free: `free >= claim - largestHeld`. That largest holder
 * can then always finish (its own reservations keep the rule true), and once it has
 * released, `free >= claim`, so the next one can finish, and so on (the banker's
 * algorithm with one resource and equal claims). Waiters are served first come,
 * first served among those the rule allows; the largest holder is always allowed.
 *
 * Prefetched pages. A page received ahead of an earlier, slower page keeps its memory
 * until the run takes it, and it cannot give it back before the earlier page
 * finishes: it is not a holder that "can always finish". Such reservations are
 * `prefetched`: they are left out of the rule above, and together they may hold at
 * most `budgetBytes - claim`, so one whole claim always remains for the others.
 * When the earlier page has been taken, the page is promoted to an ordinary holder.
 */

/** Memory a body costs per received byte: the bytes, the decoded text, the parsed JSON values. */
export const MEMORY_PER_BODY_BYTE = 3;

const MB = 1024 * 1024;

export interface ResponseBudgetSettings {
  /** Memory all response bodies of the process may hold at once, in bytes. Default 256 MiB. */
  budgetBytes?: number;
  /** Largest response body accepted, in received bytes. Default 64 MiB. */
  maxResponseBytes?: number;
}

export const DEFAULT_RESPONSE_BUDGET_MB = 256;
export const DEFAULT_MAX_RESPONSE_MB = 64;

export interface ResponseBudgetStats {
  /** Memory reserved now, in bytes. */
  reserved: number;
  /** The most ever reserved at once; never above `budgetBytes`. */
  highWater: number;
  /** Reservations holding memory. */
  holders: number;
  /** Reservations waiting for memory. */
  waiting: number;
  /** How many reservations ever had to wait. */
  waited: number;
  /** Memory held by prefetched pages (at most `budgetBytes - claim`). */
  prefetched: number;
}

interface Waiter {
  reservation: BodyReservation;
  amount: number;
  grant(): void;
  fail(err: unknown): void;
}

/** A budget setting that cannot work, named by its environment variable. */
export class ResponseBudgetSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResponseBudgetSettingsError';
  }
}

export class ResponseBudget {
  readonly budgetBytes: number;
  readonly maxResponseBytes: number;
  /** What one body may reserve in all: `maxResponseBytes * MEMORY_PER_BODY_BYTE`. */
  readonly claim: number;
  private reserved = 0;
  private highWater = 0;
  private waited = 0;
  private prefetched = 0;
  private readonly holders = new Set<BodyReservation>();
  private readonly waiters: Waiter[] = [];

  constructor(settings: ResponseBudgetSettings = {}) {
    this.budgetBytes = settings.budgetBytes ?? DEFAULT_RESPONSE_BUDGET_MB * MB;
    this.maxResponseBytes = settings.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_MB * MB;
    this.claim = this.maxResponseBytes * MEMORY_PER_BODY_BYTE;
    if (!(this.maxResponseBytes >= 1) || !(this.budgetBytes >= this.claim)) {
      throw new ResponseBudgetSettingsError(
        `RESPONSE_MEMORY_BUDGET_MB (${formatBytes(this.budgetBytes)}) must be at least ${MEMORY_PER_BODY_BYTE} times RESPONSE_MAX_BODY_MB (${formatBytes(this.maxResponseBytes)}): one response of the largest size must fit in the budget`,
      );
    }
  }

  /** A reservation for one response body; release it once the body is no longer needed. */
  open(options: { prefetch?: boolean; onRelease?: () => void } = {}): BodyReservation {
    return new BodyReservation(this, options.prefetch ?? false, options.onRelease);
  }

  stats(): ResponseBudgetStats {
    return {
      reserved: this.reserved,
      highWater: this.highWater,
      holders: this.holders.size,
      waiting: this.waiters.length,
      waited: this.waited,
      prefetched: this.prefetched,
    };
  }

  /** @internal */
  request(reservation: BodyReservation, amount: number, signal?: AbortSignal): Promise<void> {
    if (reservation.held + amount > this.claim) {
      return Promise.reject(
        new RangeError(
          `a response may reserve at most ${this.claim} bytes (asked ${reservation.held + amount})`,
        ),
      );
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.grantNow(reservation, amount)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.dropWaiter(waiter);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        reservation,
        amount,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        fail: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waited++;
      this.waiters.push(waiter);
      this.pump();
    });
  }

  /** @internal Grants at once what {@link request} would grant without waiting; false otherwise. */
  tryRequest(reservation: BodyReservation, amount: number): boolean {
    return reservation.held + amount <= this.claim && this.grantNow(reservation, amount);
  }

  /** Grants `amount` now when nobody waits and it fits; false when it would have to wait. */
  private grantNow(reservation: BodyReservation, amount: number): boolean {
    if (this.waiters.length > 0 || !this.allows(reservation, amount)) return false;
    this.apply(reservation, amount);
    return true;
  }

  /** @internal */
  release(reservation: BodyReservation): void {
    const waiting = this.waiters.filter((w) => w.reservation === reservation);
    for (const w of waiting) {
      this.dropWaiter(w);
      w.fail(new Error('response body reservation released while waiting'));
    }
    if (this.holders.delete(reservation)) {
      this.reserved -= reservation.held;
      if (reservation.prefetch) this.prefetched -= reservation.held;
    }
    this.pump();
  }

  /** @internal */
  promote(reservation: BodyReservation): void {
    if (this.holders.has(reservation)) this.prefetched -= reservation.held;
    this.pump();
  }

  private dropWaiter(waiter: Waiter): void {
    const at = this.waiters.indexOf(waiter);
    if (at >= 0) this.waiters.splice(at, 1);
    this.pump();
  }

  /** Whether granting keeps the largest holder able to finish (see the file comment). */
  private allows(reservation: BodyReservation, amount: number): boolean {
    const freeAfter = this.budgetBytes - this.reserved - amount;
    if (freeAfter < 0) return false;
    if (reservation.prefetch && this.prefetched + amount > this.budgetBytes - this.claim) return false;
    let largest = reservation.prefetch ? -1 : reservation.held + amount;
    for (const h of this.holders) if (h !== reservation && !h.prefetch && h.held > largest) largest = h.held;
    // No ordinary holder: what prefetched pages leave free is at least one claim.
    if (largest < 0) return true;
    return freeAfter >= this.claim - largest;
  }

  private apply(reservation: BodyReservation, amount: number): void {
    reservation.held += amount;
    this.reserved += amount;
    if (reservation.prefetch) this.prefetched += amount;
    this.holders.add(reservation);
    if (this.reserved > this.highWater) this.highWater = this.reserved;
  }

  private pump(): void {
    for (let i = 0; i < this.waiters.length;) {
      const w = this.waiters[i]!;
      if (this.allows(w.reservation, w.amount)) {
        this.waiters.splice(i, 1);
        this.apply(w.reservation, w.amount);
        w.grant();
        // A grant changes the largest holder, so earlier waiters may now fit: rescan.
        i = 0;
      } else i++;
    }
  }
}

/** The memory held by one response body. `release()` is idempotent. */
export class BodyReservation {
  /** Memory reserved, in bytes. */
  held = 0;
  private released = false;

  constructor(
    private readonly budget: ResponseBudget,
    /** A page fetched ahead of an earlier one (see the file comment). */
    public prefetch: boolean,
    private readonly onRelease?: () => void,
  ) {}

  /** The earlier pages are done: this one becomes an ordinary holder. */
  promote(): void {
    if (!this.prefetch || this.released) return;
    this.prefetch = false;
    this.budget.promote(this);
  }

  /** Waits until `bodyBytes` more received bytes fit; rejects when `signal` aborts. */
  reserve(bodyBytes: number, signal?: AbortSignal): Promise<void> {
    if (this.released) return Promise.reject(new Error('response body reservation already released'));
    return this.budget.request(this, bodyBytes * MEMORY_PER_BODY_BYTE, signal);
  }

  /**
   * Reserves `bodyBytes` more received bytes now if that needs no wait (what `reserve`
   * would grant at once); false when `reserve` must be called (to wait, or to fail).
   */
  tryReserve(bodyBytes: number, signal?: AbortSignal): boolean {
    if (this.released || signal?.aborted) return false;
    return this.budget.tryRequest(this, bodyBytes * MEMORY_PER_BODY_BYTE);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.release(this);
    this.onRelease?.();
  }
}

let processBudget: ResponseBudget | undefined;

/**
 * The budget shared by every HTTP transport of this process. Composition roots call
 * {@link configureProcessResponseBudget} at start-up; until then it has the defaults.
 */
export function processResponseBudget(): ResponseBudget {
  processBudget ??= new ResponseBudget();
  return processBudget;
}

export function configureProcessResponseBudget(settings: ResponseBudgetSettings): ResponseBudget {
  processBudget = new ResponseBudget(settings);
  return processBudget;
}

export function formatBytes(bytes: number): string {
  if (bytes >= MB && bytes % MB === 0) return `${bytes / MB} MB`;
  if (bytes >= MB) return `${(bytes / MB).toFixed(1)} MB (${bytes} bytes)`;
  return `${bytes} bytes`;
}

/**
 * Ties the reservations of one page fetch (one per attempt) to the page stream that
 * keeps its result: a prefetched page holds its memory until the stream releases it.
 */
export class PageHold {
  private current: BodyReservation | undefined;
  private promoted = false;
  private released = false;

  /** Whether a reservation opened now is a prefetch. */
  get prefetch(): boolean {
    return !this.promoted;
  }

  /** Called by the transport for each attempt's reservation. */
  attach(reservation: BodyReservation): void {
    this.current = reservation;
    if (this.released) reservation.release();
    else if (this.promoted) reservation.promote();
  }

  promote(): void {
    this.promoted = true;
    this.current?.promote();
  }

  release(): void {
    this.released = true;
    this.current?.release();
  }
}
