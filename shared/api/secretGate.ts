/**
 * Where a config may send secrets, checked when it is saved, previewed or executed
 * through the API: every origin it would send a secret to must be written literally
 * and be one the secret is bound to. A secret written without origins is bound here,
 * on first use, to the origins this config sends it to (persisted, shown to the root
 * key by `GET /secrets`); a secret that does not exist yet is bound when it is first
 * used after it was written. Runs check the same rules again, request by request.
 */
import type { ApiConfig } from '../core/config/types';
import { setOwnProperty } from '../core/objects';
import { collectReferences } from '../core/references';
import { missingSecrets, type SecretBindings, SecretScope } from '../core/secretOrigins';
import type { SecretAdmin } from '../ports/secrets';
import { invalidConfig } from './errors';

/** Bindings can change between our read and our bind (another admin): re-read this often at most. */
const MAX_ROUNDS = 3;

/** Something to know about a config that is accepted anyway, at the field it names. */
export interface ConfigWarning {
  path: string;
  message: string;
}

/**
 * Returns warnings about secrets the config references that do not exist yet (without
 * a default): the config is accepted, since the secret may be set later, but its runs
 * fail until then. Never a value: only names and fields.
 * @throws ApiError 400 naming the field, the secret and its allowed origins.
 * @example
 * const warnings = await admitSecrets(prepared.config, deps.secretAdmin); // before configs.create
 */
export async function admitSecrets(config: ApiConfig, admin: SecretAdmin): Promise<ConfigWarning[]> {
  // No `${secret::…}` anywhere: nothing can carry a secret (an access token is made of
  // the config's own references), so the secret store need not be read at all.
  if (!collectReferences(config).some((reference) => reference.type === 'secret')) return [];
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const listing = await admin.list();
    const bindings: SecretBindings = {};
    for (const secret of listing) if (secret.origins) setOwnProperty(bindings, secret.name, secret.origins);
    const scope = new SecretScope(
      config,
      bindings,
      listing.map((s) => s.name),
    );
    const issues = scope.issues();
    if (issues.length > 0) throw invalidConfig(issues);
    const unbound = Object.entries(scope.unboundInUse());
    if (unbound.length === 0)
      return missingSecretWarnings(
        config,
        listing.map((s) => s.name),
      );
    // First use: bind, then check again against what is stored (another admin may have bound it first).
    for (const [name, origins] of unbound) await admin.bind(name, origins);
  }
  throw invalidConfig([
    { path: '', message: 'secret bindings kept changing while checking this config; try again' },
  ]);
}

function missingSecretWarnings(config: ApiConfig, existing: string[]): ConfigWarning[] {
  return missingSecrets(config, existing).map(({ path, secret }) => ({
    path,
    message: `secret "${secret}" does not exist: the config is saved, but its runs fail until the secret is set with PUT /secrets/${secret}`,
  }));
}
