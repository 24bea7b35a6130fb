/**
 * The ExecutionLogStore contract: execution logs by extraction, newest first; a
 * log written again for the same (extraction_id, run_id) replaces the first.
 *
 * Hook: `makeStore()` returns a store over empty storage.
 */
import type { ExecutionLogStore } from '../../shared/ports/executionLog';
import { withFixture, type MakeFixture } from './fixture';
import { makeLog } from './factories';

export function describeExecutionLogStoreContract(
  name: string,
  makeStore: MakeFixture<ExecutionLogStore>,
): void {
  const withStore = (body: (store: ExecutionLogStore) => Promise<void>) => () => withFixture(makeStore, body);

  describe(`ExecutionLogStore contract: ${name}`, () => {
    it(
      'lists nothing for an extraction that never ran',
      withStore(async (store) => {
        expect(await store.list('ext-none')).toEqual([]);
      }),
    );

    it(
      'lists an extraction’s logs newest first, and only its own',
      withStore(async (store) => {
        const first = makeLog({ run_id: 'run-a', created_at: '2026-03-01 10:00:00.000000' });
        const third = makeLog({ run_id: 'run-c', created_at: '2026-03-03 10:00:00.000000' });
        const second = makeLog({
          run_id: 'run-b',
          created_at: '2026-03-02 10:00:00.000000',
          success: 'false',
          error: 'HTTP 500',
        });
        const other = makeLog({ extraction_id: 'ext-other', run_id: 'run-x' });
        for (const log of [first, third, second, other]) await store.append(log);

        expect(await store.list('ext-deals')).toEqual([third, second, first]);
        expect(await store.list('ext-other')).toEqual([other]);
      }),
    );

    it(
      'keeps the log’s fields and key order',
      withStore(async (store) => {
        const log = makeLog({
          last: { z: 1, a: { d: 2, c: 3 } },
          warning_messages: ['w1', 'w2'],
          warnings: 2,
        });
        await store.append(log);
        const [read] = await store.list('ext-deals');
        expect(JSON.stringify(read)).toBe(JSON.stringify(log));
      }),
    );

    it(
      'replaces a log written again for the same run',
      withStore(async (store) => {
        await store.append(makeLog({ run_id: 'run-a', data_inserted_len: '1' }));
        await store.append(makeLog({ run_id: 'run-a', data_inserted_len: '2' }));
        const logs = await store.list('ext-deals');
        expect(logs).toHaveLength(1);
        expect(logs[0]?.data_inserted_len).toBe('2');
      }),
    );
  });
}
