/**
 * The SecretAdmin contract: named secrets set and removed one at a time, names
 * listed without values, and what is set is what the SecretStore reads; each
 * secret's origins travel with it in the same document.
 *
 * Hook: `make()` returns an admin over an empty secret, and the SecretStore that
 * reads the same secret.
 */
import { splitSecretDocument } from '../../shared/core/secretOrigins';
import type { SecretAdmin } from '../../shared/ports/secrets';
import type { SecretStore } from '../../shared/ports/storage';
import { type MakeFixture, withFixture } from './fixture';

export interface SecretAdminSubject {
  admin: SecretAdmin;
  reader: SecretStore;
}

export function describeSecretAdminContract(name: string, make: MakeFixture<SecretAdminSubject>): void {
  const withAdmin = (body: (subject: SecretAdminSubject) => Promise<void>) => () => withFixture(make, body);

  describe(`SecretAdmin contract: ${name}`, () => {
    it(
      'starts with no secrets',
      withAdmin(async ({ admin, reader }) => {
        expect(await admin.listNames()).toEqual([]);
        expect(await reader.getAll()).toEqual({});
      }),
    );

    it(
      'sets, replaces and removes one secret at a time; lists names sorted',
      withAdmin(async ({ admin, reader }) => {
        await admin.set('zeta', 'z-value');
        await admin.set('alpha', { client_id: 'cid', n: 1 });
        await admin.set('zeta', 'z-rotated');
        expect(await admin.listNames()).toEqual(['alpha', 'zeta']);
        expect(await reader.getAll()).toEqual({ zeta: 'z-rotated', alpha: { client_id: 'cid', n: 1 } });
        expect(await admin.remove('zeta')).toBe(true);
        expect(await admin.remove('zeta')).toBe(false);
        expect(await reader.getAll()).toEqual({ alpha: { client_id: 'cid', n: 1 } });
      }),
    );

    it(
      'keeps origins with the secret: set binds, a value-only rewrite keeps them, remove drops them',
      withAdmin(async ({ admin, reader }) => {
        await admin.set('plain', 'written-the-original-way');
        await admin.set('scoped', 'v1', ['https://api.example.com', 'http://127.0.0.1:8080']);
        expect(await admin.list()).toEqual([
          { name: 'plain', origins: null },
          { name: 'scoped', origins: ['https://api.example.com', 'http://127.0.0.1:8080'] },
        ]);
        await admin.set('scoped', 'v2');
        const read = splitSecretDocument(await reader.getAll());
        expect(read.values).toEqual({ plain: 'written-the-original-way', scoped: 'v2' });
        expect(read.bindings).toEqual({ scoped: ['https://api.example.com', 'http://127.0.0.1:8080'] });
        await admin.set('scoped', 'v3', ['https://other.example.com']);
        expect(splitSecretDocument(await reader.getAll()).bindings).toEqual({
          scoped: ['https://other.example.com'],
        });
        expect(await admin.remove('scoped')).toBe(true);
        expect(await admin.list()).toEqual([{ name: 'plain', origins: null }]);
        // No bindings left: the document is the original tool's plain object again.
        expect(await reader.getAll()).toEqual({ plain: 'written-the-original-way' });
      }),
    );

    it(
      'binds on first use only an existing, unbound secret',
      withAdmin(async ({ admin }) => {
        expect(await admin.bind('absent', ['https://a.example.com'])).toBeUndefined();
        await admin.set('legacy', 'value-only');
        expect(await admin.bind('legacy', ['https://a.example.com'])).toEqual(['https://a.example.com']);
        expect(await admin.bind('legacy', ['https://b.example.com'])).toEqual(['https://a.example.com']);
        expect(await admin.list()).toEqual([{ name: 'legacy', origins: ['https://a.example.com'] }]);
        expect(await admin.listNames()).toEqual(['legacy']);
      }),
    );

    it(
      'loses no write when many arrive at once',
      withAdmin(async ({ admin, reader }) => {
        const names = Array.from({ length: 20 }, (_, i) => `s${String(i).padStart(2, '0')}`);
        await Promise.all(names.map((n) => admin.set(n, n.toUpperCase())));
        expect(await admin.listNames()).toEqual(names);
        expect(Object.keys(await reader.getAll())).toHaveLength(20);
      }),
    );
  });
}
