/**
 * data_schema: a nested object mirroring the record, whose leaf strings name
 * the output columns. Also the schema-less flattening used for CSV.
 */
import { ConfigError } from './errors';
import { compileJsonPath, type JsonFieldReader } from './jsonField';
import { isPlainObject, setOwnProperty } from './objects';
import { hasSourceOrder, keysInSourceOrder, markSourceOrder } from './orderedJson';

export type DataSchema = { [key: string]: string | DataSchema };

/** Maps raw records to rows with a fixed column list. */
export interface RowMapper {
  /** Output columns in schema order (depth-first, as written), without duplicates. */
  readonly columns: readonly string[];
  /**
   * Maps one record to a row whose keys are {@link columns} in that order; a
   * missing value is `null`. (JavaScript lists integer-like keys such as `"7"`
   * first in any object, so encoders should follow `columns`, not `Object.keys`.)
   */
  map(item: unknown): Record<string, unknown>;
}

interface Leaf {
  /** Schema keys from the root to the leaf; each is a literal key (dots included). */
  segments: string[];
  column: string;
}

/**
 * Compiles a data_schema into a mapper. Accessors are built once, so mapping a
 * record costs one path walk per column and one output object.
 *
 * A key at any level is a literal key of the record (`$currency_symbol` works);
 * a numeric key also indexes an array, as in a JsonField. A non-object where the
 * schema expects an object makes every column of that branch null. When two
 * leaves name the same column (validation normally rejects this), the column
 * keeps its first position and the later leaf's value wins.
 *
 * @throws ConfigError when a leaf is neither a string nor an object.
 * @example
 * const mapper = compileDataSchema({ type: 'type', user: { name: 'user_name' } });
 * mapper.map({ type: 'A', user: { name: 'Cristian' } }); // { type: 'A', user_name: 'Cristian' }
 */
export function compileDataSchema(schema: DataSchema): RowMapper {
  const leaves = schemaLeaves(schema);
  const columns = unique(leaves.map((l) => l.column));
  // Parallel arrays and an index loop: the cheapest per-row iteration in V8.
  const names = leaves.map((l) => l.column);
  const readers: JsonFieldReader[] = leaves.map((l) => compileJsonPath(l.segments));
  const count = names.length;
  // `__proto__` is the only column name a plain assignment would mishandle; test once, not per row.
  const plainAssign = !columns.includes('__proto__');
  return {
    columns,
    map(item: unknown): Record<string, unknown> {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < count; i++) {
        const value = (readers[i] as JsonFieldReader)(item);
        const column = names[i] as string;
        if (plainAssign) row[column] = value === undefined ? null : value;
        else setOwnProperty(row, column, value === undefined ? null : value);
      }
      return row;
    },
  };
}

/** The columns a data_schema produces, in schema order, without duplicates. */
export function schemaColumns(schema: DataSchema): string[] {
  return unique(schemaLeaves(schema).map((l) => l.column));
}

/**
 * Flattens a record without a schema (for CSV): nested plain objects become
 * `parent__child` columns, recursively; arrays stay arrays (the encoder writes
 * them as JSON text); an empty nested object stays `{}` under its parent's name
 * so the field is not silently lost. A record that is not an object becomes
 * `{ value: item }`. If a flattened name collides with an existing key, the
 * later one in record order wins.
 *
 * @example
 * flattenRecord({ id: 1, owner: { name: 'Ana' }, tags: ['a'] });
 * // { id: 1, owner__name: 'Ana', tags: ['a'] }
 */
export function flattenRecord(item: unknown, separator = '__'): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  if (!isPlainObject(item)) {
    row.value = item === undefined ? null : item;
    return row;
  }
  if (!hasSourceOrder(item)) {
    flattenInto(row, item, '', separator);
    return row;
  }
  // Integer-like keys: the row remembers the upstream's order, which its own key order cannot.
  const names: string[] = [];
  flattenInto(row, item, '', separator, names);
  return markSourceOrder(row, [...new Set(names)]);
}

function flattenInto(
  row: Record<string, unknown>,
  node: Record<string, unknown>,
  prefix: string,
  sep: string,
  names?: string[],
): void {
  for (const key of names ? keysInSourceOrder(node) : Object.keys(node)) {
    const value = node[key];
    const name = prefix + key;
    if (isPlainObject(value) && Object.keys(value).length > 0)
      flattenInto(row, value, name + sep, sep, names);
    else {
      setOwnProperty(row, name, value === undefined ? null : value);
      names?.push(name);
    }
  }
}

function schemaLeaves(schema: DataSchema): Leaf[] {
  const leaves: Leaf[] = [];
  const walk = (node: DataSchema, path: string[]): void => {
    for (const key of Object.keys(node)) {
      const value: unknown = node[key];
      const segments = [...path, key];
      if (typeof value === 'string') leaves.push({ segments, column: value });
      else if (isPlainObject(value)) walk(value as DataSchema, segments);
      else {
        throw new ConfigError(
          `data_schema.${segments.join('.')} must be a column name (string) or a nested schema (object)`,
        );
      }
    }
  };
  if (!isPlainObject(schema)) throw new ConfigError('data_schema must be an object');
  walk(schema, []);
  return leaves;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
