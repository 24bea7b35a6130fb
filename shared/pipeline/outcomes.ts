/**
 * Completion and failure bookkeeping shared by the stages. Each step is safe to
 * repeat: the run store's conditional writes decide who counts, and the decisions
 * (finalize now, fail now) are re-derived from stored state every time.
 */
import { failureLog, NO_COUNTS } from '../core/executionLog';
import type { ExtractionRunState } from '../ports/runs';
import type { PipelineDeps } from './deps';
import { encodeTask, type FinalizeTask } from './messages';
import type { RunContext, RunContexts } from './runContext';
import { staging } from './staging';

/** A page (or one of its detail chunks) is complete: count it, then finalize when every page up to the end is. */
export async function completePage(
  ctx: RunContext,
  extractionId: string,
  index: number,
  deps: PipelineDeps,
): Promise<void> {
  const runId = ctx.run.runId;
  // The state comes back with the mark: one read per page completed, not two.
  const state = await deps.runs.markPageDone(runId, extractionId, index);
  if (!state || state.status !== 'running') return;
  if (state.failedPage) await evaluateFailure(ctx, state, deps);
  await finalizeIfReady(ctx, state, deps);
}

export async function finalizeIfReady(
  ctx: RunContext,
  state: ExtractionRunState,
  deps: PipelineDeps,
): Promise<void> {
  if (state.status !== 'running' || state.endIndex === undefined) return;
  if (state.failedPage && state.failedPage.index <= state.endIndex) return;
  const needed = state.endIndex + 1;
  // Count the page records themselves, not `pagesDone`: each page is its own item, so
  // concurrent completions cannot lose one, and pages past the end are left out.
  if ((await deps.runs.countDonePagesBelow(ctx.run.runId, state.extractionId, needed)) < needed) return;
  // Enqueue before any state change: a crash in between re-sends rather than loses it.
  const task: FinalizeTask = {
    v: 1,
    type: 'finalize',
    runId: ctx.run.runId,
    extractionId: state.extractionId,
  };
  await deps.queues.send('finalize', [encodeTask(task)]);
}

/** A page failed for good. It fails the extraction unless an earlier page turns out to be the last. */
export async function failPage(
  ctx: RunContext,
  extractionId: string,
  index: number,
  error: string,
  deps: PipelineDeps,
): Promise<void> {
  const state = await deps.runs.recordPageFailure(
    ctx.run.runId,
    extractionId,
    index,
    ctx.redactor.redact(error),
  );
  await evaluateFailure(ctx, state, deps);
}

async function evaluateFailure(
  ctx: RunContext,
  state: ExtractionRunState,
  deps: PipelineDeps,
): Promise<void> {
  const failed = state.failedPage;
  if (!failed || state.status !== 'running') return;
  if (state.endIndex !== undefined && failed.index > state.endIndex) return;
  // Only when every page before it is in and none of them said "no more" is the failure real.
  const before = await deps.runs.countDonePagesBelow(ctx.run.runId, state.extractionId, failed.index);
  if (before < failed.index) return;
  await failExtraction(ctx, state.extractionId, failed.error, deps);
}

/**
 * Marks an extraction failed once, with its execution log, then settles it. A repeated
 * call (a re-delivered task) finds it failed and settles it again, so whatever an
 * interrupted first call left undone is done.
 */
export async function failExtraction(
  ctx: RunContext,
  extractionId: string,
  error: string,
  deps: PipelineDeps,
): Promise<void> {
  const runId = ctx.run.runId;
  const state = await deps.runs.getExtraction(runId, extractionId);
  if (!state || state.status === 'succeeded') return;
  if (state.status !== 'failed') {
    const log = failureLog(
      ctx.identity(extractionId),
      error,
      state.previousLast,
      deps.clock.now(),
      ctx.redactor,
      // What the run store counted for this extraction: the log and the run's status agree.
      {
        ...NO_COUNTS,
        pages: state.pagesDone,
        requests: state.counters?.requests ?? 0,
        retries: state.counters?.retries ?? 0,
        detailRequests: state.counters?.details ?? 0,
        warnings: state.counters?.warnings ?? 0,
      },
    );
    if (await deps.runs.transitionExtraction(runId, extractionId, ['running', 'finalizing'], 'failed', log))
      ctx.logger.error('extraction failed', { run_id: runId, extraction_id: extractionId, error: log.error });
  }
  await settleExtraction(ctx, extractionId, deps);
}

/**
 * A task for an extraction that already ended: settle it again (the run's status, the
 * log, the clean-up), since this may be the re-delivery of the task that ended it and
 * was interrupted before all of that was done. True when nothing else is to be done.
 */
export async function settledAlready(
  state: ExtractionRunState | undefined,
  contexts: RunContexts,
  deps: PipelineDeps,
): Promise<boolean> {
  if (!state || (state.status !== 'failed' && state.status !== 'succeeded')) return false;
  await settleExtraction(await contexts.get(state.runId), state.extractionId, deps);
  return true;
}

/**
 * What follows an extraction's end (its state and log are stored together): first the
 * execution log, so that whoever sees the run over finds every extraction's log, then
 * the run's status, then staging's clean-up. Each step is repeatable; a task
 * re-delivered after a crash or a failed step calls this again. `logWritten`: the
 * caller has just appended this log (the writer, before its state change), so it is
 * not written a second time.
 */
export async function settleExtraction(
  ctx: RunContext,
  extractionId: string,
  deps: PipelineDeps,
  logWritten = false,
): Promise<void> {
  const state = await deps.runs.getExtraction(ctx.run.runId, extractionId);
  if (!state || (state.status !== 'failed' && state.status !== 'succeeded')) return;
  if (state.log && !logWritten) await deps.executionLogs.append(state.log);
  await finishRunIfDone(ctx, deps);
  await deps.objects.deletePrefix(deps.stagingBucket, staging.prefix(ctx.run.runId, extractionId));
}

/** When every extraction of the run is over, the run is too. */
export async function finishRunIfDone(ctx: RunContext, deps: PipelineDeps): Promise<void> {
  const states = await Promise.all(
    ctx.run.extractionIds.map((id) => deps.runs.getExtraction(ctx.run.runId, id)),
  );
  if (states.some((s) => !s || s.status === 'running' || s.status === 'finalizing')) return;
  const failed = states.find((s) => s!.status === 'failed');
  const error = failed
    ? `${failed.log?.extraction_name ?? failed.extractionId}: ${failed.log?.error ?? 'failed'}`
    : undefined;
  if (await deps.runs.finishRun(ctx.run.runId, failed ? 'failed' : 'succeeded', error)) {
    ctx.logger.info('run finished', { run_id: ctx.run.runId, status: failed ? 'failed' : 'succeeded' });
  }
}

/** Fails every unfinished extraction of a run with one reason (a stuck run, an operator's cancel). */
export async function failRun(ctx: RunContext, reason: string, deps: PipelineDeps): Promise<void> {
  for (const extractionId of ctx.run.extractionIds) await failExtraction(ctx, extractionId, reason, deps);
  await deps.runs.finishRun(ctx.run.runId, 'failed', reason);
}
