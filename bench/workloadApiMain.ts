/**
 * Runs the `workload` case's pre-rendered fake API (bench/workloadApi.ts) as its own process.
 *
 *   node dist-bench/bench/workloadApiMain.js --port 0 --records 1000000 --page-size 1000
 *
 * Prints `LISTENING http://127.0.0.1:PORT`, serves `GET /items?page=n` until SIGTERM or
 * SIGINT, then prints one line `STATS {json}` ({@link WorkloadApiStats}) and exits.
 */
import { runMain, serveUntilSignal } from './serve';
import { startWorkloadApi, WorkloadPages } from './workloadApi';

export interface WorkloadApiStats {
  /** `Date.now()` at the first request (null when none came). */
  firstRequestAtMs: number | null;
  requests: number;
  /** Requests answered with a page rendered ahead. */
  servedAhead: number;
}

function intFlag(argv: readonly string[], name: string, fallback: number): number {
  const at = argv.indexOf(name);
  if (at < 0) return fallback;
  const raw = argv[at + 1] ?? '';
  if (!/^\d+$/.test(raw)) throw new Error(`${name} needs a non-negative integer`);
  return Number(raw);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const pages = new WorkloadPages(intFlag(argv, '--records', 1000), intFlag(argv, '--page-size', 1000));
  const api = await startWorkloadApi(pages, intFlag(argv, '--port', 0));
  serveUntilSignal('workload API', api, () => {
    const stats: WorkloadApiStats = {
      firstRequestAtMs: api.firstRequestAtMs() ?? null,
      requests: api.requests(),
      servedAhead: api.servedAhead(),
    };
    process.stdout.write(`STATS ${JSON.stringify(stats)}\n`);
  });
}

runMain(main);
