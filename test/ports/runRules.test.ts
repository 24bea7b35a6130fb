/**
 * The run store's rules on their own: the pure functions, and what RuleBasedRunStore
 * asks of an adapter's primitives (a stub that records each write and answers with a
 * scripted outcome). The adapters' behaviour is the RunStore contract's business.
 */
import type { ExecutionLog } from '../../shared/ports/executionLog';
import {
  addCounters,
  counterChanges,
  countsOfNewPage,
  PAGE_STATES,
  RuleBasedRunStore,
  statesBefore,
  type CounterChanges,
  type RunFinish,
  type SmallestChange,
  type WriteOutcome,
} from '../../shared/ports/runRules';
import {
  ZERO_COUNTERS,
  type ExtractionRunState,
  type ExtractionStatus,
  type PageRecord,
  type PageState,
  type RunRecord,
  type RunStatus,
} from '../../shared/ports/runs';
import { makeExtraction, makePage, makeRun } from '../contract/factories';

describe('page states', () => {
  test('move forward only: staged, dispatched, done', () => {
    expect(PAGE_STATES).toEqual(['staged', 'dispatched', 'done']);
    expect(statesBefore('staged')).toEqual([]);
    expect(statesBefore('dispatched')).toEqual(['staged']);
    expect(statesBefore('done')).toEqual(['staged', 'dispatched']);
  });
});

describe('counters', () => {
  test('a change keeps only the non-zero counters, in a fixed order', () => {
    expect(counterChanges({ warnings: 2, rows: 0, pages: 1, details: undefined, requests: -1 })).toEqual([
      ['pages', 1],
      ['requests', -1],
      ['warnings', 2],
    ]);
    expect(counterChanges({})).toEqual([]);
  });

  test('a new staged page counts one page and its rows; a page first saved later counts nothing', () => {
    expect(countsOfNewPage({ state: 'staged', rows: 40 })).toEqual([
      ['pages', 1],
      ['rows', 40],
    ]);
    expect(countsOfNewPage({ state: 'staged', rows: 0 })).toEqual([['pages', 1]]);
    expect(countsOfNewPage({ state: 'dispatched', rows: 40 })).toEqual([]);
    expect(countsOfNewPage({ state: 'done', rows: 40 })).toEqual([]);
  });

  test('adding starts from zero when there are no counters yet, and leaves the input alone', () => {
    expect(addCounters(undefined, [['rows', 3]])).toEqual({ ...ZERO_COUNTERS, rows: 3 });
    const counters = { ...ZERO_COUNTERS, rows: 3, details: 1 };
    expect(
      addCounters(counters, [
        ['rows', 2],
        ['details', 4],
      ]),
    ).toEqual({ ...ZERO_COUNTERS, rows: 5, details: 5 });
    expect(counters).toEqual({ ...ZERO_COUNTERS, rows: 3, details: 1 });
  });
});

class NotFound extends Error {}

/** Records every primitive write and answers `outcome`; reads come from `extractions`. */
class ScriptedRunStore extends RuleBasedRunStore {
  writes: Array<[string, ...unknown[]]> = [];
  outcome: WriteOutcome = 'written';
  extractions = new Map<string, ExtractionRunState>();

  constructor() {
    super({ now: () => new Date('2026-03-01T10:00:00.000Z') });
  }

  async createRun(): Promise<void> {}
  async getRun(): Promise<RunRecord | undefined> {
    return undefined;
  }
  async listRuns(): Promise<RunRecord[]> {
    return [];
  }
  async listAllRuns(): Promise<{ runs: RunRecord[] }> {
    return { runs: [] };
  }
  async listRunning(): Promise<RunRecord[]> {
    return [];
  }
  async getExtraction(_runId: string, extractionId: string): Promise<ExtractionRunState | undefined> {
    return this.extractions.get(extractionId);
  }
  async getPage(): Promise<PageRecord | undefined> {
    return undefined;
  }
  async countDonePagesBelow(): Promise<number> {
    return 0;
  }
  async countedChunks(): Promise<number> {
    return 0;
  }
  protected async writePage(page: PageRecord, from: readonly PageState[], counts: CounterChanges) {
    this.writes.push(['writePage', page.state, from, counts]);
    return this.outcome;
  }
  protected async writePageDone(_r: string, _e: string, index: number, from: readonly PageState[]) {
    this.writes.push(['writePageDone', index, from]);
    return this.outcome;
  }
  protected async writeChunkCounted(
    _r: string,
    _e: string,
    index: number,
    chunk: number,
    counts: CounterChanges,
  ) {
    this.writes.push(['writeChunkCounted', index, chunk, counts]);
    return this.outcome;
  }
  protected async writeSmallest(_r: string, _e: string, change: SmallestChange) {
    this.writes.push(['writeSmallest', change]);
  }
  protected async writeExtractionStatus(
    _r: string,
    _e: string,
    from: readonly ExtractionStatus[],
    to: ExtractionStatus,
    log: ExecutionLog | undefined,
  ) {
    this.writes.push(['writeExtractionStatus', from, to, log]);
    return this.outcome;
  }
  protected async writeRunFinish(_r: string, from: readonly RunStatus[], finish: RunFinish) {
    this.writes.push(['writeRunFinish', from, finish]);
    return this.outcome === 'written';
  }
  protected async writeCounters(_r: string, changes: CounterChanges, extractionId?: string) {
    this.writes.push(['writeCounters', changes, extractionId]);
  }
  protected override missingRecord(message: string): Error {
    return new NotFound(message);
  }
}

describe('RuleBasedRunStore', () => {
  const run = makeRun();
  let store: ScriptedRunStore;
  beforeEach(() => {
    store = new ScriptedRunStore();
    store.extractions.set('ext-deals', makeExtraction(run, 'ext-deals', { pagesDone: 4 }));
  });

  test('a staged page is only created, and counted with its creation; a later state moves it forward, counting nothing', async () => {
    expect(await store.savePage(makePage(run, 'ext-deals', 0, { rows: 9 }))).toBe(true);
    expect(await store.savePage(makePage(run, 'ext-deals', 0, { state: 'dispatched' }))).toBe(true);
    expect(store.writes).toEqual([
      [
        'writePage',
        'staged',
        [],
        [
          ['pages', 1],
          ['rows', 9],
        ],
      ],
      ['writePage', 'dispatched', ['staged'], []],
    ]);
  });

  test('the requests that fetched a page are counted in the write that stages it, and only by that write', async () => {
    expect(
      await store.savePage(makePage(run, 'ext-deals', 0, { rows: 9 }), { requests: 2, retries: 1 }),
    ).toBe(true);
    expect(
      await store.savePage(makePage(run, 'ext-deals', 0, { state: 'dispatched' }), { requests: 5 }),
    ).toBe(true);
    expect(store.writes).toEqual([
      [
        'writePage',
        'staged',
        [],
        [
          ['pages', 1],
          ['rows', 9],
          ['requests', 2],
          ['retries', 1],
        ],
      ],
      ['writePage', 'dispatched', ['staged'], []],
    ]);
  });

  test('a refused write is "already done"; a missing record is the adapter’s error, never "already done"', async () => {
    store.outcome = 'refused';
    expect(await store.savePage(makePage(run, 'ext-deals', 0))).toBe(false);
    expect(await store.markPageDone(run.runId, 'ext-deals', 0)).toBeUndefined();
    expect(await store.countChunk(run.runId, 'ext-deals', 0, 1, { details: 2 })).toBe(false);
    expect(await store.transitionExtraction(run.runId, 'ext-deals', ['running'], 'failed')).toBe(false);
    expect(await store.finishRun(run.runId, 'succeeded')).toBe(false);

    store.outcome = 'missing';
    await expect(store.savePage(makePage(run, 'ext-deals', 3))).rejects.toThrow(
      new NotFound(`the run or extraction of page 3 of ext-deals in run ${run.runId} does not exist`),
    );
    await expect(store.markPageDone(run.runId, 'ext-deals', 3)).rejects.toThrow(
      new NotFound(`page 3 of ext-deals in run ${run.runId} does not exist`),
    );
    await expect(store.countChunk(run.runId, 'ext-deals', 3, 0, {})).rejects.toThrow(NotFound);
    await expect(store.transitionExtraction(run.runId, 'ext-deals', ['running'], 'failed')).rejects.toThrow(
      NotFound,
    );
    // A run that does not exist is simply not finished.
    expect(await store.finishRun(run.runId, 'succeeded')).toBe(false);
  });

  test('a page is marked done only from an earlier state, and the count after is read back', async () => {
    expect((await store.markPageDone(run.runId, 'ext-deals', 2))?.pagesDone).toBe(4);
    expect(store.writes).toEqual([['writePageDone', 2, ['staged', 'dispatched']]]);
  });

  test('a chunk is counted with its non-zero counts', async () => {
    expect(await store.countChunk(run.runId, 'ext-deals', 2, 1, { details: 3, warnings: 0 })).toBe(true);
    expect(store.writes).toEqual([['writeChunkCounted', 2, 1, [['details', 3]]]]);
  });

  test('the end and the failed page go through the smallest-wins write, and return the state after', async () => {
    expect(await store.setEnd(run.runId, 'ext-deals', 5)).toEqual(store.extractions.get('ext-deals'));
    await store.recordPageFailure(run.runId, 'ext-deals', 2, 'HTTP 500');
    expect(store.writes).toEqual([
      ['writeSmallest', { field: 'endIndex', index: 5 }],
      ['writeSmallest', { field: 'failedPage', index: 2, error: 'HTTP 500' }],
    ]);
    await expect(store.setEnd(run.runId, 'no-such-extraction', 1)).rejects.toThrow(
      new NotFound(`extraction no-such-extraction of run ${run.runId} does not exist`),
    );
  });

  test('a transition from no state writes nothing; counters of zero write nothing', async () => {
    expect(await store.transitionExtraction(run.runId, 'ext-deals', [], 'failed')).toBe(false);
    await store.addCounters(run.runId, { rows: 0 }, 'ext-deals');
    expect(store.writes).toEqual([]);
    await store.addCounters(run.runId, { rows: 2, retries: 0 }, 'ext-deals');
    expect(store.writes).toEqual([['writeCounters', [['rows', 2]], 'ext-deals']]);
  });

  test('a run finishes only from running, stamped by the clock, with its error when there is one', async () => {
    expect(await store.finishRun(run.runId, 'failed', 'page 3 failed')).toBe(true);
    expect(await store.finishRun(run.runId, 'succeeded')).toBe(true);
    expect(store.writes).toEqual([
      [
        'writeRunFinish',
        ['running'],
        { status: 'failed', error: 'page 3 failed', at: '2026-03-01T10:00:00.000Z' },
      ],
      ['writeRunFinish', ['running'], { status: 'succeeded', at: '2026-03-01T10:00:00.000Z' }],
    ]);
  });
});
