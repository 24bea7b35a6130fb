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
}

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
    ) => (args: unknown) => Promise<unknown>,
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

  /** Counts every request `client` sends from now on, as `service`. */
  attach(client: AnyClient, service: AwsServiceName): void {
    const stack = client.middlewareStack as CountingStack;
    stack.add(
      (next, context) => (args) => {
        this.count(service, (context.commandName ?? 'Unknown').replace(/Command$/, ''));
        return next(args);
      },
      { step: 'deserialize', name: MIDDLEWARE_NAME, override: true },
    );
  }

  count(service: AwsServiceName, operation: string): void {
    const key = `${service}.${operation}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
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
    return { total, byService, byOperation };
  }
}
