/**
 * Write access to the extractor secrets (the JSON object `${secret::…}` reads, see
 * `SecretStore` in ./storage). Write-only by design: values go in, only names and
 * the origins each secret is bound to come out, so no API response can ever carry a
 * secret. The bindings live in the same JSON object, under a reserved entry (see
 * `shared/core/secretOrigins.ts`), so a value and its origins change together.
 *
 * Each call changes one named entry of one JSON document. The file adapter
 * serialises writers and replaces the file atomically; a Secrets Manager adapter
 * reads the secret, changes the entry and puts a new version (one item, no
 * cross-item transaction; a lost race between two admins is resolved by
 * re-reading and re-applying, as the change is a single-key set/remove).
 */
import type { SecretListing } from '../core/secretOrigins';

export type { SecretListing };

/** A secret's value: any JSON value (a string mostly; an object for `${secret::zoho.client_id}`). */
export type SecretValue = string | number | boolean | null | SecretValue[] | { [key: string]: SecretValue };

export interface SecretAdmin {
  /** Names of the stored secrets, sorted; never their values. */
  listNames(): Promise<string[]>;
  /** The stored secrets sorted by name, each with its origins (null when unbound); never their values. */
  list(): Promise<SecretListing[]>;
  /**
   * Creates or replaces one secret; the others are untouched. With `origins` its
   * binding is replaced; without, a bound secret keeps its origins.
   */
  set(name: string, value: SecretValue, origins?: readonly string[]): Promise<void>;
  /** Removes one secret and its binding; false when there was none. */
  remove(name: string): Promise<boolean>;
  /**
   * Binds an existing secret that has no origins yet (first use); a bound one is left
   * as it is. Returns the origins in force afterwards, undefined when there is no such secret.
   */
  bind(name: string, origins: readonly string[]): Promise<string[] | undefined>;
}

/** Names a secret may have: what a `${secret::name}` path segment can address. */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9_$-]{1,128}$/;
