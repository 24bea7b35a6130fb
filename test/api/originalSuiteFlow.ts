/**
 * The original tool's two end-to-end tests, step by step as its pytest suite runs them,
 * for both our embedded API test (test/api/originalSuite.test.ts) and the five services
 * on the AWS emulator (test/integration/services.test.ts).
 */
import { BASE_SECRET, configBase, differencesFromExpected, filledConfigBase } from '../support/originalSuite';

type Request = (
  method: string,
  path: string,
  options?: { json?: unknown },
) => Promise<{ status: number; body: unknown; text: string }>;

interface Stored {
  id: string;
  name: string;
  extractions: Array<{
    id: string;
    name: string;
    s3_destiny: { bucket: string; folder: string };
    output_params: { csv_separator: string };
  }>;
}

/**
 * The suite's `test_api`: create (the `{domain}` placeholders unfilled), retrieve, list,
 * update with the config the create answered, delete; then the config is gone.
 */
export async function originalApiTest(request: Request): Promise<void> {
  const config = configBase();
  const createdRes = await request('POST', '/config', { json: config });
  expect([createdRes.status, createdRes.text]).toEqual([200, expect.any(String)]);
  const created = createdRes.body as Stored;
  expect(created.name).toBe(config.name);
  expect(created.id).toEqual(expect.any(String));

  const retrieved = await request('GET', `/config/${created.id}`);
  expect(retrieved.status).toBe(200);
  const got = retrieved.body as Stored;
  expect([got.name, got.id]).toEqual([created.name, created.id]);
  expect(got.extractions[0]!.name).toBe(created.extractions[0]!.name);
  expect(got.extractions[0]!.id).toBe(created.extractions[0]!.id);

  const listed = (await request('GET', '/config')).body as { Items: Stored[] };
  expect(listed.Items.map((c) => c.id)).toContain(created.id);

  const updated = await request('PUT', `/config/${created.id}`, {
    json: { ...created, name: 'Zoho updated' },
  });
  expect(updated.status).toBe(200);
  expect((updated.body as Stored).name).toBe('Zoho updated');
  expect(((await request('GET', `/config/${created.id}`)).body as Stored).name).toBe('Zoho updated');

  expect((await request('DELETE', `/config/${created.id}`)).status).toBe(200);
  expect((await request('GET', `/config/${created.id}`)).status).toBe(404);
  const after = (await request('GET', '/config')).body as { Items: Stored[] };
  expect(after.Items.map((c) => c.id)).not.toContain(created.id);
}

export interface ServiceTestOptions {
  request: Request;
  /** The fake API's URL, for `{domain}`. */
  domain: string;
  /** Reads an output object: `undefined` when absent. */
  readObject(bucket: string, key: string): Promise<string | undefined>;
  /** Polls `probe` until it returns a value. */
  eventually<T>(probe: () => Promise<T | undefined>, what: string): Promise<T>;
}

/**
 * The suite's `test_api_service`: the filled `config_base` created through the API, the
 * secret set, executed; per extraction of the answer, its newest log must say success
 * and its file, found from `s3_destiny.bucket` and `folder` of the stored config plus the
 * file name of the log's `destiny`, must match the expected CSV; then the config is deleted.
 */
export async function originalServiceTest(options: ServiceTestOptions): Promise<void> {
  const { request } = options;
  const createdRes = await request('POST', '/config', { json: filledConfigBase(options.domain) });
  expect([createdRes.status, createdRes.text]).toEqual([200, expect.any(String)]);
  const config = createdRes.body as Stored;
  const secret = await request('PUT', '/secrets/base_secret', { json: { value: BASE_SECRET } });
  expect(secret.status).toBe(200);

  expect((await request('POST', `/config/${config.id}/execute`)).status).toBe(200);
  const keys: string[] = [];
  for (const extraction of config.extractions) {
    const log = await options.eventually(async () => {
      const res = await request('GET', `/extractions/${extraction.id}/logs`);
      expect(res.status).toBe(200);
      return (res.body as { Items: Array<Record<string, string | null>> }).Items[0];
    }, `the execution log of ${extraction.id}`);
    expect([log.success, log.error]).toEqual(['true', null]);
    const filename = log.destiny!.split('/').at(-1)!;
    const key = extraction.s3_destiny.folder + filename;
    keys.push(key);
    const csv = await options.readObject(extraction.s3_destiny.bucket, key);
    expect(csv).toBeDefined();
    expect(extraction.output_params.csv_separator).toBe(';');
    expect(differencesFromExpected(csv!)).toEqual([]);
  }
  // Two files, one per extraction of the name.
  expect(new Set(keys).size).toBe(2);
  expect((await request('DELETE', `/config/${config.id}`)).status).toBe(200);
}
