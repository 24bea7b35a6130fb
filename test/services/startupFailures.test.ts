/**
 * `npm start` fails fast at start-up, naming what to fix, instead of running on
 * without a server or hanging: a taken port, a root key too short, a bad default
 * schedule. The built embedded main, as its own process.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = join(__dirname, '../../dist/services/embedded/main.js');
let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'api-extractor-startup-'));
});
afterEach(() => rm(dataDir, { recursive: true, force: true }));

/** Runs main with `env` until it exits on its own; its exit code and stderr. */
async function start(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [bin], {
    env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'error', SCHEDULER: 'off', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

test('a port already taken exits 1 naming HOST and PORT', async () => {
  const taken: Server = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as { port: number }).port;
  try {
    const { code, stderr } = await start({ PORT: String(port) });
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot listen on 127.0.0.1:${port} (HOST, PORT)`);
    expect(stderr).toContain('EADDRINUSE');
  } finally {
    taken.close();
  }
}, 60_000);

test('a ROOT_API_KEY too short exits 1 naming it, without hanging', async () => {
  const { code, stderr } = await start({ PORT: '0', ROOT_API_KEY: 'short' });
  expect(code).toBe(1);
  expect(stderr).toContain('ROOT_API_KEY must be at least 24 characters long');
}, 60_000);

test('a DEFAULT_SCHEDULE that does not parse is refused with the other settings, naming it', async () => {
  const { code, stderr } = await start({ PORT: '0', DEFAULT_SCHEDULE: 'every day' });
  expect(code).toBe(2);
  expect(stderr).toContain('DEFAULT_SCHEDULE is not a valid schedule:');
}, 60_000);
