/** `npm start` rebuilds only a missing or stale build (scripts/build-if-stale.js). */
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { isStale } = require('../../scripts/build-if-stale.js') as { isStale(root: string): boolean };

let root: string;
const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));

async function file(path: string, when: Date): Promise<void> {
  const full = join(root, path);
  await mkdir(join(full, '..'), { recursive: true });
  await writeFile(full, '');
  await utimes(full, when, when);
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'build-if-stale-'));
  await file('shared/core/a.ts', at(10));
  await file('services/cli/main.ts', at(10));
  await file('package.json', at(10));
  // Folders count by their own time too: make them old.
  for (const dir of ['shared/core', 'shared', 'services/cli', 'services'])
    await utimes(join(root, dir), at(1), at(1));
});
afterEach(() => rm(root, { recursive: true, force: true }));

test('no build: stale', async () => {
  expect(isStale(root)).toBe(true);
});

test('a build newer than every source: up to date', async () => {
  await file('dist/services/embedded/main.js', at(20));
  expect(isStale(root)).toBe(false);
});

test('a source file changed after the build: stale', async () => {
  await file('dist/services/embedded/main.js', at(20));
  await utimes(join(root, 'shared/core/a.ts'), at(30), at(30));
  expect(isStale(root)).toBe(true);
});

test('the lockfile changed after the build: stale', async () => {
  await file('dist/services/embedded/main.js', at(20));
  await file('package-lock.json', at(30));
  expect(isStale(root)).toBe(true);
});

test('a dashboard source changed after the build: stale (the bundle is part of the build)', async () => {
  await file('dist/services/embedded/main.js', at(20));
  await file('dashboard/src/main.tsx', at(30));
  expect(isStale(root)).toBe(true);
});
