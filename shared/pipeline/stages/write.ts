/**
 * writer: the staged pages, in page order, through the write routine (boundary
 * de-duplication, details, transformations, the destination); then the execution log,
 * then `last`, then the extraction's end and staging's clean-up.
 */
import { randomUUID } from 'node:crypto';
import { errorMessage, isPermanentFailure } from '../../core/errors';
import { buildExecutionLog } from '../../core/executionLog';
import type { Row } from '../../core/rowMapping';
import { extractionDestination } from '../../output/extractionDestination';
import { ExtractionOutput } from '../../output/extractionOutput';
import type { PipelineDeps } from '../deps';
import type { FinalizeTask } from '../messages';
import { failExtraction, settleExtraction, settledAlready } from '../outcomes';
import type { ExtractionContext, RunContext, RunContexts } from '../runContext';
import { parseStagedDetails, readStagedPage, staging } from '../staging';

export async function handleFinalizeTask(
  task: FinalizeTask,
  contexts: RunContexts,
  deps: PipelineDeps,
): Promise<void> {
  const { runId, extractionId } = task;
  const state = await deps.runs.getExtraction(runId, extractionId);
  if (await settledAlready(state, contexts, deps)) return;
  if (!state || (state.status !== 'running' && state.status !== 'finalizing') || state.endIndex === undefined)
    return;
  await deps.runs.transitionExtraction(runId, extractionId, ['running'], 'finalizing');
  const ctx = await contexts.get(runId);
  const ex = await ctx.extraction(extractionId);
  const identity = ctx.identity(extractionId);
  let failure: string | undefined;
  let output: ExtractionOutput | undefined;
  let wroteLog = false;
  try {
    output = await ExtractionOutput.open(
      extractionDestination(ctx.session, ex.position, deps),
      {
        extraction: ex.extraction,
        extractionId,
        runId,
        startedAt: identity.startedAt,
        columns: ex.mapper.columns,
        settle: (name, value) => settleOnce(deps, staging.settled(runId, extractionId, name), value),
      },
      state.previousLast,
    );
    const detailRequests = await writeStagedPages(ctx, ex, state.endIndex, output, deps);
    const { destiny, carol } = await output.finish();
    const counted = (await deps.runs.getExtraction(runId, extractionId))?.counters;
    const log = buildExecutionLog(
      identity,
      { success: true, error: null, rows: output.rowCount, destiny, carol, last: output.last ?? null },
      {
        pages: state.endIndex + 1,
        requests: counted?.requests ?? 0,
        retries: counted?.retries ?? 0,
        detailRequests,
        warnings: output.warnings.count,
        warningMessages: output.warnings.messages,
      },
      deps.clock.now(),
      ctx.redactor,
    );
    // The file exists; now the log, then `last`, then the state change and the clean-up.
    await output.commit(deps, log, extractionId);
    const succeeded = await deps.runs.transitionExtraction(
      runId,
      extractionId,
      ['finalizing'],
      'succeeded',
      log,
    );
    wroteLog = succeeded;
    // The detail stage counted its warnings; the empty data_schema columns are counted
    // here, once: only by the writer whose transition won.
    if (succeeded && output.emptyColumnWarnings > 0)
      await deps.runs.addCounters(runId, { warnings: output.emptyColumnWarnings }, extractionId);
    ctx.logger.info('extraction written', {
      run_id: runId,
      extraction: ex.extraction.name,
      rows: output.rowCount,
      destiny,
    });
  } catch (err) {
    if (!isPermanentFailure(err)) throw err;
    failure = errorMessage(err);
  } finally {
    await output?.dispose();
  }
  // Only once the scratch files are gone: a finished run leaves nothing behind.
  // The log was appended by commit(), unless another writer's transition won (then its own).
  if (failure === undefined) await settleExtraction(ctx, extractionId, deps, wroteLog);
  else await failExtraction(ctx, extractionId, failure, deps);
}

/**
 * The value first kept at `key` in staging, or `value`, kept there now. Two writers of
 * one extraction (a redelivered task while the first still works) race for the key
 * atomically: both return the winner's value.
 */
async function settleOnce(deps: PipelineDeps, key: string, value: string): Promise<string> {
  const held = await deps.objects.get(deps.stagingBucket, key);
  if (held) return held.toString('utf8');
  await deps.objects.putIfAbsent(deps.stagingBucket, key, [Buffer.from(value, 'utf8')], randomUUID());
  return (await deps.objects.get(deps.stagingBucket, key))?.toString('utf8') ?? value;
}

/** Staged pages the writer reads ahead of the one it writes. */
export const WRITER_PREFETCH_PAGES = 4;

interface StagedPage {
  records: unknown[];
  /** Each detail chunk's staged body, in order. */
  chunks: Buffer[];
}

/** A staged page and its detail chunks, read from staging. */
async function readStaged(
  ctx: RunContext,
  ex: ExtractionContext,
  index: number,
  deps: PipelineDeps,
): Promise<StagedPage> {
  const { runId } = ctx.run;
  const { extractionId } = ex;
  // Without mapping_fetch a page has no chunks: its record need not be read.
  const chunkCount = ex.details ? (await deps.runs.getPage(runId, extractionId, index))!.chunks : 0;
  const [records, ...chunks] = await Promise.all([
    readStagedPage(deps, runId, extractionId, index, !ex.extraction.data_schema),
    ...Array.from({ length: chunkCount }, async (_, chunk) => {
      const body = await deps.objects.get(
        deps.stagingBucket,
        staging.details(runId, extractionId, index, chunk),
      );
      if (!body) throw new Error(`staged details ${chunk} of page ${index} are missing`);
      return body;
    }),
  ]);
  return { records: records as unknown[], chunks: chunks as Buffer[] };
}

/**
 * Pages 0..`endIndex` with their staged details into `output`; returns the detail
 * requests made. Up to {@link WRITER_PREFETCH_PAGES} pages are read ahead while one is
 * written, so the reads' round trips overlap the mapping and the upload; they are
 * still written strictly in page order.
 */
async function writeStagedPages(
  ctx: RunContext,
  ex: ExtractionContext,
  endIndex: number,
  output: ExtractionOutput,
  deps: PipelineDeps,
): Promise<number> {
  let detailRequests = 0;
  const ahead: Array<Promise<StagedPage>> = [];
  let next = 0;
  const readAhead = (): void => {
    while (next <= endIndex && ahead.length < WRITER_PREFETCH_PAGES) {
      const read = readStaged(ctx, ex, next++, deps);
      // Awaited in turn below; a failure ahead of the page written is reported then.
      read.catch(() => undefined);
      ahead.push(read);
    }
  };
  for (let index = 0; index <= endIndex; index++) {
    readAhead();
    const { records, chunks } = await ahead.shift()!;
    readAhead();
    if (records.length === 0) continue;
    const rows: Row[] = records.map((r) => ex.mapper.map(r));
    for (let chunk = 0; chunk < chunks.length; chunk++) {
      parseStagedDetails(chunks[chunk]!).forEach((detail, i) => {
        detailRequests++;
        if ('columns' in detail) Object.assign(rows[chunk * deps.detailChunkSize + i]!, detail.columns);
        else output.warnings.add(detail.warning);
      });
    }
    const skip = output.admit(records);
    await output.write(skip ? rows.slice(skip) : rows);
  }
  return detailRequests;
}
