/**
 * The SecretAdmin contract: named secrets set and removed one at a time, names
 * listed without values, and what is set is what the SecretStore reads.
 *
 * Hook: `make()` returns an admin over an empty secret, and the SecretStore that
 * reads the same secret.
 */
import type { SecretAdmin } from '../../../shared/ports/secrets';
import type { SecretStore } from '../../../shared/ports/storage';
import { type MakeFixture, withFixture } from '../../contract/fixture';

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
