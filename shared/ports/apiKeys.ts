/**
 * API keys of the config API: one root key and one named key per person, so the
 * config history says who changed what.
 *
 * Only a SHA-256 hash of each key is stored. A key is 32 random bytes, so a fast
 * hash is enough (there is nothing to brute-force, unlike a password), and it makes
 * the hash a lookup key: a DynamoDB adapter keeps one item per name plus a
 * `key_hash` index, and every change is one conditional write on one item.
 * The hash found is still compared with `timingSafeEqual`, so no comparison in our
 * code leaks timing about a stored value.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Who presented a key. */
export interface ApiKeyIdentity {
  name: string;
  /** The root key may create keys, manage secrets and act on every key. */
  root: boolean;
}

/** A key as issued: the only time the plain key exists outside the caller's hands. */
export interface IssuedApiKey {
  name: string;
  apiKey: string;
}

export interface ApiKeyCreateOptions {
  root?: boolean;
  /** Use this key instead of generating one (the root key from `$ROOT_API_KEY`). */
  apiKey?: string;
}

export interface ApiKeyRepository {
  /**
   * Creates the key `name` and returns it once; only its hash is kept.
   * Throws {@link ApiKeyExistsError} when the name is taken.
   */
  create(name: string, options?: ApiKeyCreateOptions): Promise<IssuedApiKey>;
  /**
   * Replaces the key of `name` (the old one stops working at once) and returns the
   * new one. Throws {@link ApiKeyNotFoundError}.
   */
  refresh(name: string, apiKey?: string): Promise<IssuedApiKey>;
  /**
   * Deletes a named key; false when there was none. Throws {@link RootApiKeyError}
   * for the root key, which only the deployment can remove.
   */
  delete(name: string): Promise<boolean>;
  /** The owner of a presented key; undefined when no stored key matches. */
  findByKey(presented: string): Promise<ApiKeyIdentity | undefined>;
  get(name: string): Promise<ApiKeyIdentity | undefined>;
  /** The root key's identity; undefined before the first start. */
  findRoot(): Promise<ApiKeyIdentity | undefined>;
  /** Every key's name and whether it is the root key (never a key or its hash), by name. */
  list(): Promise<ApiKeyIdentity[]>;
}

export interface ApiKeyErrorOptions {
  cause?: unknown;
}

/** Base class of the errors an ApiKeyRepository throws on purpose. */
export class ApiKeyStoreError extends Error {
  constructor(message: string, options?: ApiKeyErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ApiKeyExistsError extends ApiKeyStoreError {
  constructor(
    readonly keyName: string,
    options?: ApiKeyErrorOptions,
  ) {
    super(`api key "${keyName}" already exists`, options);
  }
}

export class ApiKeyNotFoundError extends ApiKeyStoreError {
  constructor(readonly keyName: string) {
    super(`api key "${keyName}" does not exist`);
  }
}

export class RootApiKeyError extends ApiKeyStoreError {
  constructor(readonly keyName: string) {
    super(`"${keyName}" is the root key: it cannot be deleted through the API`);
  }
}

/** Bytes of randomness in a generated key (64 hex characters). */
const KEY_BYTES = 32;

/** A new high-entropy key. */
export function generateApiKey(): string {
  return randomBytes(KEY_BYTES).toString('hex');
}

/** What is stored instead of the key: its SHA-256, hex. */
export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex');
}

/** Compares two hex hashes in constant time (false when either is malformed). */
export function sameKeyHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === 32 && right.length === 32 && timingSafeEqual(left, right);
}
