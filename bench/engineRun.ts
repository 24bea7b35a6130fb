/**
 * One benchmark run of the in-process engine, in a fresh process so its peak RSS is
 * its own. Spawned by bench/run.ts; can be run by hand against a running fake API:
 *
 *   node dist-bench/bench/engineRun.js --url http://127.0.0.1:PORT --kind rows --records 100000 \
 *     --page-size 1000 --pages-in-flight 1 --detail-concurrency 1 --data-dir .bench/tmp/x
 *     [--carol-url http://127.0.0.1:PORT]   (kind carol: a running fake Carol)
 *
 * Prints one JSON line ({@link EngineResult}) on stdout; exits 0 when it could
 * measure (the run's own success is in the JSON), 2 on bad arguments or a crash.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { localEngineDeps, localLayout } from '../shared/adapters/local/engineDeps';
import { parseConfig } from '../shared/core/config/validate';
import { runConfig } from '../shared/engine/runConfig';
import { silentLogger } from '../shared/ports/logger';
import {
  benchConfig,
  type BenchKind,
  type EngineJob,
  type EngineResult,
  OUTPUT_BUCKET,
  outputKey,
} from './cases';

interface Args {
  job: EngineJob;
  dataDir: string;
}

const KINDS: readonly BenchKind[] = ['rows', 'pages', 'details', 'carol'];

function parseArgs(argv: readonly string[]): Args {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] ?? '';
    const value = argv[i + 1];
    if (!flag.startsWith('--') || value === undefined) throw new Error(`bad argument near "${flag}"`);
    values.set(flag.slice(2), value);
  }
  const text = (name: string): string => {
    const value = values.get(name);
    if (value === undefined) throw new Error(`--${name} is required`);
    return value;
  };
  const int = (name: string, fallback?: number): number => {
    const raw = values.get(name);
    if (raw === undefined && fallback !== undefined) return fallback;
    if (raw === undefined || !/^\d+$/.test(raw)) throw new Error(`--${name} needs a non-negative integer`);
    return Number(raw);
  };
  const kind = text('kind') as BenchKind;
  if (!KINDS.includes(kind)) throw new Error(`--kind must be one of ${KINDS.join(', ')}`);
  return {
    job: {
      kind,
      url: text('url').replace(/\/+$/, ''),
      records: int('records'),
      pageSize: int('page-size'),
      pagesInFlight: int('pages-in-flight', 1),
      detailConcurrency: int('detail-concurrency', 1),
      ...(values.has('carol-url') ? { carolUrl: text('carol-url').replace(/\/+$/, '') } : {}),
    },
    dataDir: text('data-dir'),
  };
}

async function main(): Promise<void> {
  const { job, dataDir } = parseArgs(process.argv.slice(2));
  const config = parseConfig(benchConfig(job));
  const deps = localEngineDeps(dataDir, silentLogger, {});
  const startRssKb = Math.round(process.memoryUsage().rss / 1024);

  let peakHeapUsed = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    peakHeapUsed = Math.max(peakHeapUsed, process.memoryUsage().heapUsed);
  }, 50);
  sampler.unref();

  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const report = await runConfig(config, deps);
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  peakHeapUsed = Math.max(peakHeapUsed, process.memoryUsage().heapUsed);

  const log = report.logs[0];
  const outputPath = join(localLayout(dataDir).objectsDir, OUTPUT_BUCKET, outputKey(job));
  const outputBytes = await stat(outputPath).then(
    (s) => s.size,
    () => 0,
  );
  const result: EngineResult = {
    kind: job.kind,
    job,
    success: report.success,
    error: log?.error ?? (log ? null : 'no execution log'),
    rows: Number(log?.data_inserted_len ?? 0),
    pages: log?.pages ?? 0,
    requests: log?.requests ?? 0,
    detailRequests: log?.detail_requests ?? 0,
    wallMs,
    maxRssKb: process.resourceUsage().maxRSS,
    startRssKb,
    userCpuMs: cpu.user / 1000,
    systemCpuMs: cpu.system / 1000,
    outputBytes,
    outputPath,
    peakHeapUsedKb: Math.round(peakHeapUsed / 1024),
  };
  if (log?.carol) {
    result.carol = { requests: log.carol.requests, records: log.carol.records, batchId: log.carol.batch_id };
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `engineRun: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 2;
});
