/** detail-mapper: fetch the details of one chunk of a page's rows. */
import { errorMessage, isPermanentFailure } from '../../core/errors';
import { Semaphore } from '../../extract/concurrency';
import { fetchDetails } from '../../extract/extractionKit';
import type { PipelineDeps } from '../deps';
import type { DetailTask } from '../messages';
import { completePage, failPage, settledAlready } from '../outcomes';
import type { RunContexts } from '../runContext';
import { parseStagedDetails, readStagedPage, type StagedDetail, stageDetails, staging } from '../staging';

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
  // The task says how many chunks its page has; a task of an earlier version reads the page record.
  const chunks = task.chunks ?? (await deps.runs.getPage(runId, extractionId, index))?.chunks;
  if (chunks === undefined || !ex.details)
    throw new Error(`detail task for page ${index} of ${extractionId}, which is not staged`);

  const key = staging.details(runId, extractionId, index, chunk);
  const stored = await deps.objects.get(deps.stagingBucket, key);
  let staged: StagedDetail[];
  let fetched: { requests: number; retries: number } | undefined;
  if (stored === undefined) {
    // The page's other chunks read the same staged page: kept a while per worker.
    const records = await ctx.stagedPage(extractionId, index, () =>
      readStagedPage(deps, runId, extractionId, index, !ex.extraction.data_schema),
    );
    const slice = records.slice(chunk * deps.detailChunkSize, (chunk + 1) * deps.detailChunkSize);
    const slots = new Semaphore(ex.extraction.mapping_fetch?.concurrency ?? 8);
    try {
      const rows = slice.map((record) => ex.mapper.map(record));
      staged = stageDetails(await fetchDetails(ex.details, rows, slice, slots));
    } catch (err) {
      await deps.runs.addCounters(runId, ex.takeCounters(), extractionId);
      if (!isPermanentFailure(err)) throw err;
      await failPage(ctx, extractionId, index, errorMessage(err), deps);
      return;
    }
    await deps.objects.put(deps.stagingBucket, key, [JSON.stringify(staged)]);
    fetched = ex.takeCounters();
  } else {
    staged = parseStagedDetails(stored);
  }
  // The details and warnings are counted from the staged file, once per chunk: a
  // re-delivered task whose first delivery died after staging counts them then. The
  // requests this delivery made go in the same write, or on their own when another
  // delivery of the chunk counted it first.
  const counted = await deps.runs.countChunk(runId, extractionId, index, chunk, {
    details: staged.length,
    warnings: staged.filter((s) => 'warning' in s).length,
    ...fetched,
  });
  if (!counted && fetched) await deps.runs.addCounters(runId, fetched, extractionId);
  // Whether the page is complete is decided from the set of counted chunks on its
  // record (each chunk once, and only once staged), read after this chunk's count,
  // rather than from a counter that concurrent chunk completions all update.
  if ((await deps.runs.countedChunks(runId, extractionId, index)) >= chunks)
    await completePage(ctx, extractionId, index, deps);
}
