/**
 * The local object store: `s3://bucket/key` lives at `<root>/<bucket>/<key>`.
 * Objects are written to a temporary file in the same directory and renamed into
 * place, so a reader sees the whole file or nothing.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Chunk, ObjectStore } from '../../ports/storage';
import { SpooledFile } from './scratch';

/** A bucket or key that would put an object outside the storage root (or its bucket). */
export class ObjectLocationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ObjectLocationError';
  }
}

export class FileObjectStore implements ObjectStore {
  constructor(private readonly root: string) {}

  /**
   * `<root>/<bucket>`. The config schema already holds bucket names to S3's rules;
   * this store checks again, whoever calls it, that a bucket is exactly one
   * directory inside the root (not `..`, `.`, an absolute path or a nested path).
   */
  private bucketDir(bucket: string): string {
    const root = resolve(this.root);
    const base = resolve(root, bucket);
    if (bucket === '' || /[\\/]/.test(bucket) || dirname(base) !== root) {
      throw new ObjectLocationError(
        `bucket ${JSON.stringify(bucket)} is not a directory inside the storage root`,
      );
    }
    return base;
  }

  /** `<root>/<bucket>/<key>`, refused when the key leaves its bucket. */
  private pathOf(bucket: string, key: string): string {
    const base = this.bucketDir(bucket);
    const path = resolve(base, key);
    if (!path.startsWith(base + sep)) {
      throw new ObjectLocationError(
        `object key ${JSON.stringify(key)} escapes bucket ${JSON.stringify(bucket)}`,
      );
    }
    return path;
  }

  async put(bucket: string, key: string, body: AsyncIterable<Chunk> | Iterable<Chunk>): Promise<void> {
    await this.write(bucket, key, body, (temp, target) => rename(temp, target));
  }

  /**
   * Owners are claimed in `<root>/.owners/<bucket>/<key>` (outside every bucket: a
   * bucket name never starts with a dot), by `link()`, which refuses an existing
   * target atomically where `rename()` would replace it. The claim comes first, so a
   * writer killed between claim and object finds its own claim when it retries.
   */
  async putIfAbsent(
    bucket: string,
    key: string,
    body: AsyncIterable<Chunk> | Iterable<Chunk>,
    owner: string,
  ): Promise<boolean> {
    const claim = this.ownerPath(bucket, key);
    return this.write(bucket, key, body, async (temp, target) => {
      try {
        await mkdir(dirname(claim), { recursive: true });
        const claimTemp = `${claim}.${randomUUID()}.partial`;
        await writeFile(claimTemp, owner);
        let claimed = true;
        try {
          await link(claimTemp, claim);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          claimed = false;
        } finally {
          await rm(claimTemp, { force: true });
        }
        if (!claimed) {
          if ((await readFile(claim, 'utf8')) !== owner) return false;
          await rename(temp, target);
          return true;
        }
        try {
          await link(temp, target);
          return true;
        } catch (err) {
          // An object written by put(), with no owner: not ours to replace.
          await rm(claim, { force: true });
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
          throw err;
        }
      } finally {
        await rm(temp, { force: true });
      }
    });
  }

  /** Where the owner of an object written by {@link putIfAbsent} is recorded. */
  private ownerPath(bucket: string, key: string): string {
    const object = this.pathOf(bucket, key);
    return join(resolve(this.root), '.owners', relative(resolve(this.root), object));
  }

  /** Writes `body` to a temporary file beside the target, then `place`s it. */
  private async write<T>(
    bucket: string,
    key: string,
    body: AsyncIterable<Chunk> | Iterable<Chunk>,
    place: (temp: string, target: string) => Promise<T>,
  ): Promise<T> {
    const target = this.pathOf(bucket, key);
    await mkdir(dirname(target), { recursive: true });
    const temp = join(dirname(target), `.${randomUUID()}.partial`);
    try {
      if (body instanceof SpooledFile && (await body.settle())) {
        // The spool is complete: the kernel copies it, no bytes pass through the heap.
        await copyFile(body.path, temp);
      } else {
        await pipeline(Readable.from(body, { objectMode: false }), createWriteStream(temp));
      }
      return await place(temp, target);
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

  async list(bucket: string, prefix: string): Promise<string[]> {
    const base = this.bucketDir(bucket);
    let entries;
    try {
      entries = await readdir(base, { recursive: true, withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return entries
      .filter((e) => e.isFile() && !e.name.endsWith('.partial'))
      .map((e) => relative(base, join(e.parentPath, e.name)).split(sep).join('/'))
      .filter((key) => key.startsWith(prefix))
      .sort();
  }

  async deletePrefix(bucket: string, prefix: string): Promise<void> {
    for (const key of await this.list(bucket, prefix)) await rm(this.pathOf(bucket, key), { force: true });
  }

  /**
   * Removes temporary files that a killed writer left behind (they are never listed
   * or visible as objects). Only files older than `olderThanMs` go, so a write in
   * progress in another process is safe. Returns how many were removed.
   */
  async sweepPartials(olderThanMs = 60 * 60 * 1000, now = Date.now()): Promise<number> {
    let entries;
    try {
      entries = await readdir(this.root, { recursive: true, withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    let removed = 0;
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith('.partial')) continue;
      const path = join(entry.parentPath, entry.name);
      const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: now }));
      if (now - mtimeMs < olderThanMs) continue;
      await rm(path, { force: true });
      removed++;
    }
    return removed;
  }

  describe(bucket: string, key: string): string {
    return `s3://${bucket}/${key}`;
  }
}
