/**
 * One request budget per upstream for every process that calls it (see
 * ports/rateBudget): rate slots and in-flight slots are claimed from a shared record
 * in small batches, and a 429 or `Retry-After` seen by one sender pauses all of them.
 *
 * Rate: the record holds the next unclaimed start time; a claim of n requests takes n
 * start times spaced `1 / (rate × (1 − RATE_HEADROOM))` apart and moves it on, so the
 * starts of all processes never crowd. A start that comes too late (a busy event loop)
 * is dropped rather than sent, since sending it could put one request too many into
 * the next second. In flight: each process leases a share of the limit for
 * `IN_FLIGHT_LEASE_MS`, renews it while it sends, gives it back when idle, and gives back down
 * to a fair share when another process is waiting; a claim asks for as many slots as
 * its senders wait for (up to the limit or the fair share), so a share is not ramped up
 * one slot per claim.
 *
 * Pauses: a budget with a limit writes the pauses its process meets into its record and
 * learns the others' whenever it exchanges with the store anyway (a claim, a renewal, a
 * give-back). The budgets of one extraction in one process share what they learn
 * (`budgetGate` joins them), so a budget with nothing to enforce — the rate budget of a
 * config without `requests_per_second` — never asks the store: its pauses come from its
 * own process and, through the in-flight budgets beside it, from every other.
 */
import { randomUUID } from 'node:crypto';
import type {
  BudgetState,
  InFlightLease,
  RateBudgetStore,
  RequestGate,
  StoredBudget,
} from '../ports/rateBudget';
import { delay } from './http';

/** Starts are spaced this much wider than the rate, so jitter cannot crowd a one-second window. */
export const RATE_HEADROOM = 0.06;
/** A claim covers about this much time of starts (at least one start). */
const SLICE_MS = 250;
/**
 * Starts are claimed at most this far ahead, all processes together: a pause reaches
 * every process, at the latest, when it next claims.
 */
const HORIZON_MS = 2 * SLICE_MS;
/** How long an in-flight share lasts unless renewed (a process that dies frees it then). */
export const IN_FLIGHT_LEASE_MS = 6_000;
/** An idle process gives its in-flight share back after this long. */
const LINGER_MS = 200;
/** How often a process waiting for in-flight slots held by others asks again. */
const BUSY_POLL_MS = 250;

/** The pause of one upstream as this process knows it, and the budgets that share it. */
class Pause {
  until = 0;
  readonly budgets = new Set<SharedBudget>();
}

export interface BudgetLimits {
  /** Request starts per second, all processes together. */
  requestsPerSecond?: number;
  /** Requests in flight, all processes together. */
  inFlight?: number;
}

/** A share without its expiry, to tell whether a claim changes it. */
const leaseShape = (lease: InFlightLease | undefined): string =>
  lease ? `${lease.slots}${lease.waiting ? ' waiting' : ''}` : 'none';

const freshState = (): BudgetState => ({ nextSlot: 0, pausedUntil: 0, holders: {} });

/** A budget as one process sees it; `close` gives its in-flight share back. */
export class SharedBudget implements RequestGate {
  private readonly holder = randomUUID();
  private readonly intervalMs: number | undefined;
  private readonly lateToleranceMs: number;
  private readonly maxBatch: number;
  private cached: StoredBudget | undefined;
  private slots: number[] = [];
  private slotWaiters = 0;
  private pause = new Pause();
  /** A pause seen here and not yet written to the record. */
  private unpublishedPause = 0;
  private held = 0;
  private leaseUntil = 0;
  private inUse = 0;
  private inFlightWanted = 0;
  /** The senders (in use and waiting) the last claim was made for. */
  private claimedFor = 0;
  /** The last claim left this process below its fair share of requests in flight. */
  private starved = false;
  private wakers: Array<() => void> = [];
  private syncing: Promise<void> | undefined;
  private lastSyncMs = 0;
  /** Before this, the schedule is claimed beyond the horizon: nothing to claim. */
  private claimableAt = 0;
  private lingerTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** What this process did with the record: claims written, claims lost to another process, starts dropped late. */
  readonly stats = { claims: 0, conflicts: 0, late: 0, slots: 0 };

  constructor(
    private readonly store: RateBudgetStore,
    private readonly key: string,
    private readonly limits: BudgetLimits,
    private readonly clock: () => number = Date.now,
  ) {
    const rate = limits.requestsPerSecond;
    this.intervalMs = rate ? 1000 / (rate * (1 - RATE_HEADROOM)) : undefined;
    // Two starts a second apart by schedule are this much further apart: 40% of it for
    // a late start, the rest for the network and the upstream's own clock.
    this.lateToleranceMs = rate ? ((1000 * RATE_HEADROOM) / (1 - RATE_HEADROOM)) * 0.4 : 0;
    this.maxBatch = rate ? Math.max(1, Math.floor((rate * SLICE_MS) / 1000)) : 0;
    this.pause.budgets.add(this);
  }

  private get pausedUntil(): number {
    return this.pause.until;
  }

  private set pausedUntil(untilMs: number) {
    this.pause.until = Math.max(this.pause.until, untilMs);
  }

  /** Whether this budget has a limit, and so a record it keeps in the store. */
  private get enforces(): boolean {
    return this.intervalMs !== undefined || this.limits.inFlight !== undefined;
  }

  /** From now on this budget shares `other`'s pauses: what either learns, both honour. */
  sharePausesWith(other: SharedBudget): void {
    if (other.pause === this.pause) return;
    this.pause.budgets.delete(this);
    other.pause.until = Math.max(other.pause.until, this.pause.until);
    this.pause = other.pause;
    this.pause.budgets.add(this);
  }

  async enter(signal?: AbortSignal): Promise<() => void> {
    const counted = this.limits.inFlight !== undefined;
    if (counted) await this.takeInFlight(signal);
    try {
      if (this.intervalMs !== undefined) await this.takeSlot(signal);
      else await this.waitOutPause(signal);
    } catch (err) {
      if (counted) this.leave();
      throw err;
    }
    return this.leaver(counted);
  }

  /**
   * {@link enter}'s answer when it would not wait: no rate slots to claim, no pause, and
   * (counted) an in-flight slot of this process's share free. Anything else is for `enter`.
   */
  tryEnter(signal?: AbortSignal): (() => void) | undefined {
    if (this.intervalMs !== undefined || signal?.aborted) return undefined;
    const now = this.clock();
    if (this.pausedUntil > now) return undefined;
    const counted = this.limits.inFlight !== undefined;
    // Without limits nothing is asked of the store: a pause reaches this budget through its extraction's others.
    if (!counted) return this.leaver(false);
    if (!this.hasInFlightSlot()) return undefined;
    this.inUse++;
    clearTimeout(this.lingerTimer);
    return this.leaver(true);
  }

  private leaver(counted: boolean): () => void {
    let done = false;
    return () => {
      if (done || !counted) return;
      done = true;
      this.leave();
    };
  }

  slowDown(untilMs: number): void {
    if (untilMs <= this.pausedUntil) return;
    this.pausedUntil = untilMs;
    // Every record of the extraction gets it, so a process that only exchanges with one
    // of them (a detail-mapper with its details record) learns of it.
    for (const budget of this.pause.budgets) budget.publish(untilMs);
  }

  private publish(untilMs: number): void {
    if (!this.enforces) return;
    this.unpublishedPause = Math.max(this.unpublishedPause, untilMs);
    this.sync().catch(() => undefined);
  }

  /** Gives the in-flight share back (best effort: it expires anyway). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.lingerTimer);
    clearTimeout(this.renewTimer);
    if (this.held > 0 || this.unpublishedPause > 0) {
      this.held = 0;
      await this.sync().catch(() => undefined);
    }
  }

  private hasInFlightSlot(): boolean {
    return this.inUse < this.held && this.clock() < this.leaseUntil;
  }

  private async takeInFlight(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      if (this.hasInFlightSlot()) {
        this.inUse++;
        clearTimeout(this.lingerTimer);
        return;
      }
      this.inFlightWanted++;
      try {
        await this.sync();
        if (this.hasInFlightSlot()) continue;
        // More senders came while that claim was on its way: claim for them at once.
        const roomForMore = this.held < Math.min(this.limits.inFlight!, this.inUse + this.inFlightWanted);
        if (!this.starved && roomForMore && this.inUse + this.inFlightWanted > this.claimedFor) continue;
        // Starved: ask again soon; with its share: wait for one of its own requests to end.
        await this.changed(this.starved ? BUSY_POLL_MS : IN_FLIGHT_LEASE_MS / 3, signal);
      } finally {
        this.inFlightWanted--;
      }
    }
  }

  private leave(): void {
    this.inUse--;
    this.wakers.shift()?.();
    if (this.inUse === 0 && this.inFlightWanted === 0 && !this.closed) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = setTimeout(() => {
        if (this.inUse === 0 && this.inFlightWanted === 0 && this.held > 0)
          this.sync().catch(() => undefined);
      }, LINGER_MS);
      this.lingerTimer.unref();
    }
  }

  /** Resolves when an in-flight slot is given back here, or after `ms`. */
  private changed(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const wake = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        resolve();
      };
      const abort = (): void => {
        clearTimeout(timer);
        this.wakers = this.wakers.filter((w) => w !== wake);
        reject(signal?.reason);
      };
      const timer = setTimeout(
        () => {
          this.wakers = this.wakers.filter((w) => w !== wake);
          wake();
        },
        ms * (0.5 + Math.random()),
      );
      this.wakers.push(wake);
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  private async takeSlot(signal?: AbortSignal): Promise<void> {
    this.slotWaiters++;
    try {
      for (;;) {
        signal?.throwIfAborted();
        const slot = this.slots.shift();
        if (slot === undefined) {
          await this.sync();
          const wait = Math.max(this.claimableAt, this.pausedUntil) - this.clock();
          if (this.slots.length === 0 && wait > 0) await delay(Math.min(wait, SLICE_MS), signal);
          continue;
        }
        // The next claim is made while these starts are used, so no sender waits for the store.
        if (this.slots.length < this.maxBatch && this.clock() >= this.claimableAt)
          this.sync().catch(() => undefined);
        if (slot < this.pausedUntil) continue;
        const wait = slot - this.clock();
        if (wait > 0) await delay(wait, signal);
        // A pause that came while waiting voids the slot; so does a start that came too late.
        if (slot < this.pausedUntil) continue;
        if (this.clock() - slot > this.lateToleranceMs) {
          this.stats.late++;
          continue;
        }
        return;
      }
    } finally {
      this.slotWaiters--;
    }
  }

  private async waitOutPause(signal?: AbortSignal): Promise<void> {
    for (let wait = this.pausedUntil - this.clock(); wait > 0; wait = this.pausedUntil - this.clock())
      await delay(wait, signal);
  }

  /** One exchange with the record at a time; callers arriving meanwhile share it. */
  private sync(): Promise<void> {
    this.syncing ??= this.exchange().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private async exchange(): Promise<void> {
    // Senders that arrive in the same turn of the event loop are counted in one claim.
    if (this.limits.inFlight !== undefined) await new Promise((resolve) => setImmediate(resolve));
    for (let attempt = 1; ; attempt++) {
      const began = this.clock();
      const current = this.cached ?? (await this.store.read(this.key)) ?? { state: freshState(), version: 0 };
      const now = this.clock();
      const state: BudgetState = {
        nextSlot: current.state.nextSlot,
        pausedUntil: Math.max(current.state.pausedUntil, this.unpublishedPause),
        holders: { ...current.state.holders },
      };
      state.nextSlot = Math.max(state.nextSlot, state.pausedUntil);
      const previous = current.state.holders[this.holder];
      const grant = this.shareOf(state, now);
      const claimed = this.claimSlots(state, now);
      const mine = state.holders[this.holder];
      const changed =
        claimed.length > 0 ||
        state.pausedUntil > current.state.pausedUntil ||
        leaseShape(mine) !== leaseShape(previous) ||
        (mine !== undefined && (previous?.expiresAt ?? 0) < now + (3 * IN_FLIGHT_LEASE_MS) / 4);
      if (!changed) {
        // Nothing to claim or give back: a fresh read is enough to learn of pauses.
        const fresh = this.cached === current ? await this.store.read(this.key) : current;
        this.cached = fresh;
        if (fresh) this.pausedUntil = Math.max(this.pausedUntil, fresh.state.pausedUntil);
        this.held = grant;
        this.lastSyncMs = this.clock() - began;
        return;
      }
      if (await this.store.write(this.key, state, current.version)) {
        this.cached = { state, version: current.version + 1 };
        this.stats.claims++;
        this.stats.slots += claimed.length;
        this.lastSyncMs = this.clock() - began;
        this.held = grant;
        this.leaseUntil = grant > 0 ? now + IN_FLIGHT_LEASE_MS - SLICE_MS : 0;
        this.slots.push(...claimed);
        this.pausedUntil = Math.max(this.pausedUntil, state.pausedUntil);
        if (this.unpublishedPause <= state.pausedUntil) this.unpublishedPause = 0;
        this.scheduleRenewal();
        return;
      }
      // Another process wrote first: read its record and claim again.
      this.cached = undefined;
      this.stats.conflicts++;
      if (attempt > 1) await delay(Math.random() * 20 * Math.min(attempt, 5));
    }
  }

  /** This process's in-flight share, written into `state`. */
  private shareOf(state: BudgetState, now: number): number {
    const limit = this.limits.inFlight;
    if (limit === undefined) return 0;
    for (const [id, lease] of Object.entries(state.holders))
      if (id !== this.holder && lease.expiresAt <= now) delete state.holders[id];
    const others = Object.entries(state.holders).filter(([id]) => id !== this.holder);
    const othersHeld = others.reduce((sum, [, lease]) => sum + lease.slots, 0);
    const demand = this.inUse + this.inFlightWanted;
    this.claimedFor = demand;
    // A busy process keeps its share; an idle one (or a closed one) gives it back.
    const wanted = this.closed || demand === 0 ? 0 : Math.min(limit, Math.max(this.held, demand));
    // Below its fair share a process asks the others to give back down to theirs; with its
    // share it takes what is free and waits for its own requests to end.
    const contenders = others.filter(([, lease]) => lease.slots > 0 || lease.waiting).length + 1;
    const fair = Math.max(1, Math.floor(limit / contenders));
    let grant = Math.min(wanted, Math.max(0, limit - othersHeld));
    if (others.some(([, lease]) => lease.waiting)) grant = Math.min(grant, fair);
    this.starved = grant < Math.min(wanted, fair);
    // Requests already sent stay counted until they end, whatever the new share.
    const recorded = Math.max(grant, this.inUse);
    if (recorded > 0 || this.starved)
      state.holders[this.holder] = {
        slots: recorded,
        expiresAt: now + IN_FLIGHT_LEASE_MS,
        ...(this.starved ? { waiting: true } : {}),
      };
    else delete state.holders[this.holder];
    return grant;
  }

  /** Start times claimed for the senders waiting here, written into `state`. */
  private claimSlots(state: BudgetState, now: number): number[] {
    if (this.intervalMs === undefined) return [];
    // A whole slice for whoever waits: senders of this process come one after another
    // (each holds an in-flight slot while it waits), so claiming only for the waiting ones
    // would cost a round trip to the store per request.
    if (this.slotWaiters === 0) return [];
    const want = Math.min(this.maxBatch, 2 * this.maxBatch - this.slots.length);
    if (want <= 0) return [];
    if (state.nextSlot > now + HORIZON_MS) {
      this.claimableAt = state.nextSlot - HORIZON_MS;
      return [];
    }
    // The first start leaves time for this write to land, so it is not already late (a
    // process's first exchange with the store is the slow one: connections, credentials).
    const lead = this.stats.claims === 0 ? HORIZON_MS : Math.max(50, 3 * this.lastSyncMs);
    const first = Math.max(state.nextSlot, now + lead);
    const claimed = Array.from({ length: want }, (_, i) => first + i * this.intervalMs!);
    state.nextSlot = first + want * this.intervalMs;
    return claimed;
  }

  /** While a share is held, it is renewed well before it expires. */
  private scheduleRenewal(): void {
    clearTimeout(this.renewTimer);
    if (this.held === 0 || this.closed) return;
    this.renewTimer = setTimeout(() => this.sync().catch(() => undefined), IN_FLIGHT_LEASE_MS / 3);
    this.renewTimer.unref();
  }
}

/**
 * The gate of one kind of request (pages, or details): its in-flight budget, then the
 * upstream's rate budget. The in-flight budget shares the upstream's pauses from here
 * on, so the pauses of every kind reach every gate of the extraction, and travel in
 * the in-flight records when the upstream has no rate (and so no record it uses).
 */
export function budgetGate(inFlight: SharedBudget, upstream: SharedBudget): RequestGate {
  inFlight.sharePausesWith(upstream);
  return {
    async enter(signal) {
      const leaveInFlight = await inFlight.enter(signal);
      try {
        const leaveUpstream = await upstream.enter(signal);
        return () => {
          leaveUpstream();
          leaveInFlight();
        };
      } catch (err) {
        leaveInFlight();
        throw err;
      }
    },
    tryEnter(signal) {
      // The upstream's first: without an in-flight count, admitting there changes nothing.
      const leaveUpstream = upstream.tryEnter(signal);
      if (!leaveUpstream) return undefined;
      const leaveInFlight = inFlight.tryEnter(signal);
      if (!leaveInFlight) {
        leaveUpstream();
        return undefined;
      }
      return () => {
        leaveUpstream();
        leaveInFlight();
      };
    },
    slowDown: (untilMs) => upstream.slowDown(untilMs),
  };
}

/** Budgets in this process's memory: the command line and the embedded mode (one process). */
export class MemoryRateBudgetStore implements RateBudgetStore {
  private readonly records = new Map<string, StoredBudget>();

  async read(key: string): Promise<StoredBudget | undefined> {
    const record = this.records.get(key);
    return record && { state: structuredClone(record.state), version: record.version };
  }

  async write(key: string, state: BudgetState, expected: number): Promise<boolean> {
    if ((this.records.get(key)?.version ?? 0) !== expected) return false;
    this.records.set(key, { state: structuredClone(state), version: expected + 1 });
    return true;
  }
}

let processStore: MemoryRateBudgetStore | undefined;

/** The budgets of this process, when the deployment supplies no shared store. */
export function processRateBudgetStore(): MemoryRateBudgetStore {
  processStore ??= new MemoryRateBudgetStore();
  return processStore;
}
