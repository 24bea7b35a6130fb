/**
 * Small helpers shared by the DynamoDB adapters: placeholder-only expressions (no
 * attribute name ever collides with DynamoDB's long reserved-word list), the
 * translation of condition failures and of the state stores' errors, and retries of
 * transaction conflicts.
 */
import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import { backoffDelay, CONFLICT_RETRY } from '../../extract/retryPolicy';
import { StateStoreError } from './errors';

/** Builds an expression's `#name` / `:value` placeholders. */
export class Expression {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private readonly nameOf = new Map<string, string>();

  /** `#nX` for an attribute name (the same name always gets the same placeholder). */
  name(attribute: string): string {
    let placeholder = this.nameOf.get(attribute);
    if (!placeholder) {
      placeholder = `#n${this.nameOf.size}`;
      this.nameOf.set(attribute, placeholder);
      this.names[placeholder] = attribute;
    }
    return placeholder;
  }

  /** `:vX` for a value. */
  value(value: unknown): string {
    const placeholder = `:v${Object.keys(this.values).length}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  /** The `ExpressionAttributeNames` / `ExpressionAttributeValues` pair (values omitted when empty). */
  attributes(): {
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  } {
    return {
      ExpressionAttributeNames: this.names,
      ...(Object.keys(this.values).length > 0 ? { ExpressionAttributeValues: this.values } : {}),
    };
  }
}

export const isConditionFailure = (err: unknown): boolean => err instanceof ConditionalCheckFailedException;

/**
 * One call of a state-table store (`last` records, tokens, execution logs, request
 * budgets): a failure becomes a {@link StateStoreError} saying what could not be done
 * (`cannot {what}`), the SDK's error kept as its cause; a failed condition, where the
 * caller expects one, is answered by `onConditionFailure` instead.
 *
 * @example
 * const written = await stateStoreCall(`write the request budget ${key}`, () => put().then(() => true), () => false);
 */
export async function stateStoreCall<T>(
  what: string,
  call: () => Promise<T>,
  onConditionFailure?: () => T,
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (onConditionFailure && isConditionFailure(err)) return onConditionFailure();
    throw new StateStoreError(`cannot ${what}`, { cause: err });
  }
}

/**
 * For a cancelled transaction, which of its items failed their condition (by
 * position); undefined when the error is not a cancelled transaction.
 */
export function cancelledConditions(err: unknown): boolean[] | undefined {
  if (!(err instanceof TransactionCanceledException)) return undefined;
  return (err.CancellationReasons ?? []).map((reason) => reason.Code === 'ConditionalCheckFailed');
}

/** Another transaction held one of the items: safe to try again. */
export function isTransactionConflict(err: unknown): boolean {
  if (err instanceof TransactionConflictException) return true;
  if (!(err instanceof TransactionCanceledException)) return false;
  const reasons = err.CancellationReasons ?? [];
  // A condition failure decides the outcome; retrying would not change it.
  return (
    reasons.some((r) => r.Code === 'TransactionConflict') &&
    !reasons.some((r) => r.Code === 'ConditionalCheckFailed')
  );
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` again while it fails with a transaction conflict (concurrent
 * `markPageDone` calls all touch their extraction's item), backing off with jitter.
 */
export async function retryingConflicts<T>(
  attempt: () => Promise<T>,
  maxAttempts = CONFLICT_RETRY.maxAttempts,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (n >= maxAttempts || !isTransactionConflict(err)) throw err;
      await sleep(backoffDelay(n, CONFLICT_RETRY));
    }
  }
}

/** Ids inside composite keys are URI-encoded, so an id holding `#` cannot forge another key. */
export const keyPart = (id: string): string => encodeURIComponent(id);
