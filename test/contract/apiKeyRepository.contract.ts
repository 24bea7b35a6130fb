/**
 * The ApiKeyRepository contract: keys issued once, found by the presented key,
 * refreshed (the old one stops working), deleted; the root key cannot be deleted.
 *
 * Hook: `make()` returns a repository over empty storage.
 */
import {
  ApiKeyExistsError,
  ApiKeyNotFoundError,
  type ApiKeyRepository,
  ApiKeyStoreError,
  RootApiKeyError,
} from '../../shared/ports/apiKeys';
import { type MakeFixture, withFixture } from './fixture';

export function describeApiKeyRepositoryContract(name: string, make: MakeFixture<ApiKeyRepository>): void {
  const withRepo = (body: (repo: ApiKeyRepository) => Promise<void>) => () => withFixture(make, body);

  describe(`ApiKeyRepository contract: ${name}`, () => {
    it(
      'issues a high-entropy key once and finds its owner by it',
      withRepo(async (repo) => {
        const ana = await repo.create('ana');
        const bruno = await repo.create('bruno');
        expect(ana.name).toBe('ana');
        expect(ana.apiKey).toMatch(/^[0-9a-f]{64}$/);
        expect(bruno.apiKey).not.toBe(ana.apiKey);
        expect(await repo.findByKey(ana.apiKey)).toEqual({ name: 'ana', root: false });
        expect(await repo.findByKey(bruno.apiKey)).toEqual({ name: 'bruno', root: false });
        expect(await repo.findByKey(`${ana.apiKey}x`)).toBeUndefined();
        expect(await repo.findByKey('')).toBeUndefined();
        expect(await repo.get('ana')).toEqual({ name: 'ana', root: false });
        expect(await repo.get('nobody')).toBeUndefined();
      }),
    );

    it(
      'lists every key by name, the root key marked, without keys or hashes',
      withRepo(async (repo) => {
        expect(await repo.list()).toEqual([]);
        await repo.create('root', { root: true });
        const bruno = await repo.create('bruno');
        await repo.create('ana');
        expect(await repo.list()).toEqual([
          { name: 'ana', root: false },
          { name: 'bruno', root: false },
          { name: 'root', root: true },
        ]);
        expect(JSON.stringify(await repo.list())).not.toContain(bruno.apiKey);
        await repo.delete('ana');
        expect((await repo.list()).map((k) => k.name)).toEqual(['bruno', 'root']);
      }),
    );

    it(
      'refuses a name that is taken, keeping the first key',
      withRepo(async (repo) => {
        const first = await repo.create('ana');
        await expect(repo.create('ana')).rejects.toBeInstanceOf(ApiKeyExistsError);
        expect(await repo.findByKey(first.apiKey)).toEqual({ name: 'ana', root: false });
      }),
    );

    it(
      'creates the root key with a given key, found as root',
      withRepo(async (repo) => {
        expect(await repo.findRoot()).toBeUndefined();
        await repo.create('rootkey', { root: true, apiKey: 'given-root-key-0123456789abcdef' });
        expect(await repo.findRoot()).toEqual({ name: 'rootkey', root: true });
        expect(await repo.findByKey('given-root-key-0123456789abcdef')).toEqual({
          name: 'rootkey',
          root: true,
        });
      }),
    );

    it(
      'refuses a given key that another name already uses',
      withRepo(async (repo) => {
        await repo.create('a', { apiKey: 'shared-key-0123456789abcdef' });
        await expect(repo.create('b', { apiKey: 'shared-key-0123456789abcdef' })).rejects.toBeInstanceOf(
          ApiKeyStoreError,
        );
        await repo.create('c');
        await expect(repo.refresh('c', 'shared-key-0123456789abcdef')).rejects.toBeInstanceOf(
          ApiKeyStoreError,
        );
        expect(await repo.findByKey('shared-key-0123456789abcdef')).toEqual({ name: 'a', root: false });
      }),
    );

    it(
      'refreshes: the new key works, the old one stops at once',
      withRepo(async (repo) => {
        const old = await repo.create('ana');
        const fresh = await repo.refresh('ana');
        expect(fresh.name).toBe('ana');
        expect(fresh.apiKey).not.toBe(old.apiKey);
        expect(await repo.findByKey(old.apiKey)).toBeUndefined();
        expect(await repo.findByKey(fresh.apiKey)).toEqual({ name: 'ana', root: false });
        await repo.refresh('ana', 'chosen-key-0123456789abcdef');
        expect(await repo.findByKey('chosen-key-0123456789abcdef')).toEqual({ name: 'ana', root: false });
        await expect(repo.refresh('nobody')).rejects.toBeInstanceOf(ApiKeyNotFoundError);
      }),
    );

    it(
      'deletes a named key; deleting it again reports false',
      withRepo(async (repo) => {
        const ana = await repo.create('ana');
        expect(await repo.delete('ana')).toBe(true);
        expect(await repo.findByKey(ana.apiKey)).toBeUndefined();
        expect(await repo.delete('ana')).toBe(false);
        // The name is free again.
        await repo.create('ana');
      }),
    );

    it(
      'never deletes the root key',
      withRepo(async (repo) => {
        const root = await repo.create('rootkey', { root: true });
        await expect(repo.delete('rootkey')).rejects.toBeInstanceOf(RootApiKeyError);
        expect(await repo.findByKey(root.apiKey)).toEqual({ name: 'rootkey', root: true });
      }),
    );
  });
}
