/**
 * The Carol destination on its own, against the fake Carol: a writer that crashes
 * mid-load and starts over from the first row (as the pipeline's writer does) resends
 * the same requests, which Carol acknowledges without storing twice, and a writer that
 * crashes after the summary sends the very same summary again.
 */
import { parseConfig } from '../../shared/core/config/validate';
import { referenceLookup } from '../../shared/core/lookup';
import { Redactor } from '../../shared/core/redact';
import type { Row } from '../../shared/core/rowMapping';
import { SecretScope } from '../../shared/core/secretOrigins';
import {
  carolBatchId,
  carolDestination,
  carolTimestamp,
  carolTypeOf,
} from '../../shared/output/carolDestination';
import type { OutputTarget } from '../../shared/output/destination';
import { type FakeCarol, startFakeCarol } from '../support/fakeCarol';

let carol: FakeCarol;
beforeEach(async () => {
  carol = await startFakeCarol();
});
afterEach(() => carol.close());

const ROWS: Row[] = Array.from({ length: 40 }, (_, i) => ({ id: i + 1, name: `row ${i + 1}`, score: i / 2 }));

function setUp() {
  const config = parseConfig({
    name: 'c',
    extractions: [
      {
        name: 'deals',
        endpoint: { url: 'https://api.example.com/deals' },
        carol_destiny: {
          url: carol.url,
          connector_id: carol.connectorId,
          table: 'deals',
          auth: { type: 'connector_token', api_key: '${secret::key}' },
          crosswalk: ['id'],
          records_per_request: 6,
        },
      },
    ],
  });
  const secrets = { key: carol.apiKey };
  let minutes = 0;
  const settled = new Map<string, string>();
  const destination = carolDestination({
    at: 'extractions[0].carol_destiny',
    lookup: referenceLookup({ config, secrets, previousLast: undefined, token: () => '' }),
    scope: new SecretScope(config, {}, Object.keys(secrets)),
    redactor: new Redactor(),
    // Every summary a minute later than the one before: only `settle` keeps them equal.
    clock: { now: () => new Date(Date.UTC(2026, 0, 1, 0, minutes++)) },
  });
  const target: OutputTarget = {
    extraction: config.extractions[0]!,
    extractionId: 'ext-1',
    runId: 'run-1',
    startedAt: new Date('2026-01-01T00:00:00Z'),
    settle: async (name, value) => {
      if (!settled.has(name)) settled.set(name, value);
      return settled.get(name)!;
    },
  };
  return { destination, target };
}

/** One writer: the rows in pages of 10 (fresh copies, as a writer re-reading staging has). */
async function write(
  destination: ReturnType<typeof setUp>['destination'],
  target: OutputTarget,
  upTo: number,
  finish: boolean,
) {
  const sink = await destination.open(target);
  try {
    for (let i = 0; i < upTo; i += 10)
      await sink.write(ROWS.slice(i, Math.min(i + 10, upTo)).map((r) => ({ ...r })));
    return finish ? await sink.finish() : undefined;
  } finally {
    await sink.dispose();
  }
}

describe('a restarted writer', () => {
  test('crashed mid-load: resends from sequence 1, nothing stored twice, the summary matches', async () => {
    const { destination, target } = setUp();
    // "Killed" after 4 requests (24 rows); the 4th, still on its way at dispose, may be given up.
    await write(destination, target, 25, false);
    const batchId = carolBatchId('run-1', 'ext-1');
    expect(carol.batches.get(batchId)!.counts.size).toBeGreaterThanOrEqual(3);
    const receipt = await write(destination, target, ROWS.length, true);
    expect(carol.records('deals')).toEqual(ROWS);
    expect(carol.batches.get(batchId)!.summary).toMatchObject({ totalRecords: 40, totalRequests: 7 });
    expect(receipt!.carol).toEqual({
      destination: carol.url,
      table: 'deals',
      batch_id: batchId,
      requests: 7,
      records: 40,
    });
    // The restarted writer sent 1..7 again; the resends were acknowledged (200), not refused.
    const intake = carol.requests.filter((r) => r.path.includes('/intake/') && r.status !== 0);
    expect(intake.slice(-7).map((r) => [r.query.batchIdSequence, r.status])).toEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => [String(n), 200]),
    );
    expect(intake.every((r) => r.status === 200)).toBe(true);
  });

  test('crashed after the summary: the same summary again, acknowledged', async () => {
    const { destination, target } = setUp();
    await write(destination, target, ROWS.length, true);
    await write(destination, target, ROWS.length, true);
    const summaries = carol.requests.filter((r) => r.path.endsWith('/summary'));
    expect(summaries.map((r) => r.status)).toEqual([200, 200]);
    expect(summaries[0]!.body).toBe(summaries[1]!.body);
    expect(carol.records('deals')).toEqual(ROWS);
  });
});

test('the batch id is a UUID, the same for the same run and extraction only', () => {
  const id = carolBatchId('run-1', 'ext-1');
  expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(carolBatchId('run-1', 'ext-1')).toBe(id);
  expect(carolBatchId('run-2', 'ext-1')).not.toBe(id);
  expect(carolBatchId('run-1', 'ext-2')).not.toBe(id);
});

test('timestamps and inferred types', () => {
  expect(carolTimestamp(new Date('2026-03-04T05:06:07.890Z'))).toBe('2026-03-04T05:06:07Z');
  expect([1, 1.5, 'x', true, null, [1], { a: 1 }].map(carolTypeOf)).toEqual([
    'long',
    'double',
    'string',
    'boolean',
    undefined,
    'nested',
    'object',
  ]);
});
