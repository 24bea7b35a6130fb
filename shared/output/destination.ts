/**
 * Where an extraction's rows go. The write routine ({@link ExtractionOutput}) hands
 * finished rows to a {@link RowSink}; a {@link Destination} opens one per extraction and
 * run: files in an object store ({@link fileDestination}), a Carol staging table
 * (`carolDestination.ts`), or both (`extractionDestination.ts` picks).
 */
import type { OutputBuckets } from '../core/bucketName';
import type { Extraction } from '../core/config/types';
import { outputKey } from '../core/outputKey';
import type { Row } from '../core/rowMapping';
import { formatLogTimestamp } from '../core/time';
import type { CarolLoadLog } from '../ports/executionLog';
import type { ObjectStore, ScratchSpace } from '../ports/storage';
import { outputBucket, writeOutputFile } from './outputFile';
import { createRowWriter } from './rowWriter';

/** One extraction's output in one run. */
export interface OutputTarget {
  extraction: Extraction;
  extractionId: string;
  runId: string;
  /** The run's start: the file name's `{timestamp}` and every row's `ext__timestamp`. */
  startedAt: Date;
  /** Columns known before the first row (the data_schema's, in order). */
  columns?: readonly string[];
  /**
   * Keeps a value decided once per run and extraction: the first value given under a
   * name is the one returned ever after, so a restarted writer repeats what it sent
   * (the pipeline keeps it in staging). Absent = every value is used as given.
   */
  settle?(name: string, value: string): Promise<string>;
}

/** Where a completed output went: what the execution log says about it. */
export interface OutputReceipt {
  /** The log's `destiny`: the file (`s3://bucket/key`), or Carol when it is the only destination; null when nothing was written. */
  destiny: string | null;
  /** What was loaded into Carol, when the extraction loads into Carol. */
  carol?: CarolLoadLog;
}

export interface RowSink {
  write(rows: readonly Row[]): Promise<void>;
  readonly rowCount: number;
  /** Completes the output. */
  finish(): Promise<OutputReceipt>;
  /** Releases what the sink holds, finished or not. */
  dispose(): Promise<void>;
}

export interface Destination {
  /** Fails (a permanent error) when the target cannot be written, before any row is taken. */
  open(target: OutputTarget): Promise<RowSink>;
}

export interface FileDestinationDeps extends OutputBuckets {
  objects: ObjectStore;
  scratch: ScratchSpace;
}

/**
 * A file per extraction and run, in the extraction's `format`, written once complete
 * (rows are spooled to a scratch file meanwhile) and never over another run's file.
 */
export function fileDestination(deps: FileDestinationDeps): Destination {
  return {
    async open(target) {
      const { extraction, runId, startedAt } = target;
      const bucket = outputBucket(extraction, deps);
      const key = outputKey(extraction, startedAt);
      const scratch = await deps.scratch.create(`${runId}-${target.extractionId}`);
      const writer = createRowWriter(scratch, {
        format: extraction.format,
        separator: extraction.output_params.csv_separator,
        timestamp: formatLogTimestamp(startedAt),
        initialColumns: target.columns,
      });
      return {
        write: (rows) => writer.write(rows),
        get rowCount() {
          return writer.rowCount;
        },
        async finish() {
          const body = await writer.finish();
          if (!body) return { destiny: null };
          const written = await writeOutputFile(deps.objects, bucket, key, runId, body);
          return { destiny: deps.objects.describe(bucket, written) };
        },
        dispose: () => scratch.dispose(),
      };
    },
  };
}
