/**
 * `npm run bench`: the in-process engine against the fake API running as a separate
 * process, each case in a fresh engine process (bench/engineRun.ts).
 *
 *   npm run bench                      full run (100k and 1M rows, 200 pages, 2,000 details)
 *   npm run bench -- --quick           smoke run (1k and 10k rows, 50 pages, 200 details)
 *   npm run bench -- --only rows       one group: rows, pages, details, carol, workload, memory, api or distributed (comma-separated)
 *   npm run bench -- --profile         also --cpu-prof every child; summaries by stage
 *   npm run bench -- --node-flags "..."   node flags for the engine children (default: the CLI's, --max-semi-space-size=8)
 *   npm run bench -- --rows-in-flight 4   pages_in_flight of the throughput cases (default 1)
 *   npm run bench -- --only workload --baseline ../before [--rounds 2]
 *                                      the workload case side by side with another checkout's build
 *                                      (its dist-bench/bench/cliMain.js), runs alternated baseline/ours
 *
 * The `distributed` group (bench/distributed.ts) runs last: the worker services as
 * separate processes over SQS/S3/DynamoDB on moto (needs `moto_server` on PATH).
 *
 * Prints markdown tables, writes .bench/results.json, exits 0 whether targets are met
 * or missed, 1 when a run fails or writes the wrong number of rows.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { arch, cpus, freemem, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { EngineJob, EngineResult } from './cases';
import {
  DISTRIBUTED_FULL,
  DISTRIBUTED_QUICK,
  type DistributedPlan,
  type DistributedCase,
  type DistributedResults,
  distributedMarkdown,
  runDistributedGroup,
} from './distributed';
import { apiMarkdown, type ApiBenchResult, runApiBench } from './api';
import { largeBodyMarkdown, type LargeBodyResult, runLargeBodyCase } from './largeBodies';
import type { FakeCarolProcessStats } from './fakeCarolMain';
import {
  type FakeApiProcess,
  killAllChildren,
  runNodeScript,
  startFakeApiProcess,
  startFakeCarolProcess,
} from './processes';
import { profileMarkdown, summarizeProfile } from './profile';
import {
  baselineCliScript,
  comparisonMarkdown,
  describeWorkload,
  runWorkloadCase,
  type WorkloadComparison,
  WORKLOAD_SIZES,
  type WorkloadResult,
  workloadMarkdown,
  describeFloor,
  FLOOR_MODES,
  floorMarkdown,
  runWorkloadFloor,
  type WorkloadFloor,
} from './workload';
import { BenchFailure, type Options, parseOptions } from './options';
import { type CaseResult, checkTargets, markdownReport, TARGETS } from './report';

const ROOT = join(__dirname, '..', '..');
const FAKE_API_SCRIPT = join(__dirname, 'fakeApiMain.js');
const FAKE_CAROL_SCRIPT = join(__dirname, 'fakeCarolMain.js');
const ENGINE_SCRIPT = join(__dirname, 'engineRun.js');
const BENCH_DIR = join(ROOT, '.bench');
const PROFILE_DIR = join(BENCH_DIR, 'profiles');
const RESULTS_FILE = join(BENCH_DIR, 'results.json');

interface Plan {
  rowSizes: number[];
  rowPageSize: number;
  pages: number;
  pagesPageSize: number;
  pageLatencyMs: number;
  pagesInFlight: number[];
  details: number;
  detailsPageSize: number;
  detailLatencyMs: number;
  detailConcurrency: number[];
}

const FULL: Plan = {
  rowSizes: [100_000, 1_000_000],
  rowPageSize: 1000,
  pages: 200,
  pagesPageSize: 100,
  pageLatencyMs: 50,
  pagesInFlight: [1, 8],
  details: 2000,
  detailsPageSize: 100,
  detailLatencyMs: 20,
  detailConcurrency: [1, 32],
};

const QUICK: Plan = { ...FULL, rowSizes: [1_000, 10_000], pages: 50, details: 200 };

function commandOutput(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function machineInfo(): Record<string, unknown> {
  const cpuList = cpus();
  return {
    node: process.version,
    platform: `${platform()} ${release()} ${arch()}`,
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model ?? 'unknown',
    nproc: commandOutput('nproc', []),
    totalMemMiB: Math.round(totalmem() / 1024 / 1024),
    freeMemMiB: Math.round(freemem() / 1024 / 1024),
    free: commandOutput('free', ['-m']),
  };
}

interface CaseSpec {
  id: string;
  label: string;
  job: Omit<EngineJob, 'url'>;
  server: { records: number; pageSize: number; latencyMs: number; detailLatencyMs: number };
  /** Latency-bound cases: the floor's inputs. */
  floor?: { latencyMs: number; requests: number; inFlight: number };
}

function casesOf(plan: Plan, options: Options): CaseSpec[] {
  const specs: CaseSpec[] = [];
  if (options.only.has('rows')) {
    for (const records of plan.rowSizes) {
      specs.push({
        id: `rows-${records}`,
        label: `${records.toLocaleString('en-US')} rows`,
        job: {
          kind: 'rows',
          records,
          pageSize: plan.rowPageSize,
          pagesInFlight: options.rowsInFlight,
          detailConcurrency: 1,
        },
        server: { records, pageSize: plan.rowPageSize, latencyMs: 0, detailLatencyMs: 0 },
      });
    }
  }
  if (options.only.has('carol')) {
    const records = plan.rowSizes[plan.rowSizes.length - 1]!;
    specs.push({
      id: `carol-${records}`,
      label: `${records.toLocaleString('en-US')} rows into Carol`,
      job: {
        kind: 'carol',
        records,
        pageSize: plan.rowPageSize,
        pagesInFlight: options.rowsInFlight,
        detailConcurrency: 1,
      },
      server: { records, pageSize: plan.rowPageSize, latencyMs: 0, detailLatencyMs: 0 },
    });
  }
  if (options.only.has('pages')) {
    for (const inFlight of plan.pagesInFlight) {
      const records = plan.pages * plan.pagesPageSize;
      specs.push({
        id: `pages-inflight-${inFlight}`,
        label: `${plan.pages} pages × ${plan.pageLatencyMs} ms, ${inFlight === 1 ? 'sequential' : `${inFlight} in flight`}`,
        job: {
          kind: 'pages',
          records,
          pageSize: plan.pagesPageSize,
          pagesInFlight: inFlight,
          detailConcurrency: 1,
        },
        server: { records, pageSize: plan.pagesPageSize, latencyMs: plan.pageLatencyMs, detailLatencyMs: 0 },
        floor: { latencyMs: plan.pageLatencyMs, requests: plan.pages, inFlight },
      });
    }
  }
  if (options.only.has('details')) {
    for (const concurrency of plan.detailConcurrency) {
      specs.push({
        id: `details-concurrency-${concurrency}`,
        label: `${plan.details.toLocaleString('en-US')} details × ${plan.detailLatencyMs} ms, concurrency ${concurrency}`,
        job: {
          kind: 'details',
          records: plan.details,
          pageSize: plan.detailsPageSize,
          pagesInFlight: 1,
          detailConcurrency: concurrency,
        },
        server: {
          records: plan.details,
          pageSize: plan.detailsPageSize,
          latencyMs: 0,
          detailLatencyMs: plan.detailLatencyMs,
        },
        floor: { latencyMs: plan.detailLatencyMs, requests: plan.details, inFlight: concurrency },
      });
    }
  }
  return specs;
}

/** Generous: the sequential 2,000-detail case alone needs 40 s. */
function timeoutFor(spec: CaseSpec): number {
  const latencyBound = spec.floor ? (spec.floor.latencyMs * spec.floor.requests) / spec.floor.inFlight : 0;
  return 120_000 + 5 * latencyBound + spec.job.records * 2;
}

/** `--cpu-prof` flags for one child of a case when profiling, else none. */
function profileFlagsFor(options: Options, id: string, role: string): string[] {
  return options.profile
    ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, '--cpu-prof-name', `${id}.${role}.cpuprofile`]
    : [];
}

async function runCase(spec: CaseSpec, options: Options): Promise<CaseResult> {
  const dataDir = join(BENCH_DIR, 'tmp', spec.id);
  rmSync(dataDir, { recursive: true, force: true });
  const profileFlags = (role: string): string[] => profileFlagsFor(options, spec.id, role);
  const api = await startFakeApiProcess(FAKE_API_SCRIPT, spec.server, profileFlags('server'));
  let carol: FakeApiProcess | undefined;
  let carolCpuSeconds: number | undefined;
  let output;
  let serverCpuSeconds: number | undefined;
  try {
    if (spec.job.kind === 'carol')
      carol = await startFakeCarolProcess(FAKE_CAROL_SCRIPT, profileFlags('carol'));
    const cpuBefore = api.cpuSeconds();
    const carolCpuBefore = carol?.cpuSeconds();
    const job: EngineJob = { ...spec.job, url: api.url, ...(carol ? { carolUrl: carol.url } : {}) };
    const args = [
      '--url',
      job.url,
      '--kind',
      job.kind,
      '--records',
      String(job.records),
      '--page-size',
      String(job.pageSize),
      '--pages-in-flight',
      String(job.pagesInFlight),
      '--detail-concurrency',
      String(job.detailConcurrency),
      '--data-dir',
      dataDir,
      ...(job.carolUrl ? ['--carol-url', job.carolUrl] : []),
    ];
    output = await runNodeScript(ENGINE_SCRIPT, args, timeoutFor(spec), [
      ...options.nodeFlags,
      ...profileFlags('engine'),
    ]);
    const cpuAfter = api.cpuSeconds();
    const carolCpuAfter = carol?.cpuSeconds();
    if (carolCpuBefore !== undefined && carolCpuAfter !== undefined)
      carolCpuSeconds = carolCpuAfter - carolCpuBefore;
    if (cpuBefore !== undefined && cpuAfter !== undefined) serverCpuSeconds = cpuAfter - cpuBefore;
  } finally {
    await api.stop();
    await carol?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const carolStats = carol ? parseCarolStats(spec.id, carol.stdout()) : undefined;
  const line = output.stdout.trim().split('\n').pop() ?? '';
  let result: EngineResult;
  try {
    result = JSON.parse(line) as EngineResult;
  } catch {
    throw new BenchFailure(
      `${spec.id}: engine child exited ${output.code} without a result; stderr:\n${output.stderr}`,
    );
  }
  if (output.code !== 0)
    throw new BenchFailure(`${spec.id}: engine child exited ${output.code}; stderr:\n${output.stderr}`);
  if (!result.success)
    throw new BenchFailure(`${spec.id}: the run failed: ${result.error ?? 'unknown error'}`);
  if (result.rows !== spec.job.records) {
    throw new BenchFailure(
      `${spec.id}: wrote ${result.rows} rows (data_inserted_len), expected ${spec.job.records}`,
    );
  }
  if (carolStats) checkCarolLoad(spec, result, carolStats);
  else if (result.outputBytes <= 0)
    throw new BenchFailure(`${spec.id}: no output file at ${result.outputPath}`);
  if (spec.job.kind === 'details' && result.detailRequests !== spec.job.records) {
    throw new BenchFailure(
      `${spec.id}: made ${result.detailRequests} detail requests, expected ${spec.job.records}`,
    );
  }
  const caseResult: CaseResult = {
    id: spec.id,
    kind: spec.job.kind,
    label: spec.label,
    result,
    rowsPerSecond: result.rows / (result.wallMs / 1000),
  };
  if (serverCpuSeconds !== undefined) caseResult.serverCpuSeconds = serverCpuSeconds;
  if (carolStats) {
    caseResult.carolBytes = {
      gzip: carolStats.intakeBytes,
      uncompressed: carolStats.intakeUncompressedBytes,
      requests: carolStats.intakeRequests,
    };
    if (carolCpuSeconds !== undefined) caseResult.carolCpuSeconds = carolCpuSeconds;
  }
  if (spec.floor) {
    const floorMs = (spec.floor.latencyMs * spec.floor.requests) / spec.floor.inFlight;
    caseResult.floorMs = floorMs;
    caseResult.floorRatio = result.wallMs / floorMs;
    caseResult.floorRequests = spec.floor.requests;
    caseResult.latencyMs = spec.floor.latencyMs;
    caseResult.inFlight = spec.floor.inFlight;
  }
  return caseResult;
}

function parseCarolStats(id: string, stdout: string): FakeCarolProcessStats {
  const line = /^STATS (.+)$/m.exec(stdout)?.[1];
  if (!line) throw new BenchFailure(`${id}: the fake Carol printed no STATS line`);
  return JSON.parse(line) as FakeCarolProcessStats;
}

/** Carol holds exactly the rows, in one batch whose summary matches. */
function checkCarolLoad(spec: CaseSpec, result: EngineResult, stats: FakeCarolProcessStats): void {
  const [batch, ...others] = stats.batches;
  const records = spec.job.records;
  if (!batch || others.length > 0)
    throw new BenchFailure(`${spec.id}: Carol holds ${stats.batches.length} batches, expected 1`);
  if (batch.records !== records)
    throw new BenchFailure(`${spec.id}: Carol holds ${batch.records} records, expected ${records}`);
  if (
    !batch.summary ||
    batch.summary.totalRecords !== records ||
    batch.summary.totalRequests !== batch.requests
  )
    throw new BenchFailure(
      `${spec.id}: the summary ${JSON.stringify(batch.summary)} does not match what Carol holds`,
    );
  if (result.carol?.records !== records)
    throw new BenchFailure(`${spec.id}: the log's carol field says ${JSON.stringify(result.carol)}`);
}

function describe(c: CaseResult): string {
  const r = c.result;
  const sent = c.carolBytes
    ? `, sent ${(c.carolBytes.gzip / 1024 / 1024).toFixed(1)} MiB gzip for ${(c.carolBytes.uncompressed / 1024 / 1024).toFixed(1)} MiB of JSON`
    : '';
  const base = `${(r.wallMs / 1000).toFixed(2)} s, ${Math.round(c.rowsPerSecond).toLocaleString('en-US')} rows/s, peak RSS ${(r.maxRssKb / 1024).toFixed(1)} MiB${sent}`;
  return c.floorRatio === undefined ? base : `${base}, ${c.floorRatio.toFixed(2)}× floor`;
}

/**
 * One workload size, the baseline checkout's build and ours alternately (baseline first),
 * `rounds` runs each, every run against its own fresh fake API process.
 */
async function compareWorkload(records: number, options: Options): Promise<WorkloadComparison> {
  const comparison: WorkloadComparison = { records, baseline: [], ours: [] };
  for (let round = 1; round <= options.rounds; round++) {
    for (const side of ['baseline', 'ours'] as const) {
      const tag = `${side === 'baseline' ? 'base' : 'ours'}.${round}`;
      process.stderr.write(`  workload-${records} ${tag} ... `);
      const result = await runWorkloadCase(records, {
        benchDir: BENCH_DIR,
        // The baseline's bin ran its entry with this flag (a re-execution); ours sets its heap from inside.
        nodeFlags: side === 'baseline' ? ['--max-semi-space-size=8'] : (options.givenNodeFlags ?? []),
        profileFlags: (id, role) => profileFlagsFor(options, id, role),
        tag,
        ...(side === 'baseline' ? { cliScript: baselineCliScript(options.baseline!) } : {}),
      });
      result.id = `${result.id} ${tag}`;
      comparison[side].push(result);
      process.stderr.write(`${describeWorkload(result)}\n`);
    }
  }
  return comparison;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const plan = options.quick ? QUICK : FULL;
  mkdirSync(BENCH_DIR, { recursive: true });
  // Output files of an interrupted case are scratch only.
  process.on('exit', () => {
    try {
      rmSync(join(BENCH_DIR, 'tmp'), { recursive: true, force: true });
    } catch {
      // best effort
    }
  });
  if (options.profile) {
    rmSync(PROFILE_DIR, { recursive: true, force: true });
    mkdirSync(PROFILE_DIR, { recursive: true });
  }
  const machine = machineInfo();
  const specs = casesOf(plan, options);
  process.stderr.write(
    `bench (${options.quick ? 'quick' : 'full'}): node ${process.version}, ${String(machine.cpus)} CPUs, ${String(machine.totalMemMiB)} MiB; ${specs.length} engine cases` +
      `${options.only.has('distributed') ? ' + the distributed group' : ''}` +
      `${options.rowsInFlight > 1 ? `; rows-in-flight ${options.rowsInFlight}` : ''}` +
      `${options.nodeFlags.length > 0 ? `; engine node flags ${options.nodeFlags.join(' ')}` : ''}\n`,
  );
  const results: CaseResult[] = [];
  let failure: string | undefined;
  for (const spec of specs) {
    process.stderr.write(`  ${spec.id} ... `);
    try {
      const result = await runCase(spec, options);
      results.push(result);
      process.stderr.write(`${describe(result)}\n`);
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
      process.stderr.write('FAILED\n');
      break;
    }
  }
  const workload: WorkloadResult[] = [];
  const comparisons: WorkloadComparison[] = [];
  const floors: WorkloadFloor[] = [];
  if (failure === undefined && options.only.has('workload')) {
    const sizes = options.quick ? WORKLOAD_SIZES.quick : WORKLOAD_SIZES.full;
    try {
      for (const records of sizes) {
        if (options.baseline) comparisons.push(await compareWorkload(records, options));
        else {
          process.stderr.write(`  workload-${records} (api-extractor run) ... `);
          const result = await runWorkloadCase(records, {
            benchDir: BENCH_DIR,
            nodeFlags: options.givenNodeFlags ?? [],
            profileFlags: (id, role) => profileFlagsFor(options, id, role),
          });
          workload.push(result);
          process.stderr.write(`${describeWorkload(result)}\n`);
        }
        for (let round = 1; round <= (options.baseline ? options.rounds : 1); round++) {
          for (const mode of FLOOR_MODES) {
            process.stderr.write(`  floor-${mode}-${records} ... `);
            const floor = await runWorkloadFloor(
              records,
              mode,
              BENCH_DIR,
              options.baseline ? `#${round}` : undefined,
            );
            floors.push(floor);
            process.stderr.write(`${describeFloor(floor)}\n`);
          }
        }
      }
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
      process.stderr.write('FAILED\n');
    }
  }
  let memory: LargeBodyResult | undefined;
  if (failure === undefined && options.only.has('memory')) {
    process.stderr.write('  memory: 2 GiB streamed bodies, pages_in_flight 8 ... ');
    try {
      memory = await runLargeBodyCase(join(BENCH_DIR, 'tmp', 'memory'), options.nodeFlags);
      process.stderr.write(`peak RSS ${(memory.maxRssKb / 1024).toFixed(0)} MiB\n`);
      if (memory.success) failure = 'the large-body run succeeded: its bodies were not limited';
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
      process.stderr.write('FAILED\n');
    }
  }
  let api: ApiBenchResult[] | undefined;
  if (failure === undefined && options.only.has('api')) {
    process.stderr.write('config API under load (embedded system and autocannon as separate processes):\n');
    try {
      api = await runApiBench({ durationSeconds: options.quick ? 2 : 10, connections: 20 });
      if (api.some((r) => r.non2xx > 0 || r.errors > 0))
        failure = 'the API answered non-2xx or failed under load';
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
  }
  let distributed: DistributedResults | undefined;
  if (failure === undefined && options.only.has('distributed')) {
    const basePlan = options.quick ? DISTRIBUTED_QUICK : DISTRIBUTED_FULL;
    const rows = options.distributedRows;
    const distributedPlan: DistributedPlan = {
      ...basePlan,
      rows: rows ? { ...basePlan.rows, probeRecords: rows, targetRecords: rows } : basePlan.rows,
      ...(options.distributedCases ? { only: options.distributedCases } : {}),
    };
    const partial: DistributedCase[] = [];
    process.stderr.write(
      'distributed pipeline on moto (workers, moto and the fake API as separate processes):\n',
    );
    try {
      distributed = await runDistributedGroup(
        distributedPlan,
        (text) => process.stderr.write(text),
        (c) => partial.push(c),
      );
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
      distributed = { plan: distributedPlan, cases: partial, notes: [] };
    }
  }
  const checks = checkTargets(results);
  const profiles: Record<string, unknown>[] = [];
  let profileText = '';
  if (options.profile) {
    for (const file of readdirSync(PROFILE_DIR)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort()) {
      const summary = summarizeProfile(join(PROFILE_DIR, file));
      profiles.push({ ...summary });
      profileText += `${profileMarkdown(summary)}\n\n`;
    }
  }
  const document = {
    mode: options.quick ? 'quick' : 'full',
    date: new Date().toISOString(),
    machine,
    options: { rowsInFlight: options.rowsInFlight, profile: options.profile, nodeFlags: options.nodeFlags },
    plan,
    targets: TARGETS,
    success: failure === undefined,
    failure: failure ?? null,
    cases: results,
    checks,
    workload,
    workloadFloors: floors,
    workloadComparison: options.baseline ? { baseline: options.baseline, sizes: comparisons } : null,
    memory: memory ?? null,
    api: api ?? null,
    distributed: distributed ?? null,
    profiles,
  };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(document, null, 2)}\n`);
  process.stdout.write(`\n${markdownReport(results, checks)}\n`);
  if (workload.length > 0) process.stdout.write(`\n${workloadMarkdown(workload)}\n`);
  if (comparisons.length > 0) {
    const all = comparisons.flatMap((c) => [...c.baseline, ...c.ours]);
    process.stdout.write(`\n${workloadMarkdown(all, true)}\n`);
    process.stdout.write(`\n${comparisonMarkdown(comparisons, options.baseline!)}\n`);
  }
  if (floors.length > 0) {
    const runs = [...workload, ...comparisons.flatMap((c) => [...c.baseline, ...c.ours])];
    process.stdout.write(`\n${floorMarkdown(floors, runs)}\n`);
  }
  if (memory) process.stdout.write(`\n${largeBodyMarkdown(memory)}\n`);
  if (api) process.stdout.write(`\n${apiMarkdown(api)}\n`);
  if (distributed && distributed.cases.length > 0)
    process.stdout.write(`${distributedMarkdown(distributed)}\n`);
  if (profileText) process.stdout.write(profileText);
  process.stdout.write(`results: ${RESULTS_FILE}\n`);
  if (failure !== undefined) {
    process.stderr.write(`\nBENCH FAILED: ${failure}\n`);
    return 1;
  }
  const missed = checks.filter((c) => !c.pass).length;
  process.stdout.write(
    missed === 0 ? 'all targets met\n' : `${missed} target(s) missed (reported, not a failure)\n`,
  );
  return 0;
}

main().then(
  (code) => {
    killAllChildren();
    process.exitCode = code;
  },
  (error: unknown) => {
    killAllChildren();
    process.stderr.write(`\nBENCH FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
