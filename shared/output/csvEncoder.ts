/**
 * The CSV encoder. Rows are spooled to a scratch file as they arrive, so memory stays
 * flat however many rows a run has.
 *
 * The header is the union of every column seen in the run, in first-seen order, with
 * `ext__timestamp` last. Rows are written with the columns known when they arrive;
 * when a later row brings a new column, `finish` rewrites the spool in one streaming
 * pass, padding earlier rows (the common case, a stable column set, is passed through
 * untouched).
 */
import { StringDecoder } from 'node:string_decoder';
import { stringify } from 'csv-stringify/sync';
import { hasSourceOrder, keysInSourceOrder, stringifyKeepingOrder } from '../core/orderedJson';
import type { Chunk, ScratchFile } from '../ports/storage';
import { type Row, type RowWriter, TIMESTAMP_COLUMN, type WriterOptions } from './encoding';

/** Rows encoded per piece of text (about 16 KB for a typical row). */
const ENCODE_SLICE = 128;

/** A CSV cell: null empty, booleans true/false, numbers as JSON writes them, lists/objects JSON text. */
export function cellText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? String(value) : '';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'undefined':
      return '';
    default:
      return value === null ? '' : stringifyKeepingOrder(value);
  }
}

/**
 * Whether {@link csvField} writes cells exactly as csv-stringify does (with
 * `record_delimiter: 'unix'` and its default quote and escape, `"`) for this separator:
 * one character that is neither the quote nor a line break. Anything else goes through
 * csv-stringify.
 */
export function isLeanSeparator(separator: string): boolean {
  return separator.length === 1 && separator !== '"' && separator !== '\n' && separator !== '\r';
}

/**
 * One cell's CSV text, as csv-stringify writes it for a lean separator (see
 * {@link isLeanSeparator}): quoted when it holds a quote, the separator or `\n` (a
 * lone `\r` is not quoted, as csv-stringify does not with a unix record delimiter),
 * quotes doubled. The property test in test/output/csvLean.test.ts holds it to
 * csv-stringify over arbitrary text.
 */
export function csvField(value: string, separator: string): string {
  if (value.includes('"')) return `"${value.replaceAll('"', '""')}"`;
  return value.includes(separator) || value.includes('\n') ? `"${value}"` : value;
}

export class CsvWriter implements RowWriter {
  rowCount = 0;
  private readonly columns: string[] = [];
  private readonly index = new Map<string, number>();
  /** Column count in force from a given row on; more than one entry means a rewrite. */
  private readonly epochs: Array<{ fromRow: number; width: number }> = [];
  private readonly csvOptions: { delimiter: string; record_delimiter: 'unix' };
  private readonly suffix: string;
  /** Cells are written by {@link csvField}, not csv-stringify (see {@link isLeanSeparator}). */
  private readonly lean: boolean;

  constructor(
    private readonly scratch: ScratchFile,
    private readonly options: WriterOptions,
  ) {
    this.csvOptions = { delimiter: options.separator, record_delimiter: 'unix' };
    this.lean = isLeanSeparator(options.separator);
    for (const c of options.initialColumns ?? []) this.addColumn(c);
    this.suffix = this.encode([[options.timestamp]]).slice(0, -1);
  }

  private addColumn(name: string): void {
    if (name === TIMESTAMP_COLUMN || this.index.has(name)) return;
    this.index.set(name, this.columns.length);
    this.columns.push(name);
  }

  private encode(records: unknown[][]): string {
    return stringify(records, this.csvOptions);
  }

  async write(rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    const width = this.columns.length;
    for (const row of rows) {
      // A row without a data_schema whose upstream had integer-like keys knows their place.
      if (hasSourceOrder(row)) {
        for (const key of keysInSourceOrder(row)) if (!this.index.has(key)) this.addColumn(key);
      } else for (const key in row) if (!this.index.has(key)) this.addColumn(key);
    }
    let text = '';
    if (this.rowCount === 0) {
      this.epochs.push({ fromRow: 0, width: this.columns.length });
      text = this.encode([[...this.columns, TIMESTAMP_COLUMN]]);
    } else if (this.columns.length !== width) {
      // Rows of this batch are written at the new width; earlier ones get padded at the end.
      this.epochs.push({ fromRow: this.rowCount, width: this.columns.length });
    }
    const columns = this.columns;
    const ts = this.options.timestamp;
    // Encode in slices: each piece of text stays small enough for V8's young generation,
    // so a page's CSV never lands in large-object space as garbage awaiting a full GC.
    for (let from = 0; from < rows.length; from += ENCODE_SLICE) {
      const to = Math.min(rows.length, from + ENCODE_SLICE);
      if (this.lean) {
        text += this.encodeLean(rows, from, to);
        await this.scratch.append(text);
        text = '';
        continue;
      }
      const records: string[][] = new Array(to - from);
      for (let r = from; r < to; r++) {
        const row = rows[r]!;
        const cells: string[] = new Array(columns.length + 1);
        for (let c = 0; c < columns.length; c++) cells[c] = cellText(row[columns[c]!]);
        cells[columns.length] = ts;
        records[r - from] = cells;
      }
      text += this.encode(records);
      await this.scratch.append(text);
      text = '';
    }
    this.rowCount += rows.length;
  }

  /** Rows `from` to `to` (exclusive) as CSV lines, each cell straight from the row. */
  private encodeLean(rows: readonly Row[], from: number, to: number): string {
    const columns = this.columns;
    const width = columns.length;
    const sep = this.options.separator;
    const tail = this.suffix + '\n';
    let out = '';
    for (let r = from; r < to; r++) {
      const row = rows[r]!;
      for (let c = 0; c < width; c++) out += csvField(cellText(row[columns[c]!]), sep) + sep;
      out += tail;
    }
    return out;
  }

  async finish(): Promise<AsyncIterable<Chunk> | undefined> {
    if (this.rowCount === 0) return undefined;
    if (this.epochs.length === 1) return this.scratch.read();
    return { [Symbol.asyncIterator]: () => this.rewrite()[Symbol.asyncIterator]() };
  }

  /** Streams the spool with the final header, padding each row of an older epoch. */
  private async *rewrite(): AsyncIterable<Chunk> {
    const sep = this.options.separator;
    const finalWidth = this.columns.length;
    yield this.encode([[...this.columns, TIMESTAMP_COLUMN]]);
    const decoder = new StringDecoder('utf8');
    let inQuotes = false;
    let pending = '';
    let record = -1; // the header line of the spool comes first
    let epoch = 0;
    const rowTail = this.suffix + '\n';
    for await (const chunk of this.scratch.read()) {
      // `pending` (an unfinished row) was scanned with the previous piece: its quotes are counted.
      const scanned = pending.length;
      const text = pending + decoder.write(chunk as Buffer);
      let out = '';
      let start = 0;
      for (let i = scanned; i < text.length; i++) {
        const ch = text.charCodeAt(i);
        if (ch === 34 /* " */) inQuotes = !inQuotes;
        else if (ch === 10 /* \n */ && !inQuotes) {
          if (record >= 0) {
            while (epoch + 1 < this.epochs.length && this.epochs[epoch + 1]!.fromRow <= record) epoch++;
            const missing = finalWidth - this.epochs[epoch]!.width;
            const line = text.slice(start, i + 1);
            out += missing === 0 ? line : line.slice(0, -rowTail.length) + sep.repeat(missing) + rowTail;
          }
          record++;
          start = i + 1;
        }
      }
      pending = text.slice(start);
      if (out) yield out;
    }
  }
}
