/**
 * Loading into Carol through `npm start` itself (the built embedded main as its own
 * process), driven only through the REST API as a user would: the secret, the config,
 * the execute, the run status and the execution log.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeApi, makeRecord, startFakeApi } from '../support/fakeApi';
import { type FakeCarol, startFakeCarol } from '../support/fakeCarol';
import { startBuiltEmbedded } from '../support/npmStart';
import { pollUntil } from '../support/poll';

const ROOT_KEY = 'carol-e2e-root-key-0123456789abcdef';
const RECORDS = 45;

let api: FakeApi;
let carol: FakeCarol;
let child: ChildProcess | undefined;
let dataDir: string;

beforeEach(async () => {
  api = await startFakeApi({ records: RECORDS, pageSize: 10 });
  carol = await startFakeCarol();
  dataDir = await mkdtemp(join(tmpdir(), 'api-extractor-carol-e2e-'));
});
afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await carol.close();
  await api.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function startServer(): Promise<string> {
  const started = await startBuiltEmbedded({ DATA_DIR: dataDir, ROOT_API_KEY: ROOT_KEY });
  child = started.child;
  return started.url;
}

/** A JSON answer, read by the test as the API documents it. */
type Answer = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(base: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: ROOT_KEY, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await res.json()) as Answer;
  if (res.status !== 200) throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

test('a config saved and executed through the REST API of npm start loads every row into Carol, then the summary', async () => {
  const base = await startServer();
  await call(base, 'PUT', '/secrets/carol_key', { value: carol.apiKey, origins: [carol.url] });
  const saved = await call(base, 'POST', '/config', {
    name: 'crm',
    extractions: [
      {
        name: 'deals',
        endpoint: { url: `${api.url}/crm/v2/deals` },
        data_key: 'data',
        data_schema: { id: 'id', Deal_Name: 'name' },
        pagination: {
          type: 'sequential',
          parameters: { param_name: 'page', there_are_more_pages: 'info.more_records' },
        },
        carol_destiny: {
          url: carol.url,
          connector_id: carol.connectorId,
          table: 'deals',
          auth: { type: 'connector_token', api_key: '${secret::carol_key}' },
          crosswalk: ['id'],
          records_per_request: 7,
          write_file: false,
        },
      },
    ],
  });
  const { run_id: runId } = await call(base, 'POST', `/config/${saved.id}/execute`);
  const run = await pollUntil(
    async () => {
      const status = await call(base, 'GET', `/runs/${runId}`);
      return status.status === 'running' ? undefined : status;
    },
    async () => `run ${runId} still running`,
    { timeoutMs: 60_000 },
  );
  expect(run.status).toBe('succeeded');
  const expected = Array.from({ length: RECORDS }, (_, i) => ({
    id: makeRecord(i).id,
    name: makeRecord(i).Deal_Name,
  }));
  expect(carol.records('deals')).toEqual(expected);
  const logs = await call(base, 'GET', `/extractions/${saved.extractions[0].id}/logs`);
  const log = logs.Items[0];
  expect(log).toMatchObject({
    success: 'true',
    data_inserted_len: String(RECORDS),
    carol: { table: 'deals', requests: Math.ceil(RECORDS / 7), records: RECORDS },
  });
  expect(carol.batches.get(log.carol.batch_id)!.summary).toMatchObject({
    totalRecords: RECORDS,
    totalRequests: Math.ceil(RECORDS / 7),
  });
  expect(JSON.stringify(logs)).not.toContain(carol.apiKey);
  child!.kill('SIGTERM');
  const [code] = (await once(child!, 'exit')) as [number | null];
  expect(code).toBe(0);
}, 120_000);
