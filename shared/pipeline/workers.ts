/**
 * Binds the stages to their queues: parse and validate each message (an invalid one
 * is dead-lettered at once), run the stage, and on the last allowed receive of a
 * failing message mark its extraction failed with the cause before it goes to the
 * dead-letter queue.
 */
import { QUEUE_NAMES } from '../core/topology';
import type { Consumer, QueueName, ReceivedMessage } from '../ports/queue';
import { errorMessage } from '../core/errors';
import type { PipelineDeps } from './deps';
import { InvalidMessageError, parseTask, type TaskByQueue } from './messages';
import { failExtraction } from './outcomes';
import { type RunContexts, RunGoneError } from './runContext';
import { handleDetailTask, handleFinalizeTask, handlePageTask } from './stages';

type StageHandler<Q extends QueueName> = (
  task: TaskByQueue[Q],
  contexts: RunContexts,
  deps: PipelineDeps,
) => Promise<void>;

const STAGES: { [Q in QueueName]: StageHandler<Q> } = {
  pages: handlePageTask,
  details: handleDetailTask,
  finalize: handleFinalizeTask,
};

export interface WorkerOptions {
  concurrency: number;
  visibilityTimeoutSeconds: number;
}

export function messageHandler<Q extends QueueName>(queue: Q, contexts: RunContexts, deps: PipelineDeps) {
  const stage = STAGES[queue] as StageHandler<Q>;
  return async (message: ReceivedMessage): Promise<void> => {
    let task: TaskByQueue[Q];
    try {
      task = parseTask(queue, message.body);
    } catch (err) {
      const reason = errorMessage(err);
      deps.logger.error('invalid message sent to the dead-letter queue', {
        queue,
        message_id: message.id,
        reason,
      });
      await deps.queues.deadLetter(queue, message, reason);
      const partial = err instanceof InvalidMessageError ? err.partial : undefined;
      if (typeof partial?.runId === 'string' && typeof partial.extractionId === 'string') {
        await failWithCause(partial.runId, partial.extractionId, `${reason}`, contexts, deps);
      }
      return;
    }
    try {
      await stage(task, contexts, deps);
    } catch (err) {
      if (err instanceof RunGoneError) {
        deps.logger.warn('message for a run that does not exist dropped', { queue, message_id: message.id });
        return;
      }
      deps.logger.error('task failed; it will be retried', {
        queue,
        run_id: task.runId,
        receive_count: message.receiveCount,
        error: errorMessage(err),
      });
      if (message.receiveCount >= deps.maxReceiveCount) {
        await failWithCause(
          task.runId,
          task.extractionId,
          `${queue} task failed ${message.receiveCount} times: ${errorMessage(err)}`,
          contexts,
          deps,
        );
      }
      throw err;
    }
  };
}

async function failWithCause(
  runId: string,
  extractionId: string,
  cause: string,
  contexts: RunContexts,
  deps: PipelineDeps,
): Promise<void> {
  try {
    const ctx = await contexts.get(runId);
    await failExtraction(ctx, extractionId, cause, deps);
  } catch (err) {
    deps.logger.error('could not mark the run failed', { run_id: runId, error: errorMessage(err) });
  }
}

/** Starts consuming one queue with its stage. */
export function startWorker(
  queue: QueueName,
  contexts: RunContexts,
  deps: PipelineDeps,
  options: WorkerOptions,
): Consumer {
  return deps.queues.consume(queue, messageHandler(queue, contexts, deps), options);
}

/** Dead letters of every queue: a run they belong to is marked failed (if not already), then they are dropped. */
export function startDeadLetterWorkers(
  contexts: RunContexts,
  deps: PipelineDeps,
  options: WorkerOptions,
): Consumer[] {
  return QUEUE_NAMES.map((queue) =>
    deps.queues.consumeDeadLetters(
      queue,
      async (message) => {
        let parsed: { runId?: unknown; extractionId?: unknown } | undefined;
        try {
          parsed = JSON.parse(message.body) as { runId?: unknown; extractionId?: unknown };
        } catch {
          parsed = undefined;
        }
        deps.logger.error('dead letter', { queue, message_id: message.id, run_id: parsed?.runId });
        if (typeof parsed?.runId === 'string' && typeof parsed.extractionId === 'string') {
          await failWithCause(
            parsed.runId,
            parsed.extractionId,
            `a ${queue} task was dead-lettered after repeated failures`,
            contexts,
            deps,
          );
        }
      },
      options,
    ),
  );
}
