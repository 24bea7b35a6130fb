/**
 * Secrets bound to origins: each secret may only be sent to the origins
 * (`scheme://host:port`) it is bound to. This module holds the rules, pure:
 *
 * - the secrets document: the JSON object `${secret::…}` reads, plus one reserved
 *   entry, {@link ORIGINS_KEY}, mapping a secret's name to its origins. A document
 *   written by the original tool (values only) reads as "every secret unbound";
 * - which endpoint of a config carries which secret, directly (`${secret::x}` in its
 *   URL, a header, a query parameter or the body) or through the access token
 *   (`${self::auth.access_token}` carries the secrets the token is made from: the
 *   literal `auth.access_token`, or anything the token endpoint sends);
 * - {@link SecretScope}: the check at save time (every origin a secret would reach
 *   must be written literally and be one it is bound to) and at run time (the final
 *   URL of every request built from a secret-carrying endpoint, next links included).
 *
 * An unbound secret (written with a value only) is allowed, at run time, to the
 * literal origins of the config being run; the config API binds it, persistently, to
 * those origins when the first config that uses it is saved or previewed.
 */
import type { ApiConfig, CarolDestiny, Endpoint } from './config/types';
import type { ValidationIssue } from './config/validate';
import { ConfigError } from './errors';
import { isPlainObject, setOwnProperty } from './objects';
import { collectReferences, findReferences, secretNameOf } from './references';

/** The reserved entry of the secrets document; not a valid secret name (see `SECRET_NAME_PATTERN`). */
export const ORIGINS_KEY = '@origins';

/** Secret name → the origins it may be sent to; unbound secrets have no entry. */
export type SecretBindings = Record<string, string[]>;

/** A request would carry a secret to an origin it is not bound to, or the config would. */
export class SecretOriginError extends ConfigError {
  constructor(message: string) {
    super(message);
    this.name = 'SecretOriginError';
  }
}

/**
 * Parses one origin as written by the root key: an absolute `http`/`https` URL with
 * nothing after the host and port (a trailing `/` is tolerated).
 *
 * @returns the normalised origin, e.g. `https://api.example.com`, or the reason it is refused.
 * @example
 * parseOrigin('https://API.example.com:443/'); // { ok: true, origin: 'https://api.example.com' }
 */
export function parseOrigin(text: string): { ok: true; origin: string } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'must be an absolute URL such as https://api.example.com' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: 'must use http or https' };
  }
  if (url.username || url.password) return { ok: false, reason: 'must not hold a user or password' };
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || /[?#]/.test(text)) {
    return {
      ok: false,
      reason: 'must be an origin only (scheme://host:port), without path, query or fragment',
    };
  }
  return { ok: true, origin: url.origin };
}

/** Splits a secrets document into the values `${secret::…}` reads and the bindings. */
export function splitSecretDocument(document: Record<string, unknown>): {
  values: Record<string, unknown>;
  bindings: SecretBindings;
} {
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(document)) {
    if (name !== ORIGINS_KEY) setOwnProperty(values, name, value);
  }
  const bindings: SecretBindings = {};
  const stored = document[ORIGINS_KEY];
  if (isPlainObject(stored)) {
    for (const [name, origins] of Object.entries(stored)) {
      if (Object.hasOwn(values, name) && Array.isArray(origins)) {
        setOwnProperty(
          bindings,
          name,
          origins.filter((o): o is string => typeof o === 'string'),
        );
      }
    }
  }
  return { values, bindings };
}

/** One secret as the root key sees it: its name and origins (`null` when unbound), never its value. */
export interface SecretListing {
  name: string;
  origins: string[] | null;
}

/** The secrets of a document, sorted by name. */
export function listSecretEntries(document: Record<string, unknown>): SecretListing[] {
  const { values, bindings } = splitSecretDocument(document);
  return Object.keys(values)
    .sort()
    .map((name) => ({ name, origins: Object.hasOwn(bindings, name) ? bindings[name]! : null }));
}

/**
 * Sets a secret in a document (in place). With `origins` the binding is replaced;
 * without, a secret that was bound keeps its origins (a rotated value stays where it was).
 */
export function setSecretEntry(
  document: Record<string, unknown>,
  name: string,
  value: unknown,
  origins?: readonly string[],
): void {
  setOwnProperty(document, name, value);
  if (origins !== undefined) writeBinding(document, name, [...origins]);
}

/** Removes a secret and its binding (in place); false when there was none. */
export function removeSecretEntry(document: Record<string, unknown>, name: string): boolean {
  if (name === ORIGINS_KEY || !Object.hasOwn(document, name)) return false;
  delete document[name];
  writeBinding(document, name, undefined);
  return true;
}

/**
 * Binds an existing, unbound secret (in place).
 *
 * @returns the origins the secret is bound to afterwards (the existing ones when it
 *   was bound already) and whether the document changed; undefined when there is no such secret.
 */
export function bindSecretEntry(
  document: Record<string, unknown>,
  name: string,
  origins: readonly string[],
): { origins: string[]; changed: boolean } | undefined {
  const { values, bindings } = splitSecretDocument(document);
  if (!Object.hasOwn(values, name)) return undefined;
  if (Object.hasOwn(bindings, name)) return { origins: bindings[name]!, changed: false };
  writeBinding(document, name, [...origins]);
  return { origins: [...origins], changed: true };
}

function writeBinding(document: Record<string, unknown>, name: string, origins: string[] | undefined): void {
  const stored = document[ORIGINS_KEY];
  const map: Record<string, unknown> = isPlainObject(stored) ? { ...stored } : {};
  if (origins === undefined) delete map[name];
  else setOwnProperty(map, name, origins);
  if (Object.keys(map).length === 0) delete document[ORIGINS_KEY];
  else document[ORIGINS_KEY] = map;
}

/** An endpoint of a config and where it is. */
export interface ConfigEndpoint {
  /** e.g. `extractions[0].endpoint`, `extractions[0].mapping_fetch.endpoint`, `auth.refresh_token.endpoint`. */
  field: string;
  endpoint: Endpoint;
}

/** The Carol destination each of its endpoints stands for (what its requests carry). */
const carolSources = new WeakMap<Endpoint, CarolDestiny>();
const carolEndpoints = new WeakMap<CarolDestiny, Endpoint>();

/**
 * Every request to Carol of one `carol_destiny`, as an endpoint: its URL is Carol's,
 * and it carries every secret the destination references (connector id, auth). The
 * same object for the same destination, so the scope can check a request against it.
 */
export function carolEndpoint(destiny: CarolDestiny): Endpoint {
  let endpoint = carolEndpoints.get(destiny);
  if (!endpoint) {
    endpoint = { url: destiny.url };
    carolEndpoints.set(destiny, endpoint);
    carolSources.set(endpoint, destiny);
  }
  return endpoint;
}

/** Every endpoint a config sends requests to (Carol destinations included). */
export function endpointsOf(config: ApiConfig): ConfigEndpoint[] {
  const found: ConfigEndpoint[] = [];
  if (config.auth.refresh_token) {
    found.push({ field: 'auth.refresh_token.endpoint', endpoint: config.auth.refresh_token.endpoint });
  }
  config.extractions.forEach((extraction, i) => {
    found.push({ field: `extractions[${i}].endpoint`, endpoint: extraction.endpoint });
    if (extraction.mapping_fetch) {
      found.push({
        field: `extractions[${i}].mapping_fetch.endpoint`,
        endpoint: extraction.mapping_fetch.endpoint,
      });
    }
    if (extraction.carol_destiny) {
      found.push({
        field: `extractions[${i}].carol_destiny`,
        endpoint: carolEndpoint(extraction.carol_destiny),
      });
    }
  });
  return found;
}

/**
 * The origin a URL template names before its first reference, or undefined when a
 * reference decides the scheme, host or port (`${secret::base}/x`, `https://${self::host}/`).
 */
export function literalOrigin(url: string): string | undefined {
  const first = findReferences(url)[0];
  const prefix = first ? url.slice(0, url.indexOf(first.raw)) : url;
  const authority = /^https?:\/\/[^/?#]*(?=[/?#]|$)/i.exec(prefix);
  // Without references the whole URL is literal; with one, the authority must end before it.
  if (!authority || (first && authority[0].length === prefix.length)) return undefined;
  try {
    const parsed = new URL(first ? authority[0] : url);
    return parsed.username || parsed.password ? undefined : parsed.origin;
  } catch {
    return undefined;
  }
}

/**
 * A URL with no reference that is not an absolute http(s) URL (the original tool's
 * `{domain}/auth`, stored as written): it can never be requested, so it can send no
 * secret anywhere; a run fails on it, naming the field.
 */
function neverRequestable(url: string): boolean {
  return findReferences(url).length === 0 && !/^https?:\/\//i.test(url);
}

/** Secret name → where (field paths) an endpoint carries it. */
type Carried = Map<string, string[]>;

function addCarried(carried: Carried, name: string, where: string): void {
  const list = carried.get(name);
  if (list) {
    if (!list.includes(where)) list.push(where);
  } else carried.set(name, [where]);
}

/**
 * Checks and guards where a config's secrets go, against the bindings of the
 * secrets document.
 *
 * @example
 * const scope = new SecretScope(config, bindings, Object.keys(values));
 * scope.assertConfig(); // at run start
 * scope.assertRequest(endpoint, request.url); // before each request
 */
export class SecretScope {
  private readonly tokenSecrets: Carried = new Map();
  private readonly carriedCache = new WeakMap<Endpoint, Carried>();
  private readonly literalOrigins = new Map<string, Set<string>>();

  constructor(
    private readonly config: ApiConfig,
    private readonly bindings: SecretBindings,
    /** The names of the secrets that exist (a reference to the whole object carries them all). */
    private readonly names: readonly string[],
  ) {
    this.collectSecrets(config.auth.access_token ?? '', 'auth.access_token', this.tokenSecrets, false);
    if (config.auth.refresh_token) {
      this.collectSecrets(
        config.auth.refresh_token.endpoint,
        'auth.refresh_token.endpoint',
        this.tokenSecrets,
        false,
      );
    }
    for (const { endpoint } of endpointsOf(config)) {
      const origin = literalOrigin(endpoint.url);
      if (origin === undefined) continue;
      for (const name of this.carriedBy(endpoint).keys()) {
        const set = this.literalOrigins.get(name) ?? new Set<string>();
        set.add(origin);
        this.literalOrigins.set(name, set);
      }
    }
  }

  /** The origins a secret may reach in this config: its binding, or (unbound) the config's literal origins. */
  allowedOrigins(name: string): string[] {
    // Own entries only: a secret may be called `constructor`.
    if (Object.hasOwn(this.bindings, name)) return this.bindings[name]!;
    return [...(this.literalOrigins.get(name) ?? [])];
  }

  /** Secrets this config sends somewhere that are not bound yet, with the origins they would be bound to. */
  unboundInUse(): SecretBindings {
    const found: SecretBindings = {};
    for (const { endpoint } of endpointsOf(this.config)) {
      for (const name of this.carriedBy(endpoint).keys()) {
        if (name !== '' && this.names.includes(name) && !Object.hasOwn(this.bindings, name)) {
          const origins = this.allowedOrigins(name);
          // A config naming no origin for it (`{domain}/auth`) binds nothing.
          if (origins.length > 0) setOwnProperty(found, name, origins);
        }
      }
    }
    return found;
  }

  /**
   * Every place where the config would send a secret where it may not go, and every
   * secret a Carol destination reads that does not exist (its load would fail at the end).
   */
  issues(): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    for (const { field, endpoint } of endpointsOf(this.config)) {
      const origin = literalOrigin(endpoint.url);
      for (const [name, where] of this.carriedBy(endpoint)) {
        const secret = name === '' ? 'every secret (a reference must name one secret)' : `secret "${name}"`;
        for (const path of where) {
          if (name === '') {
            issues.push({ path, message: `reads ${secret}` });
          } else if (carolSources.has(endpoint) && !this.names.includes(name)) {
            issues.push({
              path,
              message: `reads ${secret}, which does not exist; create it (PUT /secrets/{name}) before loading into Carol with it`,
            });
          } else if (origin === undefined) {
            if (neverRequestable(endpoint.url)) continue;
            issues.push({
              path,
              message: `sends ${secret} to an origin that ${field}.url does not write literally (a reference decides its scheme, host or port); ${describeAllowed(this.allowedOrigins(name))}`,
            });
          } else if (!this.allowedOrigins(name).includes(origin)) {
            issues.push({
              path,
              message: `sends ${secret} to ${origin}; ${describeAllowed(this.allowedOrigins(name))}`,
            });
          }
        }
      }
    }
    return issues;
  }

  /** Refuses a config that would send a secret where it may not go (at run start). */
  assertConfig(): void {
    const issues = this.issues();
    if (issues.length > 0) {
      throw new SecretOriginError(
        `config refused: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
      );
    }
  }

  /**
   * Refuses a request built from `endpoint` whose final URL (after next links and
   * query parameters) leaves the origins every secret it carries may reach.
   */
  assertRequest(endpoint: Endpoint, url: string): void {
    const carried = this.carriedBy(endpoint);
    if (carried.size === 0) return;
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      throw new SecretOriginError('request refused: its URL is not absolute, and it carries a secret');
    }
    for (const name of carried.keys()) {
      const names = name === '' ? this.names : [name];
      for (const one of names) {
        const allowed = this.allowedOrigins(one);
        if (!allowed.includes(origin)) {
          throw new SecretOriginError(
            `request to ${origin} refused: it carries secret "${one}"; ${describeAllowed(allowed)}`,
          );
        }
      }
    }
  }

  private carriedBy(endpoint: Endpoint): Carried {
    let carried = this.carriedCache.get(endpoint);
    if (!carried) {
      carried = new Map();
      const carol = carolSources.get(endpoint);
      if (carol) this.collectSecrets(carol, this.fieldOf(endpoint), carried, true);
      else this.collectSecrets(endpoint, '', carried, true);
      this.carriedCache.set(endpoint, carried);
    }
    return carried;
  }

  private collectSecrets(value: unknown, base: string, into: Carried, followToken: boolean): void {
    const field = base || this.fieldOf(value as Endpoint);
    for (const ref of collectReferences(value)) {
      const where = ref.location ? `${field}.${ref.location}` : field;
      if (ref.type === 'secret') addCarried(into, secretNameOf(ref.path), where);
      else if (followToken && ref.type === 'self' && ref.path === 'auth.access_token') {
        for (const name of this.tokenSecrets.keys()) addCarried(into, name, `${where} (the access token)`);
      }
    }
  }

  private fieldOf(endpoint: Endpoint): string {
    return endpointsOf(this.config).find((e) => e.endpoint === endpoint)?.field ?? 'endpoint';
  }
}

function describeAllowed(origins: readonly string[]): string {
  return origins.length === 0
    ? 'it may not be sent anywhere (bind it with PUT /secrets/{name} and "origins")'
    : `it may only be sent to ${origins.join(', ')}`;
}

/** A `${secret::…}` reference, without a default, to a secret that does not exist. */
export interface MissingSecret {
  /** Where the reference is, e.g. `extractions[0].auth.password`. */
  path: string;
  /** The secret's name. */
  secret: string;
}

/** The references of `config` to secrets not in `existing` (names) that have no default, in config order. */
export function missingSecrets(config: unknown, existing: readonly string[]): MissingSecret[] {
  const known = new Set(existing);
  return collectReferences(config)
    .filter(
      (ref) => ref.type === 'secret' && ref.defaultValue === undefined && !known.has(secretNameOf(ref.path)),
    )
    .map((ref) => ({ path: ref.location, secret: secretNameOf(ref.path) }));
}
