/**
 * SecretAdmin on Secrets Manager: sets and removes entries of the extractor secret,
 * the JSON object `SecretsManagerStore` reads (`api-extractor-config/{stage}/extractor-secrets`).
 *
 * Each change is read-modify-write: `GetSecretValue`, change one entry, `PutSecretValue`
 * of the whole object (a new version; the other entries keep their order). Secrets
 * Manager has no conditional put, so changes are serialised: within this process by
 * a queue, across processes (config-api replicas) by the `mutex` option, a lease
 * item in DynamoDB (`DynamoLease`); without it two replicas changing secrets at the
 * same moment could overwrite each other's entry.
 *
 * Values never leave this class: not in errors (messages name the secret and the
 * entry only; a JSON parse error, which would quote the text, is not kept as a
 * cause; a failed put keeps only the SDK error's name and status), not in logs.
 */
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  bindSecretEntry,
  listSecretEntries,
  removeSecretEntry,
  setSecretEntry,
} from '../../core/secretOrigins';
import type { SecretAdmin, SecretListing, SecretValue } from '../../ports/secrets';
import type { Mutex } from './dynamoLease';
import { AwsAdapterError } from './errors';

/** Reading or writing the extractor secret failed, or it does not hold a JSON object. */
export class SecretAdminError extends AwsAdapterError {}

export interface SecretsManagerAdminOptions {
  /** Serialises changes across processes (e.g. a `DynamoLease`); default: this process only. */
  mutex?: Mutex;
  /** Called after every change (e.g. to drop a cached reader's copy). */
  onChange?: () => void;
}

type Secrets = Record<string, unknown>;

/** What a read found: the object (`{}` when the secret does not exist yet). */
interface Read {
  exists: boolean;
  secrets: Secrets;
}

/**
 * @example
 * const admin = new SecretsManagerAdmin(clients.secrets, settings.names.extractorSecret);
 * await admin.set('zoho_refresh_token', '1000.abc');
 */
export class SecretsManagerAdmin implements SecretAdmin {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly options: SecretsManagerAdminOptions = {},
  ) {}

  async listNames(): Promise<string[]> {
    return (await this.list()).map((secret) => secret.name);
  }

  async list(): Promise<SecretListing[]> {
    return listSecretEntries((await this.read()).secrets);
  }

  /** The origins go in the same JSON object (a reserved entry), so a value and its binding change together. */
  async set(name: string, value: SecretValue, origins?: readonly string[]): Promise<void> {
    await this.change(name, (secrets) => {
      setSecretEntry(secrets, name, value, origins);
      return true;
    });
  }

  remove(name: string): Promise<boolean> {
    return this.change(name, (secrets) => removeSecretEntry(secrets, name));
  }

  async bind(name: string, origins: readonly string[]): Promise<string[] | undefined> {
    let bound: string[] | undefined;
    await this.change(name, (secrets) => {
      const result = bindSecretEntry(secrets, name, origins);
      bound = result?.origins;
      return result?.changed ?? false;
    });
    return bound;
  }

  /** Applies `edit` to the current object and saves it; false when `edit` found nothing to change. */
  private change(name: string, edit: (secrets: Secrets) => boolean): Promise<boolean> {
    const work = async (): Promise<boolean> => {
      // A secret created by someone else between our read and our create: read again.
      for (let attempt = 1; attempt <= 3; attempt++) {
        const current = await this.read();
        if (!edit(current.secrets)) return false;
        if (await this.write(current, name)) {
          this.options.onChange?.();
          return true;
        }
      }
      throw new SecretAdminError(`secret ${this.secretId} kept appearing and disappearing; try again`);
    };
    const { mutex } = this.options;
    return this.exclusive(() => (mutex ? mutex.exclusive(work) : work()));
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async read(): Promise<Read> {
    let text: string | undefined;
    try {
      const response = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
      text = response.SecretString;
    } catch (err) {
      if (err instanceof ResourceNotFoundException) return { exists: false, secrets: {} };
      throw new SecretAdminError(`cannot read secret ${this.secretId}`, { cause: err });
    }
    if (text === undefined) {
      throw new SecretAdminError(
        `secret ${this.secretId} has no string value (binary secrets are not supported)`,
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // No cause: the parser's message quotes the text, which is secret.
      throw new SecretAdminError(
        `secret ${this.secretId} is not valid JSON; it must hold a JSON object of secrets`,
      );
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new SecretAdminError(`secret ${this.secretId} must hold a JSON object of secrets`);
    }
    return { exists: true, secrets: value as Secrets };
  }

  /** Saves the object; false when the secret was absent and someone else created it meanwhile. */
  private async write(read: Read, name: string): Promise<boolean> {
    const SecretString = JSON.stringify(read.secrets);
    try {
      if (read.exists) {
        await this.client.send(new PutSecretValueCommand({ SecretId: this.secretId, SecretString }));
      } else {
        await this.client.send(new CreateSecretCommand({ Name: this.secretId, SecretString }));
      }
      return true;
    } catch (err) {
      if (err instanceof ResourceExistsException) return false;
      throw new SecretAdminError(
        `cannot save secret entry "${name}" in ${this.secretId} (${describeSdkError(err)})`,
      );
    }
  }
}

/** The SDK error's name and HTTP status, never its message (which could echo the request). */
function describeSdkError(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown error';
  const status = (err as Error & { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === undefined ? err.name : `${err.name}, HTTP ${status}`;
}
