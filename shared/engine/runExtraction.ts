/**
 * Runs one extraction in process, streaming from the first page to the output file:
 * pages (possibly several in flight) -> records -> boundary de-duplication ->
 * data_schema -> mapping_fetch (bounded concurrency, order kept) -> transformations
 * -> encoder spool -> one atomic object write -> execution log -> `last` moves.
 */
import type { ApiConfig, Extraction } from '../core/config/types';
import { compileRecordMapper } from '../core/rowMapping';
import { sameRecordAsText } from '../core/records';
import type { Redactor } from '../core/redact';
import type { SecretScope } from '../core/secretOrigins';
import { formatFilenameTimestamp, formatLogTimestamp } from '../core/time';
import { buildExecutionLog, errorMessage } from './executionLog';
import { outputBucket } from './outputBucket';
import { compileTransformations } from '../core/transformations';
import { AuthenticatedClient, type TokenManager } from '../extract/auth';
import { DetailFetcher } from '../extract/detailFetcher';
import { createExtractionHttp } from '../extract/clientFactory';
import { PageFetcher } from '../extract/pageFetcher';
import { createPaginator } from '../extract/pagination';
import type { ExecutionLog } from '../ports/executionLog';
import type { Chunk, ObjectStore } from '../ports/storage';
import { Semaphore, settleLater } from './concurrency';
import type { EngineDeps } from './deps';
import { referenceLookup } from './lookup';
import { pageStream } from './pageStream';
import { createRowWriter, type Row } from './rowWriters';

/** Live counters of one extraction; the same object is passed to every progress callback. */
export interface ExtractionProgress {
  extractionName: string;
  /** The name, with the extraction's position when another one of the config shares it. */
  label: string;
  pages: number;
  rows: number;
  requests: number;
  retries: number;
  detailRequests: number;
  warnings: number;
  startedAt: number;
  finished: boolean;
}

export interface ExtractionRun {
  config: ApiConfig;
  extraction: Extraction;
  /** The extraction's position (0-based) in `config.extractions`. */
  position: number;
  configId: string;
  extractionId: string;
  runId: string;
  startedAt: Date;
  tokens: TokenManager;
  secrets: Record<string, unknown>;
  /** Keeps each secret on the origins it is bound to. */
  scope: SecretScope;
  redactor: Redactor;
  onProgress?: (progress: ExtractionProgress) => void;
  signal?: AbortSignal;
}

const MAX_WARNING_MESSAGES = 20;

/** Object key: `folder + filename + "." + format`, `{timestamp}` filled in. */
export function outputKey(extraction: Extraction, startedAt: Date): string {
  let folder = extraction.s3_destiny.folder.replace(/^\/+/, '');
  if (folder && !folder.endsWith('/')) folder += '/';
  const filename = extraction.s3_destiny.filename.replaceAll(
    '{timestamp}',
    formatFilenameTimestamp(startedAt),
  );
  return `${folder}${filename}.${extraction.format}`;
}

/**
 * Writes a run's output file without ever replacing another run's object: under
 * `key` when no object has it or this run wrote it (a retry, or a task delivered
 * twice, replaces its own file), else under the same name with `-{runId}` before the
 * extension (unique to the run).
 * `body` must be readable twice (a row writer's `finish()` is). Returns the key written.
 *
 * @example
 * await writeOutputFile(objects, 'out', 'deals/2026-01-01@01-00-00.csv', runId, body);
 * // 'deals/2026-01-01@01-00-00.csv', or 'deals/2026-01-01@01-00-00-<runId>.csv' on a clash
 */
export async function writeOutputFile(
  objects: ObjectStore,
  bucket: string,
  key: string,
  runId: string,
  body: AsyncIterable<Chunk>,
): Promise<string> {
  if (await objects.putIfAbsent(bucket, key, body, runId)) return key;
  const dot = key.lastIndexOf('.');
  const distinct = `${key.slice(0, dot)}-${runId}${key.slice(dot)}`;
  await objects.put(bucket, distinct, body);
  return distinct;
}

/**
 * How people read which extraction it is: its name, with its position (1-based) when
 * another extraction of the config has the same name.
 */
export function extractionLabel(config: ApiConfig, position: number): string {
  const name = config.extractions[position]?.name ?? `#${position + 1}`;
  const shared = config.extractions.filter((e) => e.name === name).length > 1;
  return shared ? `${name} (#${position + 1})` : name;
}

export async function runExtraction(run: ExtractionRun, deps: EngineDeps): Promise<ExecutionLog> {
  const { extraction } = run;
  const progress: ExtractionProgress = {
    extractionName: extraction.name,
    label: extractionLabel(run.config, run.position),
    pages: 0,
    rows: 0,
    requests: 0,
    retries: 0,
    detailRequests: 0,
    warnings: 0,
    startedAt: Date.now(),
    finished: false,
  };
  const warnings: string[] = [];
  const warn = (message: string): void => {
    progress.warnings++;
    if (warnings.length < MAX_WARNING_MESSAGES) warnings.push(run.redactor.redact(message));
  };
  const bucket = outputBucket(extraction, deps);
  const key = outputKey(extraction, run.startedAt);
  const previousLast = await deps.lastRecords.get(run.extractionId);
  const lookup = referenceLookup({
    config: run.config,
    secrets: run.secrets,
    previousLast,
    token: () => run.tokens.current(),
  });

  const { transport, client } = createExtractionHttp(extraction.http, {
    allowLinkLocal: deps.allowLinkLocal,
    budget: deps.responseBudget,
    events: {
      onRequest: () => progress.requests++,
      onRetry: (e) => {
        progress.retries++;
        deps.logger.warn('retrying request', {
          extraction: extraction.name,
          extraction_id: run.extractionId,
          attempt: e.attempt,
          delay_ms: e.delayMs,
          reason: e.reason,
          url: e.url,
        });
      },
    },
  });
  const authed = new AuthenticatedClient(client, run.tokens);
  const flatten = extraction.format === 'csv';
  const mapper = compileRecordMapper(extraction);
  const toRow = (record: unknown): Row => mapper.map(record);
  const transform = compileTransformations(extraction.transformations);
  const hasTransformations = extraction.transformations.length > 0;
  const details = extraction.mapping_fetch
    ? new DetailFetcher(
        extraction.mapping_fetch,
        authed,
        lookup,
        run.scope,
        flatten,
        `extractions[${run.position}].mapping_fetch`,
      )
    : undefined;
  const detailSlots = new Semaphore(extraction.mapping_fetch?.concurrency ?? 1);
  const timestamp = formatLogTimestamp(run.startedAt);
  const scratch = await deps.scratch.create(`${run.runId}-${run.extractionId}`);
  const writer = createRowWriter(scratch, {
    format: extraction.format,
    separator: extraction.output_params.csv_separator,
    timestamp,
    initialColumns: mapper.columns,
  });
  const abort = new AbortController();
  const onOuterAbort = (): void => abort.abort(run.signal?.reason);
  run.signal?.addEventListener('abort', onOuterAbort, { once: true });

  let lastRecord: unknown = undefined;
  let firstRecordSeen = false;

  const enrich = async (rows: Row[], records: unknown[]): Promise<Row[]> => {
    if (!details) return rows;
    await Promise.all(
      rows.map((row, i) =>
        detailSlots.run(async () => {
          abort.signal.throwIfAborted();
          progress.detailRequests++;
          const outcome = await details.fetch(row, records[i], abort.signal);
          if (outcome.found) Object.assign(row, outcome.columns);
          else warn(`mapping_fetch kept a row without details: ${outcome.reason}`);
        }),
      ),
    );
    return rows;
  };

  const finishRows = async (rows: Row[]): Promise<void> => {
    if (hasTransformations) for (let i = 0; i < rows.length; i++) rows[i] = transform(rows[i]!);
    await writer.write(rows);
    progress.rows += rows.length;
    run.onProgress?.(progress);
  };

  try {
    const fetcher = new PageFetcher(extraction, authed, lookup, run.scope, run.position);
    const pending: Array<{ rows: Promise<Row[]>; size: number }> = [];
    let pendingRows = 0;
    // Enough rows queued that every detail slot stays busy across page boundaries.
    const pendingTarget = 2 * (extraction.mapping_fetch?.concurrency ?? 0);
    const drainOne = async (): Promise<void> => {
      const next = pending.shift()!;
      pendingRows -= next.size;
      await finishRows(await next.rows);
    };

    for await (const page of pageStream(
      createPaginator(extraction.pagination),
      (c, s, hold) => fetcher.fetch(c, s, hold),
      abort.signal,
      (c) => fetcher.requestUrl(c),
    )) {
      progress.pages++;
      let records = page.records as unknown[];
      if (!firstRecordSeen && records.length > 0) {
        firstRecordSeen = true;
        // Boundary de-duplication: the previous run ended on this same record.
        if (previousLast !== undefined && sameRecordAsText(records[0], previousLast))
          records = records.slice(1);
      }
      if (page.records.length > 0) lastRecord = page.records[page.records.length - 1];
      if (records.length === 0) {
        run.onProgress?.(progress);
        continue;
      }
      const rows = records.map(toRow);
      if (!details) {
        await finishRows(rows);
        continue;
      }
      pending.push({ rows: settleLater(enrich(rows, records)), size: rows.length });
      pendingRows += rows.length;
      // Drain the oldest page only once enough rows queue behind it that detail slots never idle.
      while (pending.length > 1 && pendingRows - pending[0]!.size >= pendingTarget) await drainOne();
    }
    while (pending.length > 0) await drainOne();

    const body = await writer.finish();
    let destiny: string | null = null;
    if (body) {
      const written = await writeOutputFile(deps.objects, bucket, key, run.runId, body);
      destiny = deps.objects.describe(bucket, written);
    }
    const newLast = lastRecord !== undefined ? lastRecord : previousLast;
    progress.finished = true;
    run.onProgress?.(progress);
    const log = executionLog(run, deps, progress, warnings, {
      success: true,
      error: null,
      rows: writer.rowCount,
      destiny,
      last: newLast ?? null,
    });
    // The log is written only once the file exists; `last` moves only on success.
    await deps.executionLogs.append(log);
    if (lastRecord !== undefined) await deps.lastRecords.set(run.extractionId, lastRecord);
    return log;
  } catch (err) {
    abort.abort(err);
    progress.finished = true;
    const message = run.redactor.redact(errorMessage(err));
    deps.logger.error('extraction failed', {
      extraction: extraction.name,
      extraction_id: run.extractionId,
      run_id: run.runId,
      error: message,
    });
    const log = executionLog(run, deps, progress, warnings, {
      success: false,
      error: message,
      rows: 0,
      destiny: null,
      last: previousLast ?? null,
    });
    await deps.executionLogs.append(log);
    return log;
  } finally {
    run.signal?.removeEventListener('abort', onOuterAbort);
    await scratch.dispose();
    await transport.close();
  }
}

function executionLog(
  run: ExtractionRun,
  deps: EngineDeps,
  progress: ExtractionProgress,
  warnings: string[],
  outcome: { success: boolean; error: string | null; rows: number; destiny: string | null; last: unknown },
): ExecutionLog {
  return buildExecutionLog(
    {
      extractionName: run.extraction.name,
      extractionId: run.extractionId,
      configName: run.config.name,
      configId: run.configId,
      runId: run.runId,
      startedAt: run.startedAt,
      finishedAt: deps.clock.now(),
      ...outcome,
      pages: progress.pages,
      requests: progress.requests,
      retries: progress.retries,
      detailRequests: progress.detailRequests,
      warnings: progress.warnings,
      warningMessages: warnings,
    },
    run.redactor,
  );
}
