/**
 * The product on an AWS emulator (moto on 127.0.0.1, or AWS_ENDPOINT_URL), as
 * deployed: the five services as separate OS processes (config-api, scheduler,
 * page-fetcher, detail-mapper, writer: `dist/services/…/main.js`, built by
 * `npm test` before jest) driven over HTTP like a team would:
 *
 * - the original workflow against the config-api process: root key from
 *   ROOT_API_KEY, a key per person, a config against the fake upstream, its secret
 *   set through the API, execute, poll the logs, the file in S3, the history;
 * - the original tool's own end-to-end suite (test/support/originalSuite.ts) on the
 *   same processes, in stage `prod` and region `us-east-2` as that suite expects;
 * - the table of refused requests (test/api/badRequestCases.ts) against a config-api
 *   process of its own stage;
 * - two Scheduler replicas in this process on the DynamoDB slot store, a fake clock
 *   moved across several due slots: each run started exactly once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { bootstrapAwsResources, configsTable, runsTable } from '../../shared/adapters/aws/bootstrap';
import {
  type AwsClients,
  type AwsSettings,
  awsSettingsFromEnv,
  createAwsClients,
  destroyAwsClients,
} from '../../shared/adapters/aws/config';
import { DynamoRunStore } from '../../shared/adapters/aws/dynamoRunStore';
import { DynamoSlotStore } from '../../shared/adapters/aws/dynamoSlotStore';
import { S3ObjectStore } from '../../shared/adapters/aws/s3ObjectStore';
import type { ApiConfig } from '../../shared/core/config/types';
import { parseConfig } from '../../shared/core/config/validate';
import { parseSchedule } from '../../shared/core/schedule';
import { Scheduler } from '../../shared/pipeline/scheduler';
import { silentLogger } from '../../shared/ports/logger';
import { type RunRecord, ZERO_COUNTERS } from '../../shared/ports/runs';
import { badRequestCases, type BadRequestContext, validConfig } from '../api/badRequestCases';
import { apiClient, type ApiResponse, dealsConfig, eventually, ROOT_KEY } from '../api/harness';
import { originalApiTest, originalServiceTest } from '../api/originalSuiteFlow';
import { type FakeApi, makeRecord, startFakeApi } from '../support/fakeApi';
import { parseCsv } from '../support/engineHarness';
import { type PaymentsApi, startPaymentsApi } from '../support/originalSuite';
import { useMoto } from './motoLifecycle';

// Deadlines are generous: the machine may be loaded, and a passing test never waits for them.
jest.setTimeout(240_000);

const DIST = join(__dirname, '../../dist/services');
const CONFIG_API = join(DIST, 'config-api/main.js');
const SCHEDULER = join(DIST, 'scheduler/main.js');
const WORKER = join(DIST, 'worker/main.js');
const REFRESH_TOKEN = 'rt-zoho-refresh-secret-4711';

const moto = useMoto();

beforeAll(() => {
  for (const script of [CONFIG_API, SCHEDULER, WORKER]) {
    if (!existsSync(script))
      throw new Error(`${script} is missing: build first (npx tsc -p tsconfig.build.json)`);
  }
});

interface Stage {
  settings: AwsSettings;
  clients: AwsClients;
  /** The environment a service of this stage runs with. */
  env: Record<string, string>;
}

async function bootstrappedStage(overrides: Record<string, string> = {}): Promise<Stage> {
  const env = {
    ...moto.env,
    STAGE: `s${randomBytes(5).toString('hex')}`,
    DEFAULT_OUTPUT_BUCKET_SUFFIX: 'it',
    ...overrides,
  };
  const settings = awsSettingsFromEnv(env);
  const clients = createAwsClients(settings);
  await bootstrapAwsResources(settings, clients);
  return { settings, clients, env };
}

/** A service process, its output kept for assertions and failure messages. */
class Service {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';

  constructor(
    readonly name: string,
    args: string[],
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first match of `pattern` in the service's stdout or stderr. */
  async waitFor(pattern: RegExp, what: string, timeoutMs = 90_000): Promise<RegExpMatchArray> {
    return eventually(
      async () => {
        if (!this.running)
          throw new Error(`${this.name} exited (${this.child.exitCode}) before ${what}:\n${this.stderr}`);
        return (this.stdout.match(pattern) ?? this.stderr.match(pattern)) || undefined;
      },
      `${this.name}: ${what}`,
      timeoutMs,
    );
  }

  /** Sends `signal` and resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    const exited = once(this.child, 'exit') as Promise<[number | null]>;
    this.child.kill(signal);
    const [code] = await exited;
    return code;
  }
}

/** The config-api process of a stage, listening on a free port of 127.0.0.1. */
async function startConfigApi(stage: Stage): Promise<{ service: Service; baseUrl: string }> {
  const service = new Service('config-api', [CONFIG_API], {
    ...stage.env,
    PORT: '0',
    HOST: '127.0.0.1',
    ROOT_API_KEY: ROOT_KEY,
    LOG_LEVEL: 'warn',
  });
  const [, baseUrl] = await service.waitFor(/listening on (http:\/\/\S+)/, 'listening');
  return { service, baseUrl: baseUrl! };
}

describe('the five services as OS processes: the original workflow over HTTP', () => {
  let stage: Stage;
  let upstream: FakeApi;
  let payments: PaymentsApi;
  const services = new Map<string, Service>();
  let request: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    upstream = await startFakeApi({ records: 45, pageSize: 20, token: { refreshToken: REFRESH_TOKEN } });
    payments = await startPaymentsApi();
    // The stage and region the original tool's own suite expects.
    stage = await bootstrappedStage({ STAGE: 'prod', AWS_REGION: 'us-east-2' });
    const workerEnv = {
      ...stage.env,
      LOG_LEVEL: 'warn',
      VISIBILITY_TIMEOUT_SECONDS: '5',
      SQS_WAIT_TIME_SECONDS: '1',
    };
    for (const worker of ['page-fetcher', 'detail-mapper', 'writer']) {
      services.set(worker, new Service(worker, [WORKER, worker], { ...workerEnv, DETAIL_CHUNK_SIZE: '10' }));
    }
    services.set(
      'scheduler',
      new Service('scheduler', [SCHEDULER], { ...stage.env, SCHEDULER_INTERVAL_SECONDS: '1' }),
    );
    const api = await startConfigApi(stage);
    services.set('config-api', api.service);
    request = apiClient(api.baseUrl);
    await services.get('scheduler')!.waitFor(/scheduler started/, 'started');
  }, 180_000);

  afterAll(async () => {
    await Promise.all([...services.values()].map((s) => s.stop('SIGKILL')));
    if (stage) destroyAwsClients(stage.clients);
    await upstream?.close();
    await payments?.close();
  });

  const responses: ApiResponse[] = [];
  const call = async (method: string, path: string, auth: string, json?: unknown): Promise<ApiResponse> => {
    const res = await request(method, path, { auth, json });
    responses.push(res);
    return res;
  };

  test('keys per person, a config, its secret, execute, logs until success, the file in S3, who changed what', async () => {
    // Root (ROOT_API_KEY of the config-api process) gives each person a key, shown once.
    const ana = await call('POST', '/api-keys', ROOT_KEY, { name: 'ana' });
    const bruno = await call('POST', '/api-keys', ROOT_KEY, { name: 'bruno' });
    expect(ana.body).toEqual({ name: 'ana', api_key: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const anaKey = (ana.body as { api_key: string }).api_key;
    const brunoKey = (bruno.body as { api_key: string }).api_key;

    // Ana creates a config whose token comes from a secret; each row also gets a detail request.
    const config = dealsConfig(upstream.url);
    const [extraction] = config.extractions as Array<Record<string, unknown>>;
    extraction!.mapping_fetch = {
      endpoint: {
        url: `${upstream.url}/details/\${extracted_item::id}`,
        headers: { Authorization: 'Bearer ${self::auth.access_token}' },
      },
      prefix: 'd_',
      data_schema: { detail: { score: 'score' } },
    };
    const created = await call('POST', '/config', anaKey, config);
    expect(created.status).toBe(200);
    const configId = (created.body as { id: string }).id;
    const extractionId = (created.body as { extractions: Array<{ id: string }> }).extractions[0]!.id;

    // Root sets the secret through the API; listing shows names only.
    expect(
      (await call('PUT', '/secrets/zoho_refresh_token', ROOT_KEY, { value: REFRESH_TOKEN })).body,
    ).toEqual({
      name: 'zoho_refresh_token',
      saved: true,
    });
    expect((await call('GET', '/secrets', ROOT_KEY)).body).toEqual({
      Items: ['zoho_refresh_token'],
      Count: 1,
      Origins: { zoho_refresh_token: null },
    });

    // Ana runs it: the config-api queues it, the worker processes do the rest.
    const executed = await call('POST', `/config/${configId}/execute`, anaKey);
    expect(executed.status).toBe(200);
    const runId = (executed.body as { run_id: string }).run_id;
    const log = await eventually(
      async () => {
        const res = await call('GET', `/extractions/${extractionId}/logs`, anaKey);
        return (res.body as { Items: Array<Record<string, string | null>> }).Items.find(
          (l) => l.run_id === runId,
        );
      },
      'the execution log of the run',
      120_000,
    );
    expect(log).toMatchObject({ success: 'true', error: null, data_inserted_len: '45' });
    const bucket = stage.settings.names.buckets.output;
    expect(log.destiny).toBe(`s3://${bucket}/deals/deals.csv`);

    // The file in S3: every row once, in order, with its detail column.
    const object = await new S3ObjectStore(stage.clients.s3).get(bucket, 'deals/deals.csv');
    const rows = parseCsv(object!.toString('utf8'));
    expect(rows[0]).toEqual(['id', 'deal_name', 'owner_email', 'stage', 'd_score', 'ext__timestamp']);
    expect(rows.slice(1).map((r) => r[0])).toEqual(
      Array.from({ length: 45 }, (_, i) => String(makeRecord(i).id)),
    );
    expect(rows.slice(1).every((r) => r[4] !== '')).toBe(true);
    // The run record finishes just after the log is written.
    const run = await eventually(async () => {
      const res = await call('GET', `/runs/${runId}`, anaKey);
      return (res.body as { status: string }).status === 'running' ? undefined : res.body;
    }, 'the run to finish');
    expect(run).toMatchObject({ status: 'succeeded', counters: { rows: 45, pages: 3, details: 45 } });

    // Bruno edits it (a yearly schedule, so the scheduler process records its first slot and runs nothing).
    const edited = await call('PUT', `/config/${configId}`, brunoKey, {
      ...config,
      name: 'Deals (yearly)',
      schedule: '0 0 1 1 ? *',
    });
    expect(edited.status).toBe(200);
    const history = await call('GET', `/config/${configId}/history`, anaKey);
    const items = (history.body as { Items: Array<Record<string, unknown>> }).Items;
    expect(items.map((i) => [i.version, i.api_key, i.name])).toEqual([
      [2, 'bruno', 'Deals (yearly)'],
      [1, 'ana', 'Deals'],
    ]);

    // The scheduler process sees the config and claims its baseline slot in DynamoDB.
    const expectedSlot = parseSchedule('0 0 1 1 ? *').previous(new Date())!.toISOString();
    const slot = await eventually(async () => {
      const found = await stage.clients.documents.send(
        new GetCommand({
          TableName: stage.settings.names.tables.configs,
          Key: { pk: `SLOT#${configId}`, sk: 'SLOT' },
          ConsistentRead: true,
        }),
      );
      return found.Item;
    }, 'the scheduler to record the slot');
    expect(slot.lastSlot).toBe(expectedSlot);

    // Nothing that came back carried the secret, a token, or a key but at issue time.
    for (const { text } of responses) {
      expect(text).not.toContain(REFRESH_TOKEN);
      expect(text).not.toContain(ROOT_KEY);
      for (const token of upstream.tokensIssued) expect(text).not.toContain(`"${token}"`);
    }
    expect(responses.filter((r) => r.text.includes(anaKey))).toHaveLength(1);
    expect(responses.filter((r) => r.text.includes(brunoKey))).toHaveLength(1);
    // No process logged the secret either.
    for (const service of services.values())
      expect(service.stdout + service.stderr).not.toContain(REFRESH_TOKEN);
  });

  test("the original tool's test_api: {domain} left in the URLs, create, retrieve, list, update, delete", async () => {
    await originalApiTest(request);
  });

  test("the original tool's test_api_service: two extractions named payments, executed by the workers, both files in S3 as expected", async () => {
    const objects = new S3ObjectStore(stage.clients.s3);
    await originalServiceTest({
      request,
      domain: payments.url,
      readObject: async (bucket, key) => (await objects.get(bucket, key))?.toString('utf8'),
      eventually: (probe, what) => eventually(probe, what, 40_000),
    });
  });

  test('SIGTERM stops every service cleanly (exit 0), as ECS stops tasks', async () => {
    const codes = await Promise.all(
      [...services.entries()].map(async ([name, service]) => [name, await service.stop('SIGTERM')] as const),
    );
    expect(Object.fromEntries(codes)).toEqual({
      'page-fetcher': 0,
      'detail-mapper': 0,
      writer: 0,
      scheduler: 0,
      'config-api': 0,
    });
  });
});

describe('the table of refused requests against the config-api process', () => {
  let stage: Stage;
  let service: Service;
  let request: ReturnType<typeof apiClient>;
  const ctx: BadRequestContext = { configId: '', extractionId: '', anaKey: '' };

  beforeAll(async () => {
    stage = await bootstrappedStage();
    const api = await startConfigApi(stage);
    service = api.service;
    request = apiClient(api.baseUrl);
    ctx.anaKey = (
      (await request('POST', '/api-keys', { json: { name: 'ana' } })).body as { api_key: string }
    ).api_key;
    const created = (await request('POST', '/config', { json: validConfig })).body as {
      id: string;
      extractions: Array<{ id: string }>;
    };
    ctx.configId = created.id;
    ctx.extractionId = created.extractions[0]!.id;
  }, 120_000);

  afterAll(async () => {
    await service?.stop('SIGKILL');
    if (stage) destroyAwsClients(stage.clients);
  });

  test.each(badRequestCases(ctx))('$name: $status', async ({ method, path, options, status, body }) => {
    const res = await request(method, path(), options?.());
    expect({ status: res.status, body: res.body }).toEqual({ status, body: body() });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });

  test('an extraction id that does not exist has no logs; nothing refused changed anything; no stack trace logged', async () => {
    expect((await request('GET', '/extractions/no-such-extraction/logs')).body).toEqual({
      Items: [],
      Count: 0,
    });
    expect(((await request('GET', `/config/${ctx.configId}/history`)).body as { Count: number }).Count).toBe(
      1,
    );
    expect((await request('POST', '/api-keys/bob/refresh')).status).toBe(404);
    expect((await request('GET', '/secrets')).body).toEqual({ Items: [], Count: 0, Origins: {} });
    expect(service.stderr).not.toContain('request failed');
  });
});

describe('two scheduler replicas on the DynamoDB slot store', () => {
  test('a clock moved across five daily slots: each due run starts exactly once', async () => {
    const settings = awsSettingsFromEnv({
      ...moto.env,
      STAGE: `c${randomBytes(5).toString('hex')}`,
      DEFAULT_OUTPUT_BUCKET_SUFFIX: 'it',
    });
    const setup = createAwsClients(settings);
    const { configs: configsName, runs: runsName } = settings.names.tables;
    await setup.dynamodb.send(new CreateTableCommand(configsTable(configsName)));
    await setup.dynamodb.send(new CreateTableCommand(runsTable(runsName)));
    const configs: ApiConfig[] = [
      parseConfig({
        id: 'daily',
        name: 'daily',
        schedule: '0 1 * * ? *',
        extractions: [{ name: 'e', endpoint: { url: 'https://api.example/x' } }],
      }),
      parseConfig({
        id: 'twice',
        name: 'twice',
        schedule: '0 6,18 * * *',
        extractions: [{ name: 'e', endpoint: { url: 'https://api.example/x' } }],
      }),
    ];
    let now = new Date('2026-03-01T00:30:00Z');
    const started: Array<{ config: string; at: string }> = [];
    // Each replica has clients and stores of its own, as separate processes would.
    const replicaClients = [1, 2].map(() => createAwsClients(settings));
    const runStores = replicaClients.map((c) => new DynamoRunStore(c.documents, runsName));
    let n = 0;
    const replicas = replicaClients.map(
      (c, i) =>
        new Scheduler({
          listConfigs: async () => configs.map((config) => ({ config })),
          slots: new DynamoSlotStore(c.documents, configsName),
          runs: runStores[i]!,
          clock: { now: () => now },
          logger: silentLogger,
          startRun: async (config) => {
            const at = now.toISOString();
            const run: RunRecord = {
              runId: `run-${++n}`,
              configId: config.id!,
              configName: config.name,
              trigger: 'schedule',
              status: 'running',
              createdAt: at,
              updatedAt: at,
              configJson: JSON.stringify(config),
              extractionIds: [],
              counters: { ...ZERO_COUNTERS },
            };
            await runStores[i]!.createRun(run, []);
            started.push({ config: config.id!, at });
            return run;
          },
        }),
    );
    try {
      const ticks = ['00:30:00', '01:00:00', '01:00:30', '06:00:10', '13:00:00', '18:00:00', '23:59:00'];
      for (let day = 1; day <= 5; day++) {
        for (const t of ticks) {
          now = new Date(`2026-03-0${day}T${t}Z`);
          await Promise.all(replicas.map((r) => r.tick()));
          await Promise.all(replicas.map((r) => r.tick()));
          // Runs finish quickly, so the next slot is never skipped for a running run.
          for (const run of await runStores[0]!.listRunning())
            await runStores[0]!.finishRun(run.runId, 'succeeded');
        }
      }
      const at = (config: string) => started.filter((s) => s.config === config).map((s) => s.at);
      // The first tick only records each config's baseline (its slot before the scheduler knew it).
      expect(at('daily')).toEqual([1, 2, 3, 4, 5].map((d) => `2026-03-0${d}T01:00:00.000Z`));
      expect(at('twice')).toEqual(
        [1, 2, 3, 4, 5].flatMap((d) => [`2026-03-0${d}T06:00:10.000Z`, `2026-03-0${d}T18:00:00.000Z`]),
      );
    } finally {
      for (const c of [setup, ...replicaClients]) destroyAwsClients(c);
    }
  });
});

describe('service start-up', () => {
  test('without ROOT_API_KEY the config-api generates a root key, prints it once, and keeps it across restarts', async () => {
    const stage = await bootstrappedStage();
    const env = { ...stage.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
    try {
      const first = new Service('config-api', [CONFIG_API], env);
      const [, rootKey] = await first.waitFor(
        /Root API key \(shown once[^)]*\): ([0-9a-f]{64})/,
        'the root key',
      );
      const [, firstUrl] = await first.waitFor(/listening on (http:\/\/\S+)/, 'listening');
      expect((await apiClient(firstUrl!)('GET', '/config', { auth: rootKey! })).status).toBe(200);
      expect(await first.stop('SIGTERM')).toBe(0);

      const second = new Service('config-api', [CONFIG_API], env);
      const [, secondUrl] = await second.waitFor(/listening on (http:\/\/\S+)/, 'listening');
      expect(second.stdout).not.toMatch(/Root API key/);
      expect((await apiClient(secondUrl!)('GET', '/config', { auth: `Bearer ${rootKey!}` })).status).toBe(
        200,
      );
      expect(await second.stop('SIGTERM')).toBe(0);
    } finally {
      destroyAwsClients(stage.clients);
    }
  });

  test.each([
    [
      'config-api',
      [CONFIG_API],
      { PORT: 'eighty', ROOT_API_KEY: 'too-short' },
      [
        'ROOT_API_KEY must be at least 24 characters long',
        'AWS_REGION is required; STAGE is required; DEFAULT_OUTPUT_BUCKET_SUFFIX is required',
        'PORT must be an integer from 0 to 65535 (got "eighty")',
      ],
    ],
    [
      'scheduler',
      [SCHEDULER],
      {
        SCHEDULER_INTERVAL_SECONDS: '0',
        EVENT_BRIDGE_SCHEDULE: 'cron(0 25 * * ? *)',
        STUCK_RUN_MINUTES: 'x',
      },
      [
        'EVENT_BRIDGE_SCHEDULE is not a valid schedule: invalid cron expression "cron(0 25 * * ? *)"',
        'AWS_REGION is required; STAGE is required; DEFAULT_OUTPUT_BUCKET_SUFFIX is required',
        'SCHEDULER_INTERVAL_SECONDS must be an integer from 1 to 3600 (got "0")',
        'STUCK_RUN_MINUTES must be an integer from 1 to 10080 (got "x")',
      ],
    ],
  ])(
    '%s refuses an invalid environment, listing every problem (exit 2)',
    async (name, args, env, problems) => {
      const service = new Service(name, args, {
        ...env,
        AWS_REGION: '',
        STAGE: '',
        DEFAULT_OUTPUT_BUCKET_SUFFIX: '',
      });
      const [code] = (await once(service.child, 'close')) as [number | null];
      expect(code).toBe(2);
      expect(service.stderr).toContain(`${name}: invalid environment:`);
      for (const problem of problems) expect(service.stderr).toContain(problem);
    },
  );
});
