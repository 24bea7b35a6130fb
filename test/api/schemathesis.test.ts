/**
 * Property-based conformance: schemathesis (PyPI, pinned in .ci/run) reads the live
 * `/openapi.json` of the embedded API and sends generated requests to every route;
 * every answer must be documented (status, content type, body schema), never a 500,
 * unsupported methods on known paths must answer 405 with a true `Allow`, and
 * requests the document says are invalid must be refused. A fixed seed and a bounded
 * number of examples keep it reproducible and short.
 *
 * Not checked: `positive_data_acceptance` (that every schema-valid request is
 * accepted). The document states shapes; the rules joi cannot express (a cron
 * expression's field ranges, reference syntax, transformation params) are checked
 * in code and answer a documented 400.
 *
 * `POST /preview` is left out: it fetches the generated config's URLs, which would be
 * requests to arbitrary hosts (its refusals are covered by badRequests.test.ts).
 * The root key comes "from the environment", so a generated rotation of it answers
 * 409 instead of locking the rest of the run out.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ApiHarness, ROOT_KEY, startApiHarness } from './harness';

/**
 * `st`, run through a wrapper that serialises `ast.parse` across threads (CPython 3.11's
 * AST conversion is not thread-safe: see the script); SCHEMATHESIS_BIN names another `st`.
 */
const WRAPPER = join(__dirname, '..', 'support', 'schemathesis_serial_ast.py');
const [SCHEMATHESIS, ...SCHEMATHESIS_ARGS] = process.env.SCHEMATHESIS_BIN
  ? [process.env.SCHEMATHESIS_BIN]
  : ['python3', WRAPPER];
const INSTALL = `python3 -m pip install -r test/requirements.txt`;

const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
  'unsupported_method',
  'allow_header_conformance',
  'negative_data_rejection',
];

interface Finished {
  code: number | null;
  output: string;
}

function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, NO_COLOR: '1' } });
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
/** schemathesis keeps a crash cache (`.schemathesis/`) in its working directory: a fresh one per run. */
let workDir: string;
beforeAll(async () => {
  api = await startApiHarness({ rootKeySource: 'environment' });
  workDir = await mkdtemp(join(tmpdir(), 'api-extractor-schemathesis-'));
  // An invalid body may also be refused for its size (413, documented on every route
  // with a body): the length caps let the generator build bodies over the 1 MB limit.
  await writeFile(
    join(workDir, 'schemathesis.toml'),
    '[checks.negative_data_rejection]\nexpected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]\n',
  );
});
afterAll(async () => {
  await api.close();
  await rm(workDir, { recursive: true, force: true });
});

/**
 * CPython 3.11's AST conversion can miscount its recursion depth when several threads
 * parse at once (python/cpython#106905): hypothesis, describing a strategy's lambda from
 * one of schemathesis's worker threads, then raises "AST constructor recursion depth
 * mismatch". The wrapper serialises `ast.parse`; should the error still appear (a parse
 * by another route), it is the interpreter failing, not a check, so a run whose only
 * error is that one, with no failure found, is run once more.
 */
const INTERPRETER_BUG = 'AST constructor recursion depth mismatch';
function onlyTheInterpreterBug(result: Finished): boolean {
  if (result.code !== 1 || /={3,} FAILURES ={3,}/.test(result.output)) return false;
  const errors = /={3,} ERRORS ={3,}\n([\s\S]*)/.exec(result.output)?.[1];
  if (!errors) return false;
  // One section per erroring operation, each headed `____ GET /path ____`.
  const sections = errors.split(/^_{3,} .+ _{3,}$/m).slice(1);
  return sections.length > 0 && sections.every((section) => section.includes(INTERPRETER_BUG));
}

test('schemathesis finds no failure against the live /openapi.json', async () => {
  const runOnce = () =>
    run(
      SCHEMATHESIS,
      [
        ...SCHEMATHESIS_ARGS,
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
        '4',
        '--exclude-path',
        '/preview',
        '--generation-database',
        'none',
        '--request-timeout',
        '30',
        '--no-color',
      ],
      workDir,
      170_000,
    );
  let result = await runOnce();
  if (onlyTheInterpreterBug(result)) result = await runOnce();
  if (result.code === 127) throw new Error(`schemathesis is not installed: ${INSTALL}\n${result.output}`);
  if (result.code !== 0) {
    // Failing bodies can be megabytes long: the head (the failures) and the tail (the summary).
    const output =
      result.output.length > 40_000
        ? `${result.output.slice(0, 20_000)}\n[…]\n${result.output.slice(-20_000)}`
        : result.output;
    throw new Error(`schemathesis exited ${result.code}:\n${output}`);
  }
  // The summary line, e.g. "1736 generated, 1736 passed": every generated case passed.
  const [, generated, passed] = /(\d+) generated, (\d+) passed/.exec(result.output) ?? [];
  expect(Number(generated)).toBeGreaterThan(100);
  expect(passed).toBe(generated);
}, 360_000);
