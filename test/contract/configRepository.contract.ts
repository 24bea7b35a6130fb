/**
 * The ConfigRepository contract: versions appended by conditional writes, the
 * document kept as the exact JSON text, history newest first.
 *
 * Hook: `make()` returns a repository over empty storage.
 */
import { ConfigConflictError, ConfigNotFoundError, type ConfigRepository } from '../../shared/ports/configs';
import { type MakeFixture, withFixture } from './fixture';

// Key order, unicode and references must come back byte for byte.
const DOC_V1 =
  '{"id":"c1","name":"Zoho","extractions":[{"id":"e1","name":"deals","data_schema":{"z":"z","a":"a","ñ":"ñ"}}],"auth":{"access_token":"${secret::t}"}}';
const DOC_V2 =
  '{"id":"c1","name":"Zoho v2","extractions":[{"id":"e1","name":"deals","data_schema":{"a":"a","z":"z"}}]}';

const T1 = '2026-03-01T10:00:00.000Z';
const T2 = '2026-03-01T11:00:00.000Z';
const T3 = '2026-03-01T12:00:00.000Z';

export function describeConfigRepositoryContract(name: string, make: MakeFixture<ConfigRepository>): void {
  const withRepo = (body: (repo: ConfigRepository) => Promise<void>) => () => withFixture(make, body);

  describe(`ConfigRepository contract: ${name}`, () => {
    it(
      'creates version 1 and reads back the exact JSON text',
      withRepo(async (repo) => {
        const created = await repo.create({ configId: 'c1', json: DOC_V1, at: T1, by: 'ana' });
        const expected = {
          configId: 'c1',
          version: 1,
          json: DOC_V1,
          createdAt: T1,
          updatedAt: T1,
          updatedBy: 'ana',
          deleted: false,
        };
        expect(created).toEqual(expected);
        expect(await repo.get('c1')).toEqual(expected);
        expect(await repo.list()).toEqual([expected]);
      }),
    );

    it(
      'refuses a second create with the same id',
      withRepo(async (repo) => {
        await repo.create({ configId: 'c1', json: DOC_V1, at: T1, by: 'ana' });
        await expect(
          repo.create({ configId: 'c1', json: DOC_V2, at: T2, by: 'bruno' }),
        ).rejects.toBeInstanceOf(ConfigConflictError);
        expect((await repo.get('c1'))!.json).toBe(DOC_V1);
      }),
    );

    it(
      'updates from the current version; creation time stays, the author changes',
      withRepo(async (repo) => {
        await repo.create({ configId: 'c1', json: DOC_V1, at: T1, by: 'ana' });
        const updated = await repo.update({
          configId: 'c1',
          expectedVersion: 1,
          json: DOC_V2,
          at: T2,
          by: 'bruno',
        });
        expect(updated).toEqual({
          configId: 'c1',
          version: 2,
          json: DOC_V2,
          createdAt: T1,
          updatedAt: T2,
          updatedBy: 'bruno',
          deleted: false,
        });
        expect(await repo.get('c1')).toEqual(updated);
      }),
    );

    it(
      'refuses an update from a stale version, writing nothing',
      withRepo(async (repo) => {
        await repo.create({ configId: 'c1', json: DOC_V1, at: T1, by: 'ana' });
        await repo.update({ configId: 'c1', expectedVersion: 1, json: DOC_V2, at: T2, by: 'bruno' });
        await expect(
          repo.update({ configId: 'c1', expectedVersion: 1, json: DOC_V1, at: T3, by: 'ana' }),
        ).rejects.toBeInstanceOf(ConfigConflictError);
        expect((await repo.history('c1')).map((v) => v.version)).toEqual([2, 1]);
      }),
    );

    it(
      'lets exactly one of two concurrent updates from the same version win',
      withRepo(async (repo) => {
        await repo.create({ configId: 'c1', json: DOC_V1, at: T1, by: 'ana' });
        const outcomes = await Promise.allSettled([
          repo.update({ configId: 'c1', expectedVersion: 1, json: DOC_V2, at: T2, by: 'ana' }),
          repo.update({ configId: 'c1', expectedVersion: 1, json: DOC_V2, at: T2, by: 'bruno' }),
        ]);
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const rejected = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
        expect(rejected.reason).toBeInstanceOf(ConfigConflictError);
        expect(await repo.history('c1')).toHaveLength(2);
      }),
    );

    it(
      'says not found when updating or deleting a config that does not exist',
      withRepo(async (repo) => {
        await expect(
          repo.update({ configId: 'nope', expectedVersion: 1, json: DOC_V1, at: T1, by: 'ana' }),
        ).rejects.toBeInstanceOf(ConfigNotFoundError);
        await expect(
          repo.delete({ configId: 'nope', expectedVersion: 1, at: T1, by: 'ana' }),
        ).rejects.toBeInstanceOf(ConfigNotFoundError);
        expect(await repo.get('nope')).toBeUndefined();
        expect(await repo.history('nope')).toEqual([]);
      }),
    );

    it(
      'deletes by recording a deletion version that keeps the last document',
      withRepo(async (repo) => {
        await repo.create({ configId: 'c1', json: DOC_V1, at: T1, by: 'ana' });
        await repo.update({ configId: 'c1', expectedVersion: 1, json: DOC_V2, at: T2, by: 'bruno' });
        const deleted = await repo.delete({ configId: 'c1', expectedVersion: 2, at: T3, by: 'ana' });
        expect(deleted).toEqual({
          configId: 'c1',
          version: 3,
          json: DOC_V2,
          createdAt: T1,
          updatedAt: T3,
          updatedBy: 'ana',
          deleted: true,
        });
        expect(await repo.get('c1')).toBeUndefined();
        expect(await repo.list()).toEqual([]);
        expect((await repo.history('c1')).map((v) => [v.version, v.updatedBy, v.deleted])).toEqual([
          [3, 'ana', true],
          [2, 'bruno', false],
          [1, 'ana', false],
        ]);
        await expect(
          repo.update({ configId: 'c1', expectedVersion: 3, json: DOC_V1, at: T3, by: 'ana' }),
        ).rejects.toBeInstanceOf(ConfigNotFoundError);
        await expect(
          repo.delete({ configId: 'c1', expectedVersion: 3, at: T3, by: 'ana' }),
        ).rejects.toBeInstanceOf(ConfigNotFoundError);
      }),
    );

    it(
      'lists live configs, oldest created first, each at its current version',
      withRepo(async (repo) => {
        await repo.create({ configId: 'b', json: '{"name":"b"}', at: T2, by: 'ana' });
        await repo.create({ configId: 'a', json: '{"name":"a"}', at: T1, by: 'ana' });
        await repo.create({ configId: 'gone', json: '{"name":"gone"}', at: T1, by: 'ana' });
        await repo.update({ configId: 'b', expectedVersion: 1, json: '{"name":"b2"}', at: T3, by: 'bruno' });
        await repo.delete({ configId: 'gone', expectedVersion: 1, at: T3, by: 'ana' });
        expect((await repo.list()).map((v) => [v.configId, v.version, v.json])).toEqual([
          ['a', 1, '{"name":"a"}'],
          ['b', 2, '{"name":"b2"}'],
        ]);
      }),
    );
  });
}
