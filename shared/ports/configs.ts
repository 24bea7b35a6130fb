/**
 * Saved configs and their history.
 *
 * Every change (create, update, delete) appends one *version* of a config:
 * `(configId, version)` with version 1, 2, 3… and no gaps. Appending version `n+1`
 * is a single conditional write ("no item exists at (id, n+1)"), which is the whole
 * commit: the current config is simply its newest version, unless that version is
 * a deletion. So a DynamoDB adapter needs one `PutItem` with
 * `attribute_not_exists` per change and no cross-item transaction, and two
 * concurrent writers of the same config can never both win:
 *
 *   writer A reads v3 ─┐                 ┌─ put v4 (not exists) ✓
 *   writer B reads v3 ─┴─ both edit ─────┴─ put v4 (not exists) ✗ ConfigConflictError
 *
 * Because versions are dense, "v(n+1) does not exist" also proves that v(n), which
 * the writer read as current and not deleted, still is.
 *
 * The document is kept as JSON text, never as a native map, so the key order the
 * user wrote (the column order of a `data_schema`) survives every store.
 */

/** One saved version of a config. */
export interface ConfigVersion {
  configId: string;
  /** 1 for the creation, then +1 per change. */
  version: number;
  /** The config document (with its `id` and extraction ids) as JSON text; on a deletion, the last document. */
  json: string;
  /** ISO-8601: when version 1 was saved. */
  createdAt: string;
  /** ISO-8601: when this version was saved. */
  updatedAt: string;
  /** Name of the API key that made the change (never the key itself). */
  updatedBy: string;
  /** This version records the deletion of the config. */
  deleted: boolean;
}

/** Who changed a config, and when; the caller's clock decides `at` (ISO-8601). */
export interface ConfigChangeAuthor {
  at: string;
  by: string;
}

export interface ConfigCreation extends ConfigChangeAuthor {
  configId: string;
  json: string;
}

export interface ConfigUpdate extends ConfigChangeAuthor {
  configId: string;
  /** The version the change was made from (the one `get` returned). */
  expectedVersion: number;
  json: string;
}

export interface ConfigDeletion extends ConfigChangeAuthor {
  configId: string;
  expectedVersion: number;
}

export interface ConfigRepository {
  /** The current version of every live (not deleted) config, oldest created first. */
  list(): Promise<ConfigVersion[]>;
  /** The current version; undefined when the config never existed or was deleted. */
  get(configId: string): Promise<ConfigVersion | undefined>;
  /** Saves version 1. Throws {@link ConfigConflictError} when the id is already taken. */
  create(change: ConfigCreation): Promise<ConfigVersion>;
  /**
   * Saves version `expectedVersion + 1`. Throws {@link ConfigNotFoundError} when there
   * is no live config, {@link ConfigConflictError} when it moved past `expectedVersion`.
   */
  update(change: ConfigUpdate): Promise<ConfigVersion>;
  /** Saves a deletion version (holding the last document); same errors as `update`. */
  delete(change: ConfigDeletion): Promise<ConfigVersion>;
  /** Every version, deletions included, newest first; empty when the id never existed. */
  history(configId: string): Promise<ConfigVersion[]>;
}

export interface ConfigStoreErrorOptions {
  cause?: unknown;
}

/** Base class of the errors a ConfigRepository throws on purpose. */
export class ConfigStoreError extends Error {
  constructor(message: string, options?: ConfigStoreErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** There is no live config with this id. */
export class ConfigNotFoundError extends ConfigStoreError {
  constructor(readonly configId: string) {
    super(`config ${configId} does not exist`);
  }
}

/** Another write got there first (the id is taken, or the config moved on): read again and retry. */
export class ConfigConflictError extends ConfigStoreError {
  constructor(
    readonly configId: string,
    message = `config ${configId} was changed by another request`,
    options?: ConfigStoreErrorOptions,
  ) {
    super(message, options);
  }
}

/** A config document larger than the store can keep (DynamoDB: one item of 400 KB). */
export class ConfigTooLargeError extends ConfigStoreError {
  constructor(
    readonly configId: string,
    readonly bytes: number,
    readonly limitBytes: number,
  ) {
    super(
      `config is ${Math.ceil(bytes / 1024)} KB as JSON; at most ${Math.floor(limitBytes / 1024)} KB can be stored`,
    );
    this.name = 'ConfigTooLargeError';
  }
}
