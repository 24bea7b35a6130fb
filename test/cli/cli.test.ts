/**
 * The command line, as a user runs it: the built `api-extractor` binary in a child
 * process (built by `npm ci` through the prepare script), against the fake API.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseCsv } from '../support/engineHarness';
import { type FakeApi, startFakeApi } from '../support/fakeApi';

const run = promisify(execFile);
const BIN = join(__dirname, '../../bin/api-extractor.js');

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dir: string;
let api: FakeApi;
beforeAll(async () => {
  api = await startFakeApi({ records: 120, pageSize: 50 });
});
afterAll(() => api.close());
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'api-extractor-cli-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function writeConfig(config: unknown): Promise<string> {
  const path = join(dir, 'config.json');
  await writeFile(path, JSON.stringify(config));
  return path;
}

test('run writes s3://bucket/key under <data-dir>/s3, prints the execution log and exits 0', async () => {
  const path = await writeConfig({
    name: 'cli',
    extractions: [
      {
        name: 'deals',
        endpoint: { url: `${api.url}/crm/v2/deals`, headers: { 'X-Key': '${secret::key}' } },
        data_key: 'data',
        data_schema: { id: 'id', Stage: 'stage' },
        pagination: {
          type: 'sequential',
          parameters: { param_name: 'page', there_are_more_pages: 'info.more_records' },
        },
        s3_destiny: { bucket: 'out', folder: 'deals/', filename: 'all' },
      },
    ],
  });
  await writeFile(join(dir, 'secrets.json'), JSON.stringify({ key: 'k-123456' }));
  const result = await cli(['run', path, '--data-dir', dir]);
  expect(result.stderr).toContain('deals: ok, 120 rows');
  expect(result.code).toBe(0);
  const log = JSON.parse(result.stdout) as Record<string, unknown>;
  expect(log).toMatchObject({
    success: 'true',
    data_inserted_len: '120',
    destiny: 's3://out/deals/all.csv',
    pages: 3,
  });
  const csv = await readFile(join(dir, 's3/out/deals/all.csv'), 'utf8');
  expect(csv.split('\n')[0]).toBe('id,stage,ext__timestamp');
  expect(csv.trimEnd().split('\n')).toHaveLength(121);
  expect(api.requests.at(-1)!.headers['x-key']).toBe('k-123456');
  expect(await readdir(join(dir, 'state/last'))).toHaveLength(1);
});

test('an invalid config exits 2 and lists every problem with its path', async () => {
  const path = await writeConfig({
    name: 'bad',
    extractions: [
      {
        name: 'x',
        endpoint: { url: 'ftp://nope' },
        format: 'xml',
        pagination: { type: 'sequential', parameters: {} },
      },
    ],
  });
  const result = await cli(['run', path, '--data-dir', dir]);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toBe(
    `api-extractor: config file ${path} is invalid:\n` +
      '  - extractions[0].pagination.parameters.param_name: is required\n' +
      '  - extractions[0].format: must be one of [csv, json, jsonl]\n',
  );
});

test('a config file that is not JSON exits 2 with the parser message', async () => {
  const path = join(dir, 'broken.json');
  await writeFile(path, '{"name": ');
  const result = await cli(['validate', path]);
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(new RegExp(`^api-extractor: config file ${path} is not valid JSON: `));
});

test('a failed run exits 1 and says why', async () => {
  const path = await writeConfig({
    name: 'down',
    extractions: [{ name: 'x', endpoint: { url: `${api.url}/missing` }, http: { max_attempts: 1 } }],
  });
  const result = await cli(['run', path, '--data-dir', dir]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`x: FAILED: HTTP 404 from ${api.url}/missing`);
});

test('a URL that is not absolute http(s) once resolved fails that extraction, naming the field; the others run', async () => {
  const path = await writeConfig({
    name: 'placeholders',
    extractions: [
      { name: 'x', endpoint: { url: '{domain}/data' }, s3_destiny: { folder: 'x' } },
      {
        name: 'y',
        endpoint: { url: `${api.url}/offset?limit=2` },
        data_key: 'items',
        s3_destiny: { folder: 'y' },
      },
    ],
  });
  const result = await cli(['run', path, '--data-dir', dir]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(
    'x: FAILED: extractions[0].endpoint.url: "{domain}/data" is not an absolute http or https URL (after references are resolved)',
  );
  expect(result.stderr).toContain('y: ok, 2 rows');
});

/** An extraction of `limit` records from the fake API's offset route, into a folder of its own. */
const offsetExtraction = (name: string, limit: number, folder: string, id?: string) => ({
  ...(id ? { id } : {}),
  name,
  endpoint: { url: `${api.url}/offset?limit=${limit}` },
  data_key: 'items',
  s3_destiny: { bucket: 'out', folder, filename: 'f' },
});

/** Runs with `--only value`: exit 0, each of `ran` in stderr, none of `skipped`. */
async function expectOnly(path: string, value: string, ran: string[], skipped: string[]): Promise<void> {
  const result = await cli(['run', path, '--data-dir', dir, '--only', value]);
  expect([result.code, result.stderr]).toEqual([0, expect.any(String)]);
  for (const text of ran) expect(result.stderr).toContain(text);
  for (const text of skipped) expect(result.stderr).not.toContain(text);
}

/** Runs with `--only value`: exit 2 and exactly `message`. */
async function expectOnlyRefused(path: string, value: string, message: string): Promise<void> {
  const result = await cli(['run', path, '--data-dir', dir, '--only', value]);
  expect([result.code, result.stderr]).toEqual([2, `api-extractor: ${message}\n`]);
}

test('--only runs the named extraction and rejects unknown names', async () => {
  const path = await writeConfig({
    name: 'two',
    extractions: [offsetExtraction('a', 5, 'a'), offsetExtraction('b', 5, 'b')],
  });
  await expectOnly(path, 'b', ['b: ok, 5 rows'], ['a: ok']);
  await expectOnlyRefused(
    path,
    'c',
    '--only names no extraction of this config: c (give a name, an id or a position from 1 to 2; has: a, b)',
  );
});

test('--only takes a name (every extraction of that name), an id or a position; same-named extractions keep apart', async () => {
  const path = await writeConfig({
    name: 'dup',
    extractions: [
      offsetExtraction('payments', 3, 'p1'),
      offsetExtraction('other', 4, 'o'),
      offsetExtraction('payments', 5, 'p2', 'pay-2'),
    ],
  });
  // Each line says which of the two it is.
  await expectOnly(path, 'payments', ['payments (#1): ok, 3 rows', 'payments (#3): ok, 5 rows'], ['other']);
  expect(parseCsv(await readFile(join(dir, 's3/out/p1/f.csv'), 'utf8'))).toHaveLength(4);
  expect(parseCsv(await readFile(join(dir, 's3/out/p2/f.csv'), 'utf8'))).toHaveLength(6);
  // Each keeps a `last` record of its own.
  expect(await readdir(join(dir, 'state/last'))).toHaveLength(2);

  await expectOnly(path, '2', ['other: ok, 4 rows'], ['payments']);
  await expectOnly(path, 'pay-2', ['payments (#3): ok, 5 rows'], ['payments (#1)']);
  await expectOnlyRefused(
    path,
    '4',
    '--only names no extraction of this config: 4 (give a name, an id or a position from 1 to 3; has: payments, other, payments)',
  );
});

test('--version prints the package version and exits 0', async () => {
  const { version } = JSON.parse(await readFile(join(__dirname, '../../package.json'), 'utf8')) as {
    version: string;
  };
  const result = await cli(['--version']);
  expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
});

test('--concurrency runs the extractions at once, each with its file and log, the logs in config order', async () => {
  const path = await writeConfig({
    name: 'many',
    extractions: [
      offsetExtraction('a', 3, 'a'),
      offsetExtraction('b', 4, 'b'),
      offsetExtraction('c', 5, 'c'),
    ],
  });
  const result = await cli(['run', path, '--data-dir', dir, '--concurrency', '2', '--no-progress']);
  expect(result.code).toBe(0);
  expect(result.stderr.split('\n').filter(Boolean)).toEqual([
    `a: ok, 3 rows -> ${dir}/s3/out/a/f.csv`,
    `b: ok, 4 rows -> ${dir}/s3/out/b/f.csv`,
    `c: ok, 5 rows -> ${dir}/s3/out/c/f.csv`,
  ]);
  for (const [folder, rows] of [
    ['a', 3],
    ['b', 4],
    ['c', 5],
  ] as const)
    expect(parseCsv(await readFile(join(dir, `s3/out/${folder}/f.csv`), 'utf8'))).toHaveLength(rows + 1);
  // The execution logs printed on stdout: three whole JSON documents, in config order.
  const logs = result.stdout
    .split(/\n(?=\{)/)
    .map((text) => JSON.parse(text) as { extraction_name: string; data_inserted_len: string });
  expect(logs.map((l) => [l.extraction_name, l.data_inserted_len])).toEqual([
    ['a', '3'],
    ['b', '4'],
    ['c', '5'],
  ]);
});

test.each(['0', '17', '1.5', 'two'])(
  '--concurrency %s exits 2 naming the option and the range',
  async (value) => {
    const path = await writeConfig({ name: 'one', extractions: [offsetExtraction('a', 3, 'a')] });
    const result = await cli(['run', path, '--data-dir', dir, '--concurrency', value]);
    expect([result.code, result.stderr]).toEqual([
      2,
      `api-extractor: --concurrency must be a whole number from 1 to 16 (got "${value}")\n`,
    ]);
  },
);
