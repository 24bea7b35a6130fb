/**
 * docs/postman_collection.json, run top to bottom with newman against the API (the
 * embedded system in process) and a fake upstream: every request answers its
 * documented success status, and the collection's own status checks pass. Only the
 * upstream's URLs are pointed at the fake one; everything else is run as shipped.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROUTE_DOCS } from '../../shared/api/routeDocs';
import { startFakeApi, type FakeApi } from '../support/fakeApi';
import { type ApiHarness, ROOT_KEY, startApiHarness } from './harness';

interface NewmanExecution {
  item: { name: string };
  response?: { code: number };
  requestError?: Error;
}
interface NewmanSummary {
  run: {
    executions: NewmanExecution[];
    failures: Array<{ source?: { name?: string }; error: { message: string } }>;
  };
}
type NewmanRun = (
  options: Record<string, unknown>,
  callback: (err: Error | null, summary: NewmanSummary) => void,
) => unknown;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { run: newmanRun } = require('newman') as { run: NewmanRun };

let api: ApiHarness;
let upstream: FakeApi;

beforeAll(async () => {
  api = await startApiHarness();
  upstream = await startFakeApi({ records: 30, pageSize: 10, token: { refreshToken: 'the-refresh-token' } });
  // The collection sets the refresh token; the client id and secret the example config
  // also reads are what a user sets up once, before running it.
  for (const name of ['zoho_client_id', 'zoho_client_secret']) {
    const put = await api.request('PUT', `/secrets/${name}`, {
      json: { value: `the-${name}`, origins: [upstream.url] },
    });
    expect(put.status).toBeLessThan(300);
  }
});
afterAll(async () => {
  await upstream.close();
  await api.close();
});

test('the Postman collection, run top to bottom, answers every request with its documented status', async () => {
  const shipped = await readFile(join(__dirname, '..', '..', 'docs', 'postman_collection.json'), 'utf8');
  const collection = JSON.parse(
    shipped
      .replaceAll('https://accounts.zoho.com', upstream.url)
      .replaceAll('https://www.zohoapis.com', upstream.url),
  ) as unknown;
  const summary = await new Promise<NewmanSummary>((resolve, reject) => {
    newmanRun(
      {
        collection,
        envVar: [
          { key: 'base_url', value: api.baseUrl },
          { key: 'api_key', value: ROOT_KEY },
        ],
        reporters: [],
        timeoutRequest: 60_000,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
  const expected = (name: string): number =>
    ROUTE_DOCS.find((r) => r.summary === name)!.responses.find((r) => r.status < 300)!.status;
  // "Run status" asks again while the run is still going: its last answer stands for it.
  const executions = summary.run.executions.filter(
    (e, i, all) => !(e.item.name === 'Run status' && all[i + 1]?.item.name === 'Run status'),
  );
  const got = executions.map((e) => [e.item.name, e.response?.code ?? e.requestError?.message]);
  expect(got).toEqual(executions.map((e) => [e.item.name, expected(e.item.name)]));
  expect(got).toHaveLength(ROUTE_DOCS.length);
  expect(summary.run.failures.map((f) => `${f.source?.name}: ${f.error.message}`)).toEqual([]);
});
