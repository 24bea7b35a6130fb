/**
 * Property-based conformance: schemathesis (PyPI, pinned in .ci/run) reads the live
 * `/openapi.json` of the embedded API and sends generated requests to every route;
 * every answer must be documented (status, content type, body schema), never a 500,
 * and unsupported methods on known paths must answer 405. A fixed seed and a bounded
 * number of examples keep it reproducible and short.
 *
 * `POST /preview` is left out: it fetches the generated config's URLs, which would be
 * requests to arbitrary hosts (its refusals are covered by badRequests.test.ts).
 * The root key comes "from the environment", so a generated rotation of it answers
 * 409 instead of locking the rest of the run out.
 */
import { spawn } from 'node:child_process';
import { type ApiHarness, ROOT_KEY, startApiHarness } from './harness';

const SCHEMATHESIS = process.env.SCHEMATHESIS_BIN ?? 'st';
const INSTALL = `python3 -m pip install "schemathesis==4.32.5" (the line in .ci/run)`;

const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
  'unsupported_method',
];

interface Finished {
  code: number | null;
  output: string;
}

function run(command: string, args: string[], timeoutMs: number): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        err.code === 'ENOENT'
          ? new Error(`schemathesis is not installed (no "${command}" on PATH): ${INSTALL}`)
          : err,
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness({ rootKeySource: 'environment' });
});
afterAll(() => api.close());

test('schemathesis finds no failure against the live /openapi.json', async () => {
  const result = await run(
    SCHEMATHESIS,
    [
      'run',
      `${api.baseUrl}/openapi.json`,
      '--header',
      `Authorization: ${ROOT_KEY}`,
      '--checks',
      CHECKS.join(','),
      '--phases',
      'examples,coverage,fuzzing',
      '--max-examples',
      '5',
      '--seed',
      '20261129',
      '--workers',
      '2',
      '--exclude-path',
      '/preview',
      '--generation-database',
      'none',
      '--request-timeout',
      '30',
      '--no-color',
    ],
    110_000,
  );
  if (result.code !== 0) {
    throw new Error(`schemathesis exited ${result.code}:\n${result.output}`);
  }
  // The summary line, e.g. "1736 generated, 1736 passed": every generated case passed.
  const [, generated, passed] = /(\d+) generated, (\d+) passed/.exec(result.output) ?? [];
  expect(Number(generated)).toBeGreaterThan(100);
  expect(passed).toBe(generated);
}, 120_000);
