/** How an extraction turns a raw record into a row (before details and transformations). */
import type { Extraction } from './config/types';
import { compileDataSchema, type DataSchema, flattenRecord } from './dataSchema';
import { copyKeepingOrder } from './orderedJson';

export type Row = Record<string, unknown>;

export interface RecordMapper {
  /** Columns known before any record (the data_schema's), in order. */
  readonly columns: readonly string[] | undefined;
  map(record: unknown): Row;
}

/**
 * With a data_schema, its columns; without one, every field, in the upstream's order:
 * flattened to `parent__child` for CSV, kept nested for JSON (a shallow copy, so
 * transformations never touch the raw record that becomes `last`).
 */
export function compileRecordMapper(extraction: Pick<Extraction, 'data_schema' | 'format'>): RecordMapper {
  if (extraction.data_schema) {
    const mapper = compileDataSchema(extraction.data_schema as DataSchema);
    return { columns: mapper.columns, map: (record) => mapper.map(record) };
  }
  if (extraction.format === 'csv') return { columns: undefined, map: (record) => flattenRecord(record) };
  return {
    columns: undefined,
    map: (record) =>
      record && typeof record === 'object' && !Array.isArray(record)
        ? copyKeepingOrder(record as Record<string, unknown>)
        : { value: record },
  };
}
