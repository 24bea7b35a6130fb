/**
 * What the `api-extractor` command does before its first request, seen from inside the
 * process: a preload script records, at exit, the modules the process loaded and any
 * child process it started, one file per process.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServer } from '../support/engineHarness';
import { type FakeApi, startFakeApi } from '../support/fakeApi';

const run = promisify(execFile);
const BIN = join(__dirname, '../../bin/api-extractor.js');

/** Written to the test's directory and preloaded with `--require`. */
const TRACE = `'use strict';
const childProcess = require('node:child_process');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const started = [];
// Building a number format loads ICU's locale data: counted.
let numberFormats = 0;
const NumberFormat = Intl.NumberFormat;
Intl.NumberFormat = new Proxy(NumberFormat, {
  construct(target, args, newTarget) {
    numberFormats++;
    return Reflect.construct(target, args, newTarget);
  },
  apply(target, self, args) {
    numberFormats++;
    return Reflect.apply(target, self, args);
  },
});
for (const name of ['spawn', 'fork', 'exec', 'execFile', 'spawnSync', 'execSync', 'execFileSync']) {
  const original = childProcess[name];
  childProcess[name] = function (...args) {
    started.push(name + ' ' + String(args[0]));
    return original.apply(this, args);
  };
}
process.on('exit', () => {
  writeFileSync(
    join(process.env.TRACE_DIR, process.pid + '.json'),
    JSON.stringify({ modules: Object.keys(require.cache), started, execArgv: process.execArgv, numberFormats }),
  );
});
`;

interface Trace {
  modules: string[];
  started: string[];
  execArgv: string[];
  /** Intl.NumberFormat objects made. */
  numberFormats: number;
}

let dir: string;
let api: FakeApi;
beforeAll(async () => {
  api = await startFakeApi({ records: 30, pageSize: 10 });
});
afterAll(() => api.close());
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'api-extractor-startup-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function traced(args: string[]): Promise<{ stdout: string; stderr: string; traces: Trace[] }> {
  const traceDir = join(dir, 'traces');
  await writeFile(join(dir, 'trace.js'), TRACE);
  await rm(traceDir, { recursive: true, force: true });
  await import('node:fs/promises').then((fs) => fs.mkdir(traceDir));
  const { stdout, stderr } = await run(process.execPath, ['--require', join(dir, 'trace.js'), BIN, ...args], {
    env: { ...process.env, NO_COLOR: '1', TRACE_DIR: traceDir },
  });
  const files = await readdir(traceDir);
  const traces = await Promise.all(
    files.map(async (f) => JSON.parse(await readFile(join(traceDir, f), 'utf8')) as Trace),
  );
  return { stdout, stderr, traces };
}

/** A config of one extraction, written to the test's directory. */
async function writeConfig(name: string, extraction: Record<string, unknown>): Promise<string> {
  const path = join(dir, 'config.json');
  await writeFile(path, JSON.stringify({ name, extractions: [extraction] }));
  return path;
}

/** The deals extraction of the fake API, paged, to a CSV file. */
function dealsExtraction(): Record<string, unknown> {
  return {
    name: 'deals',
    endpoint: { url: `${api.url}/crm/v2/deals` },
    data_key: 'data',
    pagination: {
      type: 'sequential',
      parameters: { param_name: 'page', there_are_more_pages: 'info.more_records' },
    },
    s3_destiny: { bucket: 'out', folder: 'deals/', filename: 'all' },
  };
}

test('a run to files is one process that loads neither the AWS SDK nor the config API server', async () => {
  const config = await writeConfig('startup', dealsExtraction());
  const { stdout, traces } = await traced(['run', config, '--data-dir', join(dir, 'data'), '--no-progress']);
  expect(JSON.parse(stdout)).toMatchObject({ success: 'true', data_inserted_len: '30' });
  expect(traces).toHaveLength(1);
  const [trace] = traces;
  expect(trace!.started).toEqual([]);
  const loaded = (pattern: RegExp): string[] => trace!.modules.filter((m) => pattern.test(m));
  expect(loaded(/[\\/]node_modules[\\/]@aws-sdk[\\/]/)).toEqual([]);
  expect(loaded(/[\\/]node_modules[\\/]@smithy[\\/]/)).toEqual([]);
  expect(loaded(/[\\/]node_modules[\\/](express|swagger-ui-express|better-sqlite3)[\\/]/)).toEqual([]);
  // The engine did run in this process.
  expect(loaded(/[\\/]dist[\\/]shared[\\/]engine[\\/]runExtraction\.js$/)).toHaveLength(1);
});

test('a run loads only the parts of its packages it uses: undici without fetch, WebSocket, cache or mocks; no cron-parser without a schedule; no winston while nothing is logged; no number format without a progress line; not the demo', async () => {
  const config = await writeConfig('startup', dealsExtraction());
  const { stdout, traces } = await traced(['run', config, '--data-dir', join(dir, 'data'), '--no-progress']);
  expect(JSON.parse(stdout)).toMatchObject({ success: 'true', data_inserted_len: '30' });
  const loaded = (pattern: RegExp): string[] => traces[0]!.modules.filter((m) => pattern.test(m));
  // The HTTP client did run: undici's agent and request API are loaded.
  expect(loaded(/[\\/]node_modules[\\/]undici[\\/]lib[\\/]dispatcher[\\/]agent\.js$/)).toHaveLength(1);
  expect(loaded(/[\\/]node_modules[\\/]undici[\\/]index\.js$/)).toEqual([]);
  expect(loaded(/[\\/]node_modules[\\/]undici[\\/]lib[\\/](web|mock|cache)[\\/]/)).toEqual([]);
  expect(loaded(/[\\/]node_modules[\\/]undici[\\/]lib[\\/]dispatcher[\\/].*proxy/)).toEqual([]);
  expect(loaded(/[\\/]node_modules[\\/](cron-parser|luxon)[\\/]/)).toEqual([]);
  // The default log level (warn) and a run without warnings: no log line, no logger.
  expect(loaded(/[\\/]node_modules[\\/](winston|logform|winston-transport)[\\/]/)).toEqual([]);
  // The demo command's API server only for `api-extractor demo`.
  expect(loaded(/[\\/]dist[\\/]services[\\/]cli[\\/]demo(Api)?\.js$/)).toEqual([]);
  // --no-progress: no progress line, so no number format for it.
  expect(traces[0]!.numberFormats).toBe(0);
});

test('a run whose log level lets lines through still writes them as JSON lines on stderr', async () => {
  const config = await writeConfig('startup', dealsExtraction());
  const { stderr, traces } = await traced([
    'run',
    config,
    '--data-dir',
    join(dir, 'data'),
    '--no-progress',
    '--log-level',
    'info',
  ]);
  const lines = stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.map((l) => l.message)).toEqual(expect.arrayContaining(['run started', 'run finished']));
  expect(lines.find((l) => l.message === 'run started')).toEqual({
    level: 'info',
    message: 'run started',
    config: 'startup',
    config_id: expect.any(String),
    run_id: expect.any(String),
    timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
  });
  expect(traces[0]!.modules.some((m) => /[\\/]node_modules[\\/]winston[\\/]/.test(m))).toBe(true);
});

test('--version is one process too', async () => {
  const { stdout, traces } = await traced(['--version']);
  expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  expect(traces).toHaveLength(1);
  expect(traces[0]!.started).toEqual([]);
});

test.each(['SIGINT', 'SIGTERM'] as const)(
  '%s during a run: the run stops, its log says interrupted and the command exits 1',
  async (signal) => {
    let answer: (() => void) | undefined;
    const stalled = await startServer(
      () =>
        new Promise((resolve) => {
          answer = () => resolve({ body: { data: [], info: { more_records: false } } });
        }),
    );
    try {
      const config = await writeConfig('signals', {
        name: 'slow',
        endpoint: { url: `${stalled.url}/items` },
        data_key: 'data',
        s3_destiny: { bucket: 'out', folder: 'slow/', filename: 'all' },
      });
      const child = spawn(
        process.execPath,
        [BIN, 'run', config, '--data-dir', join(dir, 'data'), '--no-progress'],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const deadline = Date.now() + 30_000;
      while (stalled.requests.length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(stalled.requests).toHaveLength(1);
      child.kill(signal);
      expect(await exited).toBe(1);
      expect(JSON.parse(stdout)).toMatchObject({
        success: 'false',
        error: expect.stringContaining('interrupted'),
      });
    } finally {
      answer?.();
      await stalled.close();
    }
  },
);
