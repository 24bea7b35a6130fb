/** The run's start: the run record, the token, each extraction's first page task(s). */
import { randomUUID } from 'node:crypto';
import type { ApiConfig } from '../../core/config/types';
import { errorMessage } from '../../core/errors';
import { configIdOf, extractionIdOf } from '../../core/ids';
import { openingCursors } from '../../extract/pageStream';
import { type ExtractionRunState, type RunRecord, ZERO_COUNTERS } from '../../ports/runs';
import type { PipelineDeps } from '../deps';
import { encodeTask } from '../messages';
import { failExtraction } from '../outcomes';
import { RunContext } from '../runContext';

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
  const ctx = await RunContext.open(run, config, deps);
  try {
    try {
      await ctx.session.start();
    } catch (err) {
      for (const id of extractionIds) await failExtraction(ctx, id, errorMessage(err), deps);
      return (await deps.runs.getRun(runId))!;
    }
    const tasks: string[] = [];
    for (const id of extractionIds) {
      const { paginator } = await ctx.extraction(id);
      for (const cursor of openingCursors(paginator))
        tasks.push(encodeTask({ v: 1, type: 'page', runId, extractionId: id, cursor }));
    }
    await deps.queues.send('pages', tasks);
    ctx.logger.info('run started', { run_id: runId, config: config.name, extractions: extractionIds.length });
    return run;
  } finally {
    await ctx.close();
  }
}
