/**
 * writeOutputFile: a run's file never replaces another run's. With the local object
 * store and a real scratch spool, as the engine and the writer stage use them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileObjectStore } from '../../shared/adapters/local/objectStore';
import { LocalScratchSpace } from '../../shared/adapters/local/scratch';
import { createRowWriter } from '../../shared/output/rowWriter';
import { writeOutputFile } from '../../shared/output/outputFile';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'output-file-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** A finished CSV whose columns grew mid-run, so its body is the rewriting pass. */
async function grownCsv(label: string, value: string) {
  const scratch = await new LocalScratchSpace(join(dir, 'scratch')).create(label);
  const writer = createRowWriter(scratch, { format: 'csv', separator: ',', timestamp: 'ts' });
  await writer.write([{ a: value }]);
  await writer.write([{ a: value, b: 'new' }]);
  return { body: (await writer.finish())!, dispose: () => scratch.dispose() };
}

test('the first run gets the key; a second run with the same key gets it plus its run id, both whole', async () => {
  const objects = new FileObjectStore(join(dir, 's3'));
  const first = await grownCsv('one', '1');
  const second = await grownCsv('two', '2');
  try {
    expect(await writeOutputFile(objects, 'out', 'deals/2026.csv', 'run-1', first.body)).toBe(
      'deals/2026.csv',
    );
    expect(await writeOutputFile(objects, 'out', 'deals/2026.csv', 'run-2', second.body)).toBe(
      'deals/2026-run-2.csv',
    );
    expect((await objects.get('out', 'deals/2026.csv'))?.toString()).toBe(
      'a,b,ext__timestamp\n1,,ts\n1,new,ts\n',
    );
    expect((await objects.get('out', 'deals/2026-run-2.csv'))?.toString()).toBe(
      'a,b,ext__timestamp\n2,,ts\n2,new,ts\n',
    );
    expect(await objects.list('out', '')).toEqual(['deals/2026-run-2.csv', 'deals/2026.csv']);
  } finally {
    await first.dispose();
    await second.dispose();
  }
});
