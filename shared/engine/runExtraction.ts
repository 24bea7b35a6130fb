/**
 * Runs one extraction in process, streaming from the first page to the output:
 * pages (possibly several in flight) -> records -> boundary de-duplication ->
 * data_schema -> mapping_fetch (bounded concurrency, order kept) -> the write routine
 * (transformations -> destination) -> execution log -> `last` moves.
 */
import { errorMessage } from '../core/errors';
import { buildExecutionLog, failureLog, type LogCounts, type LogIdentity } from '../core/executionLog';
import { extractionLabel } from '../core/ids';
import type { Row } from '../core/rowMapping';
import { Semaphore, settleLater } from '../extract/concurrency';
import { applyDetails, type ExtractionKit, fetchDetails, type RunSession } from '../extract/extractionKit';
import { pageStream } from '../extract/pageStream';
import type { ExecutionLog } from '../ports/executionLog';
import type { RunDeps } from '../ports/runDeps';
import { extractionDestination } from '../output/extractionDestination';
import { ExtractionOutput } from '../output/extractionOutput';

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

export interface ExtractionRunOptions {
  onProgress?: (progress: ExtractionProgress) => void;
  signal?: AbortSignal;
}

export async function runExtraction(
  session: RunSession,
  position: number,
  identity: LogIdentity,
  deps: RunDeps,
  options: ExtractionRunOptions = {},
): Promise<ExecutionLog> {
  const extraction = session.config.extractions[position]!;
  const progress: ExtractionProgress = {
    extractionName: extraction.name,
    label: extractionLabel(session.config, position),
    pages: 0,
    rows: 0,
    requests: 0,
    retries: 0,
    detailRequests: 0,
    warnings: 0,
    startedAt: Date.now(),
    finished: false,
  };
  const { extractionId, runId } = identity;
  const previousLast = await deps.lastRecords.get(extractionId);
  const kit = session.extraction(position, previousLast, {
    onRequest: () => progress.requests++,
    onRetry: () => progress.retries++,
  });
  const abort = new AbortController();
  const onOuterAbort = (): void => abort.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let output: ExtractionOutput | undefined;
  const counts = (): LogCounts => ({
    pages: progress.pages,
    requests: progress.requests,
    retries: progress.retries,
    detailRequests: progress.detailRequests,
    warnings: output?.warnings.count ?? 0,
    warningMessages: output?.warnings.messages ?? [],
  });
  try {
    output = await ExtractionOutput.open(
      extractionDestination(session, position, deps),
      { extraction, extractionId, runId, startedAt: identity.startedAt, columns: kit.mapper.columns },
      previousLast,
    );
    await streamPages(kit, output, progress, abort.signal, options.onProgress);
    const { destiny, carol } = await output.finish();
    progress.finished = true;
    options.onProgress?.(progress);
    const log = buildExecutionLog(
      identity,
      { success: true, error: null, rows: output.rowCount, destiny, carol, last: output.last ?? null },
      counts(),
      deps.clock.now(),
      session.redactor,
    );
    // The log is written only once the file exists; `last` moves only on success.
    await output.commit(deps, log, extractionId);
    return log;
  } catch (err) {
    abort.abort(err);
    progress.finished = true;
    const message = session.redactor.redact(errorMessage(err));
    session.logger.error('extraction failed', {
      extraction: extraction.name,
      extraction_id: extractionId,
      run_id: runId,
      error: message,
    });
    const log = failureLog(identity, message, previousLast, deps.clock.now(), session.redactor, counts());
    await deps.executionLogs.append(log);
    return log;
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
    await output?.dispose();
  }
}

/**
 * Pages in page order through boundary de-duplication, the row mapper and the details
 * into the output. With `mapping_fetch`, several pages' details are fetched at once
 * (order kept), so that every detail slot stays busy across page boundaries.
 */
async function streamPages(
  kit: ExtractionKit,
  output: ExtractionOutput,
  progress: ExtractionProgress,
  signal: AbortSignal,
  onProgress: ((progress: ExtractionProgress) => void) | undefined,
): Promise<void> {
  const { details, mapper, fetcher } = kit;
  const concurrency = kit.extraction.mapping_fetch?.concurrency ?? 0;
  const slots = new Semaphore(Math.max(concurrency, 1));
  const warn = (message: string): void => {
    progress.warnings++;
    output.warnings.add(message);
  };
  const enrich = async (rows: Row[], records: unknown[]): Promise<Row[]> => {
    const outcomes = await fetchDetails(
      details!,
      rows,
      records,
      slots,
      signal,
      () => progress.detailRequests++,
    );
    applyDetails(rows, outcomes, warn);
    return rows;
  };
  const finishRows = async (rows: Row[]): Promise<void> => {
    await output.write(rows);
    progress.rows += rows.length;
    progress.warnings = output.warnings.count;
    onProgress?.(progress);
  };
  const pending: Array<{ rows: Promise<Row[]>; size: number }> = [];
  let pendingRows = 0;
  // Enough rows queued that every detail slot stays busy across page boundaries.
  const pendingTarget = 2 * concurrency;
  const drainOne = async (): Promise<void> => {
    const next = pending.shift()!;
    pendingRows -= next.size;
    await finishRows(await next.rows);
  };

  for await (const page of pageStream(
    kit.paginator,
    (c, s, hold) => fetcher.fetch(c, s, hold),
    signal,
    (c) => fetcher.requestUrl(c),
  )) {
    progress.pages++;
    const skip = output.admit(page.records);
    const records = (skip ? page.records.slice(skip) : page.records) as unknown[];
    if (records.length === 0) {
      onProgress?.(progress);
      continue;
    }
    const rows = records.map((record) => mapper.map(record));
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
}
