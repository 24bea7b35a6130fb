/** The root key at start-up: from $ROOT_API_KEY, or generated once and printed once. */
import { SqliteApiKeyStore } from '../../shared/adapters/embedded/sqliteApiKeyStore';
import { openDatabase } from '../../shared/adapters/embedded/database';
import { presentedKey } from '../../shared/api/auth';
import { ensureRootKey, RootKeySettingsError } from '../../shared/api/rootKey';

const ENV_KEY = 'env-root-key-0123456789abcdef';

function store(): SqliteApiKeyStore {
  return new SqliteApiKeyStore(openDatabase(':memory:'));
}

test('without $ROOT_API_KEY: generated and printed on the first start, silent afterwards', async () => {
  const keys = store();
  const printed: string[] = [];
  expect(await ensureRootKey(keys, {}, (line) => printed.push(line))).toEqual({
    name: 'rootkey',
    source: 'generated',
  });
  expect(printed).toHaveLength(1);
  const key = /([0-9a-f]{64})$/.exec(printed[0]!)![1]!;
  expect(await keys.findByKey(key)).toEqual({ name: 'rootkey', root: true });

  expect(await ensureRootKey(keys, {}, (line) => printed.push(line))).toEqual({
    name: 'rootkey',
    source: 'existing',
  });
  expect(printed).toHaveLength(1);
});

test('with $ROOT_API_KEY: that key is the root key, replacing a generated one, never printed', async () => {
  const keys = store();
  const printed: string[] = [];
  await ensureRootKey(keys, {}, (line) => printed.push(line));
  const generated = /([0-9a-f]{64})$/.exec(printed[0]!)![1]!;

  expect(await ensureRootKey(keys, { ROOT_API_KEY: ENV_KEY }, (line) => printed.push(line))).toEqual({
    name: 'rootkey',
    source: 'environment',
  });
  expect(printed).toHaveLength(1);
  expect(await keys.findByKey(ENV_KEY)).toEqual({ name: 'rootkey', root: true });
  expect(await keys.findByKey(generated)).toBeUndefined();
  // Idempotent.
  await ensureRootKey(keys, { ROOT_API_KEY: ENV_KEY }, (line) => printed.push(line));
  expect(await keys.findByKey(ENV_KEY)).toEqual({ name: 'rootkey', root: true });
});

test('a stored root key rotated through the API stays rotated across restarts: the old key is gone, nothing is printed', async () => {
  const keys = store();
  const printed: string[] = [];
  await ensureRootKey(keys, {}, (line) => printed.push(line));
  const first = /([0-9a-f]{64})$/.exec(printed[0]!)![1]!;
  const rotated = (await keys.refresh('rootkey')).apiKey;

  expect(await ensureRootKey(keys, {}, (line) => printed.push(line))).toEqual({
    name: 'rootkey',
    source: 'existing',
  });
  expect(printed).toHaveLength(1);
  expect(await keys.findByKey(rotated)).toEqual({ name: 'rootkey', root: true });
  expect(await keys.findByKey(first)).toBeUndefined();
});

test('a short $ROOT_API_KEY is refused', async () => {
  await expect(ensureRootKey(store(), { ROOT_API_KEY: 'short' }, () => undefined)).rejects.toBeInstanceOf(
    RootKeySettingsError,
  );
});

test('two replicas starting at once end with one root key', async () => {
  const keys = store();
  const printed: string[] = [];
  const results = await Promise.all([
    ensureRootKey(keys, {}, (l) => printed.push(l)),
    ensureRootKey(keys, {}, (l) => printed.push(l)),
  ]);
  expect(results.map((r) => r.source).sort()).toEqual(['existing', 'generated']);
  expect(printed).toHaveLength(1);
});

test.each([
  ['abc', 'abc'],
  ['  abc  ', 'abc'],
  ['Bearer abc', 'abc'],
  ['bearer   abc', 'abc'],
  ['Bearer', undefined],
  ['', undefined],
  [undefined, undefined],
])('Authorization %p presents %p', (header, key) => {
  expect(presentedKey(header)).toBe(key);
});
