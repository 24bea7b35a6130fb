/**
 * The TokenStore contract: refreshed access tokens, by config.
 *
 * Hook: `makeStore()` returns a store over empty storage.
 */
import type { TokenStore } from '../../shared/ports/storage';
import { withFixture, type MakeFixture } from './fixture';

export function describeTokenStoreContract(name: string, makeStore: MakeFixture<TokenStore>): void {
  const withStore = (body: (store: TokenStore) => Promise<void>) => () => withFixture(makeStore, body);

  describe(`TokenStore contract: ${name}`, () => {
    it(
      'returns undefined for a config without a token',
      withStore(async (store) => {
        expect(await store.get('config-none')).toBeUndefined();
      }),
    );

    it(
      'reads back a token with and without an expiry',
      withStore(async (store) => {
        await store.put('config-1', { accessToken: 'tok-1', expiresAt: 1_767_225_600_000 });
        await store.put('config-2', { accessToken: 'tok-2' });
        expect(await store.get('config-1')).toEqual({ accessToken: 'tok-1', expiresAt: 1_767_225_600_000 });
        expect(await store.get('config-2')).toEqual({ accessToken: 'tok-2' });
        expect(await store.get('config-2')).not.toHaveProperty('expiresAt');
      }),
    );

    it(
      'reads back a refresh token',
      withStore(async (store) => {
        await store.put('config:c', { accessToken: 'at', refreshToken: 'rt-2' });
        expect(await store.get('config:c')).toEqual({ accessToken: 'at', refreshToken: 'rt-2' });
      }),
    );

    it(
      'runs the work of one key one caller at a time, and of other keys alongside',
      withStore(async (store) => {
        let running = 0;
        let most = 0;
        const work = (key: string) =>
          store.exclusive(key, async () => {
            running++;
            most = Math.max(most, running);
            await new Promise((resolve) => setImmediate(resolve));
            running--;
            return key;
          });
        expect(await Promise.all([work('a'), work('a'), work('a')])).toEqual(['a', 'a', 'a']);
        expect(most).toBe(1);
        // A failing holder gives the key back.
        await expect(store.exclusive('b', async () => Promise.reject(new Error('boom')))).rejects.toThrow(
          'boom',
        );
        expect(await store.exclusive('b', async () => 'next')).toBe('next');
      }),
    );

    it(
      'replaces the token of a config',
      withStore(async (store) => {
        await store.put('config-1', { accessToken: 'old', expiresAt: 1 });
        await store.put('config-1', { accessToken: 'new' });
        expect(await store.get('config-1')).toEqual({ accessToken: 'new' });
      }),
    );
  });
}
