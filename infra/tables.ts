/**
 * DynamoDB table arguments derived from bootstrap.ts's `CreateTableCommandInput`
 * definitions, so `npm run bootstrap` (emulators, sandboxes) and `pulumi up`
 * (real deployments) cannot drift apart: keys, attribute types and indexes come from
 * one place.
 */
import type * as aws from '@pulumi/aws';
import type { CreateTableCommandInput, KeySchemaElement } from '@aws-sdk/client-dynamodb';
import { InfraConfigError } from './errors';

function keyOf(
  schema: KeySchemaElement[] | undefined,
  type: 'HASH' | 'RANGE',
  what: string,
): string | undefined {
  const name = schema?.find((k) => k.KeyType === type)?.AttributeName;
  if (type === 'HASH' && !name) throw new InfraConfigError(`${what} has no HASH key`);
  return name;
}

/**
 * The Pulumi arguments of a bootstrap table definition (on-demand billing, the same
 * keys, attributes and local secondary indexes). Global secondary indexes are not
 * used by the product; a definition with one is refused rather than silently dropped.
 *
 * @example
 * new aws.dynamodb.Table('runs', tableArgs(runsTable(names.tables.runs)));
 */
export function tableArgs(definition: CreateTableCommandInput): aws.dynamodb.TableArgs {
  const name = definition.TableName;
  if (!name) throw new InfraConfigError('a table definition has no TableName');
  if (definition.GlobalSecondaryIndexes?.length) {
    throw new InfraConfigError(
      `table ${name}: global secondary indexes are not supported by infra/tables.ts`,
    );
  }
  const hashKey = keyOf(definition.KeySchema, 'HASH', `table ${name}`);
  const rangeKey = keyOf(definition.KeySchema, 'RANGE', `table ${name}`);
  const localSecondaryIndexes = (definition.LocalSecondaryIndexes ?? []).map((index) => {
    const indexName = index.IndexName ?? '';
    const indexHash = keyOf(index.KeySchema, 'HASH', `index ${indexName} of ${name}`);
    if (indexHash !== hashKey) {
      throw new InfraConfigError(`index ${indexName} of ${name}: a local index shares the table's hash key`);
    }
    const indexRange = keyOf(index.KeySchema, 'RANGE', `index ${indexName} of ${name}`);
    if (!indexRange) throw new InfraConfigError(`index ${indexName} of ${name} has no RANGE key`);
    return {
      name: indexName,
      rangeKey: indexRange,
      projectionType: index.Projection?.ProjectionType ?? 'ALL',
      ...(index.Projection?.NonKeyAttributes ? { nonKeyAttributes: index.Projection.NonKeyAttributes } : {}),
    };
  });
  return {
    name,
    billingMode: definition.BillingMode ?? 'PAY_PER_REQUEST',
    hashKey,
    ...(rangeKey ? { rangeKey } : {}),
    attributes: (definition.AttributeDefinitions ?? []).map((a) => ({
      name: a.AttributeName ?? '',
      type: a.AttributeType ?? 'S',
    })),
    ...(localSecondaryIndexes.length ? { localSecondaryIndexes } : {}),
  };
}
