/**
 * Write access to the extractor secrets (the JSON object `${secret::…}` reads, see
 * `SecretStore` in ./storage). Write-only by design: values go in, only names come
 * out, so no API response can ever carry a secret.
 *
 * Each call changes one named entry of one JSON document. The file adapter
 * serialises writers and replaces the file atomically; a Secrets Manager adapter
 * reads the secret, changes the entry and puts a new version (one item, no
 * cross-item transaction; a lost race between two admins is resolved by
 * re-reading and re-applying, as the change is a single-key set/remove).
 */

/** A secret's value: any JSON value (a string mostly; an object for `${secret::zoho.client_id}`). */
export type SecretValue = string | number | boolean | null | SecretValue[] | { [key: string]: SecretValue };

export interface SecretAdmin {
  /** Names of the stored secrets, sorted; never their values. */
  listNames(): Promise<string[]>;
  /** Creates or replaces one secret; the others are untouched. */
  set(name: string, value: SecretValue): Promise<void>;
  /** Removes one secret; false when there was none. */
  remove(name: string): Promise<boolean>;
}

/** Names a secret may have: what a `${secret::name}` path segment can address. */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9_$-]{1,128}$/;
