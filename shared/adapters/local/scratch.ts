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

class LocalScratchFile implements ScratchFile {
  private stream: WriteStream | undefined;

  constructor(private readonly path: string) {}

  async append(chunk: string): Promise<void> {
    this.stream ??= createWriteStream(this.path);
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async *read(): AsyncIterable<Buffer> {
    if (!this.stream) return;
    if (!this.stream.writableFinished) {
      this.stream.end();
      await once(this.stream, 'finish');
    }
    yield* createReadStream(this.path, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>;
  }

  async dispose(): Promise<void> {
    if (this.stream && !this.stream.closed) {
      this.stream.destroy();
      await once(this.stream, 'close').catch(() => undefined);
    }
    await rm(this.path, { force: true });
  }
}
