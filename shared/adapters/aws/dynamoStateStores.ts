/**
 * Small state on DynamoDB: `last` records and refreshed tokens (the state table),
 * and execution logs (their own table).
 *
 * State table (`pk`, `sk`):
 *   `LAST#{extractionId}` / `LAST`   { json }: the record as JSON text (key order kept)
 *   `TOKEN#{key}`         / `TOKEN`  { accessToken, expiresAt?, refreshToken? }
 *   `LOCK#token%3A{key}`  / `LOCK`   the refresh lease (see ./dynamoLease)
 *
 * Execution-log table: `pk` = extraction_id, `sk` = run_id, so writing a run's log
 * again replaces it; the local secondary index `byCreatedAt` sorts a partition by
 * `createdAtSk` = `{created_at}#{run_id}`, which `list` reads backwards (newest
 * first, strongly consistent). The log itself is JSON text.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { ExecutionLog, ExecutionLogStore } from '../../ports/executionLog';
import type { LastRecordStore, StoredToken, TokenStore } from '../../ports/storage';
import { DynamoLease } from './dynamoLease';
import { keyPart, stateStoreCall } from './dynamoSupport';

/** How long a token refresh lease lasts if its holder dies (the token endpoint's retries fit in it). */
export const TOKEN_LEASE_MS = 120_000;
/** How long a worker waits for another's refresh before giving up. */
export const TOKEN_LEASE_WAIT_MS = 180_000;

/** Name of the execution-log table's local secondary index (created by bootstrap and infra). */
export const EXECUTION_LOGS_BY_CREATED_AT = 'byCreatedAt';

/**
 * @example
 * const lastRecords = new DynamoLastRecordStore(clients.documents, settings.names.tables.state);
 * await lastRecords.set(extractionId, lastRow);
 */
export class DynamoLastRecordStore implements LastRecordStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(extractionId: string): Promise<unknown> {
    const { Item: item } = await stateStoreCall(`read the last record of extraction ${extractionId}`, () =>
      this.documents.send(
        new GetCommand({ TableName: this.table, Key: lastKey(extractionId), ConsistentRead: true }),
      ),
    );
    const json: unknown = item?.json;
    return typeof json === 'string' ? JSON.parse(json) : undefined;
  }

  async set(extractionId: string, record: unknown): Promise<void> {
    await stateStoreCall(`write the last record of extraction ${extractionId}`, () =>
      this.documents.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...lastKey(extractionId), json: record === undefined ? undefined : JSON.stringify(record) },
        }),
      ),
    );
  }
}

const lastKey = (extractionId: string) => ({ pk: `LAST#${keyPart(extractionId)}`, sk: 'LAST' });
const tokenKey = (configId: string) => ({ pk: `TOKEN#${keyPart(configId)}`, sk: 'TOKEN' });

/**
 * Tokens never appear in errors or logs: messages name the config only, and the
 * SDK's errors carry no request parameters.
 *
 * @example
 * const tokens = new DynamoTokenStore(clients.documents, settings.names.tables.state);
 * await tokens.put(configId, { accessToken, expiresAt: Date.now() + 3600_000 });
 */
export class DynamoTokenStore implements TokenStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(configId: string): Promise<StoredToken | undefined> {
    const { Item: item } = await stateStoreCall(`read the token of config ${configId}`, () =>
      this.documents.send(
        new GetCommand({ TableName: this.table, Key: tokenKey(configId), ConsistentRead: true }),
      ),
    );
    if (!item || typeof item.accessToken !== 'string') return undefined;
    return {
      accessToken: item.accessToken,
      ...(typeof item.expiresAt === 'number' ? { expiresAt: item.expiresAt } : {}),
      ...(typeof item.refreshToken === 'string' ? { refreshToken: item.refreshToken } : {}),
    };
  }

  /**
   * A lease item per key: the first caller refreshes, the others wait for it (up to
   * {@link TOKEN_LEASE_WAIT_MS}) and then find the new token. A holder that dies frees
   * the lease after {@link TOKEN_LEASE_MS}.
   */
  exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    return new DynamoLease(this.documents, this.table, `token:${key}`, {
      leaseMs: TOKEN_LEASE_MS,
      waitMs: TOKEN_LEASE_WAIT_MS,
    }).exclusive(work);
  }

  async put(configId: string, token: StoredToken): Promise<void> {
    await stateStoreCall(`write the token of config ${configId}`, () =>
      this.documents.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...tokenKey(configId),
            accessToken: token.accessToken,
            expiresAt: token.expiresAt,
            refreshToken: token.refreshToken,
          },
        }),
      ),
    );
  }
}

/**
 * @example
 * const logs = new DynamoExecutionLogStore(clients.documents, settings.names.tables.executionLogs);
 * const [latest] = await logs.list(extractionId);
 */
export class DynamoExecutionLogStore implements ExecutionLogStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async append(log: ExecutionLog): Promise<void> {
    await stateStoreCall(
      `write the execution log of run ${log.run_id} (extraction ${log.extraction_id})`,
      () =>
        this.documents.send(
          new PutCommand({
            TableName: this.table,
            Item: {
              pk: log.extraction_id,
              sk: log.run_id,
              createdAtSk: `${log.created_at}#${log.run_id}`,
              log: JSON.stringify(log),
            },
          }),
        ),
    );
  }

  list(extractionId: string): Promise<ExecutionLog[]> {
    return stateStoreCall(`list the execution logs of extraction ${extractionId}`, async () => {
      const logs: ExecutionLog[] = [];
      const pages = paginateQuery(
        { client: this.documents },
        {
          TableName: this.table,
          IndexName: EXECUTION_LOGS_BY_CREATED_AT,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': extractionId },
          ScanIndexForward: false,
          ConsistentRead: true,
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) logs.push(JSON.parse(String(item.log)) as ExecutionLog);
      }
      return logs;
    });
  }
}
