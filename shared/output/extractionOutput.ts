/**
 * The write routine, the same for the in-process run and the pipeline's writer: pages
 * of rows come in, in page order; the record the previous run ended on is dropped
 * (boundary de-duplication); transformations are applied; the rows go to the
 * destination; and once it is complete, the execution log and then `last`.
 */
import type { Extraction } from '../core/config/types';
import { WarningLog } from '../core/executionLog';
import { sameRecordAsText } from '../core/records';
import type { Row } from '../core/rowMapping';
import { compileTransformations } from '../core/transformations';
import type { ExecutionLog, ExecutionLogStore } from '../ports/executionLog';
import type { LastRecordStore } from '../ports/storage';
import type { Destination, OutputReceipt, OutputTarget, RowSink } from './destination';

export class ExtractionOutput {
  readonly warnings = new WarningLog();
  /** How many of {@link warnings} this output added itself (empty data_schema columns). */
  emptyColumnWarnings = 0;
  private seenRecords = false;
  private lastRecord: unknown = undefined;
  private readonly transform: ((row: Row) => Row) | undefined;
  /** The data_schema's columns not yet reported empty (none without a data_schema). */
  private unreported: string[];

  private constructor(
    private readonly sink: RowSink,
    extraction: Extraction,
    private readonly previousLast: unknown,
    columns: readonly string[] | undefined,
  ) {
    this.transform =
      extraction.transformations.length > 0 ? compileTransformations(extraction.transformations) : undefined;
    this.unreported = extraction.data_schema && columns ? [...columns] : [];
  }

  /** `previousLast`: the record the previous successful run ended on (undefined or null: none). */
  static async open(
    destination: Destination,
    target: OutputTarget,
    previousLast: unknown,
  ): Promise<ExtractionOutput> {
    return new ExtractionOutput(
      await destination.open(target),
      target.extraction,
      previousLast,
      target.columns,
    );
  }

  /**
   * Takes note of the next page's records (before they become rows): how many at its
   * start the previous run already wrote (1 when the first record of the run is the
   * one the previous run ended on, else 0). Remembers the page's last record.
   */
  admit(records: readonly unknown[]): number {
    if (records.length === 0) return 0;
    this.lastRecord = records[records.length - 1];
    if (this.seenRecords) return 0;
    this.seenRecords = true;
    const previous = this.previousLast;
    return previous !== undefined && previous !== null && sameRecordAsText(records[0], previous) ? 1 : 0;
  }

  /**
   * Transforms the rows (in place) and hands them to the destination. Rows are one
   * page's: a data_schema column empty (null or '') in every one of them, which is
   * what a path that matches nothing yields, is a warning, once per column.
   */
  async write(rows: Row[]): Promise<void> {
    if (this.unreported.length > 0 && rows.length > 0) this.reportEmptyColumns(rows);
    const transform = this.transform;
    if (transform) for (let i = 0; i < rows.length; i++) rows[i] = transform(rows[i]!);
    await this.sink.write(rows);
  }

  private reportEmptyColumns(rows: readonly Row[]): void {
    // Usually the first row has a value: about one look per column per page.
    const empty = this.unreported.filter((column) =>
      rows.every((row) => {
        const value = row[column];
        return value === null || value === undefined || value === '';
      }),
    );
    if (empty.length === 0) return;
    for (const column of empty) {
      this.warnings.add(
        `data_schema column "${column}" is empty in every row of a page (${rows.length} rows): does its path match the records?`,
      );
      this.emptyColumnWarnings++;
    }
    this.unreported = this.unreported.filter((column) => !empty.includes(column));
  }

  get rowCount(): number {
    return this.sink.rowCount;
  }

  /** The record the next run starts after: this run's last, or the previous one when this run had none. */
  get last(): unknown {
    return this.lastRecord !== undefined ? this.lastRecord : this.previousLast;
  }

  /** Completes the output: where the rows went (`destiny` null when there were none). */
  finish(): Promise<OutputReceipt> {
    return this.sink.finish();
  }

  dispose(): Promise<void> {
    return this.sink.dispose();
  }

  /**
   * After the output is complete: the log, then `last` (only when this run saw records).
   * A crash in between leaves `last` behind, so the next run repeats rather than skips.
   */
  async commit(
    deps: { executionLogs: ExecutionLogStore; lastRecords: LastRecordStore },
    log: ExecutionLog,
    extractionId: string,
  ): Promise<void> {
    await deps.executionLogs.append(log);
    if (this.lastRecord !== undefined) await deps.lastRecords.set(extractionId, this.lastRecord);
  }
}
