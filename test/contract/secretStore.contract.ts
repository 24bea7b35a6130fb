/**
 * The SecretStore contract: the JSON object of extractor secrets.
 *
 * Hook: `makeStore(stored)` returns a store whose secret holds the text `stored`,
 * or no secret at all when `stored` is undefined.
 */
import type { SecretStore } from '../../shared/ports/storage';
import { withFixture, type Fixture } from './fixture';

export type MakeSecretStore = (stored: string | undefined) => Promise<Fixture<SecretStore>>;

export function describeSecretStoreContract(name: string, makeStore: MakeSecretStore): void {
  const withStore = (stored: string | undefined, body: (store: SecretStore) => Promise<void>) => () =>
    withFixture(() => makeStore(stored), body);

  describe(`SecretStore contract: ${name}`, () => {
    it(
      'returns the stored JSON object',
      withStore('{"api_token":"s3cr3t","nested":{"key":"v"}}', async (store) => {
        expect(await store.getAll()).toEqual({ api_token: 's3cr3t', nested: { key: 'v' } });
      }),
    );

    it(
      'treats an absent secret as no secrets',
      withStore(undefined, async (store) => {
        expect(await store.getAll()).toEqual({});
      }),
    );

    it.each([
      ['an array', '["a"]'],
      ['a string', '"token"'],
      ['null', 'null'],
    ])('rejects a secret that holds %s, saying it must be a JSON object', (_what, stored) =>
      withStore(stored, async (store) => {
        await expect(store.getAll()).rejects.toThrow(/JSON object/);
      })(),
    );

    it(
      'rejects invalid JSON without repeating the secret text',
      // V8's parse error quotes the text around the fault: here, the secret itself.
      withStore('{"api_token": hunter2-very-secret}', async (store) => {
        const error = await store.getAll().then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(error).toBeInstanceOf(Error);
        expect(String((error as Error).message)).not.toContain('hunter2');
        expect(String((error as Error).cause ?? '')).not.toContain('hunter2');
      }),
    );
  });
}
