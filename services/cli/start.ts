/**
 * How the `api-extractor` command starts (bin/api-extractor.js calls {@link start}): in
 * one process, with V8's compile cache on, its young generation capped once the
 * command's modules are loaded (services/heap.ts; capped before, it would
 * stay at its initial size, too small for a page's objects, which would all be
 * promoted) and its old generation's growth between full collections limited, and each module loading only what a run needs (the AWS SDK, express and
 * SQLite are not among them).
 */
import { lstatSync, mkdirSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { applyHeapSettings } from '../heap';

/**
 * `<tmp>/api-extractor-compile-cache-<uid>`, made private to this user; undefined (no
 * cache) when it exists but another user owns it or others may write to it, since code
 * read from it runs in this process.
 */
export function compileCacheDir(base: string = tmpdir()): string | undefined {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const dir = join(base, `api-extractor-compile-cache-${uid ?? userInfo().username}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    if (!stat.isDirectory()) return undefined;
    if (uid !== undefined && (stat.uid !== uid || (stat.mode & 0o022) !== 0)) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

/** Compiled code of the command's modules is cached between runs (`NODE_DISABLE_COMPILE_CACHE=1` turns it off). */
function enableCache(): void {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return;
  // Node 22.1 and later; an older Node (below `engines`) runs without it.
  const enable = (nodeModule as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
  if (typeof enable !== 'function') return;
  const dir = compileCacheDir();
  if (dir) enable(dir);
}

export async function start(argv: string[] = process.argv): Promise<void> {
  enableCache();
  const { main } = await import('./main');
  applyHeapSettings();
  await main(argv);
}
