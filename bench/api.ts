/**
 * The config API under load, embedded mode: the all-in-one system `npm start` runs
 * (compiled for the bench: dist-bench/services/embedded/main.js) in its own process, autocannon in this one,
 * both on 127.0.0.1. Measures requests/s and p50/p99 latency of GET /config/{id}
 * and GET /runs/{id} (a finished run of a real extraction).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

export interface ApiBenchResult {
  route: string;
  connections: number;
  durationSeconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

const ROOT_KEY = 'bench-root-key-0123456789abcdef';

function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match) {
        child.stdout!.off('data', onData);
        resolve(match);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`${what} exited (${code}) before it was ready: ${seen.slice(-500)}`)),
    );
  });
}

async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: ROOT_KEY, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json;
}

function load(url: string, connections: number, durationSeconds: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(
      { url, connections, duration: durationSeconds, headers: { authorization: ROOT_KEY } },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

export async function runApiBench(options: {
  durationSeconds: number;
  connections: number;
}): Promise<ApiBenchResult[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'api-extractor-bench-api-'));
  const children: ChildProcess[] = [];
  const killAll = (): void => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  process.once('exit', killAll);
  try {
    const fake = spawn(
      process.execPath,
      [join(__dirname, 'fakeApiMain.js'), '--port', '0', '--records', '500'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    children.push(fake);
    const [, upstream] = await waitForLine(fake, /LISTENING (\S+)/, 'fake API');
    // As `npm start` runs it: the entry sets its heap limits itself (services/heap.ts).
    const system = spawn(process.execPath, [join(__dirname, '../services/embedded/main.js')], {
      env: {
        ...process.env,
        PORT: '0',
        DATA_DIR: dataDir,
        ROOT_API_KEY: ROOT_KEY,
        SCHEDULER: 'off',
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(system);
    const [, base] = await waitForLine(system, /listening on (http:\/\/\S+)/, 'embedded system');
    const config = await call(base!, 'POST', '/config', {
      name: 'bench',
      extractions: [
        {
          name: 'deals',
          endpoint: { url: `${upstream}/crm/v2/deals` },
          data_key: 'data',
          data_schema: { id: 'id', Deal_Name: 'name', Owner: { email: 'email' } },
          pagination: {
            type: 'sequential',
            parameters: { param_name: 'page', there_are_more_pages: 'info.more_records' },
          },
        },
      ],
    });
    const started = await call(base!, 'POST', `/config/${String(config.id)}/execute`);
    const runId = String(started.run_id);
    for (let i = 0; ; i++) {
      const run = await call(base!, 'GET', `/runs/${runId}`);
      if (run.status !== 'running') break;
      if (i > 500) throw new Error(`run ${runId} did not finish`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const results: ApiBenchResult[] = [];
    for (const [route, path] of [
      ['GET /config/{id}', `/config/${String(config.id)}`],
      ['GET /runs/{id}', `/runs/${runId}`],
    ] as const) {
      await load(`${base}${path}`, options.connections, 1); // warm-up
      const r = await load(`${base}${path}`, options.connections, options.durationSeconds);
      results.push({
        route,
        connections: options.connections,
        durationSeconds: options.durationSeconds,
        requestsPerSecond: Math.round(r.requests.average),
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        non2xx: r.non2xx,
        errors: r.errors,
      });
    }
    system.kill('SIGTERM');
    return results;
  } finally {
    killAll();
    process.off('exit', killAll);
    await rm(dataDir, { recursive: true, force: true });
  }
}

export function apiMarkdown(results: ApiBenchResult[]): string {
  const lines = [
    '| API route (embedded) | Connections | Duration (s) | Requests/s | p50 (ms) | p99 (ms) | non-2xx | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.route} | ${r.connections} | ${r.durationSeconds} | ${r.requestsPerSecond.toLocaleString('en-US')} | ${r.p50Ms} | ${r.p99Ms} | ${r.non2xx} | ${r.errors} |`,
    ),
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const quick = process.argv.includes('--quick');
  runApiBench({ durationSeconds: quick ? 2 : 10, connections: 20 })
    .then((results) => {
      process.stdout.write(`${apiMarkdown(results)}\n`);
      if (results.some((r) => r.non2xx > 0 || r.errors > 0)) process.exitCode = 1;
    })
    .catch((err: Error) => {
      process.stderr.write(`bench api: ${err.stack ?? err.message}\n`);
      process.exitCode = 1;
    });
}
