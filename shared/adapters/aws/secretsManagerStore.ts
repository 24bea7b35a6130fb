/**
 * SecretStore on Secrets Manager: one secret whose string is a JSON object of
 * extractor secrets. Read through a short cache, so a burst of messages does not
 * call Secrets Manager once each, while a rotated secret is seen within the TTL.
 */
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { systemClock, type Clock } from '../../ports/logger';
import type { SecretStore } from '../../ports/storage';
import { SecretStoreError } from './errors';

export interface SecretsManagerStoreOptions {
  /** How long a read value is reused, in milliseconds (default 60 000; 0 reads every time). */
  ttlMs?: number;
  clock?: Clock;
}

interface Cached {
  value: Promise<Record<string, unknown>>;
  expiresAt: number;
}

/**
 * An absent secret reads as `{}`, as an absent `secrets.json` does locally: a
 * deployment without secrets is valid, and `bootstrap` creates the secret as `{}`
 * anyway. A config that references a missing key still fails, with the key named.
 *
 * @example
 * const secrets = new SecretsManagerStore(clients.secrets, settings.names.extractorSecret);
 * const { api_token } = await secrets.getAll();
 */
export class SecretsManagerStore implements SecretStore {
  private readonly ttlMs: number;
  private readonly clock: Clock;
  private cached: Cached | undefined;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    options: SecretsManagerStoreOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.clock = options.clock ?? systemClock;
  }

  getAll(): Promise<Record<string, unknown>> {
    const now = this.clock.now().getTime();
    if (this.cached && now < this.cached.expiresAt) return this.cached.value;
    // The promise is cached, so concurrent callers share one request; a failure is
    // not cached, so the next call tries again.
    const value = this.read();
    const entry: Cached = { value, expiresAt: now + this.ttlMs };
    this.cached = entry;
    value.catch(() => {
      if (this.cached === entry) this.cached = undefined;
    });
    return value;
  }

  private async read(): Promise<Record<string, unknown>> {
    let text: string | undefined;
    try {
      const response = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
      text = response.SecretString;
    } catch (err) {
      if (err instanceof ResourceNotFoundException) return {};
      throw new SecretStoreError(`cannot read secret ${this.secretId}`, { cause: err });
    }
    if (text === undefined)
      throw new SecretStoreError(
        `secret ${this.secretId} has no string value (binary secrets are not supported)`,
      );
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // No `cause` on purpose: the parser's message quotes the text, which is secret.
      throw new SecretStoreError(
        `secret ${this.secretId} is not valid JSON; it must hold a JSON object of secrets`,
      );
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new SecretStoreError(
        `secret ${this.secretId} must hold a JSON object of secrets, not ${describeJson(value)}`,
      );
    }
    return value as Record<string, unknown>;
  }
}

const describeJson = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
