/**
 * The upstreams' shared request budgets (see ports/rateBudget) in the state table:
 *
 *   `BUDGET#{key}` / `BUDGET`  { version, nextSlot, pausedUntil, holders }
 *
 * `holders` is JSON text (one in-flight lease per process). A write is one `PutItem`
 * conditional on the version read (or on the item being absent), so of two processes
 * claiming from the same record exactly one wins and the other reads again. Processes
 * claim allowances in batches, so the table is not asked once per request.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { BudgetState, RateBudgetStore, StoredBudget } from '../../ports/rateBudget';
import { keyPart, stateStoreCall } from './dynamoSupport';

const budgetKey = (key: string) => ({ pk: `BUDGET#${keyPart(key)}`, sk: 'BUDGET' });

/**
 * @example
 * const budgets = new DynamoRateBudgetStore(clients.documents, settings.names.tables.state);
 */
export class DynamoRateBudgetStore implements RateBudgetStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async read(key: string): Promise<StoredBudget | undefined> {
    const { Item: item } = await stateStoreCall(`read the request budget ${key}`, () =>
      this.documents.send(
        new GetCommand({ TableName: this.table, Key: budgetKey(key), ConsistentRead: true }),
      ),
    );
    if (!item || typeof item.version !== 'number') return undefined;
    return {
      version: item.version,
      state: {
        nextSlot: Number(item.nextSlot ?? 0),
        pausedUntil: Number(item.pausedUntil ?? 0),
        holders: typeof item.holders === 'string' ? (JSON.parse(item.holders) as BudgetState['holders']) : {},
      },
    };
  }

  write(key: string, state: BudgetState, expected: number): Promise<boolean> {
    const put = () =>
      this.documents.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...budgetKey(key),
            version: expected + 1,
            nextSlot: state.nextSlot,
            pausedUntil: state.pausedUntil,
            holders: JSON.stringify(state.holders),
          },
          ...(expected === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#version = :expected',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': expected },
              }),
        }),
      );
    return stateStoreCall(
      `write the request budget ${key}`,
      () => put().then(() => true),
      () => false,
    );
  }
}
