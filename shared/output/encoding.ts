/** What every row encoder offers: rows in, a finished file out. */
import type { Row } from '../core/rowMapping';
import type { Chunk } from '../ports/storage';

export type { Row };

export const TIMESTAMP_COLUMN = 'ext__timestamp';

export interface RowWriter {
  /** Appends a batch of rows (one page, typically). */
  write(rows: readonly Row[]): Promise<void>;
  readonly rowCount: number;
  /**
   * The whole file, or undefined when there were no rows (no file is written then).
   * Call it once; the file it returns can be read more than once, each time from the start.
   */
  finish(): Promise<AsyncIterable<Chunk> | undefined>;
}

export interface WriterOptions {
  format: 'csv' | 'json' | 'jsonl';
  separator: string;
  /** The run's `ext__timestamp` value. */
  timestamp: string;
  /** Columns known before the first row (schema order); keeps integer-like names in place. */
  initialColumns?: readonly string[];
}
