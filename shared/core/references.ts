/**
 * References: `${type::path, default}` and, equally, `$(type::path, default)`.
 *
 * Scanning rules:
 * - `$` not followed by `{` or `(` is literal text; so is a `${`/`$(` that is never closed.
 * - The closing bracket is the one that balances the opening one, so a default
 *   may contain bracket pairs (`$(last::x, f(1))` has default `f(1)`).
 * - Inside: the default is everything after the first comma (trimmed; an empty
 *   default `${last::x,}` is the empty string). Before it, type and path are split
 *   at the first `::`; without `::` the whole text is the type and the path is
 *   empty, so a typo such as `${self:auth.token}` surfaces as an unknown type at
 *   validation instead of being sent as literal text.
 */
import { ReferenceResolutionError } from './errors';
import { isPlainObject, setOwnProperty, toText } from './objects';

export const REFERENCE_TYPES = ['self', 'secret', 'last', 'extracted_item'] as const;
export type ReferenceType = (typeof REFERENCE_TYPES)[number];

/** One reference as written in a string. */
export interface ReferenceToken {
  /** The reference exactly as written, e.g. `$(last::id, 1)`. */
  raw: string;
  /** The type as written (not validated, so validation can report unknown types). */
  type: string;
  /** The JsonField after `::`, trimmed. */
  path: string;
  /** Text after the first comma, trimmed; absent when there is no comma. */
  defaultValue?: string;
}

/**
 * Looks a reference up: returns the value, or `undefined` when there is none
 * (then the default applies). `null` is a value.
 */
export type ReferenceLookup = (type: ReferenceType, path: string) => unknown;

interface Located {
  start: number;
  end: number;
  token: ReferenceToken;
}

/** True when `type` is one of {@link REFERENCE_TYPES}. */
export function isReferenceType(type: string): type is ReferenceType {
  return (REFERENCE_TYPES as readonly string[]).includes(type);
}

/**
 * Finds every reference in a string, in order.
 *
 * @example
 * findReferences('Bearer ${self::auth.access_token}');
 * // [{ raw: '${self::auth.access_token}', type: 'self', path: 'auth.access_token' }]
 */
export function findReferences(text: string): ReferenceToken[] {
  return scan(text).map((l) => l.token);
}

/**
 * Finds the references in every string nested in `value` (values only, not
 * keys), each with the location of its string, e.g. `endpoint.headers.Authorization`
 * or `items[0]`; a string passed directly has location `''`.
 */
export function collectReferences(value: unknown): Array<ReferenceToken & { location: string }> {
  const found: Array<ReferenceToken & { location: string }> = [];
  const walk = (node: unknown, location: string): void => {
    if (typeof node === 'string') {
      for (const token of findReferences(node)) found.push({ ...token, location });
    } else if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, `${location}[${i}]`));
    } else if (isPlainObject(node)) {
      for (const [key, child] of Object.entries(node)) walk(child, location ? `${location}.${key}` : key);
    }
  };
  walk(value, '');
  return found;
}

/** True when any string nested in `value` contains a reference. */
export function hasReferences(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('$') && scan(value).length > 0;
  if (Array.isArray(value)) return value.some(hasReferences);
  if (isPlainObject(value)) return Object.values(value).some(hasReferences);
  return false;
}

/**
 * Resolves the references in one string.
 *
 * - A string that is exactly one reference (no surrounding text, not even
 *   spaces) returns the referenced value with its type: a number stays a number,
 *   an object stays an object. Its default, being text, is read as a JSON
 *   number, `true`, `false` or `null` when it is one, so `$(last::id, 1)` gives
 *   the number 1; any other default stays a string.
 * - Otherwise each reference is replaced by its value as text (objects and arrays
 *   as JSON, null as the empty string) or by its default text.
 *
 * @throws ReferenceResolutionError when a reference has no value and no default,
 *   or has an unknown type.
 * @example
 * resolveString('Bearer ${self::auth.access_token}', lookup); // 'Bearer abc'
 * resolveString('$(last::id, 1)', () => undefined); // 1
 */
export function resolveString(text: string, lookup: ReferenceLookup): unknown {
  if (!text.includes('$')) return text;
  const refs = scan(text);
  if (refs.length === 0) return text;
  const first = refs[0] as Located;
  if (refs.length === 1 && first.start === 0 && first.end === text.length) {
    const value = lookupToken(first.token, lookup);
    return value === undefined ? parseDefault(defaultOf(first.token)) : value;
  }
  let out = '';
  let last = 0;
  for (const { start, end, token } of refs) {
    const value = lookupToken(token, lookup);
    out += text.slice(last, start) + (value === undefined ? defaultOf(token) : toText(value));
    last = end;
  }
  return out + text.slice(last);
}

/**
 * Resolves every string nested in `value` with {@link resolveString}, returning a
 * new structure with the same key order; non-string leaves are kept as they are.
 * The static type is kept for convenience: a whole-string reference may turn a
 * string into a number or an object, as the config author intended.
 *
 * With `at` (where `value` is in the config, e.g. `extractions[0].endpoint`), a
 * reference that cannot be resolved fails naming its field, and a missing secret how
 * to set it: `extractions[0].endpoint.headers.X-Token: reference ${secret::t} has no
 * value and no default; set the secret "t" with PUT /secrets/t …`.
 */
export function resolveDeep<T>(value: T, lookup: ReferenceLookup, at?: string): T {
  try {
    return resolveNode(value, lookup) as T;
  } catch (err) {
    if (at === undefined || !(err instanceof ReferenceResolutionError)) throw err;
    throw locatedError(err, value, at);
  }
}

/** The secret a `${secret::path}` reference reads: the path's first segment ('' for the whole object). */
export function secretNameOf(path: string): string {
  return path.split('.')[0] ?? '';
}

/** How to give a secret its value, for messages about a secret that has none. */
export function setSecretHint(name: string): string {
  return `set the secret "${name}" with PUT /secrets/${name} (the API), or as the "${name}" key of secrets.json in the data folder (api-extractor run)`;
}

/** A field's location in the config: `at` followed by `location` (`headers.X`, `[0]`, or none). */
export function fieldPath(at: string, location: string): string {
  if (location === '') return at;
  if (at === '') return location;
  return location.startsWith('[') ? `${at}${location}` : `${at}.${location}`;
}

function locatedError(err: ReferenceResolutionError, value: unknown, at: string): ReferenceResolutionError {
  const found = collectReferences(value).find((ref) => ref.raw === err.reference);
  if (!found) return err;
  const hint = found.type === 'secret' ? `; ${setSecretHint(secretNameOf(found.path))}` : '';
  return new ReferenceResolutionError(`${fieldPath(at, found.location)}: ${err.message}${hint}`, {
    reference: err.reference,
    cause: err,
  });
}

function resolveNode(node: unknown, lookup: ReferenceLookup): unknown {
  if (typeof node === 'string') return resolveString(node, lookup);
  if (Array.isArray(node)) return node.map((item) => resolveNode(item, lookup));
  if (isPlainObject(node)) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node)) setOwnProperty(out, key, resolveNode(child, lookup));
    return out;
  }
  return node;
}

function lookupToken(token: ReferenceToken, lookup: ReferenceLookup): unknown {
  if (!isReferenceType(token.type)) {
    throw new ReferenceResolutionError(
      `reference ${token.raw} has unknown type "${token.type}" (valid: ${REFERENCE_TYPES.join(', ')})`,
      { reference: token.raw },
    );
  }
  return lookup(token.type, token.path);
}

function defaultOf(token: ReferenceToken): string {
  if (token.defaultValue === undefined) {
    throw new ReferenceResolutionError(`reference ${token.raw} has no value and no default`, {
      reference: token.raw,
    });
  }
  return token.defaultValue;
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function parseDefault(text: string): unknown {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  if (JSON_NUMBER.test(text)) return Number(text);
  return text;
}

/**
 * One pass over the text: every bracket is matched with a stack first (`{}` and `()`
 * separately, as the depth rule counts only the opening bracket's kind), then the
 * `$` positions are walked once. A closed `${` pairs with the bracket that balances
 * it, which is exactly its stack partner; an unclosed one is literal text. So a
 * string of many unclosed `${` costs one pass, not one pass per `$`.
 */
function scan(text: string): Located[] {
  const closeOf = matchBrackets(text);
  const found: Located[] = [];
  let i = text.indexOf('$');
  while (i !== -1) {
    const j = closeOf.get(i + 1);
    if (j !== undefined) {
      found.push({ start: i, end: j + 1, token: parseToken(text.slice(i, j + 1), text.slice(i + 2, j)) });
      i = text.indexOf('$', j + 1);
    } else {
      // Never closed (or not a bracket): literal text, but a later `${…}` inside it may still be a reference.
      i = text.indexOf('$', i + 1);
    }
  }
  return found;
}

const DOLLAR = 0x24;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_PAREN = 0x28;
const CLOSE_PAREN = 0x29;

/** The position of the balancing closer of every `{` or `(` that follows a `$`. */
function matchBrackets(text: string): Map<number, number> {
  const closeOf = new Map<number, number>();
  const braces: number[] = [];
  const parens: number[] = [];
  let previous = 0;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    // Only openers after `$` are ever looked up; the others still count for the depth (-1).
    if (c === OPEN_BRACE) braces.push(previous === DOLLAR ? k : -1);
    else if (c === OPEN_PAREN) parens.push(previous === DOLLAR ? k : -1);
    else if (c === CLOSE_BRACE || c === CLOSE_PAREN) {
      const open = (c === CLOSE_BRACE ? braces : parens).pop();
      if (open !== undefined && open !== -1) closeOf.set(open, k);
    }
    previous = c;
  }
  return closeOf;
}

function parseToken(raw: string, inner: string): ReferenceToken {
  const comma = inner.indexOf(',');
  const head = comma === -1 ? inner : inner.slice(0, comma);
  const sep = head.indexOf('::');
  const token: ReferenceToken = {
    raw,
    type: (sep === -1 ? head : head.slice(0, sep)).trim(),
    path: sep === -1 ? '' : head.slice(sep + 2).trim(),
  };
  if (comma !== -1) token.defaultValue = inner.slice(comma + 1).trim();
  return token;
}
