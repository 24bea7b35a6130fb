/**
 * The local object store: `s3://bucket/key` lives at `<root>/<bucket>/<key>`.
 * Objects are written to a temporary file in the same directory and renamed into
 * place, so a reader sees the whole file or nothing.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Chunk, ObjectStore } from '../../ports/storage';

export class FileObjectStore implements ObjectStore {
  constructor(private readonly root: string) {}

  private pathOf(bucket: string, key: string): string {
    const base = resolve(this.root, bucket);
    const path = resolve(base, key);
    if (!path.startsWith(base + sep)) throw new Error(`object key escapes its bucket: ${bucket}/${key}`);
    return path;
  }

  async put(bucket: string, key: string, body: AsyncIterable<Chunk>): Promise<void> {
    const target = this.pathOf(bucket, key);
    await mkdir(dirname(target), { recursive: true });
    const temp = join(dirname(target), `.${randomUUID()}.partial`);
    try {
      await pipeline(Readable.from(body, { objectMode: false }), createWriteStream(temp));
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async get(bucket: string, key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.pathOf(bucket, key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  describe(bucket: string, key: string): string {
    return `s3://${bucket}/${key}`;
  }
}
