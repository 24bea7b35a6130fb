/** Local scratch files: appends batched per turn of the event loop, read back whole and in order. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalScratchSpace } from '../../../shared/adapters/local/scratch';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scratch-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function contents(file: { read(): AsyncIterable<Buffer> }): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of file.read()) parts.push(part);
  return Buffer.concat(parts).toString('utf8');
}

test('appends in one turn, across turns and past the buffer are read back whole, in order', async () => {
  const file = await new LocalScratchSpace(dir).create('t');
  const expected: string[] = [];
  const append = async (text: string): Promise<void> => {
    expected.push(text);
    await file.append(text);
  };
  // Many small appends in one turn (an encoder's slices), then some after real waits.
  for (let i = 0; i < 200; i++) await append(`row ${i}, "é" ✓\n`);
  await new Promise((resolve) => setImmediate(resolve));
  await append('after a turn\n');
  // Larger than the buffer at once, and several large ones: the appends wait for drains.
  await append('x'.repeat(3 * 1024 * 1024) + '\n');
  for (let i = 0; i < 5; i++) await append(`${String(i).repeat(400_000)}\n`);
  await append('last\n');
  expect(await contents(file)).toBe(expected.join(''));
  await file.dispose();
  expect(readdirSync(dir)).toEqual([]);
});

test('appends not awaited one by one still land in call order', async () => {
  const file = await new LocalScratchSpace(dir).create('t');
  const parts = Array.from({ length: 50 }, (_, i) => `${i}:${'y'.repeat(i * 1000)}\n`);
  await Promise.all(parts.map((p) => file.append(p)));
  expect(await contents(file)).toBe(parts.join(''));
  await file.dispose();
});

test('a file never appended to reads as empty, and disposing twice is safe', async () => {
  const file = await new LocalScratchSpace(dir).create('t');
  expect(await contents(file)).toBe('');
  await file.dispose();
  await file.dispose();
});
