/* eslint-disable @typescript-eslint/no-require-imports -- a plain Node script, run before any build */
/**
 * `npm start` without recompiling an up-to-date build: builds (`npm run build`) only
 * when no build exists or a source file, a tsconfig or the lockfile is newer than it.
 * tsc rewrites every output file on each build, so the embedded main's compiled file
 * stands for the whole build (the dashboard bundle is built after it, in the same build).
 */
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const SOURCES = [
  'shared',
  'services',
  'dashboard',
  'scripts/build-dashboard.js',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
];
const BUILT = join('dist', 'services', 'embedded', 'main.js');

/** The newest modification time (ms) under `path`, a file or a folder. */
function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

/** Whether the build under `root` is missing or older than any of its sources. */
function isStale(root) {
  const built = join(root, BUILT);
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  return SOURCES.some((source) => existsSync(join(root, source)) && newest(join(root, source)) > builtAt);
}

module.exports = { isStale };

if (require.main === module) {
  if (isStale(process.cwd())) {
    const result = spawnSync('npm', ['run', 'build', '--silent'], {
      stdio: 'inherit',
      shell: process.platform === 'win32',
    });
    process.exit(result.status ?? 1);
  }
}
