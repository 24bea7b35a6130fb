/**
 * JsonField: a dot path into a JSON value (`user.account.number`).
 *
 * "Absent" is `undefined`, never an exception: a missing key, or a step into
 * null, a primitive or an array with a non-index segment, all give `undefined`.
 * Keys may contain `$` (`$currency_symbol`). A numeric segment indexes an array
 * (`items.0.id`); on an object it is an ordinary key (`{"0": …}`).
 */

/** A canonical array index: no sign, no leading zeros, so `01` or `-1` stay keys. */
const INDEX = /^(?:0|[1-9]\d*)$/;
/** Array indices stay below 2^32 - 1, so a longer segment is a key and the test stays bounded. */
const MAX_INDEX_DIGITS = 10;

/** One pre-parsed path segment; `index` is -1 when the segment cannot index an array. */
interface Step {
  key: string;
  index: number;
  /** The key also names an `Object.prototype` member (`constructor`, `__proto__`…), so it must be checked as own. */
  inherited: boolean;
}

/** A compiled accessor: reads one path from a value, `undefined` when absent. */
export type JsonFieldReader = (value: unknown) => unknown;

const identity: JsonFieldReader = (value) => value;

/**
 * Reads a dot path from a JSON value.
 *
 * @param path dot-separated keys; the empty path returns `value` itself.
 * @returns the value at `path`, or `undefined` when any step is absent.
 * @example
 * readJsonField({ user: { account: { number: 2334 } } }, 'user.account.number'); // 2334
 * readJsonField({ items: [{ id: 7 }] }, 'items.0.id'); // 7
 */
export function readJsonField(value: unknown, path: string): unknown {
  return compileJsonField(path)(value);
}

/**
 * Compiles a dot path once into a reader, for the per-record hot path.
 *
 * @example
 * const owner = compileJsonField('Owner.name');
 * records.map(owner);
 */
export function compileJsonField(path: string): JsonFieldReader {
  if (path === '') return identity;
  return compileJsonPath(path.split('.'));
}

/**
 * Compiles an already-split path (one key per element, no dot splitting), as
 * `data_schema` needs: its keys are literal and may themselves contain dots.
 */
export function compileJsonPath(segments: readonly string[]): JsonFieldReader {
  const steps: Step[] = segments.map((key) => ({
    key,
    index: key.length <= MAX_INDEX_DIGITS && INDEX.test(key) ? Number(key) : -1,
    inherited: key in Object.prototype,
  }));
  if (steps.length === 1) {
    // The common case (a top-level column) without the loop.
    const only = steps[0] as Step;
    return (value) => step(value, only);
  }
  return (value) => {
    let current = value;
    for (let i = 0; i < steps.length && current !== undefined; i++) {
      current = step(current, steps[i] as Step);
    }
    return current;
  };
}

function step(current: unknown, s: Step): unknown {
  if (typeof current !== 'object' || current === null) return undefined;
  if (Array.isArray(current)) return s.index >= 0 ? current[s.index] : undefined;
  const value = (current as Record<string, unknown>)[s.key];
  // Own properties only: `constructor` or `toString` must read as absent, not as a function.
  // Only such keys can be inherited by a JSON object, so others skip the (per-row) own check.
  if (s.inherited && value !== undefined && !Object.hasOwn(current, s.key)) return undefined;
  return value;
}
