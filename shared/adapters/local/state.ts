/**
 * File-backed state for the command line: `last` records, execution logs and
 * secrets under the data directory. Writes go to a temp file and are renamed, so a
 * crash never leaves a half-written state file.
 */
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ExecutionLog, ExecutionLogStore } from '../../ports/executionLog';
import { KeyedMutex } from '../../extract/concurrency';
import type { LastRecordStore, SecretStore, StoredToken, TokenStore } from '../../ports/storage';

const fileName = (id: string): string => `${encodeURIComponent(id)}.json`;

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // The parser's message quotes the file's text, which may be a secret: say only where,
    // and attach no cause that could carry the text into a log.
    // eslint-disable-next-line preserve-caught-error
    if (err instanceof SyntaxError) throw new Error(`${path} is not valid JSON`);
    // eslint-disable-next-line preserve-caught-error
    throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${randomUUID()}.tmp`;
  await writeFile(temp, JSON.stringify(value, null, 2));
  await rename(temp, path);
}

export class FileLastRecordStore implements LastRecordStore {
  constructor(private readonly dir: string) {}
  async get(extractionId: string): Promise<unknown> {
    const stored = (await readJson(join(this.dir, fileName(extractionId)))) as { last?: unknown } | undefined;
    return stored?.last;
  }
  set(extractionId: string, record: unknown): Promise<void> {
    return writeJsonAtomically(join(this.dir, fileName(extractionId)), { last: record });
  }
}

/** One JSON line per execution log, a file per extraction. */
export class FileExecutionLogStore implements ExecutionLogStore {
  constructor(private readonly dir: string) {}
  async append(log: ExecutionLog): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await appendFile(
      join(this.dir, `${encodeURIComponent(log.extraction_id)}.jsonl`),
      JSON.stringify(log) + '\n',
    );
  }
  async list(extractionId: string): Promise<ExecutionLog[]> {
    let text: string;
    try {
      text = await readFile(join(this.dir, `${encodeURIComponent(extractionId)}.jsonl`), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as ExecutionLog)
      .reverse();
  }
}

/** `<data-dir>/secrets.json`: a JSON object; absent means no secrets. */
export class FileSecretStore implements SecretStore {
  constructor(private readonly path: string) {}
  async getAll(): Promise<Record<string, unknown>> {
    const value = await readJson(this.path);
    if (value === undefined) return {};
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      throw new Error(`${this.path} must hold a JSON object of secrets`);
    }
    return value as Record<string, unknown>;
  }
}

export class MemoryTokenStore implements TokenStore {
  private readonly tokens = new Map<string, StoredToken>();
  private readonly mutex = new KeyedMutex();
  exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.mutex.exclusive(key, work);
  }
  async get(configId: string): Promise<StoredToken | undefined> {
    return this.tokens.get(configId);
  }
  async put(configId: string, token: StoredToken): Promise<void> {
    this.tokens.set(configId, token);
  }
}
