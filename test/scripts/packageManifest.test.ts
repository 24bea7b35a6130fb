/**
 * package.json invariants behind a clean `npm ci` / `npx api-extractor` on any host Node:
 * the project runs on the Node 24 it installs (the `node` devDependency), so npm must not
 * check the root package's engines against the host's Node, and every install script in
 * the lockfile is either allowed or denied on purpose.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  engines?: { node?: string };
  devEngines?: Record<string, { name: string; version?: string; onFail?: string }>;
  allowScripts?: Record<string, boolean>;
};
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; hasInstallScript?: boolean }>;
};

test('the package still states the Node it runs on, and installs that Node itself', () => {
  expect(manifest.engines?.node).toBe('>=24');
  const bundled = lock.packages['node_modules/node']?.version ?? '';
  expect(Number(bundled.split('.')[0])).toBeGreaterThanOrEqual(24);
});

test('devEngines is present, so npm skips the root engines check against the host Node (EBADENGINE)', () => {
  // npm (arborist build-ideal-tree) ignores the root's `engines` when `devEngines` is set;
  // devEngines itself is checked by `npm run` against the Node running npm (the host's),
  // so it must not require Node 24 and must not fail hard.
  expect(manifest.devEngines).toBeDefined();
  expect(manifest.devEngines?.runtime).toBeUndefined();
  for (const engine of Object.values(manifest.devEngines ?? {})) expect(engine.onFail).toBe('warn');
});

test('every package with an install script is allowed or denied in allowScripts', () => {
  const withScripts = Object.entries(lock.packages)
    .filter(([, entry]) => entry.hasInstallScript)
    .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length))
    .filter((name) => name !== '');
  expect(withScripts.length).toBeGreaterThan(0);
  const uncovered = withScripts.filter((name) => typeof manifest.allowScripts?.[name] !== 'boolean');
  expect(uncovered).toEqual([]);
  // Its script only runs `pulumi plugin install`, which `pulumi up` does on demand.
  expect(manifest.allowScripts?.['@pulumi/docker-build']).toBe(false);
  // Node 24 itself comes from an install script.
  expect(manifest.allowScripts?.node).toBe(true);
});
