/**
 * The JSON and JSON Lines encoders: one object per row, `ext__timestamp` last, spooled
 * to a scratch file as rows arrive. JSON is one array; JSON Lines one object per line.
 */
import { hasSourceOrder, stringifyKeepingOrder } from '../core/orderedJson';
import type { Chunk, ScratchFile } from '../ports/storage';
import { type Row, type RowWriter, TIMESTAMP_COLUMN, type WriterOptions } from './encoding';

export class JsonWriter implements RowWriter {
  rowCount = 0;
  /** Integer-like column names ("7") would come first in a JS object: write schema columns in order. */
  private readonly ordered: boolean;
  private readonly columns: readonly string[];
  private readonly known: Set<string>;

  constructor(
    private readonly scratch: ScratchFile,
    private readonly options: WriterOptions,
  ) {
    this.columns = options.initialColumns ?? [];
    this.known = new Set([...this.columns, TIMESTAMP_COLUMN]);
    this.ordered = this.columns.some((c) => /^(0|[1-9]\d*)$/.test(c));
  }

  private encode(row: Row): string {
    if (!this.ordered && hasSourceOrder(row)) {
      if (TIMESTAMP_COLUMN in row) delete row[TIMESTAMP_COLUMN];
      const body = stringifyKeepingOrder(row);
      const timestamp = `${JSON.stringify(TIMESTAMP_COLUMN)}:${JSON.stringify(this.options.timestamp)}`;
      return body === '{}' ? `{${timestamp}}` : `${body.slice(0, -1)},${timestamp}}`;
    }
    if (!this.ordered) {
      if (TIMESTAMP_COLUMN in row) delete row[TIMESTAMP_COLUMN];
      row[TIMESTAMP_COLUMN] = this.options.timestamp;
      return JSON.stringify(row);
    }
    const parts: string[] = [];
    const add = (key: string, value: unknown): void => {
      if (value !== undefined) parts.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
    };
    for (const column of this.columns) if (Object.hasOwn(row, column)) add(column, row[column]);
    for (const key of Object.keys(row)) if (!this.known.has(key)) add(key, row[key]);
    add(TIMESTAMP_COLUMN, this.options.timestamp);
    return `{${parts.join(',')}}`;
  }

  async write(rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    const lines: string[] = new Array(rows.length);
    for (let r = 0; r < rows.length; r++) lines[r] = this.encode(rows[r]!);
    const jsonl = this.options.format === 'jsonl';
    const lead = jsonl ? '' : this.rowCount === 0 ? '[\n' : ',\n';
    const text = lead + lines.join(jsonl ? '\n' : ',\n') + (jsonl ? '\n' : '');
    this.rowCount += rows.length;
    await this.scratch.append(text);
  }

  async finish(): Promise<AsyncIterable<Chunk> | undefined> {
    if (this.rowCount === 0) return undefined;
    if (this.options.format === 'json') await this.scratch.append('\n]\n');
    return this.scratch.read();
  }
}
