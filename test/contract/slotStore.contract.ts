/**
 * The SlotStore contract: a config's last slot only moves forward, the first claim
 * is a baseline, and of concurrent claims of one slot exactly one wins.
 *
 * Hook: `make()` returns a store over empty storage.
 */
import type { SlotClaim, SlotStore } from '../../shared/ports/scheduler';
import { type MakeFixture, withFixture } from './fixture';

const H1 = '2026-03-01T01:00:00.000Z';
const H2 = '2026-03-01T02:00:00.000Z';
const H3 = '2026-03-01T03:00:00.000Z';

export function describeSlotStoreContract(name: string, make: MakeFixture<SlotStore>): void {
  const withStore = (body: (store: SlotStore) => Promise<void>) => () => withFixture(make, body);

  describe(`SlotStore contract: ${name}`, () => {
    it(
      'records the first slot of a config as a baseline, then claims only later slots',
      withStore(async (store) => {
        expect(await store.claim('c1', H1)).toBe('baseline');
        expect(await store.claim('c1', H1)).toBe('taken');
        expect(await store.claim('c1', H2)).toBe('claimed');
        expect(await store.claim('c1', H2)).toBe('taken');
        // An earlier slot never moves it back.
        expect(await store.claim('c1', H1)).toBe('taken');
        expect(await store.claim('c1', H3)).toBe('claimed');
      }),
    );

    it(
      'keeps each config apart, ids with # included',
      withStore(async (store) => {
        expect(await store.claim('a', H1)).toBe('baseline');
        expect(await store.claim('a#SLOT', H1)).toBe('baseline');
        expect(await store.claim('b', H2)).toBe('baseline');
        expect(await store.claim('a', H2)).toBe('claimed');
        expect(await store.claim('b', H2)).toBe('taken');
      }),
    );

    it(
      'lets exactly one of many concurrent claims of a slot win',
      withStore(async (store) => {
        const first = await Promise.all(Array.from({ length: 6 }, () => store.claim('c1', H1)));
        expect(count(first, 'baseline')).toBe(1);
        expect(count(first, 'taken')).toBe(5);
        const next = await Promise.all(Array.from({ length: 6 }, () => store.claim('c1', H2)));
        expect(count(next, 'claimed')).toBe(1);
        expect(count(next, 'taken')).toBe(5);
      }),
    );

    it(
      'has exactly one winner in each of 30 rounds of four racing claims (a rare non-atomic write shows here)',
      withStore(async (store) => {
        expect(await store.claim('race', H1)).toBe('baseline');
        const start = Date.parse(H2);
        const winners: number[] = [];
        for (let round = 0; round < 30; round++) {
          const slot = new Date(start + round * 3_600_000).toISOString();
          const claims = await Promise.all(Array.from({ length: 4 }, () => store.claim('race', slot)));
          winners.push(count(claims, 'claimed'));
        }
        expect(winners.filter((n) => n !== 1)).toEqual([]);
      }),
    );
  });
}

const count = (claims: SlotClaim[], claim: SlotClaim): number => claims.filter((c) => c === claim).length;
