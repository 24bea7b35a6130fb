/**
 * ApiKeyRepository on DynamoDB, in the configs table. Only SHA-256 hashes of keys
 * are written.
 *
 * | pk                 | sk        | item                                          |
 * |--------------------|-----------|-----------------------------------------------|
 * | `APIKEY#{name}`    | `APIKEY`  | name, keyHash, root, createdAt, updatedAt     |
 * | `KEYHASH#{sha256}` | `KEYHASH` | name, keyHash, root: the lookup by key        |
 * | `ROOTKEY`          | `ROOTKEY` | name: which key is the root (at most one)     |
 *
 * The hash item makes `findByKey` one strongly consistent `GetItem` (a GSI on the
 * hash would be eventually consistent: a key just issued or refreshed must work, an
 * old one must stop at once). Each change writes the name item and its hash
 * item(s) in one `TransactWriteItems`, each conditional, so a name or a key cannot
 * be taken twice and a refresh or delete that raced another one is retried from a
 * fresh read. The root key's items are never deleted.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  GetCommand,
  paginateScan,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  type ApiKeyCreateOptions,
  ApiKeyExistsError,
  type ApiKeyIdentity,
  ApiKeyNotFoundError,
  type ApiKeyRepository,
  ApiKeyStoreError,
  generateApiKey,
  hashApiKey,
  type IssuedApiKey,
  RootApiKeyError,
  sameKeyHash,
} from '../../ports/apiKeys';
import { type Clock, systemClock } from '../../ports/logger';
import { ControlTableError } from './dynamoConfigStore';
import { cancelledConditions, keyPart, retryingConflicts } from './dynamoSupport';

type TransactItems = NonNullable<TransactWriteCommandInput['TransactItems']>;

interface NameItem {
  name: string;
  keyHash: string;
  root: boolean;
}

const nameKey = (name: string) => ({ pk: `APIKEY#${keyPart(name)}`, sk: 'APIKEY' });
const hashKey = (hash: string) => ({ pk: `KEYHASH#${hash}`, sk: 'KEYHASH' });
const ROOT_MARKER = { pk: 'ROOTKEY', sk: 'ROOTKEY' };
/** Attempts of a refresh or delete that keeps losing races against other changes of the same key. */
const MAX_RACES = 5;

const keyInUse = (): ApiKeyStoreError =>
  new ApiKeyStoreError('that key is already in use under another name');

/**
 * @example
 * const apiKeys = new DynamoApiKeyStore(clients.documents, settings.names.tables.configs);
 * const { apiKey } = await apiKeys.create('ana'); // shown once
 */
export class DynamoApiKeyStore implements ApiKeyRepository {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: Clock = systemClock,
  ) {}

  async create(name: string, options: ApiKeyCreateOptions = {}): Promise<IssuedApiKey> {
    const apiKey = options.apiKey ?? generateApiKey();
    const keyHash = hashApiKey(apiKey);
    const root = options.root === true;
    const now = this.clock.now().toISOString();
    const items: TransactItems = [
      {
        Put: {
          TableName: this.table,
          Item: { ...nameKey(name), name, keyHash, root, createdAt: now, updatedAt: now },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.table,
          Item: { ...hashKey(keyHash), name, keyHash, root },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
    if (root) {
      items.push({
        Put: {
          TableName: this.table,
          Item: { ...ROOT_MARKER, name },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    const failed = await this.transact(items, `create api key "${name}"`);
    if (failed?.[0]) throw new ApiKeyExistsError(name);
    if (failed?.[1]) throw keyInUse();
    if (failed?.[2]) throw new ApiKeyStoreError(`a root key exists already; "${name}" cannot be another one`);
    return { name, apiKey };
  }

  async refresh(name: string, apiKey: string = generateApiKey()): Promise<IssuedApiKey> {
    const keyHash = hashApiKey(apiKey);
    for (let attempt = 1; ; attempt++) {
      const current = await this.nameItem(name);
      if (!current) throw new ApiKeyNotFoundError(name);
      if (current.keyHash === keyHash) return { name, apiKey };
      const failed = await this.transact(
        [
          {
            Update: {
              TableName: this.table,
              Key: nameKey(name),
              UpdateExpression: 'SET keyHash = :new, updatedAt = :now',
              ConditionExpression: 'keyHash = :old',
              ExpressionAttributeValues: {
                ':new': keyHash,
                ':old': current.keyHash,
                ':now': this.clock.now().toISOString(),
              },
            },
          },
          {
            Put: {
              TableName: this.table,
              Item: { ...hashKey(keyHash), name, keyHash, root: current.root },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          { Delete: { TableName: this.table, Key: hashKey(current.keyHash) } },
        ],
        `refresh api key "${name}"`,
      );
      if (!failed) return { name, apiKey };
      if (failed[1]) throw keyInUse();
      // The name item changed meanwhile (another refresh, a delete): start again from a fresh read.
      if (attempt >= MAX_RACES) throw new ApiKeyStoreError(`api key "${name}" keeps changing; try again`);
    }
  }

  async delete(name: string): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.nameItem(name);
      if (!current) return false;
      if (current.root) throw new RootApiKeyError(name);
      const failed = await this.transact(
        [
          {
            Delete: {
              TableName: this.table,
              Key: nameKey(name),
              ConditionExpression: 'keyHash = :hash AND root = :false',
              ExpressionAttributeValues: { ':hash': current.keyHash, ':false': false },
            },
          },
          { Delete: { TableName: this.table, Key: hashKey(current.keyHash) } },
        ],
        `delete api key "${name}"`,
      );
      if (!failed) return true;
      if (attempt >= MAX_RACES) throw new ApiKeyStoreError(`api key "${name}" keeps changing; try again`);
    }
  }

  async findByKey(presented: string): Promise<ApiKeyIdentity | undefined> {
    const keyHash = hashApiKey(presented);
    const item = await this.getItem(hashKey(keyHash), 'find an api key');
    if (!item || typeof item.keyHash !== 'string' || !sameKeyHash(item.keyHash, keyHash)) return undefined;
    return { name: String(item.name), root: item.root === true };
  }

  async get(name: string): Promise<ApiKeyIdentity | undefined> {
    const item = await this.nameItem(name);
    return item && { name: item.name, root: item.root };
  }

  async findRoot(): Promise<ApiKeyIdentity | undefined> {
    const marker = await this.getItem(ROOT_MARKER, 'find the root key');
    return marker ? { name: String(marker.name), root: true } : undefined;
  }

  /** A consistent Scan of the name items (the table's config versions are filtered out). */
  async list(): Promise<ApiKeyIdentity[]> {
    const keys: ApiKeyIdentity[] = [];
    try {
      const pages = paginateScan(
        { client: this.documents },
        {
          TableName: this.table,
          FilterExpression: 'sk = :sk',
          ExpressionAttributeValues: { ':sk': nameKey('').sk },
          ConsistentRead: true,
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) keys.push({ name: String(item.name), root: item.root === true });
      }
    } catch (err) {
      throw new ControlTableError('cannot list api keys', { cause: err });
    }
    return keys.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private async nameItem(name: string): Promise<NameItem | undefined> {
    const item = await this.getItem(nameKey(name), `read api key "${name}"`);
    if (!item) return undefined;
    return { name: String(item.name), keyHash: String(item.keyHash), root: item.root === true };
  }

  private async getItem(
    key: { pk: string; sk: string },
    what: string,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const response = await this.documents.send(
        new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }),
      );
      return response.Item;
    } catch (err) {
      throw new ControlTableError(`cannot ${what}`, { cause: err });
    }
  }

  /** Runs the transaction; undefined when it committed, else which items failed their condition. */
  private async transact(items: TransactItems, what: string): Promise<boolean[] | undefined> {
    try {
      await retryingConflicts(() => this.documents.send(new TransactWriteCommand({ TransactItems: items })));
      return undefined;
    } catch (err) {
      const failed = cancelledConditions(err);
      if (failed?.some(Boolean)) return failed;
      throw new ControlTableError(`cannot ${what}`, { cause: err });
    }
  }
}
