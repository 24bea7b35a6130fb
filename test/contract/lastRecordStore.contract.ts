/**
 * The LastRecordStore contract: the `last` raw record of each extraction's previous
 * successful run.
 *
 * Hook: `makeStore()` returns a store over empty storage.
 */
import type { LastRecordStore } from '../../shared/ports/storage';
import { withFixture, type MakeFixture } from './fixture';

export function describeLastRecordStoreContract(name: string, makeStore: MakeFixture<LastRecordStore>): void {
  const withStore = (body: (store: LastRecordStore) => Promise<void>) => () => withFixture(makeStore, body);

  describe(`LastRecordStore contract: ${name}`, () => {
    it(
      'returns undefined for an extraction without a record',
      withStore(async (store) => {
        expect(await store.get('never-ran')).toBeUndefined();
      }),
    );

    it(
      'reads back a record with its key order and types',
      withStore(async (store) => {
        const record = {
          z_modified: '2026-03-01T10:00:00Z',
          a_id: 42,
          ok: true,
          none: null,
          tags: ['b', 'a'],
          nested: { y: 1.5, x: 'é' },
        };
        await store.set('ext-1', record);
        const read = await store.get('ext-1');
        expect(read).toEqual(record);
        expect(JSON.stringify(read)).toBe(JSON.stringify(record));
      }),
    );

    it(
      'replaces the record, per extraction',
      withStore(async (store) => {
        await store.set('ext-1', { id: 1 });
        await store.set('ext-2', { id: 2 });
        await store.set('ext-1', { id: 3 });
        expect(await store.get('ext-1')).toEqual({ id: 3 });
        expect(await store.get('ext-2')).toEqual({ id: 2 });
      }),
    );

    it(
      'keeps scalar and null records',
      withStore(async (store) => {
        await store.set('ext-null', null);
        await store.set('ext-text', 'cursor-abc');
        expect(await store.get('ext-null')).toBeNull();
        expect(await store.get('ext-text')).toBe('cursor-abc');
      }),
    );
  });
}
