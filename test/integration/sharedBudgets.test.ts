/**
 * Budgets and token refreshes shared by worker processes, on the AWS emulator: four
 * processes (`test/support/sharedBudgetWorker.js`, on the compiled code) keep one
 * config's `requests_per_second` and requests in flight together against an upstream
 * that counts violations, and pause together on a 429; twenty sessions in four
 * processes that find the run's token rejected cause exactly one refresh, and the
 * rotated refresh token is the one the next run uses.
 *
 * It measures throughput against the rate (within 10% of it), so `npm test` runs it
 * on its own after the rest of the suite: beside the suite's other files, starved
 * timers in its four workers cost it late starts (a start later than the rate's
 * headroom allows is skipped, never crowded in), not correctness.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { bootstrapAwsResources } from '../../shared/adapters/aws/bootstrap';
import {
  type AwsClients,
  type AwsSettings,
  awsSettingsFromEnv,
  createAwsClients,
  destroyAwsClients,
} from '../../shared/adapters/aws/config';
import { DynamoTokenStore } from '../../shared/adapters/aws/dynamoStateStores';
import { parseConfig } from '../../shared/core/config/validate';
import { RunSession } from '../../shared/extract/extractionKit';
import { systemClock } from '../../shared/ports/logger';
import { budgetedConfig, type LimitedApi, startLimitedApi } from '../support/limitedApi';
import { useMoto } from './motoLifecycle';

// Deadlines are generous: the machine may be loaded, and a passing test never waits for them.
jest.setTimeout(300_000);

const WORKER = join(__dirname, '../support/sharedBudgetWorker.js');
const moto = useMoto();
let env: Record<string, string>;
let settings: AwsSettings;
let clients: AwsClients;
let api: LimitedApi;

beforeAll(async () => {
  env = { ...moto.env, STAGE: `b${randomBytes(5).toString('hex')}`, DEFAULT_OUTPUT_BUCKET_SUFFIX: 'it' };
  settings = awsSettingsFromEnv(env);
  clients = createAwsClients(settings);
  await bootstrapAwsResources(settings, clients);
});
afterAll(() => destroyAwsClients(clients));
afterEach(() => api?.close());

/** Runs one worker process to its end; resolves with the JSON line it printed. */
function runWorker(vars: Record<string, string>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER], {
      env: { ...process.env, ...env, STATE_TABLE: settings.names.tables.state, ...vars },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>);
      else reject(new Error(`worker exited with ${code}: ${stderr}`));
    });
  });
}

describe('one request budget per upstream across worker processes', () => {
  // 50 a second: at 20, one request arriving 50 ms late (a stalled event loop on a loaded
  // machine) already crowds a window; at 50 the rate's 6% headroom is three requests.
  const RATE = 50;
  const IN_FLIGHT = 8;
  const config = (name: string) => budgetedConfig(api, name, RATE, IN_FLIGHT);
  const fourWorkers = (name: string, each: number) =>
    Promise.all(
      [0, 1, 2, 3].map((n) =>
        runWorker({
          MODE: 'budget',
          CONFIG: JSON.stringify(config(name)),
          RUN_ID: `run-${n}`,
          FIRST_ID: String(n * 1000),
          REQUESTS: String(each),
        }),
      ),
    );

  test('four processes keep the rate and the requests in flight together, close to the rate', async () => {
    api = await startLimitedApi({ requestsPerSecond: RATE, delayMs: 40 });
    const results = await fourWorkers('budget-four', 125);
    expect(results).toEqual(Array(4).fill({ found: 125 }));
    expect(api.violations()).toBe(0);
    expect(api.maxInFlight).toBeLessThanOrEqual(IN_FLIGHT);
    // Throughput within 10% of the limit: counted over a three-second sliding window.
    expect(api.busiestWindow(3000)).toBeGreaterThanOrEqual(0.9 * RATE * 3);
  });

  test('a 429 one process sees pauses all of them for its Retry-After', async () => {
    api = await startLimitedApi({ requestsPerSecond: RATE });
    const sending = fourWorkers('budget-pause', 30);
    while (api.arrivals.length < 30) await new Promise((resolve) => setTimeout(resolve, 10));
    api.throttleNext(3);
    expect(await sending).toEqual(Array(4).fill({ found: 30 }));
    const at = api.throttled!.at;
    // Start times claimed before the pause may still be used for a moment (they are claimed
    // at most half a second ahead); after that nobody sends until the three seconds are over.
    expect(api.arrivals.filter((a) => a.at > at + 1000 && a.at < at + 3000)).toEqual([]);
    expect(api.violations()).toBe(0);
  });
});

describe('token refresh across worker processes', () => {
  test('twenty sessions in four processes refresh a rejected token once; the rotated refresh token serves the next run', async () => {
    api = await startLimitedApi({ requestsPerSecond: 1000 });
    const config = {
      name: `tokens-${randomBytes(3).toString('hex')}`,
      auth: {
        refresh_token: {
          endpoint: { url: `${api.url}/token`, body: { grant_type: 'client_credentials', client_id: 'cid' } },
          refresh_grant: true,
        },
      },
      extractions: [{ name: 'items', endpoint: { url: `${api.url}/items` } }],
    };
    const tokenStore = new DynamoTokenStore(clients.documents, settings.names.tables.state);
    const deps = { secrets: { getAll: async () => ({}) }, clock: systemClock };
    const first = await RunSession.open(parseConfig(config), deps, { runId: 'run-a', tokenStore });
    await first.start();
    await first.close();
    expect(api.tokenCalls).toEqual([{ grant: 'client_credentials' }]);

    const results = await Promise.all(
      [0, 1, 2, 3].map(() =>
        runWorker({
          MODE: 'refresh',
          CONFIG: JSON.stringify(config),
          RUN_ID: 'run-a',
          REFRESHERS: '5',
          STALE: 'at-1',
        }),
      ),
    );
    expect(api.tokenCalls).toEqual([
      { grant: 'client_credentials' },
      { grant: 'refresh_token', refreshToken: 'rt-1' },
    ]);
    expect(results).toEqual(Array(4).fill({ retried: Array(5).fill(true), tokens: Array(5).fill('at-2') }));

    // The next run starts from the rotated refresh token (the upstream refuses rt-1 now).
    const next = await RunSession.open(parseConfig(config), deps, { runId: 'run-b', tokenStore });
    await next.start();
    expect(next.tokens.current()).toBe('at-3');
    await next.close();
    expect(api.tokenCalls.slice(2)).toEqual([{ grant: 'refresh_token', refreshToken: 'rt-2' }]);
  });
});
