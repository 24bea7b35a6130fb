/**
 * The original tool's own end-to-end suite, as our test: its `test_api` (a config with
 * `{domain}` placeholders left unfilled) and its `test_api_service` (two extractions
 * both named `payments`, executed, each file compared with the expected CSV), over HTTP
 * on the embedded system. `test/integration/services.test.ts` runs the same on the five
 * services on the AWS emulator.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PaymentsApi, startPaymentsApi } from '../support/originalSuite';
import { type ApiHarness, eventually, startApiHarness } from './harness';
import { originalApiTest, originalServiceTest } from './originalSuiteFlow';

let upstream: PaymentsApi;
let api: ApiHarness;

beforeAll(async () => {
  upstream = await startPaymentsApi();
  api = await startApiHarness();
});
afterAll(async () => {
  await api.close();
  await upstream.close();
});

test('test_api: create with {domain} left in the URLs, retrieve, list, update, delete', async () => {
  await originalApiTest(api.request);
});

test('test_api_service: two extractions named payments, executed, both files as expected', async () => {
  await originalServiceTest({
    request: api.request,
    domain: upstream.url,
    readObject: (bucket, key) =>
      readFile(join(api.pipeline.dataDir, 's3', bucket, key), 'utf8').catch(() => undefined),
    eventually,
  });
});
