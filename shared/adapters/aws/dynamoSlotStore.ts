/**
 * SlotStore on DynamoDB, in the configs table: `SLOT#{configId}` / `SLOT` holds
 * `lastSlot`, the ISO-8601 time of the config's last claimed slot.
 *
 * A claim is one conditional `UpdateItem`: `SET lastSlot = :slot` only if the item
 * is absent or `lastSlot < :slot` (ISO-8601 UTC strings of one format sort as
 * times). With `ReturnValues: ALL_OLD`, no old item means the config was new
 * ('baseline'); a failed condition means this slot or a later one was claimed
 * already, by this replica or another ('taken'). So of several scheduler replicas
 * ticking at once exactly one gets 'claimed' for a slot.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SlotClaim, SlotStore } from '../../ports/scheduler';
import { ControlTableError } from './dynamoConfigStore';
import { isConditionFailure, keyPart } from './dynamoSupport';

const slotKey = (configId: string) => ({ pk: `SLOT#${keyPart(configId)}`, sk: 'SLOT' });

/**
 * @example
 * const slots = new DynamoSlotStore(clients.documents, settings.names.tables.configs);
 * if ((await slots.claim(configId, slot.toISOString())) === 'claimed') await startRun(config);
 */
export class DynamoSlotStore implements SlotStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async claim(configId: string, slot: string): Promise<SlotClaim> {
    try {
      const response = await this.documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: slotKey(configId),
          UpdateExpression: 'SET lastSlot = :slot, configId = :id',
          ConditionExpression: 'attribute_not_exists(pk) OR lastSlot < :slot',
          ExpressionAttributeValues: { ':slot': slot, ':id': configId },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return response.Attributes ? 'claimed' : 'baseline';
    } catch (err) {
      if (isConditionFailure(err)) return 'taken';
      throw new ControlTableError(`cannot claim slot ${slot} of config ${configId}`, { cause: err });
    }
  }
}
