/**
 * `npm start` (the built services/embedded/main.js) holds one SQLite connection for
 * the API's stores, the scheduler and the pipeline. Linux only: the open files are
 * read from /proc.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from '../../support/poll';

const bin = join(__dirname, '../../../dist/services/embedded/main.js');
const onLinux = process.platform === 'linux' ? test : test.skip;

/** The open file descriptors of process `pid` on the file at `path`. */
async function openHandles(pid: number, path: string): Promise<number> {
  const links = await Promise.all(
    (await readdir(`/proc/${pid}/fd`)).map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')),
  );
  return links.filter((link) => link === path).length;
}

onLinux(
  'the embedded system opens its database once, and exits cleanly on SIGTERM',
  async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'api-extractor-one-connection-'));
    let child: ChildProcess | undefined;
    try {
      child = spawn(process.execPath, [bin], {
        env: { ...process.env, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'error', SCHEDULER: 'on' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let stdout = '';
      child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      await pollUntil(
        async () => (stdout.includes('API Extractor listening on') ? true : undefined),
        async () => `main never said it was listening: ${JSON.stringify(stdout)}`,
        { timeoutMs: 30_000 },
      );
      expect(await openHandles(child.pid!, join(dataDir, 'api-extractor.db'))).toBe(1);
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child && child.exitCode === null) child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  },
  60_000,
);
