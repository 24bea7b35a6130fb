/**
 * The write routine both run loops share: boundary de-duplication, transformations,
 * the destination, and the log before `last`. With a recording destination.
 */
import type { Extraction } from '../../shared/core/config/types';
import { validateConfig } from '../../shared/core/config/validate';
import type { Row } from '../../shared/core/rowMapping';
import type { ExecutionLog } from '../../shared/ports/executionLog';
import type { Destination, OutputTarget } from '../../shared/output/destination';
import { ExtractionOutput } from '../../shared/output/extractionOutput';

function extraction(transformations: unknown[] = []): Extraction {
  const result = validateConfig({
    name: 'c',
    extractions: [{ name: 'deals', endpoint: { url: 'https://example.com/deals' }, transformations }],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config.extractions[0]!;
}

/** Keeps what it is given; `finish` names the rows' place, or null when there were none. */
function recordingDestination() {
  const written: Row[] = [];
  const events: string[] = [];
  const opened: OutputTarget[] = [];
  const destination: Destination = {
    async open(target) {
      opened.push(target);
      return {
        write: async (rows) => {
          written.push(...rows);
        },
        get rowCount() {
          return written.length;
        },
        finish: async () => {
          events.push('finish');
          return { destiny: written.length > 0 ? 'mem://out/deals.csv' : null };
        },
        dispose: async () => {
          events.push('dispose');
        },
      };
    },
  };
  return { destination, written, events, opened };
}

const target = (ex: Extraction): OutputTarget => ({
  extraction: ex,
  extractionId: 'ext-1',
  runId: 'run-1',
  startedAt: new Date('2026-01-02T03:04:05Z'),
});

describe('ExtractionOutput', () => {
  test('drops the record the previous run ended on, once, at the start of the run', async () => {
    const { destination } = recordingDestination();
    const output = await ExtractionOutput.open(destination, target(extraction()), { id: 2 });
    expect(output.admit([])).toBe(0);
    expect(output.admit([{ id: 2 }, { id: 3 }])).toBe(1);
    // Later pages are never trimmed, even when a record equals the boundary.
    expect(output.admit([{ id: 2 }])).toBe(0);
  });

  test('keeps the first record when it is not where the previous run ended, or there was none', async () => {
    const { destination } = recordingDestination();
    const other = await ExtractionOutput.open(destination, target(extraction()), { id: 1 });
    expect(other.admit([{ id: 2 }])).toBe(0);
    for (const none of [undefined, null]) {
      const first = await ExtractionOutput.open(destination, target(extraction()), none);
      expect(first.admit([{ id: 2 }])).toBe(0);
    }
  });

  test('compares the boundary record as text, whatever its key order', async () => {
    const { destination } = recordingDestination();
    const reordered = await ExtractionOutput.open(destination, target(extraction()), { a: 1, b: '2' });
    expect(reordered.admit([{ b: 2, a: 1 }])).toBe(1);
    const changed = await ExtractionOutput.open(destination, target(extraction()), { a: 1, b: 2 });
    expect(changed.admit([{ a: 1, b: 3 }])).toBe(0);
  });

  test('`last` is the last record seen, or the previous one when the run saw none', async () => {
    const { destination } = recordingDestination();
    const empty = await ExtractionOutput.open(destination, target(extraction()), { id: 9 });
    empty.admit([]);
    expect(empty.last).toEqual({ id: 9 });
    const output = await ExtractionOutput.open(destination, target(extraction()), { id: 9 });
    output.admit([{ id: 10 }, { id: 11 }]);
    output.admit([{ id: 12 }]);
    output.admit([]);
    expect(output.last).toEqual({ id: 12 });
  });

  test('transforms rows before they reach the destination', async () => {
    const { destination, written } = recordingDestination();
    const ex = extraction([{ action: 'upper', on: ['name'] }]);
    const output = await ExtractionOutput.open(destination, target(ex), undefined);
    await output.write([{ name: 'ada' }, { name: 'grace' }]);
    expect(written).toEqual([{ name: 'ADA' }, { name: 'GRACE' }]);
    expect(output.rowCount).toBe(2);
    expect((await output.finish()).destiny).toBe('mem://out/deals.csv');
  });

  test('commits the log before `last`, and moves `last` only when the run saw records', async () => {
    const { destination } = recordingDestination();
    const order: string[] = [];
    const deps = {
      executionLogs: {
        append: async (log: ExecutionLog) => void order.push(`log ${log.run_id}`),
        list: async () => [],
      },
      lastRecords: {
        get: async () => undefined,
        set: async (id: string, record: unknown) => void order.push(`last ${id} ${JSON.stringify(record)}`),
      },
    };
    const log = { run_id: 'run-1' } as ExecutionLog;
    const output = await ExtractionOutput.open(destination, target(extraction()), undefined);
    output.admit([{ id: 1 }]);
    await output.commit(deps, log, 'ext-1');
    expect(order).toEqual(['log run-1', 'last ext-1 {"id":1}']);

    order.length = 0;
    const nothing = await ExtractionOutput.open(destination, target(extraction()), { id: 1 });
    await nothing.commit(deps, log, 'ext-1');
    expect(order).toEqual(['log run-1']);
  });

  test('counts every warning and keeps the first twenty texts', async () => {
    const { destination } = recordingDestination();
    const output = await ExtractionOutput.open(destination, target(extraction()), undefined);
    for (let i = 0; i < 25; i++) output.warnings.add(`w${i}`);
    expect(output.warnings.count).toBe(25);
    expect(output.warnings.messages).toHaveLength(20);
    expect(output.warnings.messages[19]).toBe('w19');
  });
});
