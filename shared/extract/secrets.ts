/**
 * The secrets of a run: the values `${secret::…}` reads (the reserved bindings entry
 * left out, so it is neither readable nor registered as a secret) and the scope that
 * keeps each secret on the origins it is bound to.
 */
import type { ApiConfig } from '../core/config/types';
import { type SecretBindings, SecretScope, splitSecretDocument } from '../core/secretOrigins';
import type { SecretStore } from '../ports/storage';

export interface RunSecrets {
  values: Record<string, unknown>;
  bindings: SecretBindings;
}

export async function loadSecrets(store: SecretStore): Promise<RunSecrets> {
  return splitSecretDocument(await store.getAll());
}

export function secretScope(config: ApiConfig, secrets: RunSecrets): SecretScope {
  return new SecretScope(config, secrets.bindings, Object.keys(secrets.values));
}
