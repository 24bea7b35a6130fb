/**
 * ConfigRepository on DynamoDB: one item per config version in the configs table.
 *
 * | pk                    | sk                        | item                                                       |
 * |-----------------------|---------------------------|------------------------------------------------------------|
 * | `CONFIG#{configId}`   | `V#{version, 10 digits}`  | configId, version, json, createdAt, updatedAt, updatedBy, deleted |
 *
 * Every change (create, update, delete) is one `PutItem` of version n+1 with
 * `attribute_not_exists(pk)`: that write is the whole commit, so of two concurrent
 * edits from version n exactly one wins and the other gets ConfigConflictError (see
 * the port). The document is a JSON **string** attribute: a DynamoDB map would not
 * keep the key order the user wrote.
 *
 * - `get` and `history` query the config's partition backwards (newest first),
 *   strongly consistent, so a version is visible as soon as its write returns.
 * - `list` is a strongly consistent `Scan` of the version items, keeping the newest
 *   version of each config as it goes. The table holds configs, API keys and
 *   schedule slots only (a few thousand small items for a team), and a Scan is the
 *   one way to list them with a single conditional write per change and without an
 *   eventually consistent index (a config just created must be listed).
 * - A DynamoDB item holds at most 400 KB: a version over {@link MAX_CONFIG_JSON_BYTES}
 *   is refused with {@link ConfigTooLargeError} before anything is written.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, QueryCommand, paginateQuery, paginateScan } from '@aws-sdk/lib-dynamodb';
import {
  ConfigConflictError,
  type ConfigCreation,
  type ConfigDeletion,
  ConfigNotFoundError,
  type ConfigRepository,
  type ConfigUpdate,
  type ConfigVersion,
  ConfigTooLargeError,
} from '../../ports/configs';
import { isConditionFailure, keyPart } from './dynamoSupport';
import { AwsAdapterError } from './errors';

/** A DynamoDB call behind the config, API-key or slot store failed. */
export class ControlTableError extends AwsAdapterError {}

/** Room for the document in a 400 KB item, leaving space for the other attributes. */
export const MAX_CONFIG_JSON_BYTES = 380 * 1024;
const VERSION_DIGITS = 10;
const PARTITION_PREFIX = 'CONFIG#';

interface VersionItem {
  pk: string;
  sk: string;
  configId: string;
  version: number;
  json: string;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
  deleted: boolean;
}

const partition = (configId: string): string => `${PARTITION_PREFIX}${keyPart(configId)}`;
const versionSort = (version: number): string => `V#${String(version).padStart(VERSION_DIGITS, '0')}`;

function toVersion(item: Record<string, unknown>): ConfigVersion {
  const v = item as unknown as VersionItem;
  return {
    configId: v.configId,
    version: Number(v.version),
    json: v.json,
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
    updatedBy: v.updatedBy,
    deleted: v.deleted === true,
  };
}

/**
 * @example
 * const configs = new DynamoConfigStore(clients.documents, settings.names.tables.configs);
 * await configs.create({ configId, json, at: new Date().toISOString(), by: 'ana' });
 */
export class DynamoConfigStore implements ConfigRepository {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async list(): Promise<ConfigVersion[]> {
    const newest = new Map<string, ConfigVersion>();
    try {
      const pages = paginateScan(
        { client: this.documents },
        {
          TableName: this.table,
          FilterExpression: 'begins_with(pk, :prefix)',
          ExpressionAttributeValues: { ':prefix': PARTITION_PREFIX },
          ConsistentRead: true,
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          const version = toVersion(item);
          const seen = newest.get(version.configId);
          if (!seen || seen.version < version.version) newest.set(version.configId, version);
        }
      }
    } catch (err) {
      throw new ControlTableError('cannot list configs', { cause: err });
    }
    return [...newest.values()]
      .filter((v) => !v.deleted)
      .sort((a, b) =>
        a.createdAt === b.createdAt ? compare(a.configId, b.configId) : compare(a.createdAt, b.createdAt),
      );
  }

  async get(configId: string): Promise<ConfigVersion | undefined> {
    const latest = await this.latest(configId);
    return latest && !latest.deleted ? latest : undefined;
  }

  async create(change: ConfigCreation): Promise<ConfigVersion> {
    const version: ConfigVersion = {
      configId: change.configId,
      version: 1,
      json: change.json,
      createdAt: change.at,
      updatedAt: change.at,
      updatedBy: change.by,
      deleted: false,
    };
    if (!(await this.append(version))) {
      throw new ConfigConflictError(change.configId, `config ${change.configId} already exists`);
    }
    return version;
  }

  async update(change: ConfigUpdate): Promise<ConfigVersion> {
    const current = await this.live(change.configId, change.expectedVersion);
    const next: ConfigVersion = {
      ...current,
      version: current.version + 1,
      json: change.json,
      updatedAt: change.at,
      updatedBy: change.by,
    };
    if (!(await this.append(next))) await this.explainRefusal(change.configId);
    return next;
  }

  async delete(change: ConfigDeletion): Promise<ConfigVersion> {
    const current = await this.live(change.configId, change.expectedVersion);
    const next: ConfigVersion = {
      ...current,
      version: current.version + 1,
      updatedAt: change.at,
      updatedBy: change.by,
      deleted: true,
    };
    if (!(await this.append(next))) await this.explainRefusal(change.configId);
    return next;
  }

  async history(configId: string): Promise<ConfigVersion[]> {
    const versions: ConfigVersion[] = [];
    try {
      const pages = paginateQuery(
        { client: this.documents },
        {
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': partition(configId) },
          ScanIndexForward: false,
          ConsistentRead: true,
        },
      );
      for await (const page of pages) for (const item of page.Items ?? []) versions.push(toVersion(item));
    } catch (err) {
      throw new ControlTableError(`cannot read the history of config ${configId}`, { cause: err });
    }
    return versions;
  }

  /** Writes a version if no item holds its number yet; false when one does. */
  private async append(version: ConfigVersion): Promise<boolean> {
    const bytes = Buffer.byteLength(version.json, 'utf8');
    if (bytes > MAX_CONFIG_JSON_BYTES)
      throw new ConfigTooLargeError(version.configId, bytes, MAX_CONFIG_JSON_BYTES);
    const item: VersionItem = {
      pk: partition(version.configId),
      sk: versionSort(version.version),
      ...version,
    };
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw new ControlTableError(`cannot save version ${version.version} of config ${version.configId}`, {
        cause: err,
      });
    }
  }

  /** Version `expected`, when it exists and is not a deletion; otherwise the reason as an error. */
  private async live(configId: string, expected: number): Promise<ConfigVersion> {
    let item: Record<string, unknown> | undefined;
    try {
      const response = await this.documents.send(
        new GetCommand({
          TableName: this.table,
          Key: { pk: partition(configId), sk: versionSort(expected) },
          ConsistentRead: true,
        }),
      );
      item = response.Item;
    } catch (err) {
      throw new ControlTableError(`cannot read version ${expected} of config ${configId}`, { cause: err });
    }
    const version = item && toVersion(item);
    if (!version || version.deleted) return this.explainRefusal(configId);
    return version;
  }

  private async latest(configId: string): Promise<ConfigVersion | undefined> {
    try {
      const response = await this.documents.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': partition(configId) },
          ScanIndexForward: false,
          Limit: 1,
          ConsistentRead: true,
        }),
      );
      const [item] = response.Items ?? [];
      return item && toVersion(item);
    } catch (err) {
      throw new ControlTableError(`cannot read config ${configId}`, { cause: err });
    }
  }

  /** The change was refused: the config is gone (or never was), or it moved past the expected version. */
  private async explainRefusal(configId: string): Promise<never> {
    const latest = await this.latest(configId);
    if (!latest || latest.deleted) throw new ConfigNotFoundError(configId);
    throw new ConfigConflictError(configId);
  }
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
