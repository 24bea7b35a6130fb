/**
 * One request budget per upstream, shared by every process that calls it: a rate
 * (request starts per second) and a number of requests in flight. The store keeps
 * one small record per budget; workers claim allowances from it in small batches
 * (see shared/extract/rateBudget.ts), so the store is not asked once per request.
 */

/** A holder's share of the in-flight allowance, leased until `expiresAt` (epoch ms). */
export interface InFlightLease {
  slots: number;
  expiresAt: number;
  /** The holder wants slots it does not have: others give back down to a fair share. */
  waiting?: boolean;
}

/** The shared record of one budget. */
export interface BudgetState {
  /** Epoch ms of the next request start nobody has claimed yet. */
  nextSlot: number;
  /** Epoch ms before which no request starts: the upstream answered 429 or sent `Retry-After`. */
  pausedUntil: number;
  /** In-flight allowances by holder (one entry per process and budget). */
  holders: Record<string, InFlightLease>;
}

export interface StoredBudget {
  state: BudgetState;
  /** Bumped by every write; 0 = no record yet. */
  version: number;
}

/** Where budgets are kept: a read and a compare-and-set on the version. */
export interface RateBudgetStore {
  read(key: string): Promise<StoredBudget | undefined>;
  /**
   * Stores `state` as version `expected + 1` if the stored version is still `expected`
   * (0: there is no record yet); false, and nothing written, otherwise.
   */
  write(key: string, state: BudgetState, expected: number): Promise<boolean>;
}

/** What a client asks of a budget before each attempt it sends. */
export interface RequestGate {
  /** Waits for a turn (a rate slot and an in-flight slot); the returned function ends it. */
  enter(signal?: AbortSignal): Promise<() => void>;
  /**
   * A turn now, when one is free and nothing needs waiting for or reading from the store
   * (what `enter` would grant at once, without its promises); undefined: call `enter`.
   */
  tryEnter?(signal?: AbortSignal): (() => void) | undefined;
  /** The upstream asked to slow down: no sender of this budget starts a request before `untilMs`. */
  slowDown(untilMs: number): void;
}
