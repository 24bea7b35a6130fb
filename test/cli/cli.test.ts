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

test('--only runs the named extraction and rejects unknown names', async () => {
  const extraction = (name: string) => ({
    name,
    endpoint: { url: `${api.url}/offset?limit=5` },
    data_key: 'items',
    s3_destiny: { folder: name },
  });
  const path = await writeConfig({ name: 'two', extractions: [extraction('a'), extraction('b')] });
  const ok = await cli(['run', path, '--data-dir', dir, '--only', 'b']);
  expect(ok.code).toBe(0);
  expect(ok.stderr).toContain('b: ok, 5 rows');
  expect(ok.stderr).not.toContain('a: ok');
  const bad = await cli(['run', path, '--data-dir', dir, '--only', 'c']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toBe(
    'api-extractor: --only names no extraction of this config: c (give a name, an id or a position from 1 to 2; has: a, b)\n',
  );
});

test('--only takes a name (every extraction of that name), an id or a position; same-named extractions keep apart', async () => {
  const extraction = (name: string, limit: number, folder: string, id?: string) => ({
    ...(id ? { id } : {}),
    name,
    endpoint: { url: `${api.url}/offset?limit=${limit}` },
    data_key: 'items',
    s3_destiny: { bucket: 'out', folder, filename: 'f' },
  });
  const path = await writeConfig({
    name: 'dup',
    extractions: [
      extraction('payments', 3, 'p1'),
      extraction('other', 4, 'o'),
      extraction('payments', 5, 'p2', 'pay-2'),
    ],
  });
  const byName = await cli(['run', path, '--data-dir', dir, '--only', 'payments']);
  expect(byName.code).toBe(0);
  // Each line says which of the two it is.
  expect(byName.stderr).toContain('payments (#1): ok, 3 rows');
  expect(byName.stderr).toContain('payments (#3): ok, 5 rows');
  expect(byName.stderr).not.toContain('other');
  expect(parseCsv(await readFile(join(dir, 's3/out/p1/f.csv'), 'utf8'))).toHaveLength(4);
  expect(parseCsv(await readFile(join(dir, 's3/out/p2/f.csv'), 'utf8'))).toHaveLength(6);
  // Each keeps a `last` record of its own.
  expect(await readdir(join(dir, 'state/last'))).toHaveLength(2);

  const byPosition = await cli(['run', path, '--data-dir', dir, '--only', '2']);
  expect(byPosition.code).toBe(0);
  expect(byPosition.stderr).toContain('other: ok, 4 rows');
  expect(byPosition.stderr).not.toContain('payments');

  const byId = await cli(['run', path, '--data-dir', dir, '--only', 'pay-2']);
  expect(byId.code).toBe(0);
  expect(byId.stderr).toContain('payments (#3): ok, 5 rows');
  expect(byId.stderr).not.toContain('payments (#1)');

  const bad = await cli(['run', path, '--data-dir', dir, '--only', '4']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toBe(
    'api-extractor: --only names no extraction of this config: 4 (give a name, an id or a position from 1 to 3; has: payments, other, payments)\n',
  );
});
