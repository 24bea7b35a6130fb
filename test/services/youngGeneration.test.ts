/**
 * The young generation's cap, set from inside the process (services/youngGeneration.ts),
 * in a child process of its own: the same load with and without it.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const MODULE = join(__dirname, '../../dist/services/youngGeneration.js');
const MIB = 1024 * 1024;

/** Objects that survive a few collections, made in async steps: V8 grows its young generation for them. */
const LOAD = `
const yg = require(${JSON.stringify(MODULE)});
if (process.argv[1] === 'cap') yg.capYoungGeneration(8);
const keep = [];
let max = 0;
(async () => {
  for (let round = 0; round < 200; round++) {
    const batch = [];
    for (let i = 0; i < 20000; i++) batch.push({ i, s: 'x' + i, a: [i, round] });
    keep.push(batch);
    if (keep.length > 4) keep.shift();
    max = Math.max(max, yg.youngGenerationBytes());
    await new Promise((resolve) => setImmediate(resolve));
  }
  process.stdout.write(String(max));
})();
`;

async function maxYoungGeneration(mode: 'cap' | 'free'): Promise<number> {
  const { stdout } = await run(process.execPath, ['-e', LOAD, mode]);
  return Number(stdout);
}

test('capped at semi-spaces of 8 MiB, the young generation stays near 16 MiB under a load that grows it past 32 MiB', async () => {
  expect(await maxYoungGeneration('free')).toBeGreaterThan(32 * MIB);
  const capped = await maxYoungGeneration('cap');
  expect(capped).toBeGreaterThan(1 * MIB);
  // Two semi-spaces of 8 MiB, and the pages V8 briefly holds besides while it collects.
  expect(capped).toBeLessThanOrEqual(24 * MIB);
});
