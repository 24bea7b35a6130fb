/**
 * The pipeline services as separate OS processes (page-fetcher, detail-mapper,
 * writer: `dist/services/worker/main.js`) over SQS, S3, DynamoDB and Secrets Manager
 * on an AWS emulator (moto on 127.0.0.1, or AWS_ENDPOINT_URL), extracting from the
 * fake upstream API. This test process plays the config API: it starts the runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { bootstrapAwsResources } from '../../shared/adapters/aws/bootstrap';
import { type AwsSettings, awsSettingsFromEnv, destroyAwsClients } from '../../shared/adapters/aws/config';
import { awsPipelineDeps } from '../../shared/adapters/aws/pipelineDeps';
import { parseConfig } from '../../shared/core/config/validate';
import type { PipelineDeps } from '../../shared/pipeline/deps';
import { startRun } from '../../shared/pipeline/stages';
import { silentLogger } from '../../shared/ports/logger';
import type { ExecutionLog } from '../../shared/ports/executionLog';
import { type FakeApi, makeRecord, startFakeApi } from '../support/fakeApi';
import { makeHarness, parseCsv } from '../support/engineHarness';
import { useMoto } from './motoLifecycle';
import { waitForRun, withoutTimestamps } from '../support/pipelineHarness';
import { duplicating } from '../support/duplicatingBroker';
import { RunContexts } from '../../shared/pipeline/runContext';
import { startWorker } from '../../shared/pipeline/workers';
import { carolBatchId } from '../../shared/output/carolDestination';
import { startFakeCarol } from '../support/fakeCarol';
import { pollUntil } from '../support/poll';

// Deadlines are generous: the machine may be loaded, and a passing test never waits for them.
jest.setTimeout(300_000);

const WORKER = join(__dirname, '../../dist/services/worker/main.js');
const moto = useMoto();
let api: FakeApi;

interface Deployment {
  settings: AwsSettings;
  env: Record<string, string>;
  deps: PipelineDeps;
  services: Map<string, ChildProcess>;
  stderr: Map<string, string>;
  start(name: string, service: 'page-fetcher' | 'detail-mapper' | 'writer'): ChildProcess;
  kill(name: string, signal: NodeJS.Signals): Promise<number | null>;
  close(): Promise<void>;
}

async function deploy(secrets: Record<string, unknown> = {}): Promise<Deployment> {
  const env = {
    ...moto.env,
    STAGE: `p${randomBytes(5).toString('hex')}`,
    DEFAULT_OUTPUT_BUCKET_SUFFIX: 'it',
    MAX_RECEIVE_COUNT: '4',
  };
  const settings = awsSettingsFromEnv(env);
  const { deps, clients } = awsPipelineDeps(settings, {
    logger: silentLogger,
    waitTimeSeconds: 1,
    detailChunkSize: 10,
  });
  await bootstrapAwsResources(settings, clients);
  await clients.secrets.send(
    new PutSecretValueCommand({
      SecretId: settings.names.extractorSecret,
      SecretString: JSON.stringify(secrets),
    }),
  );
  const services = new Map<string, ChildProcess>();
  const stderr = new Map<string, string>();
  const deployment: Deployment = {
    settings,
    env,
    deps,
    services,
    stderr,
    start(name, service) {
      const child = spawn(process.execPath, [WORKER, service], {
        env: {
          ...process.env,
          ...env,
          LOG_LEVEL: 'warn',
          VISIBILITY_TIMEOUT_SECONDS: '3',
          SQS_WAIT_TIME_SECONDS: '1',
          DETAIL_CHUNK_SIZE: '10',
          CONCURRENCY: '4',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      stderr.set(name, '');
      child.stderr!.on('data', (chunk: Buffer) => stderr.set(name, stderr.get(name)! + chunk.toString()));
      services.set(name, child);
      return child;
    },
    async kill(name, signal) {
      const child = services.get(name)!;
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
    async close() {
      await Promise.all([...services.keys()].map((name) => deployment.kill(name, 'SIGKILL')));
      destroyAwsClients(clients);
    },
  };
  return deployment;
}

async function runAndWait(
  d: Deployment,
  config: Record<string, unknown>,
): Promise<{ status: string; error?: string; logs: ExecutionLog[] }> {
  const started = await startRun(parseConfig(config), d.deps, { trigger: 'api' });
  const run = await waitForRun(d.deps.runs, started.runId, 240_000);
  const logs: ExecutionLog[] = [];
  for (const id of run.extractionIds) {
    const log = (await d.deps.executionLogs.list(id)).find((l) => l.run_id === run.runId);
    if (log) logs.push(log);
  }
  return { status: run.status, error: run.error, logs };
}

async function s3Text(d: Deployment, destiny: string): Promise<string> {
  const [, bucket, ...key] = destiny.replace('s3://', '/').split('/');
  const body = await d.deps.objects.get(bucket!, key.join('/'));
  if (!body) throw new Error(`no object at ${destiny}`);
  return body.toString('utf8');
}

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => String(makeRecord(i).id));

function detailsConfig(url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'distributed',
    extractions: [
      {
        name: 'deals',
        endpoint: { url: `${url}/crm/v2/deals` },
        data_key: 'data',
        data_schema: { id: 'id', Deal_Name: 'name', Owner: { email: 'owner' } },
        pagination: {
          type: 'sequential',
          parameters: { param_name: 'page', there_are_more_pages: 'info.more_records', pages_in_flight: 4 },
        },
        mapping_fetch: {
          endpoint: { url: `${url}/details/\${extracted_item::id}` },
          prefix: 'd_',
          data_schema: { detail: { score: 'score' } },
          concurrency: 4,
        },
        transformations: [{ action: 'upper', on: ['name'], new_column_prefix: 'up_' }],
        http: { backoff_base_ms: 1, backoff_max_ms: 10, max_attempts: 8 },
        ...extra,
      },
    ],
  };
}

afterEach(async () => {
  await api?.close();
});

test('five worker processes produce the same file as the in-process engine, byte for byte but the timestamp', async () => {
  api = await startFakeApi({
    records: 180,
    pageSize: 20,
    detailMissing: (id) => (id % 23 === 0 ? 'notfound' : undefined),
  });
  const d = await deploy();
  const engine = await makeHarness();
  try {
    d.start('pages-1', 'page-fetcher');
    d.start('pages-2', 'page-fetcher');
    d.start('details-1', 'detail-mapper');
    d.start('details-2', 'detail-mapper');
    d.start('writer', 'writer');
    const config = detailsConfig(api.url);
    const { status, logs } = await runAndWait(d, config);
    expect(status).toBe('succeeded');
    const reference = await engine.run(config);
    expect(logs[0]).toMatchObject({
      success: 'true',
      data_inserted_len: '180',
      warnings: reference.logs[0]!.warnings,
    });
    expect(logs[0]!.destiny).toMatch(new RegExp(`^s3://${d.settings.names.buckets.output}/`));
    expect(withoutTimestamps(await s3Text(d, logs[0]!.destiny!))).toBe(
      withoutTimestamps(await engine.output(reference.logs[0]!)),
    );
    // SIGTERM drains and exits cleanly, as ECS stops tasks.
    expect(await d.kill('pages-1', 'SIGTERM')).toBe(0);
    expect(await d.kill('writer', 'SIGTERM')).toBe(0);
  } finally {
    await d.close();
    await engine.close();
  }
});

test('a page-fetcher killed with SIGKILL mid-run and restarted: every row exactly once', async () => {
  api = await startFakeApi({ records: 300, pageSize: 10, latencyMs: 30 });
  const d = await deploy();
  try {
    d.start('pages', 'page-fetcher');
    d.start('details', 'detail-mapper');
    d.start('writer', 'writer');
    const started = await startRun(parseConfig(detailsConfig(api.url)), d.deps, { trigger: 'api' });
    for (;;) {
      const run = await d.deps.runs.getRun(started.runId);
      if (run!.counters.pages >= 5) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await d.kill('pages', 'SIGKILL');
    d.start('pages-again', 'page-fetcher');
    const run = await waitForRun(d.deps.runs, started.runId, 240_000);
    expect(run.status).toBe('succeeded');
    const log = (await d.deps.executionLogs.list(run.extractionIds[0]!))[0]!;
    const rows = parseCsv(await s3Text(d, log.destiny!));
    expect(rows.slice(1).map((r) => r[0])).toEqual(ids(300));
  } finally {
    await d.close();
  }
});

test('the writer killed mid-upload: no partial object meanwhile; after a restart the whole file', async () => {
  api = await startFakeApi({ records: 60_000, pageSize: 1000 });
  const d = await deploy();
  try {
    d.start('pages', 'page-fetcher');
    d.start('writer', 'writer');
    const config = {
      name: 'big',
      extractions: [
        {
          name: 'deals',
          endpoint: { url: `${api.url}/crm/v2/deals`, query_params: { per_page: 1000 } },
          data_key: 'data',
          pagination: {
            type: 'sequential',
            parameters: { param_name: 'page', there_are_more_pages: 'info.more_records', pages_in_flight: 4 },
          },
        },
      ],
    };
    const started = await startRun(parseConfig(config), d.deps, { trigger: 'api' });
    const extractionId = started.extractionIds[0]!;
    for (;;) {
      const state = await d.deps.runs.getExtraction(started.runId, extractionId);
      if (state!.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 5));
    }
    await d.kill('writer', 'SIGKILL');
    const bucket = d.settings.names.buckets.output;
    const during = await d.deps.objects.list(bucket, '');
    const state = await d.deps.runs.getExtraction(started.runId, extractionId);
    // Killed while finalizing (60k rows take the writer well over a second): nothing is visible.
    expect(state!.status).toBe('finalizing');
    expect(during).toEqual([]);
    d.start('writer-again', 'writer');
    const run = await waitForRun(d.deps.runs, started.runId, 240_000);
    expect(run.status).toBe('succeeded');
    const log = (await d.deps.executionLogs.list(extractionId))[0]!;
    const text = await s3Text(d, log.destiny!);
    expect(
      parseCsv(text)
        .slice(1)
        .map((r) => r[0]),
    ).toEqual(ids(60_000));
    expect(await d.deps.objects.list(bucket, '')).toEqual([log.destiny!.replace(`s3://${bucket}/`, '')]);
  } finally {
    await d.close();
  }
});

test('loading into Carol: the writer killed mid-load and restarted; Carol holds every row once and a summary that matches', async () => {
  const RECORDS = 6_000;
  const PER_REQUEST = 50;
  api = await startFakeApi({ records: RECORDS, pageSize: 500 });
  const carol = await startFakeCarol();
  const d = await deploy({ carol_key: carol.apiKey });
  try {
    d.start('pages', 'page-fetcher');
    d.start('writer', 'writer');
    // From request 31 on, 503 with a long Retry-After: the writer is surely mid-load when
    // killed (several times over, for a second writer of a finalize task delivered twice).
    carol.faults.next('intake', {}, 30);
    carol.faults.next('intake', { status: 503, retryAfter: 60 }, 4);
    const config = {
      name: 'to-carol',
      extractions: [
        {
          name: 'deals',
          endpoint: { url: `${api.url}/crm/v2/deals`, query_params: { per_page: 500 } },
          data_key: 'data',
          data_schema: { id: 'id', Deal_Name: 'name', Stage: 'stage' },
          pagination: {
            type: 'sequential',
            parameters: { param_name: 'page', there_are_more_pages: 'info.more_records', pages_in_flight: 4 },
          },
          carol_destiny: {
            url: carol.url,
            connector_id: carol.connectorId,
            table: 'deals',
            auth: { type: 'connector_token', api_key: '${secret::carol_key}' },
            crosswalk: ['id'],
            records_per_request: PER_REQUEST,
            write_file: false,
          },
        },
      ],
    };
    const started = await startRun(parseConfig(config), d.deps, { trigger: 'api' });
    const extractionId = started.extractionIds[0]!;
    const batchId = carolBatchId(started.runId, extractionId);
    await pollUntil(
      async () => carol.requests.some((r) => r.path.includes('/intake/') && r.status === 503) || undefined,
      async () => `the writer never reached intake request 31: ${d.stderr.get('writer')}`,
      { timeoutMs: 240_000 },
    );
    await d.kill('writer', 'SIGKILL');
    carol.faults.clear();
    // Mid-load: some requests in, no summary. (Not exactly 30: a finalize task delivered
    // twice may have a second writer resending the first requests, and the fault goes to
    // whichever request comes 31st.)
    const heldAtKill = carol.batches.get(batchId)!.counts.size;
    expect(heldAtKill).toBeGreaterThan(0);
    expect(heldAtKill).toBeLessThan(RECORDS / PER_REQUEST);
    expect(carol.batches.get(batchId)!.summary).toBeUndefined();
    d.start('writer-again', 'writer');
    const run = await waitForRun(d.deps.runs, started.runId, 240_000);
    expect(run.status).toBe('succeeded');
    const requests = RECORDS / PER_REQUEST;
    const records = carol.records('deals') as Array<{ id: number }>;
    expect(records.map((r) => String(r.id))).toEqual(ids(RECORDS));
    expect(carol.batches.get(batchId)!.summary).toMatchObject({
      totalRecords: RECORDS,
      totalRequests: requests,
    });
    // The restarted writer resent requests from 1 (acknowledged, not stored again).
    const firsts = carol.requests.filter(
      (r) => r.path.includes('/intake/') && r.query.batchIdSequence === '1',
    );
    expect(firsts.length).toBeGreaterThanOrEqual(2);
    expect(firsts.every((r) => r.status === 200)).toBe(true);
    const log = (await d.deps.executionLogs.list(extractionId)).find((l) => l.run_id === started.runId)!;
    expect(log).toMatchObject({
      success: 'true',
      data_inserted_len: String(RECORDS),
      destiny: `carol:${carol.url}/staging/deals`,
      carol: { batch_id: batchId, requests, records: RECORDS },
    });
    expect(JSON.stringify(log)).not.toContain(carol.apiKey);
  } finally {
    await d.close();
    await carol.close();
  }
});

test('a poison message goes to the dead-letter queue and fails the run it names, with the cause; another run through a 429/503 storm has every row once', async () => {
  api = await startFakeApi({
    records: 120,
    pageSize: 10,
    faults: {
      '/crm/v2/deals': { status429: { count: 5, retryAfterSeconds: 0 }, status503: { count: 5 } },
      '/details/': { status503: { count: 8 } },
    },
  });
  const d = await deploy();
  try {
    d.start('pages', 'page-fetcher');
    d.start('details', 'detail-mapper');
    d.start('writer', 'writer');
    await d.deps.queues.send('pages', ['{"v":1,"type":"page"', JSON.stringify({ v: 2, type: 'page' })]);
    // A poison message naming a real run: that run fails with the cause.
    const slow = await startFakeApi({ records: 500, pageSize: 10, latencyMs: 100 });
    const victim = await startRun(parseConfig(detailsConfig(slow.url)), d.deps, { trigger: 'api' });
    await d.deps.queues.send('pages', [
      JSON.stringify({ v: 1, type: 'page', runId: victim.runId, extractionId: victim.extractionIds[0] }),
    ]);
    const failed = await waitForRun(d.deps.runs, victim.runId, 240_000);
    await slow.close();
    expect(failed).toMatchObject({
      status: 'failed',
      error: 'deals: invalid pages message: cursor is required',
    });
    // Ten faults on the listing path, more than one request's eight attempts: the
    // page-fetcher's in-flight share covers every page request waiting from its first
    // claim, so the faults fall on the pages in flight together, not on the first alone.
    const { status, error, logs } = await runAndWait(d, detailsConfig(api.url));
    expect({ status, error }).toEqual({ status: 'succeeded', error: undefined });
    expect(
      parseCsv(await s3Text(d, logs[0]!.destiny!))
        .slice(1)
        .map((r) => r[0]),
    ).toEqual(ids(120));
    expect(d.stderr.get('pages')).toContain('invalid message sent to the dead-letter queue');
  } finally {
    await d.close();
  }
});

test('every message delivered twice through SQS: every row exactly once', async () => {
  api = await startFakeApi({ records: 140, pageSize: 10 });
  const d = await deploy();
  // The stages run in this process here, so the SQS broker can be wrapped to send twice.
  const deps = { ...d.deps, queues: duplicating(d.deps.queues) };
  const contexts = new RunContexts(deps);
  const options = { concurrency: 4, visibilityTimeoutSeconds: 5 };
  const consumers = [
    startWorker('pages', contexts, deps, options),
    startWorker('details', contexts, deps, options),
    startWorker('finalize', contexts, deps, options),
  ];
  try {
    const started = await startRun(parseConfig(detailsConfig(api.url)), deps, { trigger: 'api' });
    const run = await waitForRun(deps.runs, started.runId, 240_000);
    expect(run.status).toBe('succeeded');
    const log = (await deps.executionLogs.list(run.extractionIds[0]!))[0]!;
    expect(log.data_inserted_len).toBe('140');
    expect(
      parseCsv(await s3Text(d, log.destiny!))
        .slice(1)
        .map((r) => r[0]),
    ).toEqual(ids(140));
  } finally {
    await Promise.all(consumers.map((c) => c.stop()));
    await contexts.closeAll();
    await d.close();
  }
});

test('a task that keeps failing (the output bucket does not exist) is dead-lettered and its run fails with the cause', async () => {
  api = await startFakeApi({ records: 30, pageSize: 10 });
  const d = await deploy();
  try {
    d.start('pages', 'page-fetcher');
    d.start('writer', 'writer');
    const config = detailsConfig(api.url);
    const extraction = (config.extractions as Array<Record<string, unknown>>)[0]!;
    delete extraction.mapping_fetch;
    extraction.s3_destiny = { bucket: `no-such-bucket-${randomBytes(4).toString('hex')}` };
    const { status, error, logs } = await runAndWait(d, config);
    expect(status).toBe('failed');
    expect(error).toMatch(/^deals: finalize task failed 4 times: /);
    expect(logs[0]).toMatchObject({ success: 'false', destiny: null });
  } finally {
    await d.close();
  }
});
