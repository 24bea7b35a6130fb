/**
 * `npm run dev:aws` (dist/services/dev-aws/main.js, built first): moto, bootstrap and
 * the five services as processes. The test starts it, waits for the config-api's
 * health, runs one config end to end against a fake upstream over the same REST calls
 * as production, then sends SIGINT (Ctrl-C) and checks it and every child exited.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiClient, dealsConfig, eventually, ROOT_KEY } from '../api/harness';
import { type FakeApi, startFakeApi } from '../support/fakeApi';
import { freePort } from '../support/moto';

jest.setTimeout(300_000);

const DEV_AWS = join(__dirname, '../../dist/services/dev-aws/main.js');
const REFRESH_TOKEN = 'rt-dev-aws-refresh-secret';

/** The processes whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        // pid (comm) state ppid …: comm may hold spaces, so read after the last ')'.
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm run dev:aws', () => {
  let upstream: FakeApi;
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    if (!existsSync(DEV_AWS))
      throw new Error(`${DEV_AWS} is missing: build first (npx tsc -p tsconfig.build.json)`);
    upstream = await startFakeApi({ records: 45, pageSize: 20, token: { refreshToken: REFRESH_TOKEN } });
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await upstream?.close();
  });

  it('runs a config end to end on the emulator and stops every process on SIGINT', async () => {
    const [motoPort, apiPort] = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      MOTO_PORT: String(motoPort),
      PORT: String(apiPort),
      ROOT_API_KEY: ROOT_KEY,
      STAGE: 'devaws',
      LOG_LEVEL: 'warn',
      SQS_WAIT_TIME_SECONDS: '1',
    };
    child = spawn(process.execPath, [DEV_AWS], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // 'close': the process exited and its output streams are read to the end.
    const closed = once(child, 'close') as Promise<[number | null, string | null]>;
    const baseUrl = `http://127.0.0.1:${apiPort}`;

    await eventually(
      async () => {
        if (child!.exitCode !== null) throw new Error(`dev:aws exited early:\n${output}`);
        const res = await fetch(`${baseUrl}/health`).catch(() => undefined);
        return res?.ok ? true : undefined;
      },
      'the config-api health',
      180_000,
    );

    const call = apiClient(baseUrl);
    expect(
      (await call('PUT', '/secrets/zoho_refresh_token', { json: { value: REFRESH_TOKEN } })).status,
    ).toBe(200);
    const created = await call('POST', '/config', { json: dealsConfig(upstream.url) });
    expect(created.status).toBe(200);
    const configId = (created.body as { id: string }).id;
    const extractionId = (created.body as { extractions: Array<{ id: string }> }).extractions[0]!.id;
    const executed = await call('POST', `/config/${configId}/execute`);
    expect(executed.status).toBe(200);
    const runId = (executed.body as { run_id: string }).run_id;
    const log = await eventually(
      async () => {
        const res = await call('GET', `/extractions/${extractionId}/logs`);
        return (res.body as { Items: Array<Record<string, string | null>> }).Items.find(
          (l) => l.run_id === runId,
        );
      },
      'the execution log of the run',
      180_000,
    );
    expect(log).toMatchObject({ success: 'true', error: null, data_inserted_len: '45' });
    expect(log.destiny).toBe('s3://api-extractor-output-devaws-local/deals/deals.csv');

    // The five services, and moto unless AWS_ENDPOINT_URL named an emulator already.
    const children = childrenOf(child.pid!);
    expect(children).toHaveLength(process.env.AWS_ENDPOINT_URL ? 5 : 6);
    child.kill('SIGINT');
    const [code, signal] = await closed;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(output).toMatch(/^\[dev-aws\]\s+stopped$/m);
    // Every line is prefixed with its process's name.
    expect(output).toMatch(/^\[config-api\]\s+config-api listening on /m);
    expect(output).toMatch(/^\[dev-aws\]\s+config API on /m);
    expect(children.filter(alive)).toEqual([]);
    // The secret set through the API never reached the output.
    expect(output).not.toContain(REFRESH_TOKEN);
  });
});
