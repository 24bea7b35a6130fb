/**
 * Loading into Carol through the embedded pipeline (`npm start`'s system: SQLite queue
 * and stores, the writer stage): the same batches as in process, the log stored with
 * its Carol facts; a refused load fails the run and sends no summary.
 */
import { type FakeApi, makeRecord, startFakeApi } from '../support/fakeApi';
import { type FakeCarol, startFakeCarol } from '../support/fakeCarol';
import { makePipelineHarness, type PipelineHarness } from '../support/pipelineHarness';
import { carolBatchId } from '../../shared/output/carolDestination';

const RECORDS = 75;
let pipeline: PipelineHarness;
let api: FakeApi;
let carol: FakeCarol;

beforeEach(async () => {
  pipeline = await makePipelineHarness();
  api = await startFakeApi({ records: RECORDS, pageSize: 20 });
  carol = await startFakeCarol();
  await pipeline.setSecrets({ carol_key: carol.apiKey });
});
afterEach(async () => {
  await pipeline.close();
  await carol.close();
  await api.close();
});

const config = (carolDestiny: Record<string, unknown> = {}) => ({
  name: 'crm',
  extractions: [
    {
      name: 'deals',
      endpoint: { url: `${api.url}/crm/v2/deals` },
      data_key: 'data',
      data_schema: { id: 'id', Deal_Name: 'name', Stage: 'stage' },
      pagination: {
        type: 'sequential',
        parameters: { param_name: 'page', there_are_more_pages: 'info.more_records', pages_in_flight: 3 },
      },
      transformations: [{ action: 'upper', on: ['stage'] }],
      http: { backoff_base_ms: 10, backoff_max_ms: 40 },
      carol_destiny: {
        url: carol.url,
        connector_id: carol.connectorId,
        table: 'deals',
        auth: { type: 'connector_token', api_key: '${secret::carol_key}' },
        crosswalk: ['id'],
        records_per_request: 9,
        schema: 'update',
        write_file: false,
        ...carolDestiny,
      },
    },
  ],
});

const expectedRows = () =>
  Array.from({ length: RECORDS }, (_, i) => {
    const r = makeRecord(i);
    return { id: r.id, name: r.Deal_Name, stage: String(r.Stage).toUpperCase() };
  });

test('the writer loads the final rows (after transformations) in order, then the summary; the stored log names Carol', async () => {
  const { run, logs } = await pipeline.run(config());
  expect(run.status).toBe('succeeded');
  const [log] = logs;
  const batchId = carolBatchId(run.runId, log!.extraction_id);
  expect(carol.records('deals')).toEqual(expectedRows());
  const requests = Math.ceil(RECORDS / 9);
  expect(carol.batches.get(batchId)!.summary).toMatchObject({
    totalRecords: RECORDS,
    totalRequests: requests,
  });
  expect(log).toMatchObject({
    success: 'true',
    data_inserted_len: String(RECORDS),
    destiny: `carol:${carol.url}/staging/deals`,
    carol: { destination: carol.url, table: 'deals', batch_id: batchId, requests, records: RECORDS },
  });
  expect(carol.schemas.get('deals')).toMatchObject({
    mdmStagingMapping: {
      properties: { id: { type: 'long' }, name: { type: 'string' }, stage: { type: 'string' } },
    },
  });
  expect(JSON.stringify(pipeline.logLines) + JSON.stringify(logs)).not.toContain(carol.apiKey);
});

test('a refused intake fails the run with a clear error and sends no summary', async () => {
  carol.faults.next('intake', {}, 2);
  carol.faults.next('intake', { status: 400 }, 1);
  const { run, logs } = await pipeline.run(config());
  expect(run.status).toBe('failed');
  expect(logs[0]).toMatchObject({ success: 'false' });
  expect(logs[0]!.error).toMatch(/Carol refused intake request 3 of batch .*: HTTP 400/);
  expect(carol.requests.some((r) => r.path.includes('/summary'))).toBe(false);
});
