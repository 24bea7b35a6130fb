/**
 * `npm run dev:aws`: the AWS deployment on one machine. Starts moto (through
 * `scripts/moto_serialized.py`, unless `AWS_ENDPOINT_URL` already names an emulator,
 * LocalStack say), runs bootstrap, then the five services as processes, their output
 * interleaved line by line and prefixed with the service's name; the config API
 * answers on http://127.0.0.1:$PORT (8080) like the ALB does in production.
 *
 * SIGINT (Ctrl-C) or SIGTERM stops the services (each drains, as on ECS), then moto,
 * and exits 0 when every service exited 0. A service that exits by itself stops
 * everything (exit 1). See docs/deploy.md "Local development".
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { answersHttp } from './answers';
import { SERVICE_NAMES, type ServiceName } from '../../shared/core/topology';

const DIST_SERVICES = path.resolve(__dirname, '..');
const REPOSITORY_ROOT = path.resolve(__dirname, '../../..');
const MOTO_LAUNCHER = path.join(REPOSITORY_ROOT, 'scripts', 'moto_serialized.py');

const SERVICE_ARGS: Record<ServiceName | 'bootstrap', string[]> = {
  bootstrap: ['bootstrap/main.js'],
  'config-api': ['config-api/main.js'],
  scheduler: ['scheduler/main.js'],
  'page-fetcher': ['worker/main.js', 'page-fetcher'],
  'detail-mapper': ['worker/main.js', 'detail-mapper'],
  writer: ['worker/main.js', 'writer'],
};

/** Emulator defaults; every one may be overridden from the environment. */
const DEV_ENV: Record<string, string> = {
  STAGE: 'dev',
  DEFAULT_OUTPUT_BUCKET_SUFFIX: 'local',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_EC2_METADATA_DISABLED: 'true',
  LOG_LEVEL: 'info',
};
const READY_TIMEOUT_MS = 90_000;

/** `[name] line` for every line of a child's output, stdout to stdout, stderr to stderr. */
function prefixed(name: string, child: ChildProcess): void {
  const label = `[${name}]`.padEnd(16);
  for (const [stream, out] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ] as const) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => out.write(`${label}${line}\n`));
  }
}

const say = (message: string): boolean => process.stdout.write(`${'[dev-aws]'.padEnd(16)}${message}\n`);

function start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  // Its own process group: Ctrl-C reaches only this process, which stops the
  // services first and the emulator last.
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  prefixed(name, child);
  return child;
}

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : // 'close': exited, and its last lines are printed.
      new Promise((resolve) => child.once('close', (code) => resolve(code)));

async function waitForEmulator(endpoint: string, moto: ChildProcess | undefined): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await answersHttp(endpoint))) {
    if (moto && moto.exitCode !== null) {
      throw new Error(
        'moto exited: is it installed for python3? (python3 -m pip install -r test/requirements.txt)',
      );
    }
    if (Date.now() > deadline) throw new Error(`the emulator at ${endpoint} did not answer`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function main(): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...DEV_ENV, ...process.env };
  for (const name of ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE']) delete env[name];
  let moto: ChildProcess | undefined;
  if (!env.AWS_ENDPOINT_URL) {
    if (!existsSync(MOTO_LAUNCHER)) throw new Error(`${MOTO_LAUNCHER} is missing`);
    const port = env.MOTO_PORT ?? '5000';
    moto = start('moto', 'python3', [MOTO_LAUNCHER, '-H', '127.0.0.1', '-p', port], env);
    env.AWS_ENDPOINT_URL = `http://127.0.0.1:${port}`;
  }
  const children: { name: string; child: ChildProcess }[] = [];
  let stopping: Promise<number> | undefined;
  let finished: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finished = resolve));
  const stop = (reason: string): Promise<number> =>
    (stopping ??= (async () => {
      say(`stopping (${reason})`);
      const codes = await Promise.all(
        children.map(async ({ name, child }) => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          const code = await exited(child);
          if (code !== 0) say(`${name} exited with ${code ?? child.signalCode}`);
          return code;
        }),
      );
      if (moto) {
        moto.kill('SIGTERM');
        await exited(moto);
      }
      say('stopped');
      const code = codes.every((c) => c === 0) && reason !== 'a service exited' ? 0 : 1;
      finished(code);
      return code;
    })());
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  try {
    say(`emulator ${env.AWS_ENDPOINT_URL}${moto ? ' (moto)' : ''}, stage ${env.STAGE}`);
    await waitForEmulator(env.AWS_ENDPOINT_URL, moto);
    if (stopping) return await stopping;
    const bootstrap = start('bootstrap', process.execPath, serviceArgs('bootstrap'), env);
    children.push({ name: 'bootstrap', child: bootstrap });
    if ((await exited(bootstrap)) !== 0) throw new Error('bootstrap failed');
    children.length = 0;
    if (stopping) return await stopping;
    for (const name of SERVICE_NAMES) {
      const serviceEnv: NodeJS.ProcessEnv = { ...env };
      if (name === 'config-api') {
        serviceEnv.HOST = env.HOST ?? '127.0.0.1';
        serviceEnv.PORT = env.PORT ?? '8080';
      } else {
        // Only the config-api needs the root key.
        delete serviceEnv.ROOT_API_KEY;
        delete serviceEnv.PORT;
      }
      const child = start(name, process.execPath, serviceArgs(name), serviceEnv);
      children.push({ name, child });
      child.once('exit', () => void stop('a service exited'));
    }
    say(`config API on http://${env.HOST ?? '127.0.0.1'}:${env.PORT ?? '8080'} (Ctrl-C stops everything)`);
  } catch (err) {
    say(`failed: ${(err as Error).message}`);
    await stop('start-up failed');
    return 1;
  }
  return await done;
}

function serviceArgs(name: ServiceName | 'bootstrap'): string[] {
  const [script, ...rest] = SERVICE_ARGS[name];
  // Each service sets its heap from inside (services/heap.ts): no Node flags here.
  return [path.join(DIST_SERVICES, script ?? ''), ...rest];
}

void main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    say(`failed: ${err.message}`);
    process.exitCode = 1;
  },
);
