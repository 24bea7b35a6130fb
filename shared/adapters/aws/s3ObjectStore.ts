/**
 * ObjectStore on S3. Writes stream through a multipart upload (@aws-sdk/lib-storage):
 * the object becomes visible only when the upload completes, and a failure aborts the
 * upload, so a reader never sees a partial object.
 */
import { Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Chunk, ObjectStore } from '../../ports/storage';
import { ObjectStoreError } from './errors';

export interface S3ObjectStoreOptions {
  /** Bytes per uploaded part (S3's minimum, 5 MiB, by default). Memory use is about `partSize × queueSize`. */
  partSize?: number;
  /** Parts uploaded in parallel (default 4). */
  queueSize?: number;
}

const MIN_PART_SIZE = 5 * 1024 * 1024;
/** The object metadata (`x-amz-meta-…`) naming who wrote an object through putIfAbsent. */
const OWNER_METADATA = 'extractor-owner';
/** No object under the key (HeadObject's 404). */
const ABSENT = Symbol('absent');
/** DeleteObjects takes at most this many keys per call. */
const DELETE_BATCH = 1000;

const toBuffer = (chunk: Chunk): Buffer =>
  typeof chunk === 'string'
    ? Buffer.from(chunk, 'utf8')
    : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);

/** S3's answer to `If-None-Match: *` on an existing key (412 Precondition Failed). */
const isPreconditionFailure = (err: unknown): boolean =>
  (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode === 412 ||
  (err as { name?: string } | undefined)?.name === 'PreconditionFailed';

/**
 * @example
 * const store = new S3ObjectStore(clients.s3);
 * await store.put('api-extractor-output-dev-1', 'deals/2026.csv', rows());
 */
export class S3ObjectStore implements ObjectStore {
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(
    private readonly s3: S3Client,
    options: S3ObjectStoreOptions = {},
  ) {
    this.partSize = options.partSize ?? MIN_PART_SIZE;
    this.queueSize = options.queueSize ?? 4;
    if (this.partSize < MIN_PART_SIZE)
      throw new ObjectStoreError(`partSize must be at least ${MIN_PART_SIZE} bytes`);
    if (!Number.isInteger(this.queueSize) || this.queueSize < 1)
      throw new ObjectStoreError('queueSize must be a positive integer');
  }

  async put(bucket: string, key: string, body: AsyncIterable<Chunk> | Iterable<Chunk>): Promise<void> {
    await this.upload(bucket, key, body, false);
  }

  /**
   * Who wrote the key is read first (HeadObject, the owner in the object's metadata),
   * so a refusal reads nothing of `body`: another owner's object (or one without an
   * owner) is refused, this owner's is replaced. An absent key is created with
   * `If-None-Match: *`; losing that race to this same owner (a task delivered twice,
   * which writes the same bytes) counts as written.
   */
  async putIfAbsent(
    bucket: string,
    key: string,
    body: AsyncIterable<Chunk> | Iterable<Chunk>,
    owner: string,
  ): Promise<boolean> {
    const metadata = { [OWNER_METADATA]: owner };
    const existing = await this.ownerOf(bucket, key);
    if (existing === owner) return this.upload(bucket, key, body, false, metadata);
    if (existing !== ABSENT) return false;
    if (await this.upload(bucket, key, body, true, metadata)) return true;
    return (await this.ownerOf(bucket, key)) === owner;
  }

  /** The owner recorded on an object, '' when it has none, ABSENT when there is no object. */
  private async ownerOf(bucket: string, key: string): Promise<string | typeof ABSENT> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return head.Metadata?.[OWNER_METADATA] ?? '';
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
        return ABSENT;
      throw new ObjectStoreError(`cannot read ${this.describe(bucket, key)}`, { cause: err });
    }
  }

  /**
   * Streams `body` into `key`. With `ifAbsent`, S3 checks `If-None-Match: *` when the
   * object is committed (PutObject, or CompleteMultipartUpload for a large body) and
   * answers 412 if the key exists: false then, and nothing is written.
   */
  private async upload(
    bucket: string,
    key: string,
    body: AsyncIterable<Chunk> | Iterable<Chunk>,
    ifAbsent: boolean,
    metadata?: Record<string, string>,
  ): Promise<boolean> {
    // The body's own error is what the caller must see, not the upload's wrapping of it.
    let bodyError: { error: unknown } | undefined;
    async function* bytes(): AsyncGenerator<Buffer> {
      try {
        for await (const chunk of body) yield toBuffer(chunk);
      } catch (error) {
        bodyError = { error };
        throw error;
      }
    }
    const stream = Readable.from(bytes());
    const upload = new Upload({
      client: this.s3,
      params: {
        Bucket: bucket,
        Key: key,
        Body: stream,
        ...(metadata ? { Metadata: metadata } : {}),
        ...(ifAbsent ? { IfNoneMatch: '*' } : {}),
      },
      partSize: this.partSize,
      queueSize: this.queueSize,
      // false is the default, stated because "no partial object" depends on it:
      // on any failure the multipart upload is aborted and its parts dropped.
      leavePartsOnError: false,
    });
    try {
      await upload.done();
      return true;
    } catch (err) {
      // An S3 failure leaves the body half read: release whatever feeds it.
      stream.destroy();
      if (bodyError) throw bodyError.error;
      if (ifAbsent && isPreconditionFailure(err)) return false;
      throw new ObjectStoreError(`cannot write ${this.describe(bucket, key)}`, { cause: err });
    }
  }

  async get(bucket: string, key: string): Promise<Buffer | undefined> {
    try {
      const response = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!response.Body) return Buffer.alloc(0);
      return Buffer.from(await response.Body.transformToByteArray());
    } catch (err) {
      if (err instanceof NoSuchKey) return undefined;
      throw new ObjectStoreError(`cannot read ${this.describe(bucket, key)}`, { cause: err });
    }
  }

  async list(bucket: string, prefix: string): Promise<string[]> {
    const keys: string[] = [];
    try {
      for await (const page of paginateListObjectsV2(
        { client: this.s3 },
        { Bucket: bucket, Prefix: prefix },
      )) {
        for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
      }
    } catch (err) {
      throw new ObjectStoreError(`cannot list ${this.describe(bucket, prefix)}`, { cause: err });
    }
    // S3 orders by UTF-8 bytes; sort as the other adapters do so every store agrees.
    return keys.sort();
  }

  async deletePrefix(bucket: string, prefix: string): Promise<void> {
    const keys = await this.list(bucket, prefix);
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH);
      let errors;
      try {
        const response = await this.s3.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        errors = response.Errors ?? [];
      } catch (err) {
        throw new ObjectStoreError(`cannot delete under ${this.describe(bucket, prefix)}`, { cause: err });
      }
      if (errors.length > 0) {
        const sample = errors
          .slice(0, 5)
          .map((e) => `${e.Key ?? '?'} (${e.Code ?? 'error'}: ${e.Message ?? ''})`);
        throw new ObjectStoreError(
          `cannot delete ${errors.length} object(s) under ${this.describe(bucket, prefix)}: ${sample.join(', ')}`,
        );
      }
    }
  }

  describe(bucket: string, key: string): string {
    return `s3://${bucket}/${key}`;
  }
}
