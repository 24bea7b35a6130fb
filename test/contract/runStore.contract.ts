/**
 * The RunStore contract: run state for the distributed pipeline. Every change is
 * conditional, so a re-delivered call reports "already done" instead of counting
 * twice; these tests repeat calls the way a re-delivered message would.
 *
 * Hook: `makeStore()` returns a store over empty storage.
 */
import { ZERO_COUNTERS, type RunCounters, type RunRecord, type RunStore } from '../../shared/ports/runs';
import { makeExtraction, makeLog, makePage, makeRun, unique } from './factories';
import { withFixture, type MakeFixture } from './fixture';

export function describeRunStoreContract(name: string, makeStore: MakeFixture<RunStore>): void {
  const withStore = (body: (store: RunStore) => Promise<void>) => () => withFixture(makeStore, body);

  /** A created run with two extractions. */
  async function started(store: RunStore, overrides: Partial<RunRecord> = {}): Promise<RunRecord> {
    const run = makeRun(overrides);
    await store.createRun(
      run,
      run.extractionIds.map((id) => makeExtraction(run, id)),
    );
    return run;
  }

  /** The run's counters and the extraction's are both exactly `counts`. */
  async function expectCounted(
    store: RunStore,
    runId: string,
    extractionId: string,
    counts: Partial<RunCounters>,
  ): Promise<void> {
    const expected = { ...ZERO_COUNTERS, ...counts };
    expect((await store.getRun(runId))?.counters).toEqual(expected);
    expect((await store.getExtraction(runId, extractionId))?.counters).toEqual(expected);
  }

  describe(`RunStore contract: ${name}`, () => {
    it(
      'reads back a created run, its config snapshot as the same text, and its extractions',
      withStore(async (store) => {
        const run = makeRun({ trigger: 'schedule', counters: { ...ZERO_COUNTERS, requests: 1 } });
        const deals = makeExtraction(run, 'ext-deals');
        const tickets = makeExtraction(run, 'ext-tickets', { previousLast: undefined });
        await store.createRun(run, [deals, tickets]);

        const stored = await store.getRun(run.runId);
        expect(stored).toEqual(run);
        expect(stored?.configJson).toBe(run.configJson);
        expect(await store.getExtraction(run.runId, 'ext-deals')).toEqual(deals);
        expect(JSON.stringify((await store.getExtraction(run.runId, 'ext-deals'))?.previousLast)).toBe(
          JSON.stringify(deals.previousLast),
        );
        expect((await store.getExtraction(run.runId, 'ext-tickets'))?.previousLast).toBeUndefined();
      }),
    );

    it(
      'returns undefined for a run, extraction or page that does not exist',
      withStore(async (store) => {
        const run = await started(store);
        expect(await store.getRun('no-such-run')).toBeUndefined();
        expect(await store.getExtraction(run.runId, 'no-such-extraction')).toBeUndefined();
        expect(await store.getPage(run.runId, 'ext-deals', 0)).toBeUndefined();
      }),
    );

    it(
      'keeps the stored run and its progress when createRun is repeated',
      withStore(async (store) => {
        const run = await started(store);
        await store.savePage(makePage(run, 'ext-deals', 0));
        await store.markPageDone(run.runId, 'ext-deals', 0);
        await store.createRun(
          { ...run, configName: 'changed' },
          run.extractionIds.map((id) => makeExtraction(run, id)),
        );
        expect((await store.getRun(run.runId))?.configName).toBe('Zoho');
        expect((await store.getExtraction(run.runId, 'ext-deals'))?.pagesDone).toBe(1);
      }),
    );

    it(
      'lists a config’s runs newest first, up to the limit',
      withStore(async (store) => {
        const configId = unique('config');
        const older = await started(store, { configId, createdAt: '2026-03-01T10:00:00.000Z' });
        const newest = await started(store, { configId, createdAt: '2026-03-03T10:00:00.000Z' });
        const middle = await started(store, { configId, createdAt: '2026-03-02T10:00:00.000Z' });
        await started(store, { configId: unique('other-config') });

        expect((await store.listRuns(configId, 10)).map((r) => r.runId)).toEqual([
          newest.runId,
          middle.runId,
          older.runId,
        ]);
        expect((await store.listRuns(configId, 2)).map((r) => r.runId)).toEqual([newest.runId, middle.runId]);
        expect(await store.listRuns(unique('unknown-config'), 10)).toEqual([]);
      }),
    );

    it(
      'lists every run newest first, filtered by config and status, a page at a time',
      withStore(async (store) => {
        const configId = unique('all-runs-config');
        // Far in the future and later at every execution, so no other run (of another test,
        // or of an earlier execution on the same store) comes before these in the unfiltered list.
        const base = 4e12 + Date.now();
        const at = (n: number) => new Date(base + n * 1000).toISOString();
        const first = await started(store, { configId, createdAt: at(1) });
        const second = await started(store, { configId, createdAt: at(2) });
        const third = await started(store, { configId, createdAt: at(3) });
        const other = await started(store, { configId: unique('other-config'), createdAt: at(4) });
        expect(await store.finishRun(second.runId, 'failed', 'why')).toBe(true);

        const ids = (page: { runs: Array<{ runId: string }> }) => page.runs.map((r) => r.runId);
        const byConfig = await store.listAllRuns({ configId, limit: 2 });
        expect(ids(byConfig)).toEqual([third.runId, second.runId]);
        expect(byConfig.next).toBeDefined();
        const rest = await store.listAllRuns({ configId, limit: 2, after: byConfig.next });
        expect(ids(rest)).toEqual([first.runId]);
        expect(rest.next).toBeUndefined();

        const everyone = await store.listAllRuns({ limit: 3 });
        expect(ids(everyone)).toEqual([other.runId, third.runId, second.runId]);
        const failed = await store.listAllRuns({ configId, status: 'failed', limit: 10 });
        expect(ids(failed)).toEqual([second.runId]);
        expect(failed.runs[0]!.error).toBe('why');
        const running = await store.listAllRuns({ configId, status: 'running', limit: 1 });
        expect(ids(running)).toEqual([third.runId]);
        expect(
          ids(await store.listAllRuns({ configId, status: 'running', limit: 1, after: running.next })),
        ).toEqual([first.runId]);
      }),
    );

    it(
      'lists running runs until they finish',
      withStore(async (store) => {
        const a = await started(store);
        const b = await started(store);
        const running = () =>
          store
            .listRunning()
            .then((runs) => runs.map((r) => r.runId).filter((id) => id === a.runId || id === b.runId));
        expect((await running()).sort()).toEqual([a.runId, b.runId].sort());
        expect(await store.finishRun(a.runId, 'succeeded')).toBe(true);
        expect(await running()).toEqual([b.runId]);
        expect(await store.finishRun(b.runId, 'failed', 'why')).toBe(true);
        expect(await running()).toEqual([]);
      }),
    );

    it(
      'saves a page, moves it forward only, and reports a stale save as false',
      withStore(async (store) => {
        const run = await started(store);
        const staged = makePage(run, 'ext-deals', 3);
        expect(await store.savePage(staged)).toBe(true);
        expect(await store.getPage(run.runId, 'ext-deals', 3)).toEqual(staged);
        expect(await store.savePage(staged)).toBe(false);

        const dispatched = {
          ...staged,
          state: 'dispatched' as const,
          chunks: 4,
          next: undefined,
          last: true,
        };
        expect(await store.savePage(dispatched)).toBe(true);
        expect(await store.getPage(run.runId, 'ext-deals', 3)).toEqual(dispatched);
        expect(await store.savePage(staged)).toBe(false);
        expect((await store.getPage(run.runId, 'ext-deals', 3))?.state).toBe('dispatched');
      }),
    );

    it(
      'keeps a chunk counted when its page is saved forward',
      withStore(async (store) => {
        const run = await started(store);
        await store.savePage(makePage(run, 'ext-deals', 0, { chunks: 3 }));
        expect(await store.countChunk(run.runId, 'ext-deals', 0, 1, { details: 2 })).toBe(true);
        expect(await store.savePage(makePage(run, 'ext-deals', 0, { state: 'dispatched', chunks: 3 }))).toBe(
          true,
        );
        expect(await store.countChunk(run.runId, 'ext-deals', 0, 1, { details: 2 })).toBe(false);
        await expectCounted(store, run.runId, 'ext-deals', { pages: 1, rows: 100, details: 2 });
      }),
    );

    it(
      'never moves a page backwards, nor counts it again',
      withStore(async (store) => {
        const run = await started(store);
        const page = makePage(run, 'ext-deals', 0, { rows: 5 });
        expect(await store.savePage(page)).toBe(true);
        expect((await store.markPageDone(run.runId, 'ext-deals', 0))?.pagesDone).toBe(1);
        expect(await store.savePage(page)).toBe(false);
        expect(await store.savePage({ ...page, state: 'dispatched', rows: 9 })).toBe(false);
        expect(await store.savePage({ ...page, state: 'done' })).toBe(false);
        expect(await store.markPageDone(run.runId, 'ext-deals', 0)).toBeUndefined();
        expect(await store.getPage(run.runId, 'ext-deals', 0)).toEqual({ ...page, state: 'done' });
        expect((await store.getExtraction(run.runId, 'ext-deals'))?.pagesDone).toBe(1);
        await expectCounted(store, run.runId, 'ext-deals', { pages: 1, rows: 5 });
      }),
    );

    it(
      'marks a page done once: the new count, then undefined on a repeat',
      withStore(async (store) => {
        const run = await started(store);
        await store.savePage(makePage(run, 'ext-deals', 0));
        await store.savePage(makePage(run, 'ext-deals', 1));

        expect((await store.markPageDone(run.runId, 'ext-deals', 0))?.pagesDone).toBe(1);
        expect(await store.markPageDone(run.runId, 'ext-deals', 0)).toBeUndefined();
        expect((await store.markPageDone(run.runId, 'ext-deals', 1))?.pagesDone).toBe(2);
        expect((await store.getPage(run.runId, 'ext-deals', 0))?.state).toBe('done');
        expect((await store.getExtraction(run.runId, 'ext-deals'))?.pagesDone).toBe(2);
        expect((await store.getExtraction(run.runId, 'ext-tickets'))?.pagesDone).toBe(0);
        expect(await store.savePage(makePage(run, 'ext-deals', 0, { state: 'dispatched' }))).toBe(false);
      }),
    );

    it(
      'counts every page once when pages are marked done concurrently, repeats included',
      withStore(async (store) => {
        const run = await started(store);
        const indexes = Array.from({ length: 8 }, (_, i) => i);
        for (const i of indexes) await store.savePage(makePage(run, 'ext-deals', i));
        const results = await Promise.all(
          [...indexes, 0, 3, 5].map((i) => store.markPageDone(run.runId, 'ext-deals', i)),
        );
        const counted = results.filter((r) => r !== undefined).map((r) => r.pagesDone);
        expect(counted).toHaveLength(8);
        expect(Math.max(...counted)).toBe(8);
        expect((await store.getExtraction(run.runId, 'ext-deals'))?.pagesDone).toBe(8);
      }),
    );

    it(
      'reports how many chunks of a page are counted, each once',
      withStore(async (store) => {
        const run = await started(store);
        expect(await store.countedChunks(run.runId, 'ext-deals', 2)).toBe(0);
        await store.savePage(makePage(run, 'ext-deals', 2, { state: 'dispatched', chunks: 3 }));
        expect(await store.countedChunks(run.runId, 'ext-deals', 2)).toBe(0);
        await store.countChunk(run.runId, 'ext-deals', 2, 2, { details: 1 });
        await store.countChunk(run.runId, 'ext-deals', 2, 0, { details: 1 });
        await store.countChunk(run.runId, 'ext-deals', 2, 2, { details: 1 });
        expect(await store.countedChunks(run.runId, 'ext-deals', 2)).toBe(2);
        await store.countChunk(run.runId, 'ext-deals', 2, 1, {});
        expect(await store.countedChunks(run.runId, 'ext-deals', 2)).toBe(3);
      }),
    );

    it(
      'counts a detail chunk once',
      withStore(async (store) => {
        const run = await started(store);
        await store.savePage(makePage(run, 'ext-deals', 2, { state: 'dispatched', chunks: 3 }));
        const one = { details: 1 };
        expect(await store.countChunk(run.runId, 'ext-deals', 2, 0, one)).toBe(true);
        expect(await store.countChunk(run.runId, 'ext-deals', 2, 2, one)).toBe(true);
        expect(await store.countChunk(run.runId, 'ext-deals', 2, 0, one)).toBe(false);
        expect(await store.countChunk(run.runId, 'ext-deals', 2, 2, one)).toBe(false);
        expect(await store.countChunk(run.runId, 'ext-deals', 2, 1, one)).toBe(true);
        expect(await store.countChunk(run.runId, 'ext-deals', 2, 1, {})).toBe(false);
        await expectCounted(store, run.runId, 'ext-deals', { details: 3 });
      }),
    );

    it(
      'counts a detail chunk once when it completes concurrently',
      withStore(async (store) => {
        const run = await started(store);
        await store.savePage(makePage(run, 'ext-deals', 0, { state: 'dispatched', chunks: 2 }));
        const results = await Promise.all(
          [0, 0, 1, 0, 1, 0].map((chunk) =>
            store.countChunk(run.runId, 'ext-deals', 0, chunk, { details: 10, warnings: 1 }),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(2);
        await expectCounted(store, run.runId, 'ext-deals', { details: 20, warnings: 2 });
      }),
    );

    it(
      'counts a page once when the same staged page is saved concurrently',
      withStore(async (store) => {
        const run = await started(store);
        const page = makePage(run, 'ext-deals', 0, { rows: 7 });
        const results = await Promise.all([page, page, page, page].map((p) => store.savePage(p)));
        expect(results.filter(Boolean)).toHaveLength(1);
        await expectCounted(store, run.runId, 'ext-deals', { pages: 1, rows: 7 });
      }),
    );

    it(
      'counts a page and its rows in the same write that creates it as staged, once',
      withStore(async (store) => {
        const run = await started(store);
        const page = makePage(run, 'ext-deals', 0, { rows: 40 });
        expect(await store.savePage(page)).toBe(true);
        expect(await store.savePage(page)).toBe(false);
        expect(await store.savePage({ ...page, state: 'dispatched' })).toBe(true);
        expect(await store.savePage(makePage(run, 'ext-deals', 1, { rows: 2 }))).toBe(true);
        // A page saved straight into a later state (never staged) is not counted.
        expect(await store.savePage(makePage(run, 'ext-tickets', 0, { state: 'dispatched', rows: 9 }))).toBe(
          true,
        );
        await expectCounted(store, run.runId, 'ext-deals', { pages: 2, rows: 42 });
      }),
    );

    it(
      'counts what a detail chunk staged once, with the chunk',
      withStore(async (store) => {
        const run = await started(store);
        await store.savePage(makePage(run, 'ext-deals', 2, { state: 'dispatched', chunks: 2 }));
        const counts = { details: 4, warnings: 1 };
        expect(await store.countChunk(run.runId, 'ext-deals', 2, 0, counts)).toBe(true);
        expect(await store.countChunk(run.runId, 'ext-deals', 2, 0, counts)).toBe(false);
        expect(await store.countChunk(run.runId, 'ext-deals', 2, 1, { details: 3 })).toBe(true);
        await expectCounted(store, run.runId, 'ext-deals', { details: 7, warnings: 1 });
        await expect(store.countChunk(run.runId, 'ext-deals', 9, 0, counts)).rejects.toThrow();
      }),
    );

    it(
      'records the end of pagination: the smallest index wins',
      withStore(async (store) => {
        const run = await started(store);
        expect((await store.setEnd(run.runId, 'ext-deals', 5)).endIndex).toBe(5);
        expect((await store.setEnd(run.runId, 'ext-deals', 3)).endIndex).toBe(3);
        const after = await store.setEnd(run.runId, 'ext-deals', 7);
        expect(after.endIndex).toBe(3);
        expect(after).toEqual(await store.getExtraction(run.runId, 'ext-deals'));
        expect((await store.getExtraction(run.runId, 'ext-tickets'))?.endIndex).toBeUndefined();
      }),
    );

    it(
      'records a failed page: the smallest index wins, with its error',
      withStore(async (store) => {
        const run = await started(store);
        expect((await store.recordPageFailure(run.runId, 'ext-deals', 4, 'HTTP 500')).failedPage).toEqual({
          index: 4,
          error: 'HTTP 500',
        });
        expect((await store.recordPageFailure(run.runId, 'ext-deals', 2, 'HTTP 404')).failedPage).toEqual({
          index: 2,
          error: 'HTTP 404',
        });
        expect((await store.recordPageFailure(run.runId, 'ext-deals', 3, 'HTTP 502')).failedPage).toEqual({
          index: 2,
          error: 'HTTP 404',
        });
      }),
    );

    it(
      'keeps the smallest end and the smallest failed page when they are recorded concurrently',
      withStore(async (store) => {
        const run = await started(store);
        const indexes = [7, 3, 9, 5, 4, 8];
        const ends = await Promise.all(indexes.map((i) => store.setEnd(run.runId, 'ext-deals', i)));
        ends.forEach((state, n) => expect(state.endIndex).toBeLessThanOrEqual(indexes[n]!));
        const failures = await Promise.all(
          indexes.map((i) => store.recordPageFailure(run.runId, 'ext-deals', i, `HTTP ${500 + i}`)),
        );
        failures.forEach((state, n) => expect(state.failedPage!.index).toBeLessThanOrEqual(indexes[n]!));
        const state = await store.getExtraction(run.runId, 'ext-deals');
        expect(state?.endIndex).toBe(3);
        expect(state?.failedPage).toEqual({ index: 3, error: 'HTTP 503' });
      }),
    );

    it(
      'counts the done pages below an index',
      withStore(async (store) => {
        const run = await started(store);
        for (const i of [0, 1, 2, 3, 11, 12]) await store.savePage(makePage(run, 'ext-deals', i));
        await store.savePage(makePage(run, 'ext-tickets', 0));
        for (const i of [0, 2, 3, 11]) await store.markPageDone(run.runId, 'ext-deals', i);
        await store.markPageDone(run.runId, 'ext-tickets', 0);

        expect(await store.countDonePagesBelow(run.runId, 'ext-deals', 0)).toBe(0);
        expect(await store.countDonePagesBelow(run.runId, 'ext-deals', 3)).toBe(2);
        expect(await store.countDonePagesBelow(run.runId, 'ext-deals', 11)).toBe(3);
        expect(await store.countDonePagesBelow(run.runId, 'ext-deals', 100)).toBe(4);
      }),
    );

    it(
      'moves an extraction between states only from an allowed state, keeping the log',
      withStore(async (store) => {
        const run = await started(store);
        expect(await store.transitionExtraction(run.runId, 'ext-deals', ['running'], 'finalizing')).toBe(
          true,
        );
        expect(await store.transitionExtraction(run.runId, 'ext-deals', ['running'], 'finalizing')).toBe(
          false,
        );
        expect(await store.transitionExtraction(run.runId, 'ext-deals', [], 'failed')).toBe(false);

        const log = makeLog({ run_id: run.runId, last: { z: 1, a: 2 } });
        expect(
          await store.transitionExtraction(
            run.runId,
            'ext-deals',
            ['running', 'finalizing'],
            'succeeded',
            log,
          ),
        ).toBe(true);
        const state = await store.getExtraction(run.runId, 'ext-deals');
        expect(state?.status).toBe('succeeded');
        expect(state?.log).toEqual(log);
        expect(JSON.stringify(state?.log)).toBe(JSON.stringify(log));
        expect(
          await store.transitionExtraction(run.runId, 'ext-deals', ['running', 'finalizing'], 'failed'),
        ).toBe(false);
        expect((await store.getExtraction(run.runId, 'ext-tickets'))?.status).toBe('running');
      }),
    );

    it(
      'moves an extraction once when the same transition is asked concurrently',
      withStore(async (store) => {
        const run = await started(store);
        const results = await Promise.all(
          Array.from({ length: 5 }, () =>
            store.transitionExtraction(run.runId, 'ext-deals', ['running'], 'finalizing'),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await store.getExtraction(run.runId, 'ext-deals'))?.status).toBe('finalizing');
      }),
    );

    it(
      'adds counters',
      withStore(async (store) => {
        const run = await started(store);
        await store.addCounters(run.runId, { rows: 10, pages: 1 });
        await store.addCounters(run.runId, { rows: 5, requests: 2, retries: 0 });
        await store.addCounters(run.runId, {});
        expect((await store.getRun(run.runId))?.counters).toEqual({
          ...ZERO_COUNTERS,
          rows: 15,
          pages: 1,
          requests: 2,
        });
      }),
    );

    it(
      'adds counters to an extraction as well as to its run',
      withStore(async (store) => {
        const run = await started(store);
        await store.addCounters(run.runId, { requests: 3, retries: 1 }, 'ext-deals');
        await store.addCounters(run.runId, { requests: 2 });
        await store.addCounters(run.runId, { requests: 4, pages: 1 }, 'ext-deals');
        expect((await store.getRun(run.runId))?.counters).toMatchObject({
          requests: 9,
          retries: 1,
          pages: 1,
        });
        expect((await store.getExtraction(run.runId, 'ext-deals'))?.counters).toEqual({
          ...ZERO_COUNTERS,
          requests: 7,
          retries: 1,
          pages: 1,
        });
      }),
    );

    it(
      'rejects page and extraction changes for records that do not exist, rather than reporting "already done"',
      withStore(async (store) => {
        const run = await started(store);
        await expect(store.markPageDone(run.runId, 'ext-deals', 9)).rejects.toThrow();
        await expect(store.countChunk(run.runId, 'ext-deals', 9, 0, {})).rejects.toThrow();
        await expect(store.savePage(makePage(run, 'no-such-extraction', 0))).rejects.toThrow();
        expect(await store.getPage(run.runId, 'no-such-extraction', 0)).toBeUndefined();
        await expect(store.setEnd(run.runId, 'no-such-extraction', 1)).rejects.toThrow();
        await expect(store.recordPageFailure(run.runId, 'no-such-extraction', 1, 'x')).rejects.toThrow();
        await expect(
          store.transitionExtraction(run.runId, 'no-such-extraction', ['running'], 'failed'),
        ).rejects.toThrow();
      }),
    );

    it(
      'does not finish, or count for, a run that does not exist',
      withStore(async (store) => {
        expect(await store.finishRun('no-such-run', 'succeeded')).toBe(false);
        await expect(store.addCounters('no-such-run', { rows: 1 })).resolves.toBeUndefined();
        expect(await store.getRun('no-such-run')).toBeUndefined();
      }),
    );

    it(
      'finishes a run once',
      withStore(async (store) => {
        const run = await started(store);
        expect(await store.finishRun(run.runId, 'failed', 'page 3 failed: HTTP 500')).toBe(true);
        expect(await store.finishRun(run.runId, 'succeeded')).toBe(false);
        const finished = await store.getRun(run.runId);
        expect(finished).toMatchObject({ status: 'failed', error: 'page 3 failed: HTTP 500' });
        expect(finished?.finishedAt).toEqual(expect.any(String));

        const other = await started(store);
        expect(await store.finishRun(other.runId, 'succeeded')).toBe(true);
        expect((await store.getRun(other.runId))?.error).toBeUndefined();
      }),
    );

    it(
      'finishes a run once when it is finished concurrently',
      withStore(async (store) => {
        const run = await started(store);
        const statuses = ['succeeded', 'failed', 'succeeded', 'failed'] as const;
        const results = await Promise.all(
          statuses.map((status) =>
            store.finishRun(run.runId, status, status === 'failed' ? 'why' : undefined),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = statuses[results.indexOf(true)];
        expect((await store.getRun(run.runId))?.status).toBe(winner);
      }),
    );
  });
}
