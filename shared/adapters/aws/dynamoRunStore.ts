/**
 * RunStore on one DynamoDB table. Every state change is a conditional write, so a
 * re-delivered message repeats a call and is told "already done" instead of
 * counting twice.
 *
 * Table design (string keys `pk`, `sk`; ids are URI-encoded inside keys):
 *
 * | pk                          | sk                         | item                                    |
 * |-----------------------------|----------------------------|-----------------------------------------|
 * | `RUN#{runId}`               | `META`                     | the run: status, counters, configJson   |
 * | `RUN#{runId}`               | `EXT#{extractionId}`       | an extraction's state                   |
 * | `RUN#{runId}#EXT#{extId}`   | `PAGE#{index, 10 digits}`  | a page; zero-padded so `sk <` is a range |
 * | `CONFIG#{configId}`         | `RUN#{createdAt}#{runId}`  | listRuns index entry, newest last       |
 *
 * `listRuns` queries the CONFIG# partition backwards and reads the runs with a
 * consistent BatchGetItem: no GSI, so a run is listed as soon as `createRun`
 * returns (a GSI is only eventually consistent). Pages get their own partition
 * per extraction, which spreads a long run's page writes across partitions and
 * makes `countDonePagesBelow` one range query.
 *
 * The config snapshot, `previousLast`, `next` and the execution log are stored as
 * JSON strings: a DynamoDB map does not keep key order, and the snapshot must.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  paginateQuery,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { ExecutionLog } from '../../ports/executionLog';
import { systemClock, type Clock } from '../../ports/logger';
import type {
  ExtractionRunState,
  ExtractionStatus,
  PageCursorData,
  PageRecord,
  PageState,
  RunCounters,
  RunRecord,
  RunStatus,
  RunStore,
} from '../../ports/runs';
import {
  cancelledConditions,
  Expression,
  isConditionFailure,
  keyPart,
  retryingConflicts,
} from './dynamoSupport';
import { RunRecordNotFoundError, RunStoreError } from './errors';

const COUNTER_NAMES = [
  'pages',
  'rows',
  'requests',
  'retries',
  'details',
  'warnings',
] as const satisfies readonly (keyof RunCounters)[];
const counterAttribute = (name: keyof RunCounters): string => `counter_${name}`;

/** Pages only move forward: staged -> dispatched -> done. */
const STATE_RANK: Record<PageState, number> = { staged: 0, dispatched: 1, done: 2 };
const PAGE_INDEX_DIGITS = 10;
/** BatchGetItem reads at most this many keys per call. */
const BATCH_GET_LIMIT = 100;

type Key = {
  pk: string;
  sk: string;
};

const runKey = (runId: string): Key => ({ pk: `RUN#${keyPart(runId)}`, sk: 'META' });
const extractionKey = (runId: string, extractionId: string): Key => ({
  pk: `RUN#${keyPart(runId)}`,
  sk: `EXT#${keyPart(extractionId)}`,
});
const pagePartition = (runId: string, extractionId: string): string =>
  `RUN#${keyPart(runId)}#EXT#${keyPart(extractionId)}`;
const pageSort = (index: number): string => `PAGE#${String(index).padStart(PAGE_INDEX_DIGITS, '0')}`;
const pageKey = (runId: string, extractionId: string, index: number): Key => ({
  pk: pagePartition(runId, extractionId),
  sk: pageSort(index),
});
const listEntryKey = (run: Pick<RunRecord, 'configId' | 'createdAt' | 'runId'>): Key => ({
  pk: `CONFIG#${keyPart(run.configId)}`,
  sk: `RUN#${run.createdAt}#${keyPart(run.runId)}`,
});

/** A sparse list of running runs: written with the run, removed when it finishes. */
const activeEntryKey = (runId: string): Key => ({ pk: 'ACTIVE_RUNS', sk: `RUN#${keyPart(runId)}` });

type RunItem = Key & {
  runId: string;
  configId: string;
  configName: string;
  trigger: RunRecord['trigger'];
  status: RunStatus;
  error?: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  configJson: string;
  extractionIds: string[];
  counter_pages: number;
  counter_rows: number;
  counter_requests: number;
  counter_retries: number;
  counter_details: number;
  counter_warnings: number;
};

type ExtractionItem = Key & {
  runId: string;
  extractionId: string;
  status: ExtractionStatus;
  endIndex?: number;
  pagesDone: number;
  failedIndex?: number;
  failedError?: string;
  previousLastJson?: string;
  logJson?: string;
} & Partial<Record<string, unknown>>;

type PageItem = Key & {
  runId: string;
  extractionId: string;
  pageIndex: number;
  state: PageState;
  stateRank: number;
  last: boolean;
  nextJson?: string;
  rows: number;
  chunks: number;
  chunksDone: number;
};

const toJson = (value: unknown): string | undefined =>
  value === undefined ? undefined : JSON.stringify(value);
const fromJson = (text: string | undefined): unknown => (text === undefined ? undefined : JSON.parse(text));

function runFromItem(item: RunItem): RunRecord {
  const counters = Object.fromEntries(
    COUNTER_NAMES.map((name) => [name, Number(item[counterAttribute(name) as keyof RunItem] ?? 0)]),
  ) as unknown as RunCounters;
  return {
    runId: item.runId,
    configId: item.configId,
    configName: item.configName,
    trigger: item.trigger,
    status: item.status,
    ...(item.error !== undefined ? { error: item.error } : {}),
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    ...(item.finishedAt !== undefined ? { finishedAt: item.finishedAt } : {}),
    configJson: item.configJson,
    extractionIds: item.extractionIds ?? [],
    counters,
  };
}

function extractionFromItem(item: ExtractionItem): ExtractionRunState {
  return {
    runId: item.runId,
    extractionId: item.extractionId,
    status: item.status,
    ...(item.endIndex !== undefined ? { endIndex: Number(item.endIndex) } : {}),
    pagesDone: Number(item.pagesDone ?? 0),
    ...(item.failedIndex !== undefined
      ? { failedPage: { index: Number(item.failedIndex), error: item.failedError ?? '' } }
      : {}),
    previousLast: fromJson(item.previousLastJson),
    ...(item.logJson !== undefined ? { log: fromJson(item.logJson) as ExecutionLog } : {}),
    ...(COUNTER_NAMES.some((name) => item[counterAttribute(name)] !== undefined)
      ? {
          counters: Object.fromEntries(
            COUNTER_NAMES.map((name) => [name, Number(item[counterAttribute(name)] ?? 0)]),
          ) as unknown as RunCounters,
        }
      : {}),
  };
}

function pageFromItem(item: PageItem): PageRecord {
  return {
    runId: item.runId,
    extractionId: item.extractionId,
    index: Number(item.pageIndex),
    state: item.state,
    last: item.last,
    ...(item.nextJson !== undefined ? { next: fromJson(item.nextJson) as PageCursorData } : {}),
    rows: Number(item.rows),
    chunks: Number(item.chunks),
    chunksDone: Number(item.chunksDone ?? 0),
  };
}

export interface DynamoRunStoreOptions {
  /** Stamps `updatedAt` and `finishedAt`. */
  clock?: Clock;
}

/**
 * @example
 * const runs = new DynamoRunStore(clients.documents, settings.names.tables.runs);
 * const done = await runs.markPageDone(runId, extractionId, 3); // undefined on a re-delivery
 */
export class DynamoRunStore implements RunStore {
  private readonly clock: Clock;

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly table: string,
    options: DynamoRunStoreOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** Idempotent: creating a run that exists keeps the stored one (and any progress on it). */
  async createRun(run: RunRecord, extractions: ExtractionRunState[]): Promise<void> {
    // The extractions first, each only if absent, so a retried createRun never resets
    // progress; the run item last, so a listed run always has its extractions.
    for (const extraction of extractions) {
      const item: ExtractionItem = {
        ...extractionKey(run.runId, extraction.extractionId),
        runId: run.runId,
        extractionId: extraction.extractionId,
        status: extraction.status,
        ...(extraction.endIndex !== undefined ? { endIndex: extraction.endIndex } : {}),
        pagesDone: extraction.pagesDone,
        ...(extraction.failedPage
          ? { failedIndex: extraction.failedPage.index, failedError: extraction.failedPage.error }
          : {}),
        previousLastJson: toJson(extraction.previousLast),
        logJson: toJson(extraction.log),
      };
      await this.putIfAbsent(item, `create extraction ${extraction.extractionId} of run ${run.runId}`);
    }
    const counters = Object.fromEntries(
      COUNTER_NAMES.map((name) => [counterAttribute(name), run.counters[name] ?? 0]),
    );
    const runItem = {
      ...runKey(run.runId),
      runId: run.runId,
      configId: run.configId,
      configName: run.configName,
      trigger: run.trigger,
      status: run.status,
      error: run.error,
      createdAt: run.createdAt,
      updatedAt: run.updatedAt,
      finishedAt: run.finishedAt,
      configJson: run.configJson,
      extractionIds: run.extractionIds,
      ...counters,
    };
    const listEntry = { ...listEntryKey(run), runId: run.runId };
    const activeEntry = { ...activeEntryKey(run.runId), runId: run.runId };
    try {
      await this.documents.send(
        new TransactWriteCommand({
          TransactItems: (run.status === 'running'
            ? [runItem, listEntry, activeEntry]
            : [runItem, listEntry]
          ).map((Item) => ({
            Put: { TableName: this.table, Item, ConditionExpression: 'attribute_not_exists(pk)' },
          })),
        }),
      );
    } catch (err) {
      if (cancelledConditions(err)?.some(Boolean)) return;
      throw new RunStoreError(`cannot create run ${run.runId}`, { cause: err });
    }
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const item = await this.getItem<RunItem>(runKey(runId), `read run ${runId}`);
    return item && runFromItem(item);
  }

  async listRuns(configId: string, limit: number): Promise<RunRecord[]> {
    if (limit <= 0) return [];
    let runIds: string[];
    try {
      const response = await this.documents.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `CONFIG#${keyPart(configId)}` },
          ScanIndexForward: false,
          Limit: limit,
          ConsistentRead: true,
        }),
      );
      runIds = (response.Items ?? []).map((item) => String(item.runId));
    } catch (err) {
      throw new RunStoreError(`cannot list runs of config ${configId}`, { cause: err });
    }
    const runs = new Map<string, RunRecord>();
    for (let start = 0; start < runIds.length; start += BATCH_GET_LIMIT) {
      for (const item of await this.batchGet<RunItem>(
        runIds.slice(start, start + BATCH_GET_LIMIT).map(runKey),
      )) {
        runs.set(item.runId, runFromItem(item));
      }
    }
    return runIds.flatMap((id) => runs.get(id) ?? []);
  }

  async listRunning(): Promise<RunRecord[]> {
    const runIds: string[] = [];
    try {
      for await (const page of paginateQuery(
        { client: this.documents },
        {
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'ACTIVE_RUNS' },
          ConsistentRead: true,
        },
      )) {
        for (const item of page.Items ?? []) runIds.push(String(item.runId));
      }
    } catch (err) {
      throw new RunStoreError('cannot list running runs', { cause: err });
    }
    const running: RunRecord[] = [];
    for (let start = 0; start < runIds.length; start += BATCH_GET_LIMIT) {
      for (const item of await this.batchGet<RunItem>(
        runIds.slice(start, start + BATCH_GET_LIMIT).map(runKey),
      )) {
        const run = runFromItem(item);
        // An entry whose clean-up was interrupted still points at a finished run.
        if (run.status === 'running') running.push(run);
      }
    }
    return running;
  }

  async getExtraction(runId: string, extractionId: string): Promise<ExtractionRunState | undefined> {
    const item = await this.getItem<ExtractionItem>(
      extractionKey(runId, extractionId),
      `read extraction ${extractionId} of run ${runId}`,
    );
    return item && extractionFromItem(item);
  }

  async getPage(runId: string, extractionId: string, index: number): Promise<PageRecord | undefined> {
    const item = await this.getItem<PageItem>(
      pageKey(runId, extractionId, index),
      `read page ${index} of ${extractionId}`,
    );
    return item && pageFromItem(item);
  }

  async savePage(page: PageRecord): Promise<boolean> {
    const e = new Expression();
    const rank = e.value(STATE_RANK[page.state]);
    const fields: Record<string, unknown> = {
      runId: page.runId,
      extractionId: page.extractionId,
      pageIndex: page.index,
      state: page.state,
      last: page.last,
      rows: page.rows,
      chunks: page.chunks,
    };
    const sets = Object.entries(fields).map(([name, value]) => `${e.name(name)} = ${e.value(value)}`);
    sets.push(`${e.name('stateRank')} = ${rank}`);
    // Detail chunks may complete before the page is saved as dispatched: a forward
    // move keeps the stored count instead of resetting it.
    sets.push(
      `${e.name('chunksDone')} = if_not_exists(${e.name('chunksDone')}, ${e.value(page.chunksDone)})`,
    );
    let update = `SET ${sets.join(', ')}`;
    if (page.next !== undefined) update += `, ${e.name('nextJson')} = ${e.value(JSON.stringify(page.next))}`;
    else update += ` REMOVE ${e.name('nextJson')}`;
    if (page.state === 'staged') return this.createPage(page, update, e);
    try {
      await retryingConflicts(() =>
        this.documents.send(
          new UpdateCommand({
            TableName: this.table,
            Key: pageKey(page.runId, page.extractionId, page.index),
            UpdateExpression: update,
            ConditionExpression: `attribute_not_exists(pk) OR ${e.name('stateRank')} < ${rank}`,
            ...e.attributes(),
          }),
        ),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw new RunStoreError(`cannot save page ${page.index} of ${page.extractionId} in run ${page.runId}`, {
        cause: err,
      });
    }
  }

  /**
   * A new page and its count (`pages` + 1, `rows` + its rows on the run and the
   * extraction) in one transaction: a crash cannot leave a page uncounted, and a
   * re-delivered task that finds the page never counts it again.
   */
  private async createPage(page: PageRecord, update: string, e: Expression): Promise<boolean> {
    const transaction = {
      TransactItems: [
        {
          Update: {
            TableName: this.table,
            Key: pageKey(page.runId, page.extractionId, page.index),
            UpdateExpression: update,
            ConditionExpression: 'attribute_not_exists(pk)',
            ...e.attributes(),
          },
        },
        ...this.counterUpdates(page.runId, { pages: 1, rows: page.rows }, page.extractionId),
      ],
    } satisfies TransactWriteCommandInput;
    try {
      await retryingConflicts(() => this.documents.send(new TransactWriteCommand(transaction)));
      return true;
    } catch (err) {
      const failed = cancelledConditions(err);
      if (failed?.[0]) return false;
      if (failed?.some(Boolean))
        throw new RunRecordNotFoundError(
          `extraction ${page.extractionId} of run ${page.runId} does not exist`,
          {
            cause: err,
          },
        );
      throw new RunStoreError(`cannot save page ${page.index} of ${page.extractionId} in run ${page.runId}`, {
        cause: err,
      });
    }
  }

  /** Transaction items adding `deltas` to the run's counters and, with `extractionId`, to the extraction's. */
  private counterUpdates(
    runId: string,
    deltas: Partial<RunCounters>,
    extractionId?: string,
  ): NonNullable<TransactWriteCommandInput['TransactItems']> {
    const keys = [runKey(runId)];
    if (extractionId !== undefined) keys.push(extractionKey(runId, extractionId));
    return keys.flatMap((key) => {
      const e = new Expression();
      const adds = COUNTER_NAMES.flatMap((name) => {
        const delta = deltas[name];
        return delta ? [`${e.name(counterAttribute(name))} ${e.value(delta)}`] : [];
      });
      if (adds.length === 0) return [];
      return [
        {
          Update: {
            TableName: this.table,
            Key: key,
            UpdateExpression: `ADD ${adds.join(', ')} SET ${e.name('updatedAt')} = ${e.value(this.now())}`,
            ConditionExpression: 'attribute_exists(pk)',
            ...e.attributes(),
          },
        },
      ];
    });
  }

  async markPageDone(runId: string, extractionId: string, index: number): Promise<number | undefined> {
    const e = new Expression();
    const done = STATE_RANK.done;
    // One transaction, so "page done" and "pagesDone + 1" happen together or not at
    // all: a crash between two separate writes would leave a done page uncounted,
    // and the re-delivered task would see it done and never count it.
    const transaction = {
      TransactItems: [
        {
          Update: {
            TableName: this.table,
            Key: pageKey(runId, extractionId, index),
            UpdateExpression: `SET ${e.name('state')} = ${e.value('done')}, ${e.name('stateRank')} = ${e.value(done)}`,
            ConditionExpression: `attribute_exists(pk) AND ${e.name('stateRank')} < ${e.value(done)}`,
            ...e.attributes(),
          },
        },
        {
          Update: {
            TableName: this.table,
            Key: extractionKey(runId, extractionId),
            UpdateExpression: 'ADD pagesDone :one',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':one': 1 },
          },
        },
      ],
    } satisfies TransactWriteCommandInput;
    try {
      await retryingConflicts(() => this.documents.send(new TransactWriteCommand(transaction)));
    } catch (err) {
      const failed = cancelledConditions(err);
      if (failed?.[1])
        throw new RunRecordNotFoundError(`extraction ${extractionId} of run ${runId} does not exist`, {
          cause: err,
        });
      if (failed?.[0]) {
        if (!(await this.getPage(runId, extractionId, index))) {
          throw new RunRecordNotFoundError(
            `page ${index} of ${extractionId} in run ${runId} does not exist`,
            { cause: err },
          );
        }
        return undefined;
      }
      throw new RunStoreError(`cannot mark page ${index} of ${extractionId} in run ${runId} done`, {
        cause: err,
      });
    }
    // Transactions return no values, so the count is read back (strongly consistent):
    // it includes this page, and concurrent calls may both see the final count, which
    // is why the follow-up (finalizing) is itself a conditional transition.
    const state = await this.getExtraction(runId, extractionId);
    if (!state) throw new RunRecordNotFoundError(`extraction ${extractionId} of run ${runId} does not exist`);
    return state.pagesDone;
  }

  async completeChunk(
    runId: string,
    extractionId: string,
    index: number,
    chunk: number,
    counts: Partial<RunCounters> = {},
  ): Promise<number | undefined> {
    const counters = this.counterUpdates(runId, counts, extractionId);
    if (counters.length > 0) return this.completeChunkCounting(runId, extractionId, index, chunk, counters);
    try {
      // The set of counted chunk numbers makes the increment idempotent.
      const response = await retryingConflicts(() =>
        this.documents.send(
          new UpdateCommand({
            TableName: this.table,
            Key: pageKey(runId, extractionId, index),
            UpdateExpression: 'ADD doneChunks :chunkSet, chunksDone :one',
            ConditionExpression: 'attribute_exists(pk) AND NOT contains(doneChunks, :chunk)',
            ExpressionAttributeValues: { ':chunkSet': new Set([chunk]), ':one': 1, ':chunk': chunk },
            ReturnValues: 'UPDATED_NEW',
          }),
        ),
      );
      return Number(response.Attributes?.chunksDone);
    } catch (err) {
      if (isConditionFailure(err)) {
        if (!(await this.getPage(runId, extractionId, index))) {
          throw new RunRecordNotFoundError(
            `page ${index} of ${extractionId} in run ${runId} does not exist`,
            { cause: err },
          );
        }
        return undefined;
      }
      throw new RunStoreError(
        `cannot complete chunk ${chunk} of page ${index} of ${extractionId} in run ${runId}`,
        {
          cause: err,
        },
      );
    }
  }

  /** {@link completeChunk} with its counts, in one transaction so the chunk is counted exactly once. */
  private async completeChunkCounting(
    runId: string,
    extractionId: string,
    index: number,
    chunk: number,
    counters: NonNullable<TransactWriteCommandInput['TransactItems']>,
  ): Promise<number | undefined> {
    const transaction = {
      TransactItems: [
        {
          Update: {
            TableName: this.table,
            Key: pageKey(runId, extractionId, index),
            UpdateExpression: 'ADD doneChunks :chunkSet, chunksDone :one',
            ConditionExpression: 'attribute_exists(pk) AND NOT contains(doneChunks, :chunk)',
            ExpressionAttributeValues: { ':chunkSet': new Set([chunk]), ':one': 1, ':chunk': chunk },
          },
        },
        ...counters,
      ],
    } satisfies TransactWriteCommandInput;
    try {
      await retryingConflicts(() => this.documents.send(new TransactWriteCommand(transaction)));
    } catch (err) {
      const failed = cancelledConditions(err);
      if (failed?.[0] && (await this.getPage(runId, extractionId, index))) return undefined;
      if (failed?.some(Boolean))
        throw new RunRecordNotFoundError(`page ${index} of ${extractionId} in run ${runId} does not exist`, {
          cause: err,
        });
      throw new RunStoreError(
        `cannot complete chunk ${chunk} of page ${index} of ${extractionId} in run ${runId}`,
        { cause: err },
      );
    }
    // Transactions return no values: the count is read back (strongly consistent).
    return (await this.getPage(runId, extractionId, index))?.chunksDone;
  }

  setEnd(runId: string, extractionId: string, index: number): Promise<ExtractionRunState> {
    return this.keepSmallest(
      runId,
      extractionId,
      'endIndex',
      index,
      {},
      `set the end of ${extractionId} in run ${runId}`,
    );
  }

  recordPageFailure(
    runId: string,
    extractionId: string,
    index: number,
    error: string,
  ): Promise<ExtractionRunState> {
    return this.keepSmallest(
      runId,
      extractionId,
      'failedIndex',
      index,
      { failedError: error },
      `record the failure of page ${index} of ${extractionId} in run ${runId}`,
    );
  }

  async countDonePagesBelow(runId: string, extractionId: string, index: number): Promise<number> {
    if (index <= 0) return 0;
    let count = 0;
    try {
      const pages = paginateQuery(
        { client: this.documents },
        {
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND sk < :upper',
          FilterExpression: 'stateRank = :done',
          ExpressionAttributeValues: {
            ':pk': pagePartition(runId, extractionId),
            ':upper': pageSort(index),
            ':done': STATE_RANK.done,
          },
          Select: 'COUNT',
          ConsistentRead: true,
        },
      );
      for await (const page of pages) count += page.Count ?? 0;
    } catch (err) {
      throw new RunStoreError(`cannot count done pages of ${extractionId} in run ${runId}`, { cause: err });
    }
    return count;
  }

  async transitionExtraction(
    runId: string,
    extractionId: string,
    from: ExtractionStatus[],
    to: ExtractionStatus,
    log?: ExecutionLog,
  ): Promise<boolean> {
    if (from.length === 0) return false;
    const e = new Expression();
    const status = e.name('status');
    let update = `SET ${status} = ${e.value(to)}`;
    if (log !== undefined) update += `, ${e.name('logJson')} = ${e.value(JSON.stringify(log))}`;
    const allowed = from.map((s) => e.value(s)).join(', ');
    try {
      await retryingConflicts(() =>
        this.documents.send(
          new UpdateCommand({
            TableName: this.table,
            Key: extractionKey(runId, extractionId),
            UpdateExpression: update,
            ConditionExpression: `attribute_exists(pk) AND ${status} IN (${allowed})`,
            ...e.attributes(),
          }),
        ),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) {
        await this.requireExtraction(runId, extractionId, err);
        return false;
      }
      throw new RunStoreError(`cannot move extraction ${extractionId} of run ${runId} to ${to}`, {
        cause: err,
      });
    }
  }

  async addCounters(runId: string, deltas: Partial<RunCounters>, extractionId?: string): Promise<void> {
    for (const item of this.counterUpdates(runId, deltas, extractionId)) {
      try {
        // Counter items also take part in transactions (a new page, a chunk): a plain
        // write that meets one is refused as a conflict, and is simply tried again.
        await retryingConflicts(() => this.documents.send(new UpdateCommand(item.Update!)));
      } catch (err) {
        // The condition only keeps a stray item from being created: counters of a run
        // that does not exist have nothing to count towards (as in the embedded store).
        if (isConditionFailure(err)) return;
        throw new RunStoreError(`cannot add counters to run ${runId}`, { cause: err });
      }
    }
  }

  async finishRun(runId: string, status: Exclude<RunStatus, 'running'>, error?: string): Promise<boolean> {
    const e = new Expression();
    const now = e.value(this.now());
    const sets = [
      `${e.name('status')} = ${e.value(status)}`,
      `${e.name('finishedAt')} = ${now}`,
      `${e.name('updatedAt')} = ${now}`,
    ];
    if (error !== undefined) sets.push(`${e.name('error')} = ${e.value(error)}`);
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: runKey(runId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `attribute_exists(pk) AND ${e.name('status')} = ${e.value('running')}`,
          ...e.attributes(),
        }),
      );
      await this.documents.send(new DeleteCommand({ TableName: this.table, Key: activeEntryKey(runId) }));
      return true;
    } catch (err) {
      // Finished already, or no such run: either way not running, so not finished now.
      if (isConditionFailure(err)) return false;
      throw new RunStoreError(`cannot finish run ${runId}`, { cause: err });
    }
  }

  /**
   * Sets `attribute` to `index` unless it already holds a smaller one (with `extra`
   * fields alongside), and returns the extraction state after, whichever won.
   */
  private async keepSmallest(
    runId: string,
    extractionId: string,
    attribute: 'endIndex' | 'failedIndex',
    index: number,
    extra: Record<string, unknown>,
    what: string,
  ): Promise<ExtractionRunState> {
    const e = new Expression();
    const target = e.name(attribute);
    const value = e.value(index);
    const sets = [
      `${target} = ${value}`,
      ...Object.entries(extra).map(([k, v]) => `${e.name(k)} = ${e.value(v)}`),
    ];
    try {
      const response = await retryingConflicts(() =>
        this.documents.send(
          new UpdateCommand({
            TableName: this.table,
            Key: extractionKey(runId, extractionId),
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: `attribute_exists(pk) AND (attribute_not_exists(${target}) OR ${target} > ${value})`,
            ReturnValues: 'ALL_NEW',
            ...e.attributes(),
          }),
        ),
      );
      return extractionFromItem(response.Attributes as ExtractionItem);
    } catch (err) {
      if (isConditionFailure(err)) return this.requireExtraction(runId, extractionId, err);
      throw new RunStoreError(`cannot ${what}`, { cause: err });
    }
  }

  private async requireExtraction(
    runId: string,
    extractionId: string,
    cause: unknown,
  ): Promise<ExtractionRunState> {
    const state = await this.getExtraction(runId, extractionId);
    if (!state)
      throw new RunRecordNotFoundError(`extraction ${extractionId} of run ${runId} does not exist`, {
        cause,
      });
    return state;
  }

  private async putIfAbsent(item: Key & Record<string, unknown>, what: string): Promise<void> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) return;
      throw new RunStoreError(`cannot ${what}`, { cause: err });
    }
  }

  private async getItem<T>(key: Key, what: string): Promise<T | undefined> {
    try {
      const response = await this.documents.send(
        new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }),
      );
      return response.Item as T | undefined;
    } catch (err) {
      throw new RunStoreError(`cannot ${what}`, { cause: err });
    }
  }

  private async batchGet<T>(keys: Key[]): Promise<T[]> {
    const items: T[] = [];
    let pending: Key[] = keys;
    for (let attempt = 1; pending.length > 0; attempt++) {
      let response;
      try {
        response = await this.documents.send(
          new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }),
        );
      } catch (err) {
        throw new RunStoreError(`cannot read ${pending.length} run(s)`, { cause: err });
      }
      items.push(...((response.Responses?.[this.table] ?? []) as T[]));
      pending = (response.UnprocessedKeys?.[this.table]?.Keys ?? []) as Key[];
      if (pending.length > 0) {
        if (attempt >= 8) throw new RunStoreError(`cannot read ${pending.length} run(s): throttled`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
      }
    }
    return items;
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}
