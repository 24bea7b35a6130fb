/**
 * The whole pipeline in one process on the embedded adapters: page-fetcher,
 * detail-mapper and writer workers over the SQLite-backed queue, plus the
 * dead-letter workers. The config API and scheduler attach to the same deps.
 */
import { embeddedPipelineDeps, type EmbeddedOptions } from '../../shared/adapters/embedded/pipelineDeps';
import {
  DEAD_LETTER_CONCURRENCY,
  DEFAULT_EMBEDDED_CONCURRENCY,
  DEFAULT_EMBEDDED_VISIBILITY_TIMEOUT_SECONDS,
  QUEUE_NAMES,
  type QueueName,
} from '../../shared/core/topology';
import type { PipelineDeps } from '../../shared/pipeline/deps';
import { RunContexts } from '../../shared/pipeline/runContext';
import { startDeadLetterWorkers, startWorker } from '../../shared/pipeline/workers';
import type { Consumer } from '../../shared/ports/queue';
import type { SqliteQueueBroker } from '../../shared/adapters/embedded/sqliteQueue';
import type { Database } from '../../shared/adapters/embedded/database';

export interface EmbeddedSystemOptions extends EmbeddedOptions {
  /** Tasks in flight per stage (default: shared/core/topology.ts). */
  concurrency?: Partial<Record<QueueName, number>>;
  visibilityTimeoutSeconds?: number;
}

export interface EmbeddedSystem {
  deps: PipelineDeps;
  /** The process's one database connection: every embedded store uses it, {@link stop} closes it. */
  db: Database;
  broker: SqliteQueueBroker;
  contexts: RunContexts;
  /** Drains in-flight tasks and closes the database. */
  stop(): Promise<void>;
}

export function startEmbeddedSystem(options: EmbeddedSystemOptions): EmbeddedSystem {
  const { deps, objects, db, broker } = embeddedPipelineDeps(options);
  // Temporary files of a writer killed in an earlier life of this process.
  objects.sweepPartials().then(
    (removed) => removed && options.logger.info('removed temporary files of interrupted writes', { removed }),
    (err: Error) => options.logger.warn('could not sweep temporary files', { error: err.message }),
  );
  const contexts = new RunContexts(deps);
  const visibility = options.visibilityTimeoutSeconds ?? DEFAULT_EMBEDDED_VISIBILITY_TIMEOUT_SECONDS;
  const consumers: Consumer[] = [
    ...QUEUE_NAMES.map((queue) =>
      startWorker(queue, contexts, deps, {
        concurrency: options.concurrency?.[queue] ?? DEFAULT_EMBEDDED_CONCURRENCY[queue],
        visibilityTimeoutSeconds: visibility,
      }),
    ),
    ...startDeadLetterWorkers(contexts, deps, {
      concurrency: DEAD_LETTER_CONCURRENCY,
      visibilityTimeoutSeconds: visibility,
    }),
  ];
  return {
    deps,
    db,
    broker,
    contexts,
    stop: async () => {
      await Promise.all(consumers.map((c) => c.stop()));
      await contexts.closeAll();
      db.close();
    },
  };
}
