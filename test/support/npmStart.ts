/**
 * `npm start`'s built process (`dist/services/embedded/main.js`, so `npm run build`
 * first) started as its own process on a free port, for tests that drive it as a
 * user would: the URL it says it listens on, once it says so.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { pollUntil } from './poll';

export const EMBEDDED_MAIN = join(__dirname, '../../dist/services/embedded/main.js');

export interface StartedEmbedded {
  url: string;
  child: ChildProcess;
}

export async function startBuiltEmbedded(env: Record<string, string>): Promise<StartedEmbedded> {
  const child = spawn(process.execPath, [EMBEDDED_MAIN], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  try {
    const url = await pollUntil(
      async () => /listening on (http:\/\/\S+)/.exec(stdout)?.[1],
      async () => `npm start never said it was listening: ${JSON.stringify(stdout)}`,
      { timeoutMs: 60_000 },
    );
    return { url, child };
  } catch (err) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw err;
  }
}
