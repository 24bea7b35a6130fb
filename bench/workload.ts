/**
 * The `workload` group: the `api-extractor run` command, as its own process, against the
 * pre-rendered page-number API (bench/workloadApi.ts) as another: 1,000 items a page,
 * eight columns by `data_schema`, CSV out. Measures the run as the execution log times
 * it (`started_at` → `finished_at`), the whole process (spawn → exit), start-up (spawn →
 * the API's first request) and the command's peak RSS.
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localLayout } from '../shared/adapters/local/engineDeps';
import { pageNumberPagination } from './cases';
import { runCommand, runNodeScript, startListeningProcess } from './processes';
import type { WorkloadApiStats } from './workloadApiMain';
import type { FloorReport } from './workloadFloorMain';

const API_SCRIPT = join(__dirname, 'workloadApiMain.js');
const FLOOR_SCRIPT = join(__dirname, 'workloadFloorMain.js');
/** This checkout's build of the command's bench entry (dist-bench/bench/cliMain.js). */
export const CLI_SCRIPT = join(__dirname, 'cliMain.js');
const PAGE_SIZE = 1000;
const BUCKET = 'bench';

export const WORKLOAD_SIZES = { full: [200_000, 1_000_000], quick: [2_000, 20_000] } as const;

/** Eight columns: `id, name, price, status, note, owner.name, owner.email, account.name`. */
export function workloadConfig(url: string, records: number): Record<string, unknown> {
  return {
    name: 'bench workload',
    extractions: [
      {
        name: `workload-${records}`,
        endpoint: { url: `${url}/items`, query_params: { per_page: PAGE_SIZE } },
        data_key: 'data',
        format: 'csv',
        data_schema: {
          id: 'id',
          name: 'name',
          price: 'price',
          status: 'status',
          note: 'note',
          owner: { name: 'owner_name', email: 'owner_email' },
          account: { name: 'account_name' },
        },
        pagination: pageNumberPagination(Math.ceil(records / PAGE_SIZE) + 10),
        s3_destiny: { bucket: BUCKET, folder: 'workload/', filename: `workload-${records}` },
      },
    ],
  };
}

export interface WorkloadResult {
  id: string;
  records: number;
  rows: number;
  /** Execution log `started_at` → `finished_at`. */
  inRunMs: number;
  inRunRowsPerSecond: number;
  /** Spawn of the command → its exit. */
  processMs: number;
  processRowsPerSecond: number;
  /** Spawn of the command → the API's first request (same clock, `Date.now()`). */
  startupMs: number;
  maxRssKb: number;
  userCpuMs: number;
  systemCpuMs: number;
  serverCpuSeconds: number | null;
  outputBytes: number;
}

interface WorkloadOptions {
  benchDir: string;
  /** The command's bench entry to run; default this checkout's ({@link CLI_SCRIPT}). */
  cliScript?: string;
  /** Tells runs of one size apart (scratch directory, profile names), e.g. `base.1`. */
  tag?: string;
  nodeFlags: string[];
  /** Profile flags for a role (`cli`, `server`); empty when not profiling. */
  profileFlags: (id: string, role: string) => string[];
}

/** `2026-01-01 00:00:00.123000` (UTC) in epoch ms. */
function logTime(text: unknown): number {
  const ms = Date.parse(`${String(text).slice(0, 23).replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) throw new Error(`unreadable log timestamp ${String(text)}`);
  return ms;
}

function tagged<T>(text: string, tag: string, what: string): T {
  const line = new RegExp(`^${tag} (.+)$`, 'm').exec(text)?.[1];
  if (!line) throw new Error(`${what} printed no ${tag} line`);
  return JSON.parse(line) as T;
}

function startApi(records: number, profileFlags: string[]): ReturnType<typeof startListeningProcess> {
  return startListeningProcess('workload API', [
    ...profileFlags,
    API_SCRIPT,
    '--port',
    '0',
    '--records',
    String(records),
    '--page-size',
    String(PAGE_SIZE),
  ]);
}

/** A floor run (bench/workloadFloorMain.ts): the same pages fetched, and parsed or not, nothing else. */
export interface WorkloadFloor extends FloorReport {
  id: string;
  records: number;
  rowsPerSecond: number;
  serverCpuSeconds: number | null;
}

/**
 * `fetch` and `parse`: bench/workloadFloorMain.ts with undici. `python`: the same
 * extraction scripted in Python's standard library (bench/workload_peer.py), the kind of
 * script the command replaces: fetch, `json.loads`, 8 columns, `csv.writer`.
 */
export const FLOOR_MODES = ['fetch', 'parse', 'python'] as const;
/** The heap policy the command sets from inside (services/heap.ts), as flags: the floors are held to the same. */
const FLOOR_NODE_FLAGS = ['--max-semi-space-size=8', '--heap-growing-percent=30'];
const PEER_SCRIPT = join(__dirname, '..', '..', 'bench', 'workload_peer.py');

/** Fetches the workload's pages (`fetch`), or fetches and `JSON.parse`s them (`parse`), against a fresh API. */
export async function runWorkloadFloor(
  records: number,
  mode: (typeof FLOOR_MODES)[number],
  benchDir: string,
  tag?: string,
): Promise<WorkloadFloor> {
  const id = `floor-${mode}-${records}${tag ? ` ${tag}` : ''}`;
  const scratch = join(benchDir, 'tmp', `floor-${records}`);
  mkdirSync(join(benchDir, 'tmp'), { recursive: true });
  const api = await startApi(records, []);
  try {
    const cpuBefore = api.cpuSeconds();
    const timeoutMs = 60_000 + records * 2;
    const output =
      mode === 'python'
        ? await runCommand('python3', [PEER_SCRIPT, '--url', api.url, '--out', `${scratch}.csv`], timeoutMs)
        : await runNodeScript(FLOOR_SCRIPT, ['--url', api.url, '--mode', mode], timeoutMs, FLOOR_NODE_FLAGS);
    const cpuAfter = api.cpuSeconds();
    if (output.code !== 0) throw new Error(`${id}: the floor client exited ${output.code}: ${output.stderr}`);
    const report =
      mode === 'python'
        ? { ...tagged<Omit<FloorReport, 'mode'>>(output.stdout, 'PEER', 'the Python peer'), mode }
        : tagged<FloorReport>(output.stdout, 'FLOOR', 'the floor client');
    if (report.rows !== records) throw new Error(`${id}: read ${report.rows} rows, expected ${records}`);
    return {
      ...report,
      id,
      records,
      rowsPerSecond: report.rows / (report.inRunMs / 1000),
      serverCpuSeconds: cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : null,
    };
  } finally {
    await api.stop();
    rmSync(`${scratch}.csv`, { force: true });
  }
}

export function describeFloor(f: WorkloadFloor): string {
  return `${(f.inRunMs / 1000).toFixed(2)} s (${Math.round(f.rowsPerSecond).toLocaleString('en-US')} rows/s), CPU ${(f.cpuMs / 1000).toFixed(2)} s`;
}

/** The floors next to the command's runs: how close the command is to merely fetching (and parsing) its pages. */
export function floorMarkdown(floors: readonly WorkloadFloor[], runs: readonly WorkloadResult[]): string {
  const lines = [
    '### workload floors: the same pages fetched one at a time with undici, and parsed or not, nothing else',
    '',
    '| run | in-run s | rows/s | client CPU s | peak RSS MiB | API CPU s | command (median in-run s) ÷ this |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const f of floors) {
    const own = runs.filter((r) => r.records === f.records && !/ base\./.test(r.id)).map((r) => r.inRunMs);
    const ratio = own.length > 0 ? `${(median(own) / f.inRunMs).toFixed(2)}×` : 'n/a';
    lines.push(
      `| ${f.id} | ${(f.inRunMs / 1000).toFixed(2)} | ${Math.round(f.rowsPerSecond).toLocaleString('en-US')} | ` +
        `${(f.cpuMs / 1000).toFixed(2)} | ${(f.maxRssKb / 1024).toFixed(1)} | ` +
        `${f.serverCpuSeconds === null ? 'n/a' : f.serverCpuSeconds.toFixed(2)} | ${ratio} |`,
    );
  }
  return lines.join('\n');
}

export async function runWorkloadCase(records: number, options: WorkloadOptions): Promise<WorkloadResult> {
  const id = `workload-${records}`;
  const runId = options.tag ? `${id}.${options.tag}` : id;
  const dataDir = join(options.benchDir, 'tmp', runId);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const api = await startApi(records, options.profileFlags(runId, 'server'));
  try {
    const configPath = join(dataDir, 'config.json');
    writeFileSync(configPath, JSON.stringify(workloadConfig(api.url, records)));
    const cpuBefore = api.cpuSeconds();
    const args = ['run', configPath, '--data-dir', dataDir, '--no-progress', '--log-level', 'error'];
    const spawnedAt = Date.now();
    const started = process.hrtime.bigint();
    const output = await runNodeScript(options.cliScript ?? CLI_SCRIPT, args, 120_000 + records * 2, [
      ...options.nodeFlags,
      ...options.profileFlags(runId, 'cli'),
    ]);
    const processMs = Number(process.hrtime.bigint() - started) / 1e6;
    const cpuAfter = api.cpuSeconds();
    await api.stop();
    if (output.code !== 0)
      throw new Error(`${id}: the command exited ${output.code}; stderr:\n${output.stderr}`);
    const stats = tagged<WorkloadApiStats>(api.stdout(), 'STATS', 'the workload API');
    const usage = tagged<{ maxRssKb: number; userCpuMs: number; systemCpuMs: number }>(
      output.stderr,
      'BENCH_PROCESS',
      'the command',
    );
    const log = JSON.parse(output.stdout) as Record<string, unknown>;
    const rows = Number(log.data_inserted_len);
    if (log.success !== 'true') throw new Error(`${id}: the run failed: ${String(log.error)}`);
    if (rows !== records) throw new Error(`${id}: wrote ${rows} rows, expected ${records}`);
    if (stats.firstRequestAtMs === null) throw new Error(`${id}: the API saw no request`);
    // A page rendered on request would put the API's rendering into the figures.
    if (stats.servedAhead !== stats.requests)
      throw new Error(
        `${id}: the API rendered ${stats.requests - stats.servedAhead} of ${stats.requests} pages on request`,
      );
    const outputBytes = statSync(join(localLayout(dataDir).objectsDir, BUCKET, `workload/${id}.csv`)).size;
    const inRunMs = logTime(log.finished_at) - logTime(log.started_at);
    return {
      id,
      records,
      rows,
      inRunMs,
      inRunRowsPerSecond: rows / (inRunMs / 1000),
      processMs,
      processRowsPerSecond: rows / (processMs / 1000),
      startupMs: stats.firstRequestAtMs - spawnedAt,
      ...usage,
      serverCpuSeconds: cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : null,
      outputBytes,
    };
  } finally {
    await api.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function describeWorkload(r: WorkloadResult): string {
  return (
    `in-run ${(r.inRunMs / 1000).toFixed(2)} s (${Math.round(r.inRunRowsPerSecond).toLocaleString('en-US')} rows/s), ` +
    `process ${(r.processMs / 1000).toFixed(2)} s, start-up ${Math.round(r.startupMs)} ms, peak RSS ${(r.maxRssKb / 1024).toFixed(1)} MiB`
  );
}

/** `byRun`: label each line with its run (`workload-200000 base.1`) rather than its size. */
export function workloadMarkdown(results: readonly WorkloadResult[], byRun = false): string {
  const lines = [
    '### workload: page-number API, 8 columns, CSV (the `api-extractor run` process)',
    '',
    `| ${byRun ? 'run' : 'rows'} | in-run s | in-run rows/s | process s | process rows/s | start-up ms | peak RSS MiB | CLI CPU s | API CPU s | CSV MiB |`,
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    lines.push(
      `| ${byRun ? r.id : r.records.toLocaleString('en-US')} | ${(r.inRunMs / 1000).toFixed(2)} | ${Math.round(r.inRunRowsPerSecond).toLocaleString('en-US')} | ` +
        `${(r.processMs / 1000).toFixed(2)} | ${Math.round(r.processRowsPerSecond).toLocaleString('en-US')} | ${Math.round(r.startupMs)} | ` +
        `${(r.maxRssKb / 1024).toFixed(1)} | ${((r.userCpuMs + r.systemCpuMs) / 1000).toFixed(2)} | ` +
        `${r.serverCpuSeconds === null ? 'n/a' : r.serverCpuSeconds.toFixed(2)} | ${(r.outputBytes / 1024 / 1024).toFixed(1)} |`,
    );
  }
  return lines.join('\n');
}

/** Where a checkout's build keeps the command's bench entry. */
export function baselineCliScript(checkout: string): string {
  return join(checkout, 'dist-bench', 'bench', 'cliMain.js');
}

/** One size measured side by side: the baseline's runs and ours, alternated (A/B/A/B). */
export interface WorkloadComparison {
  records: number;
  baseline: WorkloadResult[];
  ours: WorkloadResult[];
}

/** A figure of a run, for the side-by-side table. */
const FIGURES: ReadonlyArray<{
  name: string;
  value: (r: WorkloadResult) => number;
  format: (v: number) => string;
}> = [
  {
    name: 'in-run rows/s',
    value: (r) => r.inRunRowsPerSecond,
    format: (v) => Math.round(v).toLocaleString('en-US'),
  },
  { name: 'process s', value: (r) => r.processMs / 1000, format: (v) => v.toFixed(2) },
  { name: 'peak RSS MiB', value: (r) => r.maxRssKb / 1024, format: (v) => v.toFixed(1) },
  {
    name: 'CLI CPU s',
    value: (r) => (r.userCpuMs + r.systemCpuMs) / 1000,
    format: (v) => v.toFixed(2),
  },
];

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Per size and figure: every run of each side (in order), their medians, and ours over
 * the baseline's (for rows/s above 1 is better; for seconds and MiB below 1 is).
 */
export function comparisonMarkdown(comparisons: readonly WorkloadComparison[], baseline: string): string {
  const lines = [
    `### workload side by side: baseline \`${baseline}\` vs this checkout (runs alternated, median)`,
    '',
    '| rows | figure | baseline runs | ours runs | baseline | ours | ours / baseline |',
    '|---:|---|---|---|---:|---:|---:|',
  ];
  for (const c of comparisons) {
    for (const f of FIGURES) {
      const a = c.baseline.map(f.value);
      const b = c.ours.map(f.value);
      const ratio = median(b) / median(a);
      lines.push(
        `| ${c.records.toLocaleString('en-US')} | ${f.name} | ${a.map(f.format).join(', ')} | ${b.map(f.format).join(', ')} | ` +
          `${f.format(median(a))} | ${f.format(median(b))} | ${ratio.toFixed(2)}× |`,
      );
    }
  }
  return lines.join('\n');
}
