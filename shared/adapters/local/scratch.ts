/** Scratch files in a local directory (the OS temp dir by default). */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScratchFile, ScratchSpace } from '../../ports/storage';

export class LocalScratchSpace implements ScratchSpace {
  constructor(private readonly dir: string = join(tmpdir(), 'api-extractor')) {}

  async create(label: string): Promise<ScratchFile> {
    await mkdir(this.dir, { recursive: true });
    const safe = label.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 80);
    return new LocalScratchFile(join(this.dir, `${safe}.${randomUUID()}.spool`));
  }
}

/**
 * The contents of a local scratch file: a stream of chunks for any object store, and
 * a path that the local object store can move into place without copying bytes
 * through JavaScript (a long run's output is hundreds of megabytes).
 */
export class SpooledFile implements AsyncIterable<Buffer> {
  constructor(
    readonly path: string,
    /** Flushes pending writes; false when nothing was ever written. */
    readonly settle: () => Promise<boolean>,
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    if (!(await this.settle())) return;
    yield* createReadStream(this.path, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>;
  }
}

/**
 * Bytes a scratch file buffers before `append` waits: a page's CSV (about 150 KB for
 * 1,000 rows of the bench) goes to the disk in one `writev` rather than one write per
 * slice the encoder hands over.
 */
const SCRATCH_BUFFER_BYTES = 1 << 20;

class LocalScratchFile implements ScratchFile {
  private stream: WriteStream | undefined;
  private corked = false;

  constructor(private readonly path: string) {}

  async append(chunk: string): Promise<void> {
    this.stream ??= createWriteStream(this.path, { highWaterMark: SCRATCH_BUFFER_BYTES });
    const stream = this.stream;
    if (!this.corked) {
      // Appends made in this turn of the event loop are written together.
      this.corked = true;
      stream.cork();
      process.nextTick(() => {
        this.corked = false;
        stream.uncork();
      });
    }
    if (!stream.write(chunk)) await once(stream, 'drain');
  }

  read(): SpooledFile {
    return new SpooledFile(this.path, async () => {
      if (this.stream && !this.stream.writableFinished) {
        this.stream.end();
        await once(this.stream, 'finish');
      }
      return this.stream !== undefined;
    });
  }

  async dispose(): Promise<void> {
    if (this.stream && !this.stream.closed) {
      this.stream.destroy();
      await once(this.stream, 'close').catch(() => undefined);
    }
    await rm(this.path, { force: true });
  }
}
