/**
 * Runs the fake Carol as its own process for the benchmark: records kept as counts and
 * digests only, requests not recorded.
 *
 *   node dist-bench/bench/fakeCarolMain.js --port 0
 *
 * Prints `LISTENING http://127.0.0.1:PORT`, serves until SIGTERM or SIGINT, then
 * prints one line `STATS {json}` ({@link FakeCarolProcessStats}) and exits.
 */
import { startFakeCarol } from '../test/support/fakeCarol';
import { runMain, serveUntilSignal } from './serve';

/** What the fake Carol received, printed when it stops. */
export interface FakeCarolProcessStats {
  /** Intake requests answered 200, resends included. */
  intakeRequests: number;
  /** Bytes of intake bodies as sent (gzip). */
  intakeBytes: number;
  /** The same bodies decompressed. */
  intakeUncompressedBytes: number;
  /** Per batch: records held, requests held, and the summary's totals (null when none). */
  batches: Array<{
    records: number;
    requests: number;
    summary: { totalRecords: number; totalRequests: number } | null;
  }>;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const portAt = argv.indexOf('--port');
  const port = portAt >= 0 ? Number(argv[portAt + 1]) : 0;
  if (!Number.isInteger(port) || port < 0) throw new Error('--port needs a non-negative integer');
  const carol = await startFakeCarol({ port, keepRecords: false, record: false });
  serveUntilSignal('fake Carol', carol, () => {
    const stats: FakeCarolProcessStats = {
      ...carol.stats,
      batches: [...carol.batches.values()].map((b) => ({
        records: [...b.counts.values()].reduce((a, n) => a + n, 0),
        requests: b.counts.size,
        summary: b.summary
          ? { totalRecords: b.summary.totalRecords, totalRequests: b.summary.totalRequests }
          : null,
      })),
    };
    process.stdout.write(`STATS ${JSON.stringify(stats)}\n`);
  });
}

runMain(main);
