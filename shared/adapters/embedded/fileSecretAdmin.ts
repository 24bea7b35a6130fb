/**
 * SecretAdmin on `<data-dir>/secrets.json`, the file the local SecretStore reads.
 * Writers in this process are serialised; each write goes to a private temp file
 * (mode 0600) that is renamed over the old one, so a reader sees the old or the new
 * object, never half of one. Other entries keep their order.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  bindSecretEntry,
  listSecretEntries,
  removeSecretEntry,
  setSecretEntry,
} from '../../core/secretOrigins';
import type { SecretAdmin, SecretListing, SecretValue } from '../../ports/secrets';

export class SecretFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretFileError';
  }
}

export class FileSecretAdmin implements SecretAdmin {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly path: string) {}

  async listNames(): Promise<string[]> {
    return (await this.list()).map((secret) => secret.name);
  }

  async list(): Promise<SecretListing[]> {
    return listSecretEntries(await this.read());
  }

  set(name: string, value: SecretValue, origins?: readonly string[]): Promise<void> {
    return this.exclusive(async () => {
      const secrets = await this.read();
      setSecretEntry(secrets, name, value, origins);
      await this.write(secrets);
    });
  }

  remove(name: string): Promise<boolean> {
    return this.exclusive(async () => {
      const secrets = await this.read();
      if (!removeSecretEntry(secrets, name)) return false;
      await this.write(secrets);
      return true;
    });
  }

  bind(name: string, origins: readonly string[]): Promise<string[] | undefined> {
    return this.exclusive(async () => {
      const secrets = await this.read();
      const bound = bindSecretEntry(secrets, name, origins);
      if (bound?.changed) await this.write(secrets);
      return bound?.origins;
    });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async read(): Promise<Record<string, unknown>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new SecretFileError(`cannot read ${this.path}`, { cause: err });
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // No cause: V8's message quotes the text around the fault, i.e. a secret.
      throw new SecretFileError(`${this.path} is not valid JSON`);
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      throw new SecretFileError(`${this.path} must hold a JSON object of secrets`);
    }
    return value as Record<string, unknown>;
  }

  private async write(secrets: Record<string, unknown>): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temp = `${this.path}.${randomUUID()}.tmp`;
    try {
      await writeFile(temp, JSON.stringify(secrets, null, 2), { mode: 0o600 });
      await rename(temp, this.path);
    } catch (err) {
      await rm(temp, { force: true });
      throw new SecretFileError(`cannot write ${this.path}`, { cause: err });
    }
  }
}
