/**
 * RunStore on one DynamoDB table: the raw reads and the conditional writes (condition
 * expressions, transactions) behind the rules in `shared/ports/runRules.ts`. A
 * re-delivered message repeats a call and its write's condition fails, so it is told
 * "already done" instead of counting twice.
 *
 * Table design (string keys `pk`, `sk`; ids are URI-encoded inside keys):
 *
 * | pk                          | sk                         | item                                    |
 * |-----------------------------|----------------------------|-----------------------------------------|
 * | `RUN#{runId}`               | `META`                     | the run: status, counters, configJson   |
 * | `RUN#{runId}`               | `EXT#{extractionId}`       | an extraction's state                   |
 * | `RUN#{runId}#EXT#{extId}`   | `PAGE#{index, 10 digits}`  | a page; zero-padded so `sk <` is a range |
 * | `CONFIG#{configId}`         | `RUN#{createdAt}#{runId}`  | listRuns index entry, newest last       |
 * | `RUNS`                      | `RUN#{createdAt}#{runId}`  | listAllRuns index entry, newest last    |
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
import type { Clock } from '../../ports/logger';
import {
  RuleBasedRunStore,
  type CounterChanges,
  type RunFinish,
  type SmallestChange,
  type WriteOutcome,
} from '../../ports/runRules';
import {
  COUNTER_NAMES,
  type ExtractionRunState,
  type ExtractionStatus,
  type PageCursorData,
  type PageRecord,
  type PageState,
  type RunCounters,
  type RunListPage,
  type RunListPosition,
  type RunListQuery,
  type RunRecord,
  type RunStatus,
} from '../../ports/runs';
import {
  cancelledConditions,
  Expression,
  isConditionFailure,
  keyPart,
  retryingConflicts,
} from './dynamoSupport';
import { RunRecordNotFoundError, RunStoreError } from './errors';

const counterAttribute = (name: keyof RunCounters): string => `counter_${name}`;

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
  sk: listSort(run),
});

/** A sparse list of running runs: written with the run, removed when it finishes. */
/** Every run, across configs (written with the run, so listed as soon as it exists). */
const ALL_RUNS_PARTITION = 'RUNS';
const listSort = (position: RunListPosition): string =>
  `RUN#${position.createdAt}#${keyPart(position.runId)}`;
const allRunsEntryKey = (run: RunListPosition): Key => ({ pk: ALL_RUNS_PARTITION, sk: listSort(run) });
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
  last: boolean;
  nextJson?: string;
  rows: number;
  chunks: number;
};

/** One write of a transaction, or a single conditional Put or Update. */
type WriteItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** `#attribute IN (:a, :b…)`; `values` is never empty. */
const oneOf = (e: Expression, attribute: string, values: readonly string[]): string =>
  `${e.name(attribute)} IN (${values.map((v) => e.value(v)).join(', ')})`;

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
  };
}

export interface DynamoRunStoreOptions {
  /** Stamps `updatedAt` and `finishedAt`. */
  clock?: Clock;
}

/**
 * @example
 * const runs = new DynamoRunStore(clients.documents, settings.names.tables.runs);
 * const state = await runs.markPageDone(runId, extractionId, 3); // undefined on a re-delivery
 */
export class DynamoRunStore extends RuleBasedRunStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly table: string,
    options: DynamoRunStoreOptions = {},
  ) {
    super(options.clock);
  }

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
      await this.conditional(`create extraction ${extraction.extractionId} of run ${run.runId}`, [
        this.putIfAbsent(item),
      ]);
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
    const allEntry = { ...allRunsEntryKey(run), runId: run.runId };
    const activeEntry = { ...activeEntryKey(run.runId), runId: run.runId };
    const items =
      run.status === 'running' ? [runItem, listEntry, allEntry, activeEntry] : [runItem, listEntry, allEntry];
    await this.conditional(`create run ${run.runId}`, items.map(this.putIfAbsent));
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
    const runs = new Map((await this.runsById(runIds)).map((run) => [run.runId, run]));
    return runIds.flatMap((id) => runs.get(id) ?? []);
  }

  /**
   * Queries the config's partition (or the all-runs one) backwards from `after`, reads
   * the runs consistently and filters them by status, until `limit` + 1 runs are found
   * (the extra one says there is a next page) or the partition ends.
   */
  async listAllRuns(query: RunListQuery): Promise<RunListPage> {
    const limit = Math.max(1, query.limit);
    const pk = query.configId === undefined ? ALL_RUNS_PARTITION : `CONFIG#${keyPart(query.configId)}`;
    const found: RunRecord[] = [];
    let start: Key | undefined = query.after ? { pk, sk: listSort(query.after) } : undefined;
    do {
      let response;
      try {
        response = await this.documents.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': pk },
            ScanIndexForward: false,
            Limit: Math.min(BATCH_GET_LIMIT, limit + 1),
            ConsistentRead: true,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
      } catch (err) {
        throw new RunStoreError('cannot list runs', { cause: err });
      }
      const runIds = (response.Items ?? []).map((item) => String(item.runId));
      const runs = new Map((await this.runsById(runIds)).map((run) => [run.runId, run]));
      for (const id of runIds) {
        const run = runs.get(id);
        if (run && (query.status === undefined || run.status === query.status)) found.push(run);
      }
      start = response.LastEvaluatedKey as Key | undefined;
    } while (start && found.length <= limit);
    const page = found.slice(0, limit);
    const last = page[page.length - 1];
    return found.length > limit && last
      ? { runs: page, next: { createdAt: last.createdAt, runId: last.runId } }
      : { runs: page };
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
    // An entry whose clean-up was interrupted still points at a finished run.
    return (await this.runsById(runIds)).filter((run) => run.status === 'running');
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

  async countedChunks(runId: string, extractionId: string, index: number): Promise<number> {
    let item: { doneChunks?: Set<number> } | undefined;
    try {
      const response = await this.documents.send(
        new GetCommand({
          TableName: this.table,
          Key: pageKey(runId, extractionId, index),
          ProjectionExpression: 'doneChunks',
          ConsistentRead: true,
        }),
      );
      item = response.Item as typeof item;
    } catch (err) {
      throw new RunStoreError(`cannot read the counted chunks of page ${index} of ${extractionId}`, {
        cause: err,
      });
    }
    return item?.doneChunks?.size ?? 0;
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
          FilterExpression: '#state = :done',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':pk': pagePartition(runId, extractionId),
            ':upper': pageSort(index),
            ':done': 'done',
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

  protected async writePage(
    page: PageRecord,
    from: readonly PageState[],
    counts: CounterChanges,
  ): Promise<WriteOutcome> {
    const e = new Expression();
    const fields: Record<string, unknown> = {
      runId: page.runId,
      extractionId: page.extractionId,
      pageIndex: page.index,
      state: page.state,
      last: page.last,
      rows: page.rows,
      chunks: page.chunks,
    };
    let update = `SET ${Object.entries(fields)
      .map(([name, value]) => `${e.name(name)} = ${e.value(value)}`)
      .join(', ')}`;
    if (page.next !== undefined) update += `, ${e.name('nextJson')} = ${e.value(JSON.stringify(page.next))}`;
    else update += ` REMOVE ${e.name('nextJson')}`;
    const absent = 'attribute_not_exists(pk)';
    const condition = from.length === 0 ? absent : `${absent} OR ${oneOf(e, 'state', from)}`;
    // With counts, one transaction: a crash cannot leave a new page uncounted, and a
    // re-delivered task that finds the page never counts it again.
    const failed = await this.conditional(
      `save page ${page.index} of ${page.extractionId} in run ${page.runId}`,
      [
        {
          Update: {
            TableName: this.table,
            Key: pageKey(page.runId, page.extractionId, page.index),
            UpdateExpression: update,
            ConditionExpression: condition,
            ...e.attributes(),
          },
        },
        ...this.counterItems(page.runId, counts, page.extractionId),
      ],
    );
    if (!failed) return 'written';
    return failed[0] ? 'refused' : 'missing';
  }

  protected async writePageDone(
    runId: string,
    extractionId: string,
    index: number,
    from: readonly PageState[],
  ): Promise<WriteOutcome> {
    const e = new Expression();
    const key = pageKey(runId, extractionId, index);
    const failed = await this.conditional(`mark page ${index} of ${extractionId} in run ${runId} done`, [
      {
        Update: {
          TableName: this.table,
          Key: key,
          UpdateExpression: `SET ${e.name('state')} = ${e.value('done')}`,
          ConditionExpression: `attribute_exists(pk) AND ${oneOf(e, 'state', from)}`,
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
    ]);
    if (!failed) return 'written';
    return failed[1] ? 'missing' : this.refusedOrMissing(key);
  }

  protected async writeChunkCounted(
    runId: string,
    extractionId: string,
    index: number,
    chunk: number,
    counts: CounterChanges,
  ): Promise<WriteOutcome> {
    const key = pageKey(runId, extractionId, index);
    // `doneChunks`, the set of counted chunk numbers, makes the count idempotent.
    const failed = await this.conditional(
      `count chunk ${chunk} of page ${index} of ${extractionId} in run ${runId}`,
      [
        {
          Update: {
            TableName: this.table,
            Key: key,
            UpdateExpression: 'ADD doneChunks :chunkSet',
            ConditionExpression: 'attribute_exists(pk) AND NOT contains(doneChunks, :chunk)',
            ExpressionAttributeValues: { ':chunkSet': new Set([chunk]), ':chunk': chunk },
          },
        },
        ...this.counterItems(runId, counts, extractionId),
      ],
    );
    if (!failed) return 'written';
    return failed[0] ? this.refusedOrMissing(key) : 'missing';
  }

  protected async writeSmallest(runId: string, extractionId: string, change: SmallestChange): Promise<void> {
    const e = new Expression();
    const target = e.name(change.field === 'endIndex' ? 'endIndex' : 'failedIndex');
    const value = e.value(change.index);
    const sets = [`${target} = ${value}`];
    if (change.field === 'failedPage') sets.push(`${e.name('failedError')} = ${e.value(change.error)}`);
    await this.conditional(`set ${change.field} of ${extractionId} in run ${runId}`, [
      {
        Update: {
          TableName: this.table,
          Key: extractionKey(runId, extractionId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `attribute_exists(pk) AND (attribute_not_exists(${target}) OR ${target} > ${value})`,
          ...e.attributes(),
        },
      },
    ]);
  }

  protected async writeExtractionStatus(
    runId: string,
    extractionId: string,
    from: readonly ExtractionStatus[],
    to: ExtractionStatus,
    log: ExecutionLog | undefined,
  ): Promise<WriteOutcome> {
    const e = new Expression();
    const key = extractionKey(runId, extractionId);
    let update = `SET ${e.name('status')} = ${e.value(to)}`;
    if (log !== undefined) update += `, ${e.name('logJson')} = ${e.value(JSON.stringify(log))}`;
    const condition = `attribute_exists(pk) AND ${oneOf(e, 'status', from)}`;
    const failed = await this.conditional(`move extraction ${extractionId} of run ${runId} to ${to}`, [
      {
        Update: {
          TableName: this.table,
          Key: key,
          UpdateExpression: update,
          ConditionExpression: condition,
          ...e.attributes(),
        },
      },
    ]);
    return failed ? this.refusedOrMissing(key) : 'written';
  }

  protected async writeRunFinish(
    runId: string,
    from: readonly RunStatus[],
    finish: RunFinish,
  ): Promise<boolean> {
    const e = new Expression();
    const at = e.value(finish.at);
    const sets = [
      `${e.name('status')} = ${e.value(finish.status)}`,
      `${e.name('finishedAt')} = ${at}`,
      `${e.name('updatedAt')} = ${at}`,
    ];
    if (finish.error !== undefined) sets.push(`${e.name('error')} = ${e.value(finish.error)}`);
    const condition = `attribute_exists(pk) AND ${oneOf(e, 'status', from)}`;
    const failed = await this.conditional(`finish run ${runId}`, [
      {
        Update: {
          TableName: this.table,
          Key: runKey(runId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: condition,
          ...e.attributes(),
        },
      },
    ]);
    if (failed) return false;
    try {
      await this.documents.send(new DeleteCommand({ TableName: this.table, Key: activeEntryKey(runId) }));
    } catch (err) {
      throw new RunStoreError(`cannot finish run ${runId}`, { cause: err });
    }
    return true;
  }

  protected async writeCounters(
    runId: string,
    changes: CounterChanges,
    extractionId?: string,
  ): Promise<void> {
    // One write per record rather than a transaction; a record that does not exist
    // fails its condition, which only keeps a stray item from being created.
    for (const item of this.counterItems(runId, changes, extractionId)) {
      if (await this.conditional(`add counters to run ${runId}`, [item])) return;
    }
  }

  protected override missingRecord(message: string): Error {
    return new RunRecordNotFoundError(message);
  }

  /** Writes adding `changes` to the run's counters and, with `extractionId`, to the extraction's. */
  private counterItems(runId: string, changes: CounterChanges, extractionId?: string): WriteItem[] {
    if (changes.length === 0) return [];
    const keys = [runKey(runId)];
    if (extractionId !== undefined) keys.push(extractionKey(runId, extractionId));
    return keys.map((key) => {
      const e = new Expression();
      const adds = changes.map(([name, delta]) => `${e.name(counterAttribute(name))} ${e.value(delta)}`);
      return {
        Update: {
          TableName: this.table,
          Key: key,
          UpdateExpression: `ADD ${adds.join(', ')} SET ${e.name('updatedAt')} = ${e.value(this.now())}`,
          ConditionExpression: 'attribute_exists(pk)',
          ...e.attributes(),
        },
      };
    });
  }

  private readonly putIfAbsent = (item: Key & Record<string, unknown>): WriteItem => ({
    Put: { TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' },
  });

  /**
   * Sends `items` as one conditional write, retrying transaction conflicts: a single
   * Put or Update, or a transaction of several. Undefined when it was written;
   * otherwise which items failed their condition, by position.
   */
  private async conditional(what: string, items: WriteItem[]): Promise<boolean[] | undefined> {
    const [only] = items;
    const send = (): Promise<unknown> => {
      if (items.length > 1) return this.documents.send(new TransactWriteCommand({ TransactItems: items }));
      if (only?.Update) return this.documents.send(new UpdateCommand(only.Update));
      return this.documents.send(new PutCommand(only!.Put!));
    };
    try {
      await retryingConflicts(send);
      return undefined;
    } catch (err) {
      if (isConditionFailure(err)) return [true];
      const failed = cancelledConditions(err);
      if (failed?.some(Boolean)) return failed;
      throw new RunStoreError(`cannot ${what}`, { cause: err });
    }
  }

  /** After a failed `attribute_exists(pk) AND …` condition: refused if the item exists, else missing. */
  private async refusedOrMissing(key: Key): Promise<WriteOutcome> {
    return (await this.getItem(key, `read ${key.pk} ${key.sk}`)) ? 'refused' : 'missing';
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

  /** The runs with these ids (those that exist), read consistently in batches. */
  private async runsById(runIds: string[]): Promise<RunRecord[]> {
    const runs: RunRecord[] = [];
    for (let start = 0; start < runIds.length; start += BATCH_GET_LIMIT) {
      const items = await this.batchGet<RunItem>(runIds.slice(start, start + BATCH_GET_LIMIT).map(runKey));
      runs.push(...items.map(runFromItem));
    }
    return runs;
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
}
