/**
 * Where output files may go. A personal key cannot make a config write outside
 * `<data-dir>/s3` (`s3_destiny.bucket` follows S3's naming rules, at save time and
 * again at execute), and with `ALLOWED_OUTPUT_BUCKETS` only the listed buckets (and
 * the deployment's own) are accepted, at save time and at run time.
 */
import { access, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BUCKET_NAME_RULE } from '../../shared/core/bucketName';
import { makePipelineHarness, type PipelineHarness } from '../support/pipelineHarness';
import { type FakeApi, startFakeApi } from '../support/fakeApi';
import { type ApiHarness, eventually, startApiHarness } from './harness';

const SECRETS = { zoho_refresh_token: 'rt-must-stay-untouched-31337' };

let upstream: FakeApi;
beforeAll(async () => {
  upstream = await startFakeApi({ records: 12, pageSize: 5 });
});
afterAll(() => upstream.close());

function rowsConfig(s3_destiny: Record<string, unknown>, format = 'json'): Record<string, unknown> {
  return {
    name: 'Rows',
    extractions: [
      {
        name: 'deals',
        endpoint: { url: `${upstream.url}/crm/v2/deals` },
        data_key: 'data',
        data_schema: { id: 'id' },
        format,
        s3_destiny,
      },
    ],
  };
}

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

async function personalKey(api: ApiHarness, name: string): Promise<string> {
  const created = await api.request('POST', '/api-keys', { json: { name } });
  return (created.body as { api_key: string }).api_key;
}

describe('a bucket that leaves the storage root', () => {
  let api: ApiHarness;
  let mallory: string;
  beforeAll(async () => {
    api = await startApiHarness();
    await api.pipeline.setSecrets(SECRETS);
    mallory = await personalKey(api, 'mallory');
  });
  afterAll(() => api.close());

  const secretsFile = (): string => join(api.pipeline.dataDir, 'secrets.json');

  test.each(['..', '../../../X', '/tmp/api-extractor-escape', 'a/../..', '.'])(
    'bucket %p with filename "secrets" is refused at save time (400) by a personal key',
    async (bucket) => {
      const created = await api.request('POST', '/config', {
        auth: mallory,
        json: rowsConfig({ bucket, filename: 'secrets' }),
      });
      expect({ status: created.status, body: created.body }).toEqual({
        status: 400,
        body: {
          error: 'invalid config',
          details: [{ path: 'extractions[0].s3_destiny.bucket', message: BUCKET_NAME_RULE }],
        },
      });
    },
  );

  test('an update to such a bucket is refused and the config keeps its version', async () => {
    const created = await api.request('POST', '/config', {
      auth: mallory,
      json: rowsConfig({ filename: 'rows' }),
    });
    expect(created.status).toBe(200);
    const id = (created.body as { id: string }).id;
    const updated = await api.request('PUT', `/config/${id}`, {
      auth: mallory,
      json: rowsConfig({ bucket: '..', filename: 'secrets' }),
    });
    expect(updated.status).toBe(400);
    expect((updated.body as { details: unknown }).details).toEqual([
      { path: 'extractions[0].s3_destiny.bucket', message: BUCKET_NAME_RULE },
    ]);
    const history = await api.request('GET', `/config/${id}/history`, { auth: mallory });
    expect((history.body as { Count: number }).Count).toBe(1);
  });

  test('a config stored with such a bucket before this check is refused at execute, and nothing is written', async () => {
    const json = JSON.stringify({ id: 'legacy', ...rowsConfig({ bucket: '..', filename: 'secrets' }) });
    const stored = JSON.parse(json) as { extractions: Array<Record<string, unknown>> };
    stored.extractions[0]!.id = 'legacy-deals';
    await api.stores.configs.create({
      configId: 'legacy',
      json: JSON.stringify(stored),
      at: new Date().toISOString(),
      by: 'mallory',
    });
    const executed = await api.request('POST', '/config/legacy/execute', { auth: mallory });
    expect(executed.status).toBe(400);
    expect((executed.body as { details: unknown }).details).toEqual([
      { path: 'extractions[0].s3_destiny.bucket', message: BUCKET_NAME_RULE },
    ]);
    expect(JSON.parse(await readFile(secretsFile(), 'utf8'))).toEqual(SECRETS);
    expect(await exists(join(api.pipeline.dataDir, 'secrets.json.json'))).toBe(false);
    expect(await exists(join(api.pipeline.dataDir, '..', 'X'))).toBe(false);
    expect(await exists('/X')).toBe(false);
    expect(await exists('/tmp/api-extractor-escape')).toBe(false);
    // Outside <data-dir>/s3 the data dir holds only what the system itself writes.
    const top = (await readdir(api.pipeline.dataDir)).filter((f) => f.endsWith('.json')).sort();
    expect(top).toEqual(['secrets.json']);
  });
});

describe('ALLOWED_OUTPUT_BUCKETS', () => {
  const env = { ALLOWED_OUTPUT_BUCKETS: 'team-exports, audit.exports' };

  test('the config API accepts the listed buckets and the default, and refuses others naming the list', async () => {
    const api = await startApiHarness({}, { env });
    try {
      const key = await personalKey(api, 'juan');
      for (const bucket of ['team-exports', 'audit.exports', 'api-extractor-output-local-1']) {
        const ok = await api.request('POST', '/config', { auth: key, json: rowsConfig({ bucket }) });
        expect({ bucket, status: ok.status }).toEqual({ bucket, status: 200 });
      }
      const refused = await api.request('POST', '/config', {
        auth: key,
        json: rowsConfig({ bucket: 'someone-elses-bucket' }),
      });
      expect(refused.status).toBe(400);
      expect((refused.body as { details: unknown }).details).toEqual([
        {
          path: 'extractions[0].s3_destiny.bucket',
          message:
            'is not a bucket this deployment writes to (allowed: api-extractor-output-local-1, team-exports, audit.exports; see ALLOWED_OUTPUT_BUCKETS)',
        },
      ]);

      // A listed bucket: the run writes there, inside <data-dir>/s3.
      const created = await api.request('POST', '/config', {
        auth: key,
        json: rowsConfig({ bucket: 'team-exports', filename: 'rows' }),
      });
      const id = (created.body as { id: string }).id;
      const run = await api.request('POST', `/config/${id}/execute`, { auth: key });
      const runId = (run.body as { run_id: string }).run_id;
      const done = await eventually(async () => {
        const status = await api.request('GET', `/runs/${runId}`, { auth: key });
        const body = status.body as { status: string };
        return body.status === 'running' ? undefined : body;
      }, 'the run to finish');
      expect(done.status).toBe('succeeded');
      const written = JSON.parse(
        await readFile(join(api.pipeline.dataDir, 's3', 'team-exports', 'rows.json'), 'utf8'),
      ) as unknown[];
      expect(written).toHaveLength(5);
    } finally {
      await api.close();
    }
  });

  describe('at run time', () => {
    let pipeline: PipelineHarness;
    beforeAll(async () => {
      pipeline = await makePipelineHarness({ env });
    });
    afterAll(() => pipeline.close());

    test('a run of a config naming another bucket fails with the reason, and writes nothing', async () => {
      const { run, logs } = await pipeline.run(rowsConfig({ bucket: 'someone-elses-bucket' }));
      expect(run.status).toBe('failed');
      expect(logs[0]?.error).toBe(
        's3_destiny.bucket "someone-elses-bucket" is not a bucket this deployment writes to (allowed: api-extractor-output-local-1, team-exports, audit.exports; see ALLOWED_OUTPUT_BUCKETS)',
      );
      expect(await exists(join(pipeline.dataDir, 's3', 'someone-elses-bucket'))).toBe(false);
    });
  });
});
