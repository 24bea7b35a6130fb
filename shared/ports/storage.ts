/**
 * Storage ports. The engine reaches storage only through these; the composition
 * root picks the adapter (local filesystem now, S3/DynamoDB in the distributed mode).
 */

/** Bytes as the engine produces them. */
export type Chunk = string | Uint8Array;

/** Where output files go: S3 or `<data-dir>/s3/<bucket>/<key>`. */
export interface ObjectStore {
  /**
   * Writes an object from a stream of chunks. The object appears whole or not at all:
   * if `body` throws, nothing is visible under `key` and the error is rethrown.
   */
  put(bucket: string, key: string, body: AsyncIterable<Chunk> | Iterable<Chunk>): Promise<void>;
  /**
   * Writes like {@link put}, but only when no object exists under `key`, or when the
   * one there was written by this same `owner` (a retry of the same run replaces its
   * own object): false (and nothing written) when another owner's object, or one
   * written by {@link put}, is there. The check and the write are one atomic step, so
   * of several owners racing for a key exactly one gets it.
   */
  putIfAbsent(
    bucket: string,
    key: string,
    body: AsyncIterable<Chunk> | Iterable<Chunk>,
    owner: string,
  ): Promise<boolean>;
  /** Reads an object; undefined when it does not exist. */
  get(bucket: string, key: string): Promise<Buffer | undefined>;
  /** Keys under a prefix, in lexicographic order. */
  list(bucket: string, prefix: string): Promise<string[]>;
  /** Deletes every object under a prefix (staging clean-up); no error when there are none. */
  deletePrefix(bucket: string, prefix: string): Promise<void>;
  /** Human-readable location, e.g. `s3://bucket/key`. */
  describe(bucket: string, key: string): string;
}

/** A private temporary file the writer spools rows into before the final upload. */
export interface ScratchFile {
  /** Appends text; resolves when it may be called again (backpressure). */
  append(chunk: string): Promise<void>;
  /** Flushes and reads everything appended so far, in order. */
  read(): AsyncIterable<Buffer>;
  /** Removes the file; safe to call twice. */
  dispose(): Promise<void>;
}

export interface ScratchSpace {
  create(label: string): Promise<ScratchFile>;
}

/** The `last` raw record of each extraction's previous successful run. */
export interface LastRecordStore {
  get(extractionId: string): Promise<unknown>;
  set(extractionId: string, record: unknown): Promise<void>;
}

/** The JSON object of extractor secrets (`${secret::…}`). */
export interface SecretStore {
  getAll(): Promise<Record<string, unknown>>;
}

/** Refreshed tokens, kept apart from the saved config. */
export interface TokenStore {
  get(configId: string): Promise<StoredToken | undefined>;
  put(configId: string, token: StoredToken): Promise<void>;
  /**
   * Runs `work` while no other caller, in this process or any other sharing the store,
   * runs work under the same `key` (a lease that expires if its holder dies): the
   * token refresh of a config happens once however many workers need it.
   */
  exclusive<T>(key: string, work: () => Promise<T>): Promise<T>;
}

export interface StoredToken {
  accessToken: string;
  /** Epoch milliseconds; undefined when the token endpoint gave no lifetime. */
  expiresAt?: number;
  /** The refresh token the token endpoint last returned (`refresh_grant`), for the next refresh. */
  refreshToken?: string;
}
