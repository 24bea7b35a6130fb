/** The encoder for an extraction's `format`. */
import type { ScratchFile } from '../ports/storage';
import { CsvWriter } from './csvEncoder';
import type { RowWriter, WriterOptions } from './encoding';
import { JsonWriter } from './jsonEncoder';

export { cellText } from './csvEncoder';
export { type Row, type RowWriter, TIMESTAMP_COLUMN, type WriterOptions } from './encoding';

export function createRowWriter(scratch: ScratchFile, options: WriterOptions): RowWriter {
  return options.format === 'csv' ? new CsvWriter(scratch, options) : new JsonWriter(scratch, options);
}
