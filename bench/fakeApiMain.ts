/**
 * Runs the fake API as its own process for the benchmark, with request recording off.
 *
 *   node dist-bench/bench/fakeApiMain.js --port 0 --records 1000000 --page-size 1000 \
 *     [--latency MS] [--detail-latency MS]
 *
 * Prints exactly one line, `LISTENING http://127.0.0.1:PORT`, then serves until
 * SIGTERM or SIGINT.
 */
import { startFakeApi, type FakeApiOptions } from '../services/cli/demoApi';
import { runMain, serveUntilSignal } from './serve';

interface MainArgs {
  port: number;
  records: number;
  pageSize: number;
  latencyMs: number;
  detailLatencyMs: number;
}

const FLAGS: Record<string, keyof MainArgs> = {
  '--port': 'port',
  '--records': 'records',
  '--page-size': 'pageSize',
  '--latency': 'latencyMs',
  '--detail-latency': 'detailLatencyMs',
};

function parseArgs(argv: readonly string[]): MainArgs {
  const args: MainArgs = { port: 0, records: 250, pageSize: 100, latencyMs: 0, detailLatencyMs: 0 };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] ?? '';
    const key = FLAGS[flag];
    const raw = argv[i + 1];
    if (key === undefined)
      throw new Error(`unknown argument ${flag}; expected one of ${Object.keys(FLAGS).join(', ')}`);
    if (raw === undefined || !/^\d+$/.test(raw)) throw new Error(`${flag} needs a non-negative integer`);
    args[key] = Number(raw);
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const options: FakeApiOptions = {
    port: args.port,
    records: args.records,
    pageSize: args.pageSize,
    record: false,
  };
  // Global latency applies to data and detail routes; detail-only latency is a fault plan on /details/.
  if (args.latencyMs > 0) options.latencyMs = args.latencyMs;
  if (args.detailLatencyMs > 0) options.faults = { '/details/': { latencyMs: args.detailLatencyMs } };
  serveUntilSignal('fake API', await startFakeApi(options));
}

runMain(main);
