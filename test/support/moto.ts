/**
 * A moto server (the AWS emulator) for one test file: moto on 127.0.0.1 and a free
 * port, ready once it answers HTTP. It runs through `scripts/moto_serialized.py`, which serves every request but SQS long polls one at a time: moto's own
 * threaded server does not make conditional writes atomic (real AWS does), and the
 * tests must fail because of our code, never because of the emulator. Nothing else in the code base knows it
 * is moto: the adapters only see `AWS_ENDPOINT_URL`. When `AWS_ENDPOINT_URL` is
 * already set (a developer's LocalStack), that endpoint is used instead and no moto
 * is started, so the same tests run against either emulator.
 *
 * moto must be installed for `python3` (`pip install "moto[server]"`, which `.ci/run`
 * does, pinned); without it the tests fail, with that instruction, rather than skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { answersHttp } from '../../services/dev-aws/answers';

/**
 * The serialized moto launcher (see its docstring for why), in `scripts/` (`npm run
 * dev:aws` starts it too): from here, or, when this file runs compiled from
 * `dist-bench/test/support` (the bench), from the source tree.
 */
export const MOTO_LAUNCHER =
  [
    path.resolve(__dirname, '../../scripts/moto_serialized.py'),
    path.resolve(__dirname, '../../../scripts/moto_serialized.py'),
  ].find((candidate) => fs.existsSync(candidate)) ??
  path.resolve(__dirname, '../../scripts/moto_serialized.py');

export interface MotoServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /**
   * The environment an SDK client (in this process or a child) needs: the endpoint,
   * a region and dummy credentials, so nothing reads a developer's real ones.
   */
  env: Record<string, string>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 90_000;
const POLL_INTERVAL_MS = 100;

/** Variables the SDK would otherwise read from a developer's profile or instance role. */
const DUMMY_AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
};
const CLEARED_AWS_ENV = ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE'];

/** A free TCP port on 127.0.0.1 (for servers that need it before they start). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts moto and resolves once it serves requests.
 *
 * @example
 * let moto: MotoServer;
 * beforeAll(async () => { moto = await startMoto(); Object.assign(process.env, moto.env); });
 * afterAll(() => moto.stop());
 */
export async function startMoto(): Promise<MotoServer> {
  if (process.env.AWS_ENDPOINT_URL) return existingEndpoint(process.env.AWS_ENDPOINT_URL);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  let exit: string | undefined;
  const child: ChildProcess = spawn('python3', [MOTO_LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...DUMMY_AWS_ENV },
  });
  const keep = (chunk: Buffer): void => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code, signal) => {
    exit ??= `exited with ${signal ?? `code ${code}`}`;
  });
  child.once('error', (err: NodeJS.ErrnoException) => {
    exit =
      err.code === 'ENOENT'
        ? 'moto could not start: python3 is not on PATH'
        : `moto could not start: ${err.message}`;
  });

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await answersHttp(`${endpoint}/moto-api/`))) {
    if (exit !== undefined || Date.now() > deadline) {
      child.kill('SIGKILL');
      const why = exit ?? `did not answer on ${endpoint} within ${READY_TIMEOUT_MS} ms`;
      const message = why.startsWith('moto') ? why : `moto ${why}`;
      const log = output.join('');
      const hint = log.includes('ModuleNotFoundError')
        ? '\nmoto is not installed for python3: install it with  python3 -m pip install -r test/requirements.txt'
        : '';
      throw new Error(`${message}${hint}\n${log.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }

  return {
    endpoint,
    env: { ...DUMMY_AWS_ENV, AWS_ENDPOINT_URL: endpoint },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The endpoint a developer started (LocalStack, a long-lived moto), used as it is. */
function existingEndpoint(endpoint: string): MotoServer {
  return {
    endpoint,
    env: {
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? DUMMY_AWS_ENV.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? DUMMY_AWS_ENV.AWS_SECRET_ACCESS_KEY,
      AWS_REGION: process.env.AWS_REGION ?? DUMMY_AWS_ENV.AWS_REGION,
      AWS_ENDPOINT_URL: endpoint,
    },
    stop: async () => undefined,
  };
}

/**
 * Applies `env` to this process (for in-process SDK clients) and returns a function
 * that restores what was there before.
 */
export function applyEnv(env: Record<string, string>): () => void {
  const saved = new Map<string, string | undefined>();
  for (const name of [...Object.keys(env), ...CLEARED_AWS_ENV]) saved.set(name, process.env[name]);
  for (const name of CLEARED_AWS_ENV) delete process.env[name];
  Object.assign(process.env, env);
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
