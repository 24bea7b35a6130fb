/**
 * Transformations: per-column actions applied to rows after data_schema and
 * mapping_fetch. Every action is described once in {@link ACTIONS}: its
 * parameters (which the config validation reads) and how it builds the value
 * function, so adding an action is one entry here.
 */
import { ConfigError, TransformationError } from './errors';
import { setOwnProperty, toText } from './objects';

/** A transformation as written in the config. */
export interface TransformationSpec {
  action: string;
  /** Higher runs first; default 0; equal priorities keep declared order. */
  priority?: number;
  /** Columns to transform; absent = every column of the row at that moment. */
  on?: string[];
  /** When set, the result goes to a new column `prefix + column`, appended to the row. */
  new_column_prefix?: string;
  params?: Record<string, unknown>;
}

/** How a parameter is validated: a required string, a required integer, or an optional integer. */
export type TransformationParamKind = 'string' | 'integer' | 'optional-integer';

type ValueFn = (value: string) => unknown;

interface ActionDefinition {
  params: Record<string, TransformationParamKind>;
  /** Builds the function for string values; params are already checked against `params`. */
  forString?: (params: Record<string, unknown>) => ValueFn;
  /** Builds the function for array values (only `join` has one). */
  forArray?: (params: Record<string, unknown>) => (value: unknown[]) => unknown;
}

const ACTIONS = {
  replace: {
    params: { to_replace: 'string', value: 'string' },
    forString: (p) => {
      const from = p.to_replace as string;
      const to = p.value as string;
      // A replacer function, so `$&` or `$1` in the value are literal text, not patterns.
      return (s) => s.replaceAll(from, () => to);
    },
  },
  trim: { params: {}, forString: () => (s) => s.trim() },
  ltrim: { params: {}, forString: () => (s) => s.trimStart() },
  rtrim: { params: {}, forString: () => (s) => s.trimEnd() },
  lower: { params: {}, forString: () => (s) => s.toLowerCase() },
  upper: { params: {}, forString: () => (s) => s.toUpperCase() },
  title: { params: {}, forString: () => title },
  capitalize: { params: {}, forString: () => capitalize },
  split: {
    params: { char: 'string' },
    forString: (p) => {
      const char = p.char as string;
      // An empty separator splits into characters (code points) rather than failing mid-run.
      return char === '' ? (s) => Array.from(s) : (s) => s.split(char);
    },
  },
  join: {
    params: { sep: 'string' },
    forArray: (p) => {
      const sep = p.sep as string;
      return (list) => list.map(toText).join(sep);
    },
  },
  slice: {
    params: { start: 'optional-integer', stop: 'optional-integer' },
    forString: (p) => {
      const start = p.start as number | null | undefined;
      const stop = p.stop as number | null | undefined;
      return (s) => pySlice(s, start ?? undefined, stop ?? undefined);
    },
  },
} satisfies Record<string, ActionDefinition>;

export type TransformationActionName = keyof typeof ACTIONS;

/**
 * Every action with its parameters, for config validation: `string` and
 * `integer` are required, `optional-integer` may be absent.
 */
export const TRANSFORMATION_ACTIONS: Record<string, { params: Record<string, TransformationParamKind> }> =
  Object.fromEntries(Object.entries(ACTIONS).map(([name, def]) => [name, { params: { ...def.params } }]));

interface CompiledStep {
  spec: TransformationSpec;
  label: string;
  apply: (value: unknown) => unknown;
}

/**
 * Compiles transformations into one function applied to each row. The row is
 * changed in place and returned (no copy per row).
 *
 * Value rules: null and undefined become null; numbers, booleans and objects pass
 * through; string actions leave arrays alone, `join` acts only on arrays.
 *
 * @throws ConfigError for an unknown action or a missing or mistyped parameter.
 * @example
 * const apply = compileTransformations([{ action: 'upper', on: ['city'], new_column_prefix: 'up_' }]);
 * apply({ city: 'Bogotá' }); // { city: 'Bogotá', up_city: 'BOGOTÁ' }
 */
export function compileTransformations(
  specs: TransformationSpec[],
): (row: Record<string, unknown>) => Record<string, unknown> {
  const steps = specs.map(compileStep);
  // Array.prototype.sort is stable, so equal priorities keep declared order.
  steps.sort((a, b) => (b.spec.priority ?? 0) - (a.spec.priority ?? 0));
  return (row) => {
    for (const { spec, label, apply } of steps) {
      const columns = spec.on ?? Object.keys(row);
      const prefix = spec.new_column_prefix;
      for (const column of columns) {
        if (!Object.hasOwn(row, column)) {
          throw new TransformationError(`${label}: column "${column}" is not in the row`);
        }
        const result = apply(row[column]);
        if (prefix) setOwnProperty(row, prefix + column, result);
        else row[column] = result;
      }
    }
    return row;
  };
}

function compileStep(spec: TransformationSpec): CompiledStep {
  const priority = spec.priority ?? 0;
  const label = `transformation "${spec.action}" (priority ${priority})`;
  if (!Object.hasOwn(ACTIONS, spec.action)) {
    throw new ConfigError(
      `unknown transformation action "${spec.action}" (valid: ${Object.keys(ACTIONS).join(', ')})`,
    );
  }
  if (typeof priority !== 'number' || !Number.isFinite(priority)) {
    throw new ConfigError(`${label}: priority must be a number`);
  }
  const def: ActionDefinition = ACTIONS[spec.action as TransformationActionName];
  const params = spec.params ?? {};
  for (const [name, kind] of Object.entries(def.params)) {
    const value = params[name];
    if (kind === 'string' && typeof value !== 'string') {
      throw new ConfigError(`${label}: params.${name} must be a string`);
    }
    const isInteger = typeof value === 'number' && Number.isInteger(value);
    if (kind === 'integer' && !isInteger)
      throw new ConfigError(`${label}: params.${name} must be an integer`);
    if (kind === 'optional-integer' && value !== undefined && value !== null && !isInteger) {
      throw new ConfigError(`${label}: params.${name} must be an integer`);
    }
  }
  const forString = def.forString?.(params);
  const forArray = def.forArray?.(params);
  const apply = (value: unknown): unknown => {
    if (value === null || value === undefined) return null;
    if (typeof value === 'string') return forString ? forString(value) : value;
    if (forArray && Array.isArray(value)) return forArray(value);
    return value;
  };
  return { spec, label, apply };
}

/** Whitespace-separated words: first character upper, the rest lower. */
function title(s: string): string {
  return s.replace(/\S+/gu, capitalize);
}

/** First character (code point) upper, the rest lower. */
function capitalize(s: string): string {
  const first = s.codePointAt(0);
  if (first === undefined) return s;
  const width = first > 0xffff ? 2 : 1;
  return s.slice(0, width).toUpperCase() + s.slice(width).toLowerCase();
}

/**
 * Python's `s[start:stop]` over code points: negative indices count from the
 * end, out-of-range indices clamp, and a stop before the start gives ''.
 */
function pySlice(s: string, start: number | undefined, stop: number | undefined): string {
  // Index by code points only when the string has surrogate pairs; plain strings slice directly.
  const chars: string | string[] = /[\uD800-\uDFFF]/.test(s) ? Array.from(s) : s;
  const length = chars.length;
  const clamp = (i: number): number => (i < 0 ? Math.max(0, length + i) : Math.min(i, length));
  const from = start === undefined ? 0 : clamp(start);
  const to = stop === undefined ? length : clamp(stop);
  if (to <= from) return '';
  return typeof chars === 'string' ? chars.slice(from, to) : chars.slice(from, to).join('');
}
