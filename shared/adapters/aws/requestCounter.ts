/**
 * Counts the requests the AWS SDK clients send, per service and operation: what a
 * deployment is billed for (SQS, DynamoDB and S3 requests, Secrets Manager calls).
 * One middleware per client, in the `deserialize` step, which the SDK's retry
 * middleware wraps: every attempt is counted, retries included, as AWS counts them.
 * Always on: a counter increment per request.
 */
/** The services the pipeline uses, as they are reported. */
export type AwsServiceName = 'SQS' | 'DynamoDB' | 'S3' | 'SecretsManager';

export interface AwsRequestCounts {
  total: number;
  /** Requests per service. */
  byService: Partial<Record<AwsServiceName, number>>;
  /** Requests per `Service.Operation` (e.g. `SQS.ReceiveMessage`). */
  byOperation: Record<string, number>;
  /**
   * Entries of the multi-item operations, per `Service.Operation`: transaction items
   * (DynamoDB bills 2 write units per item of a transaction), batch entries.
   */
  items: Record<string, number>;
}

/** Where each multi-item operation lists its entries. */
const ENTRIES: Record<string, (input: Record<string, unknown>) => number> = {
  'DynamoDB.TransactWriteItems': (input) => lengthOf(input.TransactItems),
  'DynamoDB.TransactGetItems': (input) => lengthOf(input.TransactItems),
  'DynamoDB.BatchWriteItem': (input) => sumOfLengths(input.RequestItems),
  'DynamoDB.BatchGetItem': (input) =>
    Object.values((input.RequestItems ?? {}) as Record<string, { Keys?: unknown }>).reduce(
      (sum, table) => sum + lengthOf(table.Keys),
      0,
    ),
  'SQS.SendMessageBatch': (input) => lengthOf(input.Entries),
  'SQS.DeleteMessageBatch': (input) => lengthOf(input.Entries),
  'SQS.ChangeMessageVisibilityBatch': (input) => lengthOf(input.Entries),
};

const lengthOf = (value: unknown): number => (Array.isArray(value) ? value.length : 0);
const sumOfLengths = (value: unknown): number =>
  Object.values((value ?? {}) as Record<string, unknown>).reduce<number>((sum, v) => sum + lengthOf(v), 0);

const MIDDLEWARE_NAME = 'apiExtractorRequestCounter';

/** The part of an SDK client this needs (its input and output types differ per service). */
interface AnyClient {
  middlewareStack: unknown;
}

type CountingStack = {
  add(
    middleware: (
      next: (args: unknown) => Promise<unknown>,
      context: { commandName?: string },
    ) => (args: { input?: unknown }) => Promise<unknown>,
    options: { step: 'deserialize'; name: string; override: boolean },
  ): void;
};

/**
 * @example
 * const counter = new AwsRequestCounter();
 * counter.attach(clients.sqs, 'SQS');
 * // … later, at drain:
 * logger.info('aws requests', counter.snapshot());
 */
export class AwsRequestCounter {
  private readonly counts = new Map<string, number>();
  private readonly items = new Map<string, number>();

  /** Counts every request `client` sends from now on, as `service`. */
  attach(client: AnyClient, service: AwsServiceName): void {
    const stack = client.middlewareStack as CountingStack;
    stack.add(
      (next, context) => (args) => {
        const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        this.count(service, operation);
        const entries = ENTRIES[`${service}.${operation}`];
        if (entries && args.input && typeof args.input === 'object')
          this.countItems(`${service}.${operation}`, entries(args.input as Record<string, unknown>));
        return next(args);
      },
      { step: 'deserialize', name: MIDDLEWARE_NAME, override: true },
    );
  }

  count(service: AwsServiceName, operation: string): void {
    const key = `${service}.${operation}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  private countItems(operation: string, n: number): void {
    this.items.set(operation, (this.items.get(operation) ?? 0) + n);
  }

  /** Everything counted so far; operations sorted by name. */
  snapshot(): AwsRequestCounts {
    const byService: Partial<Record<AwsServiceName, number>> = {};
    const byOperation: Record<string, number> = {};
    let total = 0;
    for (const key of [...this.counts.keys()].sort()) {
      const n = this.counts.get(key)!;
      const service = key.slice(0, key.indexOf('.')) as AwsServiceName;
      byService[service] = (byService[service] ?? 0) + n;
      byOperation[key] = n;
      total += n;
    }
    const items = Object.fromEntries([...this.items.entries()].sort(([a], [b]) => a.localeCompare(b)));
    return { total, byService, byOperation, items };
  }
}
