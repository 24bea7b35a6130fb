/**
 * Many executes of one config at once, all in the same second: every run writes its
 * own file, none overwrites another (the `{timestamp}` filename has 1-second resolution).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FakeApi, startFakeApi } from '../support/fakeApi';
import { type ApiHarness, eventually, startApiHarness } from './harness';

let upstream: FakeApi;
let api: ApiHarness;

beforeAll(async () => {
  upstream = await startFakeApi({ records: 30, pageSize: 10 });
  api = await startApiHarness();
  // Every run starts in the same second, whatever the machine's speed.
  api.pipeline.deps.clock = { now: () => new Date('2026-03-01T10:00:00.250Z') };
});
afterAll(async () => {
  await api.close();
  await upstream.close();
});

interface LogItem {
  run_id: string;
  success: string;
  destiny: string | null;
  data_inserted_len: string;
}

test('20 executes of one config in the same second: 20 runs, 20 files, each whole', async () => {
  const created = await api.request('POST', '/config', {
    json: {
      name: 'same second',
      extractions: [
        {
          name: 'deals',
          endpoint: { url: `${upstream.url}/crm/v2/deals` },
          data_key: 'data',
          data_schema: { id: 'id' },
          pagination: {
            type: 'sequential',
            parameters: { param_name: 'page', there_are_more_pages: 'info.more_records' },
          },
          s3_destiny: { folder: 'deals', filename: '{timestamp}' },
        },
      ],
    },
  });
  expect(created.status).toBe(200);
  const config = created.body as { id: string; extractions: Array<{ id: string }> };
  const extractionId = config.extractions[0]!.id;

  const executes = await Promise.all(
    Array.from({ length: 20 }, () => api.request('POST', `/config/${config.id}/execute`)),
  );
  expect(executes.map((r) => r.status)).toEqual(Array(20).fill(200));
  const runIds = executes.map((r) => (r.body as { run_id: string }).run_id);

  const logs = await eventually(
    async () => {
      const res = await api.request('GET', `/extractions/${extractionId}/logs`);
      const items = (res.body as { Items: LogItem[] }).Items.filter((l) => runIds.includes(l.run_id));
      return items.length === runIds.length ? items : undefined;
    },
    'an execution log for every run',
    60_000,
  );

  expect(logs.map((l) => l.success)).toEqual(Array(20).fill('true'));
  const destinies = logs.map((l) => l.destiny!);
  expect(new Set(destinies).size).toBe(20);
  // One run got the plain name; every other run the same name with its run id.
  const plain = 's3://api-extractor-output-local-1/deals/2026-03-01@10-00-00.csv';
  expect(destinies.filter((d) => d === plain)).toHaveLength(1);
  for (const log of logs) {
    if (log.destiny !== plain) expect(log.destiny).toBe(plain.replace('.csv', `-${log.run_id}.csv`));
    const csv = await readFile(join(api.pipeline.dataDir, 's3', log.destiny!.replace('s3://', '')), 'utf8');
    expect(csv.trimEnd().split('\n')).toHaveLength(31);
  }
});
