/**
 * The `distributed` group of `npm run bench`: the pipeline as separate worker
 * processes (`node dist-bench/services/worker/main.js page-fetcher|detail-mapper|writer`)
 * over SQS, S3 and DynamoDB on moto, extracting from the fake API — the way
 * test/integration/distributedPipeline.test.ts runs it. This process plays the config
 * API: it bootstraps a fresh stage, starts the run (`startRun`) and polls the run
 * record until it is over.
 *
 * Every case gets a fresh moto, a fresh fake API and fresh workers, so each peak RSS
 * and CPU time belongs to that case. Peak RSS is `VmHWM` and CPU time `utime+stime`
 * from `/proc/<pid>/…`, read just before the process is stopped (Linux only).
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { bootstrapAwsResources } from '../shared/adapters/aws/bootstrap';
import { awsSettingsFromEnv, destroyAwsClients } from '../shared/adapters/aws/config';
import { awsPipelineDeps } from '../shared/adapters/aws/pipelineDeps';
import type { AwsRequestCounts } from '../shared/adapters/aws/requestCounter';
import { parseConfig } from '../shared/core/config/validate';
import { startRun } from '../shared/pipeline/stages';
import type { ExecutionLog } from '../shared/ports/executionLog';
import { silentLogger } from '../shared/ports/logger';
import type { RunRecord, RunStore } from '../shared/ports/runs';
import { applyEnv, freePort, MOTO_LAUNCHER } from '../test/support/moto';
import { benchConfig, type EngineJob } from './cases';
import {
  machineBusyCpuSeconds,
  procCpuSeconds,
  procStatusKb,
  type ServiceProcess,
  startFakeApiProcess,
  startService,
} from './processes';

const WORKER_SCRIPT = join(__dirname, '..', 'services', 'worker', 'main.js');
const FAKE_API_SCRIPT = join(__dirname, 'fakeApiMain.js');

/** What moto and the workers need so no SDK reads a developer's real credentials. */
const DUMMY_AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
};
const CLEARED_AWS_ENV = ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_ENDPOINT_URL'];

export class DistributedFailure extends Error {}

/** One series of detail-bound runs: the same job with each detail-mapper count. */
export interface DetailSeries {
  records: number;
  /** List page size (`per_page`). */
  pageSize: number;
  /** `pages_in_flight` of the listing, so listing stays off the critical path. */
  pagesInFlight: number;
  detailLatencyMs: number;
  /** `mapping_fetch.concurrency` per detail-mapper (the config gets this × mappers). */
  concurrency: number;
  /** `DETAIL_CHUNK_SIZE`: rows per detail task. */
  chunkSize: number;
  /** `CONCURRENCY` of each detail-mapper: detail tasks (messages) handled at once. */
  mapperConcurrency: number;
  /** The detail-mapper process counts compared. */
  mappers: number[];
  /** Runs per count; the median (by wall time) is reported, with the range. */
  repeats: number;
}

/** Listing-bound runs where the upstream's page latency dominates: each page-fetcher count. */
export interface PageSeries {
  records: number;
  pageSize: number;
  /** `pages_in_flight`: the window, large enough for every page-fetcher together. */
  pagesInFlight: number;
  /** The fake API's latency on every list page. */
  pageLatencyMs: number;
  /** `CONCURRENCY` of each page-fetcher: pages fetched at once per process. */
  fetcherConcurrency: number;
  fetchers: number[];
  repeats: number;
}

export interface DistributedPlan {
  details: DetailSeries[];
  pages: PageSeries[];
  rows: {
    /** Run first, to estimate the target's duration on this machine. */
    probeRecords: number;
    /** The size asked for. */
    targetRecords: number;
    pageSize: number;
    pagesInFlight: number;
    /** Run the target only if the probe predicts at most this much wall time… */
    maxTargetMs: number;
    /** …else run the largest size (a multiple of the probe) predicted to fit in this. */
    budgetMs: number;
  };
  /** Run only the cases whose id contains one of these (all when absent). */
  only?: string[];
}

/** The case of issue 12's table: short detail latency, where moto's per-task calls weigh most. */
const MOTO_BOUND_DETAILS: DetailSeries = {
  records: 2000,
  pageSize: 100,
  pagesInFlight: 8,
  detailLatencyMs: 20,
  concurrency: 32,
  chunkSize: 50,
  mapperConcurrency: 1,
  mappers: [1, 2, 4],
  // One run per count keeps the group near 5 min on a quiet machine; the range over
  // several invocations is in docs/benchmarks.md.
  repeats: 1,
};

/** Upstream latency dominates (200 ms a detail): what adding detail-mappers buys when moto is not the limit. */
const LATENCY_BOUND_DETAILS: DetailSeries = {
  ...MOTO_BOUND_DETAILS,
  detailLatencyMs: 200,
  repeats: 1,
};

/** 1 s a list page, 4 pages at once per page-fetcher: what adding page-fetchers buys. */
const LATENCY_BOUND_PAGES: PageSeries = {
  records: 4000,
  pageSize: 100,
  pagesInFlight: 8,
  pageLatencyMs: 1000,
  fetcherConcurrency: 4,
  fetchers: [1, 2],
  repeats: 1,
};

export const DISTRIBUTED_FULL: DistributedPlan = {
  details: [MOTO_BOUND_DETAILS, LATENCY_BOUND_DETAILS],
  pages: [LATENCY_BOUND_PAGES],
  rows: {
    probeRecords: 100_000,
    // 1,000,000 takes ~100 s on moto here (its CPU, see docs/benchmarks.md); pass
    // --distributed-rows 1000000 to run it.
    targetRecords: 100_000,
    pageSize: 1000,
    pagesInFlight: 8,
    maxTargetMs: 5 * 60_000,
    budgetMs: 3 * 60_000,
  },
};

export const DISTRIBUTED_QUICK: DistributedPlan = {
  details: [{ ...MOTO_BOUND_DETAILS, records: 200, mappers: [1, 2], repeats: 1 }],
  pages: [{ ...LATENCY_BOUND_PAGES, records: 800, pageLatencyMs: 200 }],
  rows: { ...DISTRIBUTED_FULL.rows, probeRecords: 10_000, targetRecords: 10_000 },
};

/** Peak RSS and CPU of one process over one case. */
export interface ProcessFigures {
  role: string;
  pid: number | undefined;
  /** `VmHWM` just before it was stopped, KiB. */
  peakRssKb: number | undefined;
  /** CPU seconds from just before `startRun` to the end of the run. */
  cpuSeconds: number | undefined;
}

export interface DistributedCase {
  id: string;
  kind: 'distributed-details' | 'distributed-pages' | 'distributed-rows';
  label: string;
  records: number;
  /** `data_inserted_len` of the execution log (verified = records). */
  rows: number;
  pages: number;
  requests: number;
  detailRequests: number;
  /** From just before `startRun` to the run record's `finishedAt` (written by the worker). */
  wallMs: number;
  /** From just before `startRun` until this process saw the run over (includes the poll interval). */
  observedWallMs: number;
  rowsPerSecond: number;
  outputBytes: number;
  /**
   * When this process first saw (polling the run record's counters, so within one poll
   * interval): every list page staged, every detail fetched and staged; ms from `startRun`.
   * What follows the last of them until `wallMs` is mostly the writer.
   */
  phases: { listedMs?: number; detailsDoneMs?: number };
  /**
   * moto's CPU seconds at those moments (and at the start and end): its utilisation per
   * phase is ΔCPU / Δt. One core is all moto can use (a Python process; the GIL).
   */
  motoCpuAt: { startS?: number; listedS?: number; detailsDoneS?: number; endS?: number };
  /** Samples every `sampleMs` of the run: pages staged, details fetched, moto CPU seconds so far. */
  timeline: Array<{ atMs: number; pages: number; details: number; motoCpuS: number | undefined }>;
  /** CPU seconds of this (the harness) process over the run: startRun, polling. */
  harnessCpuSeconds: number;
  /** Sum of every measured process plus the harness, over cores × wall: how busy the machine was. */
  machineBusy: number | undefined;
  /** 1-minute load average just before the case started (includes the previous case's tail). */
  loadAverageBefore: number;
  /**
   * CPU seconds the rest of the machine used during the run: /proc/stat's busy time minus
   * every measured process and the harness. Near 0 means nothing else competed.
   */
  otherCpuSeconds: number | undefined;
  /** Wall times of every repetition (detail cases; the figures are the median one's). */
  repeatWallsMs?: number[];
  /** `otherCpuSeconds` of every repetition, in the same order. */
  repeatOtherCpuSeconds?: Array<number | undefined>;
  /** Detail cases: latency × requests / (in flight per process × processes). */
  floorMs?: number;
  floorRatio?: number;
  latencyMs?: number;
  /** Detail requests one detail-mapper can have in flight: CONCURRENCY × min(chunk, mapping_fetch concurrency). */
  inFlightPerProcess?: number;
  detailMappers?: number;
  /** Page cases: page-fetcher processes, and the floor (pages × latency / (fetchers × CONCURRENCY)). */
  pageFetchers?: number;
  /**
   * AWS requests the workers sent, summed over them, from start to drain (each logs
   * `aws requests` when it stops): per service and per operation. Idle long polls
   * before and after the run are included (a few per poller).
   */
  awsRequests?: AwsRequestCounts;
  processes: ProcessFigures[];
  /** Worker settings of the case. */
  settings: Record<string, string | number>;
}

export interface Extrapolation {
  fromRecords: number;
  toRecords: number;
  /** Linear in rows from the measured run: an estimate, not a measurement. */
  estimatedWallMs: number;
  reason: string;
}

export interface DistributedResults {
  plan: DistributedPlan;
  cases: DistributedCase[];
  /** Set when the target row count was not run (too slow here). */
  extrapolation?: Extrapolation;
  notes: string[];
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/** The environment of this process without any AWS variable a developer may have set. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of CLEARED_AWS_ENV) delete env[name];
  return env;
}

interface Moto {
  endpoint: string;
  process: ServiceProcess;
}

/**
 * moto on a free port, tracked so the harness kills it on exit (the same serialized
 * launcher as test/support/moto.ts, which does not expose the pid this group measures).
 */
async function startMotoProcess(): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const service = startService(
    'moto_server',
    'python3',
    [MOTO_LAUNCHER, '-H', '127.0.0.1', '-p', String(port)],
    {
      ...cleanEnv(),
      ...DUMMY_AWS_ENV,
    },
  );
  const deadline = Date.now() + 30_000;
  while (!(await answers(`${endpoint}/moto-api/`))) {
    if (!service.alive()) {
      throw new DistributedFailure(
        `moto did not start (install it with  python3 -m pip install -r test/requirements.txt); output:\n${service.output().slice(-2000)}`,
      );
    }
    if (Date.now() > deadline) {
      await service.stop('SIGKILL');
      throw new DistributedFailure(`moto did not answer on ${endpoint} within 30 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { endpoint, process: service };
}

/**
 * Polls the run record until the run is over. Like test/support/pipelineHarness.ts
 * `waitForRun`, but with a chosen interval: every poll is a DynamoDB read that moto
 * has to serve on the same two cores, so long runs poll less often.
 */
async function waitForRunEvery(
  runs: RunStore,
  runId: string,
  timeoutMs: number,
  intervalMs: number,
  onPoll: (run: RunRecord) => void,
): Promise<RunRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await runs.getRun(runId);
    if (run) onPoll(run);
    if (run && run.status !== 'running') return run;
    if (Date.now() > deadline) {
      throw new DistributedFailure(
        `run ${runId} still ${run?.status ?? 'missing'} after ${Math.round(timeoutMs / 1000)} s; counters ${JSON.stringify(run?.counters)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

type WorkerService = 'page-fetcher' | 'detail-mapper' | 'writer';

interface DeploymentSpec {
  id: string;
  kind: DistributedCase['kind'];
  label: string;
  job: Omit<EngineJob, 'url'>;
  server: { records: number; pageSize: number; detailLatencyMs: number; latencyMs?: number };
  workers: Array<{ role: string; service: WorkerService; concurrency: number }>;
  detailChunkSize: number;
  timeoutMs: number;
  pollMs: number;
  sampleMs: number;
}

/** One run on a fresh moto, fake API and set of workers; everything is stopped before it returns. */
async function runDeployment(
  spec: DeploymentSpec,
  progress: (text: string) => void,
): Promise<DistributedCase> {
  const started: ServiceProcess[] = [];
  const api = await startFakeApiProcess(FAKE_API_SCRIPT, { latencyMs: 0, ...spec.server });
  let moto: Moto | undefined;
  let restoreEnv: (() => void) | undefined;
  let destroyClients: (() => void) | undefined;
  try {
    moto = await startMotoProcess();
    const stage = `b${randomBytes(5).toString('hex')}`;
    const awsEnv: Record<string, string> = {
      ...DUMMY_AWS_ENV,
      AWS_ENDPOINT_URL: moto.endpoint,
      STAGE: stage,
      DEFAULT_OUTPUT_BUCKET_SUFFIX: 'bench',
    };
    // In-process SDK clients read credentials from process.env.
    restoreEnv = applyEnv(awsEnv);
    const settings = awsSettingsFromEnv(awsEnv);
    const { deps, clients } = awsPipelineDeps(settings, {
      logger: silentLogger,
      waitTimeSeconds: 1,
      detailChunkSize: spec.detailChunkSize,
    });
    destroyClients = () => destroyAwsClients(clients);
    await bootstrapAwsResources(settings, clients);

    const workerEnv = {
      ...cleanEnv(),
      ...awsEnv,
      LOG_LEVEL: 'info',
      VISIBILITY_TIMEOUT_SECONDS: '60',
      SQS_WAIT_TIME_SECONDS: '20',
      DETAIL_CHUNK_SIZE: String(spec.detailChunkSize),
    };
    for (const worker of spec.workers) {
      started.push(
        startService(worker.role, process.execPath, [WORKER_SCRIPT, worker.service], {
          ...workerEnv,
          CONCURRENCY: String(worker.concurrency),
        }),
      );
    }
    // Ready = consuming; node start-up and module loading stay out of the wall time.
    await Promise.all(started.map((s) => s.waitFor(/worker started/, 30_000)));

    const config = benchConfig({ ...spec.job, url: api.url });
    for (const extraction of config.extractions as Array<Record<string, unknown>>) {
      // The stage's default output bucket instead of the in-process cases' `bench` bucket.
      const destiny = { ...(extraction.s3_destiny as Record<string, unknown>) };
      delete destiny.bucket;
      extraction.s3_destiny = destiny;
    }
    const parsed = parseConfig(config);

    const measured: Array<{ role: string; pid: number | undefined }> = [
      ...started.map((s) => ({ role: s.name, pid: s.pid })),
      { role: 'moto_server', pid: moto.process.pid },
      { role: 'fake API', pid: api.pid },
    ];
    const loadAverageBefore = loadavg()[0] ?? 0;
    const cpuBefore = measured.map((m) => procCpuSeconds(m.pid));
    const harnessCpuBefore = process.cpuUsage();
    const machineBefore = machineBusyCpuSeconds();
    const startedAt = Date.now();
    const run = await startRun(parsed, deps, { trigger: 'api' });
    const ticker = setInterval(() => {
      void deps.runs.getRun(run.runId).then(
        (r) =>
          r &&
          progress(
            `${Math.round((Date.now() - startedAt) / 1000)} s, ${r.counters.pages} pages, ${r.counters.details} details`,
          ),
        () => undefined,
      );
    }, 30_000);
    let finished: RunRecord;
    const phases: DistributedCase['phases'] = {};
    const listPages = Math.ceil(spec.job.records / spec.job.pageSize);
    const motoPid = moto.process.pid;
    const motoCpuAt: DistributedCase['motoCpuAt'] = { startS: cpuBefore[started.length] };
    const timeline: DistributedCase['timeline'] = [
      { atMs: 0, pages: 0, details: 0, motoCpuS: motoCpuAt.startS },
    ];
    const onPoll = (r: RunRecord): void => {
      const at = Date.now() - startedAt;
      if (at - timeline[timeline.length - 1]!.atMs >= spec.sampleMs) {
        timeline.push({
          atMs: at,
          pages: r.counters.pages,
          details: r.counters.details,
          motoCpuS: procCpuSeconds(motoPid),
        });
      }
      if (phases.listedMs === undefined && r.counters.pages >= listPages) {
        phases.listedMs = at;
        motoCpuAt.listedS = procCpuSeconds(motoPid);
      }
      if (
        spec.job.kind === 'details' &&
        phases.detailsDoneMs === undefined &&
        r.counters.details >= spec.job.records
      ) {
        phases.detailsDoneMs = at;
        motoCpuAt.detailsDoneS = procCpuSeconds(motoPid);
      }
    };
    try {
      finished = await waitForRunEvery(deps.runs, run.runId, spec.timeoutMs, spec.pollMs, onPoll);
    } finally {
      clearInterval(ticker);
    }
    const observedWallMs = Date.now() - startedAt;
    const harnessCpu = process.cpuUsage(harnessCpuBefore);
    const machineAfter = machineBusyCpuSeconds();
    const cpuAfter = measured.map((m) => procCpuSeconds(m.pid));
    motoCpuAt.endS = cpuAfter[started.length];
    const peaks = measured.map((m) => procStatusKb(m.pid, 'VmHWM'));
    if (started.some((s) => !s.alive())) {
      const dead = started.filter((s) => !s.alive());
      throw new DistributedFailure(
        `${spec.id}: ${dead.map((s) => s.name).join(', ')} exited during the run; output:\n${dead.map((s) => s.output().slice(-2000)).join('\n')}`,
      );
    }
    if (finished.status !== 'succeeded') {
      const apiState = api.alive()
        ? 'the fake API is still up'
        : `the fake API had exited; its stderr: ${api.stderr()}`;
      throw new DistributedFailure(
        `${spec.id}: the run ${finished.status}: ${finished.error ?? 'no error recorded'} (${apiState})`,
      );
    }
    const finishedAt = finished.finishedAt ? Date.parse(finished.finishedAt) : Number.NaN;
    const wallMs = Number.isFinite(finishedAt) ? finishedAt - startedAt : observedWallMs;

    const logs: ExecutionLog[] = [];
    for (const id of finished.extractionIds) {
      const log = (await deps.executionLogs.list(id)).find((l) => l.run_id === finished.runId);
      if (log) logs.push(log);
    }
    const log = logs[0];
    if (!log) throw new DistributedFailure(`${spec.id}: no execution log for run ${finished.runId}`);
    const rows = Number(log.data_inserted_len);
    if (rows !== spec.job.records) {
      throw new DistributedFailure(
        `${spec.id}: wrote ${log.data_inserted_len} rows (data_inserted_len), expected ${spec.job.records}`,
      );
    }
    if (spec.job.kind === 'details' && log.detail_requests !== spec.job.records) {
      throw new DistributedFailure(
        `${spec.id}: made ${log.detail_requests} detail requests, expected ${spec.job.records}`,
      );
    }
    if (!log.destiny) throw new DistributedFailure(`${spec.id}: the execution log names no output object`);
    const [bucket, ...key] = log.destiny.replace(/^s3:\/\//, '').split('/');
    const head = await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key.join('/') }));
    const outputBytes = head.ContentLength ?? 0;
    if (outputBytes <= 0) throw new DistributedFailure(`${spec.id}: empty output object ${log.destiny}`);

    const processes: ProcessFigures[] = measured.map((m, i) => {
      const before = cpuBefore[i];
      const after = cpuAfter[i];
      return {
        role: m.role,
        pid: m.pid,
        peakRssKb: peaks[i],
        cpuSeconds: before !== undefined && after !== undefined ? after - before : undefined,
      };
    });
    const harnessCpuSeconds = (harnessCpu.user + harnessCpu.system) / 1e6;
    const allCpu = processes.every((p) => p.cpuSeconds !== undefined)
      ? processes.reduce((sum, p) => sum + (p.cpuSeconds ?? 0), harnessCpuSeconds)
      : undefined;
    const result: DistributedCase = {
      id: spec.id,
      kind: spec.kind,
      label: spec.label,
      records: spec.job.records,
      rows,
      pages: log.pages,
      requests: log.requests,
      detailRequests: log.detail_requests,
      wallMs,
      observedWallMs,
      rowsPerSecond: rows / (wallMs / 1000),
      outputBytes,
      phases,
      motoCpuAt,
      timeline,
      harnessCpuSeconds,
      machineBusy: allCpu === undefined ? undefined : allCpu / (cpus().length * (observedWallMs / 1000)),
      loadAverageBefore,
      otherCpuSeconds:
        allCpu === undefined || machineBefore === undefined || machineAfter === undefined
          ? undefined
          : Math.max(0, machineAfter - machineBefore - allCpu),
      processes,
      settings: {
        ...Object.fromEntries(spec.workers.map((w) => [`${w.role} CONCURRENCY`, w.concurrency])),
        DETAIL_CHUNK_SIZE: spec.detailChunkSize,
        pages_in_flight: spec.job.pagesInFlight,
        per_page: spec.job.pageSize,
      },
    };
    // The workers are still up: SIGTERM them (they drain, log their AWS requests and exit 0).
    const codes = await Promise.all(started.map((s) => s.stop('SIGTERM', 15_000)));
    codes.forEach((code, i) => {
      if (code !== 0) progress(`note: ${started[i]?.name} exited ${code} on SIGTERM`);
    });
    const counted = started.map((s) => requestsLogged(s.output()));
    if (counted.every((c) => c !== undefined)) result.awsRequests = sumCounts(counted);
    else progress('note: a worker logged no AWS request counts');
    return result;
  } finally {
    await Promise.all(started.map((s) => s.stop('SIGKILL')));
    destroyClients?.();
    restoreEnv?.();
    await moto?.process.stop('SIGTERM', 5000);
    await api.stop();
  }
}

/** The `aws requests` line a worker logs when it stops (JSON logs). */
function requestsLogged(output: string): AwsRequestCounts | undefined {
  const lines = output.split('\n').filter((line) => line.includes('"aws requests"'));
  const last = lines[lines.length - 1];
  if (!last) return undefined;
  try {
    const parsed = JSON.parse(last) as Partial<AwsRequestCounts>;
    if (typeof parsed.total !== 'number' || !parsed.byService || !parsed.byOperation) return undefined;
    return {
      total: parsed.total,
      byService: parsed.byService,
      byOperation: parsed.byOperation,
      items: parsed.items ?? {},
    };
  } catch {
    return undefined;
  }
}

function sumCounts(all: AwsRequestCounts[]): AwsRequestCounts {
  const sum: AwsRequestCounts = { total: 0, byService: {}, byOperation: {}, items: {} };
  for (const c of all) {
    sum.total += c.total;
    for (const [k, n] of Object.entries(c.byService) as Array<[keyof AwsRequestCounts['byService'], number]>)
      sum.byService[k] = (sum.byService[k] ?? 0) + n;
    for (const [k, n] of Object.entries(c.byOperation)) sum.byOperation[k] = (sum.byOperation[k] ?? 0) + n;
    for (const [k, n] of Object.entries(c.items)) sum.items[k] = (sum.items[k] ?? 0) + n;
  }
  return sum;
}

/** `count` processes of one service, named `service` alone or `service 1`, `service 2`…. */
function replicas(service: WorkerService, count: number, concurrency: number): DeploymentSpec['workers'] {
  return Array.from({ length: count }, (_, i) => ({
    role: count === 1 ? service : `${service} ${i + 1}`,
    service,
    concurrency,
  }));
}

function detailsSpec(d: DetailSeries, mappers: number): DeploymentSpec {
  const workers: DeploymentSpec['workers'] = [
    { role: 'page-fetcher', service: 'page-fetcher', concurrency: d.pagesInFlight },
    ...replicas('detail-mapper', mappers, d.mapperConcurrency),
    { role: 'writer', service: 'writer', concurrency: 2 },
  ];
  return {
    id: `distributed-details-${d.detailLatencyMs}ms-${mappers}-mapper${mappers === 1 ? '' : 's'}`,
    kind: 'distributed-details',
    label: `${d.records.toLocaleString('en-US')} details × ${d.detailLatencyMs} ms, ${mappers} detail-mapper${mappers === 1 ? '' : 's'}`,
    job: {
      kind: 'details',
      records: d.records,
      pageSize: d.pageSize,
      pagesInFlight: d.pagesInFlight,
      // The in-flight limit holds for the whole deployment, so a deployment scaled out to
      // N mappers is given N times the requests in flight (docs/config.md says to).
      detailConcurrency: deploymentConcurrency(d, mappers),
    },
    server: { records: d.records, pageSize: d.pageSize, detailLatencyMs: d.detailLatencyMs },
    workers,
    detailChunkSize: d.chunkSize,
    timeoutMs: 180_000,
    pollMs: 20,
    sampleMs: 500,
  };
}

function pagesSpec(p: PageSeries, fetchers: number): DeploymentSpec {
  const workers: DeploymentSpec['workers'] = [
    ...replicas('page-fetcher', fetchers, p.fetcherConcurrency),
    { role: 'writer', service: 'writer', concurrency: 2 },
  ];
  return {
    id: `distributed-pages-${p.pageLatencyMs}ms-${fetchers}-fetcher${fetchers === 1 ? '' : 's'}`,
    kind: 'distributed-pages',
    label: `${Math.ceil(p.records / p.pageSize)} pages × ${p.pageLatencyMs} ms, ${fetchers} page-fetcher${fetchers === 1 ? '' : 's'}`,
    job: {
      kind: 'rows',
      records: p.records,
      pageSize: p.pageSize,
      pagesInFlight: p.pagesInFlight,
      detailConcurrency: 1,
    },
    server: { records: p.records, pageSize: p.pageSize, detailLatencyMs: 0, latencyMs: p.pageLatencyMs },
    workers,
    detailChunkSize: MOTO_BOUND_DETAILS.chunkSize,
    timeoutMs: 180_000,
    pollMs: 50,
    sampleMs: 1000,
  };
}

function withPageFloor(c: DistributedCase, p: PageSeries, fetchers: number): DistributedCase {
  const pages = Math.ceil(p.records / p.pageSize);
  const inFlight = Math.min(p.pagesInFlight, fetchers * p.fetcherConcurrency);
  const floorMs = (p.pageLatencyMs * pages) / inFlight;
  return {
    ...c,
    floorMs,
    floorRatio: c.wallMs / floorMs,
    latencyMs: p.pageLatencyMs,
    inFlightPerProcess: p.fetcherConcurrency,
    pageFetchers: fetchers,
  };
}

function rowsSpec(plan: DistributedPlan, records: number, timeoutMs: number): DeploymentSpec {
  const r = plan.rows;
  return {
    id: `distributed-rows-${records}`,
    kind: 'distributed-rows',
    label: `${records.toLocaleString('en-US')} rows`,
    job: {
      kind: 'rows',
      records,
      pageSize: r.pageSize,
      pagesInFlight: r.pagesInFlight,
      detailConcurrency: 1,
    },
    server: { records, pageSize: r.pageSize, detailLatencyMs: 0 },
    workers: [
      { role: 'page-fetcher', service: 'page-fetcher', concurrency: r.pagesInFlight },
      { role: 'writer', service: 'writer', concurrency: 2 },
    ],
    detailChunkSize: MOTO_BOUND_DETAILS.chunkSize,
    timeoutMs,
    pollMs: 250,
    sampleMs: 10_000,
  };
}

/** `mapping_fetch.concurrency` for `mappers` detail-mappers: the series' concurrency per mapper. */
function deploymentConcurrency(d: DetailSeries, mappers: number): number {
  return d.concurrency * mappers;
}

function withFloor(c: DistributedCase, d: DetailSeries, mappers: number): DistributedCase {
  const limit = deploymentConcurrency(d, mappers);
  const inFlight = d.mapperConcurrency * Math.min(d.chunkSize, limit);
  // The deployment-wide limit, or what the mappers can hold, whichever is less.
  const floorMs = (d.detailLatencyMs * d.records) / Math.min(limit, inFlight * mappers);
  return {
    ...c,
    floorMs,
    floorRatio: c.wallMs / floorMs,
    latencyMs: d.detailLatencyMs,
    inFlightPerProcess: inFlight,
    detailMappers: mappers,
  };
}

function describe(c: DistributedCase): string {
  const cpu = c.processes.find((p) => p.role === 'moto_server')?.cpuSeconds;
  const m = c.motoCpuAt;
  const phase = (name: string, ms: number | undefined): string =>
    ms === undefined ? '' : `, ${name} at ${(ms / 1000).toFixed(2)} s`;
  return (
    `${(c.wallMs / 1000).toFixed(2)} s, ${Math.round(c.rowsPerSecond).toLocaleString('en-US')} rows/s` +
    `${phase('listed', c.phases.listedMs)}${phase('details done', c.phases.detailsDoneMs)}` +
    `${c.floorRatio === undefined ? '' : `, ${c.floorRatio.toFixed(2)}× floor`}` +
    `${cpu === undefined ? '' : `, moto CPU ${cpu.toFixed(1)} s`}` +
    ` (moto busy: listing ${pct(busy(m.startS, m.listedS, 0, c.phases.listedMs))}` +
    `${c.phases.detailsDoneMs === undefined ? '' : `, details ${pct(busy(m.listedS, m.detailsDoneS, c.phases.listedMs, c.phases.detailsDoneMs))}`}` +
    `, rest ${pct(busy(m.detailsDoneS ?? m.listedS, m.endS, c.phases.detailsDoneMs ?? c.phases.listedMs, c.observedWallMs))}; machine ${pct(c.machineBusy)}` +
    `${c.otherCpuSeconds === undefined ? '' : `, other processes ${c.otherCpuSeconds.toFixed(1)} CPU s`})`
  );
}

/** Per series (kind and latency), each worker count's wall time against one worker's. */
function scaleOut(cases: DistributedCase[]): string[] {
  const lines: string[] = [];
  const series = new Map<string, DistributedCase[]>();
  for (const c of cases) {
    const key = `${c.kind} ${c.latencyMs}`;
    series.set(key, [...(series.get(key) ?? []), c]);
  }
  for (const group of series.values()) {
    const workers = (c: DistributedCase): number => c.detailMappers ?? c.pageFetchers ?? 1;
    const one = group.find((c) => workers(c) === 1);
    if (!one) continue;
    for (const c of group) {
      const what = c.kind === 'distributed-pages' ? 'page-fetchers' : 'detail-mappers';
      lines.push(
        `| ${c.label.replace(/, \d+ (detail-mapper|page-fetcher)s?$/, '')} | ${workers(c)} ${what} | ${fmtS(c.wallMs)} | ` +
          `${(one.wallMs / c.wallMs).toFixed(2)}× | ${((one.floorMs ?? 0) / (c.floorMs ?? 1)).toFixed(2)}× |`,
      );
    }
  }
  return lines;
}

/** Rounds down to a multiple of `step` (at least `step`). */
const floorTo = (n: number, step: number): number => Math.max(step, Math.floor(n / step) * step);

/**
 * Runs the group: the detail-bound run with each detail-mapper count, then the rows
 * probe and the target (or the largest size that fits the budget, with an
 * extrapolation of the target). Throws {@link DistributedFailure} on any failure;
 * `onCase` sees each case as it completes (so a later failure keeps earlier figures).
 */
export async function runDistributedGroup(
  plan: DistributedPlan,
  log: (text: string) => void,
  onCase: (c: DistributedCase) => void = () => undefined,
): Promise<DistributedResults> {
  const results: DistributedResults = { plan, cases: [], notes: [] };
  const record = (c: DistributedCase): void => {
    results.cases.push(c);
    onCase(c);
  };
  const selected = (id: string): boolean => !plan.only || plan.only.some((part) => id.includes(part));
  const runOne = async (spec: DeploymentSpec): Promise<DistributedCase> => {
    log(`  ${spec.id} ... `);
    try {
      const c = await runDeployment(spec, (text) => log(`[${text}] `));
      return c;
    } catch (error) {
      log('FAILED\n');
      throw error;
    }
  };

  const repeated = async (repeats: number, one: () => Promise<DistributedCase>): Promise<void> => {
    const runs: DistributedCase[] = [];
    for (let i = 0; i < repeats; i++) {
      const c = await one();
      log(`${describe(c)}\n`);
      runs.push(c);
    }
    const byWall = [...runs].sort((a, b) => a.wallMs - b.wallMs);
    const median = byWall[Math.floor((byWall.length - 1) / 2)]!;
    record({
      ...median,
      repeatWallsMs: runs.map((c) => c.wallMs),
      repeatOtherCpuSeconds: runs.map((c) => c.otherCpuSeconds),
    });
  };
  for (const series of plan.details) {
    for (const mappers of series.mappers) {
      if (!selected(detailsSpec(series, mappers).id)) continue;
      await repeated(series.repeats, async () =>
        withFloor(await runOne(detailsSpec(series, mappers)), series, mappers),
      );
    }
  }
  for (const series of plan.pages) {
    for (const fetchers of series.fetchers) {
      if (!selected(pagesSpec(series, fetchers).id)) continue;
      await repeated(series.repeats, async () =>
        withPageFloor(await runOne(pagesSpec(series, fetchers)), series, fetchers),
      );
    }
  }

  const r = plan.rows;
  if (!selected(rowsSpec(plan, r.probeRecords, r.maxTargetMs).id)) return results;
  const probe = await runOne(rowsSpec(plan, r.probeRecords, r.maxTargetMs));
  log(`${describe(probe)}\n`);
  record(probe);
  if (r.targetRecords > r.probeRecords) {
    const predictedMs = (probe.wallMs * r.targetRecords) / r.probeRecords;
    let records = r.targetRecords;
    if (predictedMs > r.maxTargetMs) {
      records = Math.min(r.targetRecords, floorTo((probe.rowsPerSecond * r.budgetMs) / 1000, r.probeRecords));
      results.notes.push(
        `${r.probeRecords.toLocaleString('en-US')} rows took ${(probe.wallMs / 1000).toFixed(1)} s, so ` +
          `${r.targetRecords.toLocaleString('en-US')} rows would take about ${(predictedMs / 1000).toFixed(0)} s on this machine ` +
          `(over the ${r.maxTargetMs / 1000} s limit): ran ${records.toLocaleString('en-US')} rows instead (≤ ~${r.budgetMs / 1000} s predicted).`,
      );
      log(
        `  (${r.targetRecords.toLocaleString('en-US')} rows predicted at ${(predictedMs / 1000).toFixed(0)} s: running ${records.toLocaleString('en-US')})\n`,
      );
    }
    if (records > r.probeRecords) {
      const expectedMs = (probe.wallMs * records) / r.probeRecords;
      const big = await runOne(rowsSpec(plan, records, Math.max(r.maxTargetMs, 3 * expectedMs)));
      log(`${describe(big)}\n`);
      record(big);
    }
    if (records < r.targetRecords) {
      const basis = results.cases[results.cases.length - 1]!;
      results.extrapolation = {
        fromRecords: basis.records,
        toRecords: r.targetRecords,
        estimatedWallMs: (basis.wallMs * r.targetRecords) / basis.records,
        reason: `${r.targetRecords.toLocaleString('en-US')} rows predicted over ${r.maxTargetMs / 1000} s on moto here`,
      };
    }
  }
  return results;
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtS = (ms: number): string => (ms / 1000).toFixed(2);
const fmtMiB = (kb: number | undefined): string => (kb === undefined ? 'n/a' : (kb / 1024).toFixed(1));
const fmtCpu = (s: number | undefined): string => (s === undefined ? 'n/a' : s.toFixed(1));

function processCells(c: DistributedCase, roles: (p: ProcessFigures) => boolean): string {
  return c.processes
    .filter(roles)
    .map((p) => `${p.role} ${fmtMiB(p.peakRssKb)}`)
    .join('; ');
}

function cpuCells(c: DistributedCase): string {
  return [
    ...c.processes.map((p) => `${p.role} ${fmtCpu(p.cpuSeconds)}`),
    `harness ${fmtCpu(c.harnessCpuSeconds)}`,
  ].join('; ');
}

const pct = (x: number | undefined): string => (x === undefined ? 'n/a' : `${Math.round(100 * x)}%`);

/** moto's CPU / wall between two moments; undefined when either is missing. */
function busy(
  fromS: number | undefined,
  toS: number | undefined,
  fromMs: number | undefined,
  toMs: number | undefined,
): number | undefined {
  if (
    fromS === undefined ||
    toS === undefined ||
    fromMs === undefined ||
    toMs === undefined ||
    toMs <= fromMs
  )
    return undefined;
  return (toS - fromS) / ((toMs - fromMs) / 1000);
}

/** Pages staged per second in each sampling window, with moto's utilisation in it. */
function listingRates(c: DistributedCase): string {
  const parts: string[] = [];
  for (let i = 1; i < c.timeline.length; i++) {
    const a = c.timeline[i - 1]!;
    const b = c.timeline[i]!;
    if (a.pages >= c.pages) break;
    const rate = (b.pages - a.pages) / ((b.atMs - a.atMs) / 1000);
    parts.push(
      `${Math.round(a.atMs / 1000)}–${Math.round(b.atMs / 1000)} s: ${rate.toFixed(1)} pages/s (moto ${pct(busy(a.motoCpuS, b.motoCpuS, a.atMs, b.atMs))})`,
    );
  }
  return parts.join('; ');
}

export function distributedMarkdown(results: DistributedResults): string {
  const out: string[] = [];
  const details = results.cases.filter(
    (c) => c.kind === 'distributed-details' || c.kind === 'distributed-pages',
  );
  const isWorker = (p: ProcessFigures): boolean => p.role !== 'moto_server' && p.role !== 'fake API';
  const motoOf = (c: DistributedCase): ProcessFigures | undefined =>
    c.processes.find((p) => p.role === 'moto_server');
  if (details.length > 0) {
    out.push(
      '| Distributed scale-out case | Detail requests | In flight per worker | Wall (s) | Runs: wall (s) [CPU s of other processes] | Rows/s | Floor (s) | × floor | Listed / details done (s) | Worker peak RSS (MiB) | moto peak RSS (MiB) | moto CPU (s) | moto busy (listing / details / writer) | Machine busy | Rows (verified) |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const c of details) {
      const m = c.motoCpuAt;
      const phases = `${c.phases.listedMs === undefined ? '?' : fmtS(c.phases.listedMs)} / ${c.phases.detailsDoneMs === undefined ? '?' : fmtS(c.phases.detailsDoneMs)}`;
      const motoBusy = [
        busy(m.startS, m.listedS, 0, c.phases.listedMs),
        busy(m.listedS, m.detailsDoneS, c.phases.listedMs, c.phases.detailsDoneMs),
        busy(m.detailsDoneS, m.endS, c.phases.detailsDoneMs, c.observedWallMs),
      ]
        .map(pct)
        .join(' / ');
      out.push(
        `| ${c.label} | ${fmtInt(c.detailRequests)} | ${c.inFlightPerProcess ?? 'n/a'} | ${fmtS(c.wallMs)} | ` +
          `${(c.repeatWallsMs ?? [c.wallMs]).map((ms, i) => `${fmtS(ms)} [${fmtCpu((c.repeatOtherCpuSeconds ?? [c.otherCpuSeconds])[i])}]`).join(', ')} | ` +
          `${fmtInt(c.rowsPerSecond)} | ` +
          `${fmtS(c.floorMs ?? 0)} | ${c.floorRatio?.toFixed(2) ?? 'n/a'} | ${phases} | ${processCells(c, isWorker)} | ` +
          `${fmtMiB(motoOf(c)?.peakRssKb)} | ${fmtCpu(motoOf(c)?.cpuSeconds)} | ${motoBusy} | ${pct(c.machineBusy)} | ${fmtInt(c.rows)} |`,
      );
    }
    out.push('');
  }
  const rows = results.cases.filter((c) => c.kind === 'distributed-rows');
  if (rows.length > 0) {
    out.push(
      '| Distributed rows case | Rows (verified) | Pages | Wall (s) | Rows/s | Listed (s) | Worker peak RSS (MiB) | moto peak RSS (MiB) | moto CPU (s) | moto busy (listing / writer) | Machine busy | Output |',
      '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const c of rows) {
      const moto = motoOf(c);
      const m = c.motoCpuAt;
      const motoBusy = [
        busy(m.startS, m.listedS, 0, c.phases.listedMs),
        busy(m.listedS, m.endS, c.phases.listedMs, c.observedWallMs),
      ]
        .map(pct)
        .join(' / ');
      out.push(
        `| ${c.label} | ${fmtInt(c.rows)} | ${fmtInt(c.pages)} | ${fmtS(c.wallMs)} | ${fmtInt(c.rowsPerSecond)} | ` +
          `${c.phases.listedMs === undefined ? '?' : fmtS(c.phases.listedMs)} | ${processCells(c, isWorker)} | ` +
          `${fmtMiB(moto?.peakRssKb)} | ${fmtCpu(moto?.cpuSeconds)} | ${motoBusy} | ${pct(c.machineBusy)} | ` +
          `${(c.outputBytes / 1024 / 1024).toFixed(1)} MiB |`,
      );
    }
    out.push('');
    for (const c of rows) {
      const rates = listingRates(c);
      if (rates) out.push(`Listing rate, ${c.label}: ${rates}`, '');
    }
  }
  if (results.cases.length > 0) {
    out.push(
      '| Distributed case | CPU seconds during the run, per process | Other processes on the machine (CPU s) |',
      '| --- | --- | ---: |',
    );
    for (const c of results.cases) out.push(`| ${c.label} | ${cpuCells(c)} | ${fmtCpu(c.otherCpuSeconds)} |`);
    out.push('');
  }
  const scaling = scaleOut(details);
  if (scaling.length > 0) {
    out.push(
      '| Scale-out | Workers | Wall (s) | Speed-up vs 1 | Floor speed-up |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...scaling,
      '',
    );
  }
  const counted = results.cases.filter((c) => c.awsRequests !== undefined && c.rows > 0);
  if (counted.length > 0) {
    out.push(
      '| AWS requests per 1,000 rows (workers, start to drain) | SQS | DynamoDB | S3 | Secrets Manager | Total | Busiest operations (per 1,000 rows) |',
      '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    for (const c of counted) {
      const a = c.awsRequests!;
      const per = (n: number | undefined): string => ((1000 * (n ?? 0)) / c.rows).toFixed(1);
      const top = Object.entries(a.byOperation)
        .sort((x, y) => y[1] - x[1])
        .slice(0, 6)
        .map(([op, n]) => `${op} ${per(n)}`)
        .join(', ');
      out.push(
        `| ${c.label} | ${per(a.byService.SQS)} | ${per(a.byService.DynamoDB)} | ${per(a.byService.S3)} | ` +
          `${per(a.byService.SecretsManager)} | ${per(a.total)} | ${top} |`,
      );
    }
    out.push('');
  }
  const x = results.extrapolation;
  if (x) {
    out.push(
      `**Not measured:** ${x.toRecords.toLocaleString('en-US')} rows (${x.reason}). ` +
        `EXTRAPOLATED linearly from the ${x.fromRecords.toLocaleString('en-US')}-row run: ~${(x.estimatedWallMs / 1000).toFixed(0)} s ` +
        `(~${fmtInt(x.toRecords / (x.estimatedWallMs / 1000))} rows/s) — an estimate, not a measurement, and likely ` +
        'optimistic: moto gets slower per page as its tables grow.',
      '',
    );
  }
  for (const note of results.notes) out.push(`Note: ${note}`, '');
  return out.join('\n');
}
