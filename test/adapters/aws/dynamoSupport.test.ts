/**
 * The state-table stores wrap what DynamoDB throws in one place: a failure names what
 * could not be done and keeps the SDK's error as its cause; a failed condition, where
 * the caller expects one, is an answer, not an error.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { stateStoreCall } from '../../../shared/adapters/aws/dynamoSupport';
import { DynamoRateBudgetStore } from '../../../shared/adapters/aws/dynamoRateBudgetStore';
import { DynamoTokenStore } from '../../../shared/adapters/aws/dynamoStateStores';
import { StateStoreError } from '../../../shared/adapters/aws/errors';

const conditionFailure = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

/** A document client whose every call fails with `error`. */
const failingWith = (error: unknown) =>
  ({
    send: async () => {
      throw error;
    },
  }) as unknown as DynamoDBDocumentClient;

describe('stateStoreCall', () => {
  test("returns the call's result", async () => {
    await expect(stateStoreCall('read the thing', async () => 42)).resolves.toBe(42);
  });

  test('wraps a failure in a StateStoreError saying what could not be done, the cause kept', async () => {
    const cause = new Error('socket hang up');
    const error = await stateStoreCall('read the thing', () => Promise.reject(cause)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StateStoreError);
    expect(error).toMatchObject({ message: 'cannot read the thing', cause });
  });

  test('answers a failed condition with the fallback when there is one, and wraps it otherwise', async () => {
    await expect(
      stateStoreCall(
        'write the thing',
        () => Promise.reject(conditionFailure()),
        () => false,
      ),
    ).resolves.toBe(false);
    await expect(stateStoreCall('write the thing', () => Promise.reject(conditionFailure()))).rejects.toThrow(
      StateStoreError,
    );
  });
});

describe('the stores that use it', () => {
  const unreachable = failingWith(new Error('connect ECONNREFUSED'));

  test.each([
    [
      'a budget read',
      () => new DynamoRateBudgetStore(unreachable, 't').read('cfg/ex/rate'),
      'cannot read the request budget cfg/ex/rate',
    ],
    [
      'a budget write',
      () =>
        new DynamoRateBudgetStore(unreachable, 't').write(
          'cfg/ex/rate',
          { nextSlot: 0, pausedUntil: 0, holders: {} },
          3,
        ),
      'cannot write the request budget cfg/ex/rate',
    ],
    [
      'a token read',
      () => new DynamoTokenStore(unreachable, 't').get('cfg'),
      'cannot read the token of config cfg',
    ],
  ])('%s fails with a StateStoreError naming it', async (_, call, message) => {
    const error = await call().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateStoreError);
    expect((error as Error).message).toBe(message);
  });

  test('a budget write that lost the race answers false', async () => {
    const store = new DynamoRateBudgetStore(failingWith(conditionFailure()), 't');
    await expect(store.write('cfg/ex/rate', { nextSlot: 0, pausedUntil: 0, holders: {} }, 3)).resolves.toBe(
      false,
    );
  });
});
