/**
 * V8's heap sizing, set from inside the process: the young generation's cap and how far
 * the old generation may grow between full collections.
 *
 * Under a steady allocation rate V8 grows its young generation to two semi-spaces of
 * 64 MiB, most of the engine's peak memory on long runs. `--max-semi-space-size` caps
 * it, but V8 reads that flag only when the heap is created, so a command that wants it
 * must be started with it (the command used to re-execute itself, a second Node start).
 * `--semi-space-growth-factor` is read each time the young generation grows: at 1 it
 * does not grow, so a collection observer sets it to 1 from the first collection that
 * sees the young generation at the cap.
 * A user's own `--max-semi-space-size` (NODE_OPTIONS) still bounds it.
 *
 * The old generation: after each full collection V8 lets it grow to up to 4 times what
 * survived before the next one; on a long run, where what a page leaves behind is
 * promoted and dies there, that headroom is all garbage and peak memory grows with
 * rows. `--heap-growing-percent`, read at each full collection, sets the factor instead.
 *
 * One mechanism for every entry: the CLI (services/cli/start.ts) and each service's
 * main (embedded, config-api, scheduler, worker) call {@link applyHeapSettings} once
 * their modules are loaded; no npm script, image entrypoint or launcher passes heap
 * flags to Node.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** What `--max-semi-space-size=8` gave: two semi-spaces of 8 MiB (docs/benchmarks.md). */
export const SEMI_SPACE_MIB = 8;

const MIB = 1024 * 1024;

/** Bytes of the young generation (both semi-spaces) now. */
export function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/** The young generation keeps its present size. */
export function holdYoungGeneration(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * Lets the young generation grow as V8 does (doubling) until its two semi-spaces are
 * `mib` each, then holds it there; returns at once. Already that large: held as it is.
 *
 * The hold comes from a collection observer, which runs once the event loop turns after
 * the collection that grew it: one more doubling before that needs as many bytes to
 * survive collections as the young generation then holds, in one synchronous stretch
 * (one huge page); it then lands one step higher, no further.
 */
export function capYoungGeneration(mib: number = SEMI_SPACE_MIB): void {
  const target = 2 * mib * MIB;
  if (youngGenerationBytes() >= target) {
    holdYoungGeneration();
    return;
  }
  setFlagsFromString('--semi-space-growth-factor=2');
  const observer = new PerformanceObserver(() => {
    if (youngGenerationBytes() < target) return;
    holdYoungGeneration();
    observer.disconnect();
  });
  observer.observe({ entryTypes: ['gc'] });
}

/** Old-generation headroom over what survived the last full collection. */
export const HEAP_GROWING_PERCENT = 30;

/**
 * After each full collection, the old generation may grow by `percent` of what survived
 * it before the next one (V8's own factor is 1.1 to 4, by its collection speed).
 */
export function limitHeapGrowth(percent: number = HEAP_GROWING_PERCENT): void {
  setFlagsFromString(`--heap-growing-percent=${Math.max(1, Math.round(percent))}`);
}

/**
 * The heap settings of every long-running entry (the CLI and the services): young
 * generation capped at {@link SEMI_SPACE_MIB}, old generation growth limited to
 * {@link HEAP_GROWING_PERCENT}. Called once the entry's modules are loaded.
 */
export function applyHeapSettings(): void {
  capYoungGeneration();
  limitHeapGrowth();
}
