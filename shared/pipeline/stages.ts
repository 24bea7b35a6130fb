/**
 * The pipeline's stages, as DESIGN.md "The run, as messages" describes:
 * startRun -> page tasks -> (detail tasks) -> staged pages -> finalize (write).
 * Every handler is idempotent under at-least-once delivery: work is keyed by its
 * identity (run, extraction, page, chunk) and completion is a conditional write.
 */
import { randomUUID } from 'node:crypto';
import type { ApiConfig } from '../core/config/types';
import { parseJsonKeepingOrder, stringifyRecords } from '../core/orderedJson';
import { sameRecordAsText } from '../core/records';
import type { Row } from '../core/rowMapping';
import { formatLogTimestamp } from '../core/time';
import { compileTransformations } from '../core/transformations';
import { configIdOf, extractionIdOf } from '../engine/runConfig';
import { buildExecutionLog, errorMessage } from '../engine/executionLog';
import { PaginationLimitError, PaginationLoopError, requestDigest } from '../engine/pageStream';
import { outputBucket } from '../engine/outputBucket';
import { outputKey, writeOutputFile } from '../engine/runExtraction';
import { createRowWriter } from '../engine/rowWriters';
import { Semaphore } from '../engine/concurrency';
import { loadSecrets } from '../engine/secrets';
import type { PageCursor } from '../extract/pagination';
import type { ExtractionRunState, PageRecord, RunRecord } from '../ports/runs';
import { ZERO_COUNTERS } from '../ports/runs';
import { type PipelineDeps, staging } from './deps';
import { type DetailTask, encodeTask, type FinalizeTask, type PageTask } from './messages';
import { completePage, failExtraction, failPage, isPermanentFailure, settleExtraction } from './outcomes';
import { type ExtractionContext, RunContext, type RunContexts } from './runContext';

export interface StartOptions {
  runId?: string;
  trigger: RunRecord['trigger'];
}

/**
 * Creates the run record, fetches the run's token, and enqueues each extraction's
 * first page task(s). A token failure fails every extraction of the run at once.
 */
export async function startRun(
  config: ApiConfig,
  deps: PipelineDeps,
  options: StartOptions,
): Promise<RunRecord> {
  const runId = options.runId ?? randomUUID();
  const now = deps.clock.now().toISOString();
  const extractionIds = config.extractions.map((e) => extractionIdOf(config, e));
  const run: RunRecord = {
    runId,
    configId: configIdOf(config),
    configName: config.name,
    trigger: options.trigger,
    status: 'running',
    createdAt: now,
    updatedAt: now,
    configJson: JSON.stringify(config),
    extractionIds,
    counters: { ...ZERO_COUNTERS },
  };
  const states: ExtractionRunState[] = await Promise.all(
    extractionIds.map(async (extractionId) => ({
      runId,
      extractionId,
      status: 'running' as const,
      pagesDone: 0,
      previousLast: (await deps.lastRecords.get(extractionId)) ?? null,
    })),
  );
  await deps.runs.createRun(run, states);
  const secrets = await loadSecrets(deps.secrets);
  const ctx = RunContext.forNewRun(run, config, secrets, deps);
  try {
    try {
      ctx.scope.assertConfig();
      await ctx.tokens.start();
    } catch (err) {
      for (const id of extractionIds) await failExtraction(ctx, id, errorMessage(err), deps);
      return (await deps.runs.getRun(runId))!;
    }
    const tasks: string[] = [];
    for (const id of extractionIds) {
      const { paginator } = await ctx.extraction(id);
      const first: PageCursor[] = [paginator.first()];
      if (paginator.at && paginator.pagesInFlight > 1) {
        for (let i = 1; i < Math.min(paginator.pagesInFlight, paginator.maxPages); i++)
          first.push(paginator.at(i));
      }
      for (const cursor of first)
        tasks.push(encodeTask({ v: 1, type: 'page', runId, extractionId: id, cursor }));
    }
    await deps.queues.send('pages', tasks);
    ctx.logger.info('run started', { run_id: runId, config: config.name, extractions: extractionIds.length });
    return run;
  } finally {
    await ctx.close();
  }
}

/** page-fetcher: fetch one page, stage its records, dispatch what comes next. */
export async function handlePageTask(
  task: PageTask,
  contexts: RunContexts,
  deps: PipelineDeps,
): Promise<void> {
  const { runId, extractionId, cursor } = task;
  const state = await deps.runs.getExtraction(runId, extractionId);
  if (await settledAlready(state, contexts, deps)) return;
  if (!state || state.status !== 'running') return;
  if (state.endIndex !== undefined && cursor.index > state.endIndex) return;
  const ctx = await contexts.get(runId);
  const ex = await ctx.extraction(extractionId);

  let page = await deps.runs.getPage(runId, extractionId, cursor.index);
  if (!page) {
    let records: readonly unknown[];
    let decision;
    try {
      await refuseRepeatedRequest(ex, task, deps);
      const view = await ex.fetcher.fetch(cursor);
      decision = ex.paginator.decide(cursor, view);
      if (!decision.last && cursor.index + 1 >= ex.paginator.maxPages)
        throw new PaginationLimitError(ex.paginator.maxPages);
      records = view.records;
    } catch (err) {
      await deps.runs.addCounters(runId, ex.takeCounters(), extractionId);
      if (!isPermanentFailure(err)) throw err;
      await failPage(ctx, extractionId, cursor.index, errorMessage(err), deps);
      return;
    }
    await deps.objects.put(deps.stagingBucket, staging.page(runId, extractionId, cursor.index), [
      stringifyRecords(records),
    ]);
    const chunks = ex.details && records.length > 0 ? Math.ceil(records.length / deps.detailChunkSize) : 0;
    page = {
      runId,
      extractionId,
      index: cursor.index,
      state: 'staged',
      last: decision.last,
      next: decision.next,
      rows: records.length,
      chunks,
    };
    // Creating the record counts the page and its rows in the same write: a worker that
    // dies after it leaves the counters exact, and the re-delivered task finds the page.
    if (await deps.runs.savePage(page)) {
      await deps.runs.addCounters(runId, ex.takeCounters(), extractionId);
    } else {
      page = (await deps.runs.getPage(runId, extractionId, cursor.index))!;
    }
  }

  if (page.state === 'staged') {
    await dispatchPage(page, ex.paginator, deps);
    if (page.last) await deps.runs.setEnd(runId, extractionId, page.index);
    await deps.runs.savePage({ ...page, state: 'dispatched' });
  }
  if (page.chunks === 0) await completePage(ctx, extractionId, page.index, deps);
}

/**
 * Loop detection for paginations that follow the upstream's links or cursors: each
 * request is marked in staging by its digest, and a page whose request another page
 * already made fails before it is sent. A re-delivered task finds its own mark.
 */
async function refuseRepeatedRequest(
  ex: ExtractionContext,
  task: PageTask,
  deps: PipelineDeps,
): Promise<void> {
  if (!ex.paginator.followsUpstream) return;
  const url = ex.fetcher.requestUrl(task.cursor);
  const key = staging.request(task.runId, task.extractionId, requestDigest(url));
  // One atomic claim, owned by the page: a re-delivered task of this page gets it again.
  const index = String(task.cursor.index);
  if (await deps.objects.putIfAbsent(deps.stagingBucket, key, [index], index)) return;
  const earlier = Number((await deps.objects.get(deps.stagingBucket, key))?.toString('utf8'));
  throw new PaginationLoopError(task.cursor.index, earlier, url);
}

/**
 * A task for an extraction that already ended: settle it again (the run's status, the
 * log, the clean-up), since this may be the re-delivery of the task that ended it and
 * was interrupted before all of that was done. True when nothing else is to be done.
 */
async function settledAlready(
  state: ExtractionRunState | undefined,
  contexts: RunContexts,
  deps: PipelineDeps,
): Promise<boolean> {
  if (!state || (state.status !== 'failed' && state.status !== 'succeeded')) return false;
  await settleExtraction(await contexts.get(state.runId), state.extractionId, deps);
  return true;
}

async function dispatchPage(
  page: PageRecord,
  paginator: { at?(index: number): PageCursor; pagesInFlight: number; maxPages: number },
  deps: PipelineDeps,
): Promise<void> {
  const { runId, extractionId, index } = page;
  const next: string[] = [];
  if (!page.last) {
    if (paginator.at && paginator.pagesInFlight > 1) {
      // A window of pages in flight: this page's slot moves `pagesInFlight` ahead.
      const ahead = index + paginator.pagesInFlight;
      if (ahead < paginator.maxPages)
        next.push(encodeTask({ v: 1, type: 'page', runId, extractionId, cursor: paginator.at(ahead) }));
    } else if (page.next) {
      next.push(encodeTask({ v: 1, type: 'page', runId, extractionId, cursor: page.next }));
    }
  }
  if (next.length) await deps.queues.send('pages', next);
  const details: string[] = [];
  for (let chunk = 0; chunk < page.chunks; chunk++) {
    const task: DetailTask = { v: 1, type: 'detail', runId, extractionId, page: index, chunk };
    details.push(encodeTask(task));
  }
  if (details.length) await deps.queues.send('details', details);
}

/** What the detail-mapper stages per row of a chunk: the detail columns, or why there are none. */
type StagedDetail = { c: Record<string, unknown> } | { w: string };

/** detail-mapper: fetch the details of one chunk of a page's rows. */
export async function handleDetailTask(
  task: DetailTask,
  contexts: RunContexts,
  deps: PipelineDeps,
): Promise<void> {
  const { runId, extractionId, page: index, chunk } = task;
  const state = await deps.runs.getExtraction(runId, extractionId);
  if (await settledAlready(state, contexts, deps)) return;
  if (!state || state.status !== 'running') return;
  if (state.endIndex !== undefined && index > state.endIndex) return;
  const ctx = await contexts.get(runId);
  const ex = await ctx.extraction(extractionId);
  const page = await deps.runs.getPage(runId, extractionId, index);
  if (!page || !ex.details)
    throw new Error(`detail task for page ${index} of ${extractionId}, which is not staged`);

  const key = staging.details(runId, extractionId, index, chunk);
  const stored = await deps.objects.get(deps.stagingBucket, key);
  let staged: StagedDetail[];
  if (stored === undefined) {
    const records = await readStagedPage(deps, runId, extractionId, index, !ex.extraction.data_schema);
    const slice = records.slice(chunk * deps.detailChunkSize, (chunk + 1) * deps.detailChunkSize);
    const slots = new Semaphore(ex.extraction.mapping_fetch?.concurrency ?? 8);
    try {
      staged = await Promise.all(
        slice.map((record) =>
          slots.run(async (): Promise<StagedDetail> => {
            const outcome = await ex.details!.fetch(ex.mapper.map(record), record);
            return outcome.found
              ? { c: outcome.columns }
              : { w: `mapping_fetch kept a row without details: ${outcome.reason}` };
          }),
        ),
      );
    } catch (err) {
      await deps.runs.addCounters(runId, ex.takeCounters(), extractionId);
      if (!isPermanentFailure(err)) throw err;
      await failPage(ctx, extractionId, index, errorMessage(err), deps);
      return;
    }
    await deps.objects.put(deps.stagingBucket, key, [JSON.stringify(staged)]);
    await deps.runs.addCounters(runId, ex.takeCounters(), extractionId);
  } else {
    staged = JSON.parse(stored.toString('utf8')) as StagedDetail[];
  }
  // The details and warnings are counted from the staged file, once per chunk: a
  // re-delivered task whose first delivery died after staging counts them then.
  await deps.runs.countChunk(runId, extractionId, index, chunk, {
    details: staged.length,
    warnings: staged.filter((s) => 'w' in s).length,
  });
  // Whether the page is complete is decided from the staged chunk files, one object
  // each, rather than from a counter that concurrent chunk completions all update.
  const chunkFiles = await deps.objects.list(
    deps.stagingBucket,
    staging.detailsPrefix(runId, extractionId, index),
  );
  if (chunkFiles.length >= page.chunks) await completePage(ctx, extractionId, index, deps);
}

/** A staged page's records; `keepOrder` (no data_schema) as {@link parseJsonKeepingOrder} reads them. */
async function readStagedPage(
  deps: PipelineDeps,
  runId: string,
  extractionId: string,
  index: number,
  keepOrder: boolean,
): Promise<unknown[]> {
  const body = await deps.objects.get(deps.stagingBucket, staging.page(runId, extractionId, index));
  if (!body) throw new Error(`staged page ${index} of ${extractionId} in run ${runId} is missing`);
  const text = body.toString('utf8');
  return (keepOrder ? parseJsonKeepingOrder(text) : JSON.parse(text)) as unknown[];
}

/**
 * writer: stream the staged pages, in page order, through de-duplication,
 * details, transformations and the encoder into one object; then the execution
 * log, then `last`, then staging is removed.
 */
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
  const extraction = ex.extraction;
  const startedAt = new Date(ctx.run.createdAt);
  const transform = compileTransformations(extraction.transformations);
  const hasTransformations = extraction.transformations.length > 0;
  const scratch = await deps.scratch.create(`${runId}-${extractionId}`);
  let failure: string | undefined;
  try {
    const writer = createRowWriter(scratch, {
      format: extraction.format,
      separator: extraction.output_params.csv_separator,
      timestamp: formatLogTimestamp(startedAt),
      initialColumns: ex.mapper.columns,
    });
    let firstSeen = false;
    let lastRecord: unknown = undefined;
    const warnings: string[] = [];
    let warningCount = 0;
    let detailRequests = 0;
    for (let index = 0; index <= state.endIndex; index++) {
      const page = (await deps.runs.getPage(runId, extractionId, index))!;
      const records = await readStagedPage(deps, runId, extractionId, index, !extraction.data_schema);
      if (records.length === 0) continue;
      const rows: Row[] = records.map((r) => ex.mapper.map(r));
      for (let chunk = 0; chunk < page.chunks; chunk++) {
        const body = await deps.objects.get(
          deps.stagingBucket,
          staging.details(runId, extractionId, index, chunk),
        );
        if (!body) throw new Error(`staged details ${chunk} of page ${index} are missing`);
        const staged = JSON.parse(body.toString('utf8')) as StagedDetail[];
        staged.forEach((detail, i) => {
          detailRequests++;
          const row = rows[chunk * deps.detailChunkSize + i]!;
          if ('c' in detail) Object.assign(row, detail.c);
          else {
            warningCount++;
            if (warnings.length < 20) warnings.push(detail.w);
          }
        });
      }
      let start = 0;
      if (!firstSeen) {
        firstSeen = true;
        if (
          state.previousLast !== null &&
          state.previousLast !== undefined &&
          sameRecordAsText(records[0], state.previousLast)
        )
          start = 1;
      }
      lastRecord = records[records.length - 1];
      const out = start ? rows.slice(start) : rows;
      if (hasTransformations) for (let i = 0; i < out.length; i++) out[i] = transform(out[i]!);
      await writer.write(out);
    }
    const body = await writer.finish();
    const bucket = outputBucket(extraction, deps);
    const key = outputKey(extraction, startedAt);
    let destiny: string | null = null;
    if (body) {
      const written = await writeOutputFile(deps.objects, bucket, key, runId, body);
      destiny = deps.objects.describe(bucket, written);
    }
    const counted = (await deps.runs.getExtraction(runId, extractionId))?.counters;
    const log = buildExecutionLog(
      {
        extractionName: extraction.name,
        extractionId,
        configName: ctx.run.configName,
        configId: ctx.run.configId,
        runId,
        startedAt,
        finishedAt: deps.clock.now(),
        success: true,
        error: null,
        rows: writer.rowCount,
        destiny,
        last: lastRecord ?? state.previousLast ?? null,
        pages: state.endIndex + 1,
        requests: counted?.requests ?? 0,
        retries: counted?.retries ?? 0,
        detailRequests,
        warnings: warningCount,
        warningMessages: warnings,
      },
      ctx.redactor,
    );
    // The file exists; now the log, then `last`, then the state change and the clean-up.
    await deps.executionLogs.append(log);
    if (lastRecord !== undefined) await deps.lastRecords.set(extractionId, lastRecord);
    await deps.runs.transitionExtraction(runId, extractionId, ['finalizing'], 'succeeded', log);
    ctx.logger.info('extraction written', {
      run_id: runId,
      extraction: extraction.name,
      rows: writer.rowCount,
      destiny,
    });
  } catch (err) {
    if (!isPermanentFailure(err)) throw err;
    failure = errorMessage(err);
  } finally {
    await scratch.dispose();
  }
  // Only once the scratch files are gone: a finished run leaves nothing behind.
  if (failure === undefined) await settleExtraction(ctx, extractionId, deps);
  else await failExtraction(ctx, extractionId, failure, deps);
}
