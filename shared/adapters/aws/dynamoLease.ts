/**
 * Mutual exclusion across processes with a lease item in the configs table:
 * `LOCK#{name}` / `LOCK` holds the holder's random `owner` id and `expiresAt`
 * (epoch ms). Taking the lease is one conditional `PutItem` ("absent, or expired"),
 * giving it back a `DeleteItem` conditional on the owner. A holder that dies keeps
 * the lease until it expires; then the next caller takes it over.
 *
 * Used where an AWS API offers no conditional write of its own: the extractor
 * secret's read-modify-write (Secrets Manager has no compare-and-set that readers
 * on every emulator honour), so two config-api replicas changing secrets at once
 * cannot lose each other's entry.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ControlTableError } from './dynamoConfigStore';
import { isConditionFailure, keyPart } from './dynamoSupport';

/** Runs work so that no other holder of the same lock runs at the same time. */
export interface Mutex {
  exclusive<T>(work: () => Promise<T>): Promise<T>;
}

/** The lease stayed taken for longer than the caller is willing to wait. */
export class LeaseBusyError extends ControlTableError {}

export interface DynamoLeaseOptions {
  /** How long a lease lasts if its holder never gives it back. Default 30 s. */
  leaseMs?: number;
  /** How long to wait for a taken lease before giving up. Default 10 s. */
  waitMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @example
 * const lease = new DynamoLease(clients.documents, settings.names.tables.configs, 'extractor-secret');
 * await lease.exclusive(async () => { ...read, change, write... });
 */
export class DynamoLease implements Mutex {
  private readonly leaseMs: number;
  private readonly waitMs: number;

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly name: string,
    options: DynamoLeaseOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.waitMs = options.waitMs ?? 10_000;
  }

  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const owner = randomUUID();
    await this.acquire(owner);
    try {
      return await work();
    } finally {
      await this.release(owner);
    }
  }

  private get key() {
    return { pk: `LOCK#${keyPart(this.name)}`, sk: 'LOCK' };
  }

  private async acquire(owner: string): Promise<void> {
    const deadline = Date.now() + this.waitMs;
    for (let attempt = 1; ; attempt++) {
      const now = Date.now();
      try {
        await this.documents.send(
          new PutCommand({
            TableName: this.table,
            Item: { ...this.key, owner, expiresAt: now + this.leaseMs },
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
            ExpressionAttributeValues: { ':now': now },
          }),
        );
        return;
      } catch (err) {
        if (!isConditionFailure(err))
          throw new ControlTableError(`cannot take the lock ${this.name}`, { cause: err });
      }
      if (Date.now() >= deadline) {
        throw new LeaseBusyError(`the lock ${this.name} stayed taken for ${this.waitMs} ms; try again`);
      }
      const ceiling = Math.min(500, 20 * 2 ** attempt);
      await sleep(ceiling / 2 + Math.random() * (ceiling / 2));
    }
  }

  /**
   * Gives the lease back if this caller still holds it. A failure here is not the
   * work's failure (the work is done): the lease then simply expires.
   */
  private async release(owner: string): Promise<void> {
    try {
      await this.documents.send(
        new DeleteCommand({
          TableName: this.table,
          Key: this.key,
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch {
      // Expired and taken over by another holder, or DynamoDB failed: the lease expires by itself.
    }
  }
}
