/** page-fetcher: fetch one page, stage its records, dispatch what comes next. */
import { errorMessage, isPermanentFailure } from '../../core/errors';
import { followingCursor } from '../../extract/pageStream';
import { PaginationLimitError, PaginationLoopError, requestDigest } from '../../extract/paginationErrors';
import type { PageDecision } from '../../extract/pagination';
import type { PageRecord } from '../../ports/runs';
import type { PipelineDeps } from '../deps';
import { encodeTask, type PageTask } from '../messages';
import { completePage, failPage, settledAlready } from '../outcomes';
import type { ExtractionContext, RunContexts } from '../runContext';
import { stagePage, staging } from '../staging';

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
    let decision: PageDecision;
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
    await stagePage(deps, runId, extractionId, cursor.index, records);
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
    // Creating the record counts the page, its rows and the requests that fetched it in
    // the same write: a worker that dies after it leaves the counters exact, and the
    // re-delivered task finds the page.
    const counts = ex.takeCounters();
    if (!(await deps.runs.savePage(page, counts))) {
      await deps.runs.addCounters(runId, counts, extractionId);
      page = (await deps.runs.getPage(runId, extractionId, cursor.index))!;
    }
  }

  if (page.state === 'staged') {
    await dispatchPage(page, ex, deps);
    if (page.last) await deps.runs.setEnd(runId, extractionId, page.index);
    // A page without detail chunks moves from staged to done at once (below); one with
    // chunks is marked dispatched so a re-delivered task does not send them again.
    if (page.chunks > 0) await deps.runs.savePage({ ...page, state: 'dispatched' });
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

/** The page that follows this one (a window slot moving on, or the upstream's next), and this page's detail tasks. */
async function dispatchPage(page: PageRecord, ex: ExtractionContext, deps: PipelineDeps): Promise<void> {
  const { runId, extractionId, index } = page;
  const following = page.last ? undefined : followingCursor(ex.paginator, index, page.next);
  if (following)
    await deps.queues.send('pages', [
      encodeTask({ v: 1, type: 'page', runId, extractionId, cursor: following }),
    ]);
  const details: string[] = [];
  for (let chunk = 0; chunk < page.chunks; chunk++)
    details.push(
      encodeTask({ v: 1, type: 'detail', runId, extractionId, page: index, chunk, chunks: page.chunks }),
    );
  if (details.length) await deps.queues.send('details', details);
}
