/**
 * A run: every extraction of one config, after one token refresh, at most
 * `concurrency` at once (1 by default: one after another, in order). Each extraction
 * writes its own file and gets its own execution log; one failing does not stop the
 * others; the report lists the logs in config order whatever order they finished in.
 */
import { randomUUID } from 'node:crypto';
import type { ApiConfig } from '../core/config/types';
import { errorMessage } from '../core/errors';
import { failureLog, type LogIdentity } from '../core/executionLog';
import { configIdOf, extractionIdOf } from '../core/ids';
import { RunSession } from '../extract/extractionKit';
import type { ExecutionLog } from '../ports/executionLog';
import type { RunDeps } from '../ports/runDeps';
import { type ExtractionProgress, runExtraction } from './runExtraction';

export interface RunOptions {
  runId?: string;
  /** Positions (0-based) of the extractions to run; absent = all. */
  only?: ReadonlySet<number>;
  onProgress?: (progress: ExtractionProgress) => void;
  signal?: AbortSignal;
  /** How many extractions run at once (a positive integer); default 1. */
  concurrency?: number;
}

export interface RunReport {
  runId: string;
  success: boolean;
  logs: ExecutionLog[];
}

export async function runConfig(
  config: ApiConfig,
  deps: RunDeps,
  options: RunOptions = {},
): Promise<RunReport> {
  const runId = options.runId ?? randomUUID();
  const startedAt = deps.clock.now();
  const configId = configIdOf(config);
  const session = await RunSession.open(config, deps, { runId, tokenStore: deps.tokens });
  const logger = session.logger;
  logger.info('run started', { config: config.name, config_id: configId, run_id: runId });
  const positions = [...config.extractions.keys()].filter((p) => !options.only || options.only.has(p));
  // By position in `positions`: config order, whatever order they finish in.
  const byPosition: Array<ExecutionLog | undefined> = [];
  try {
    let startError: string | undefined;
    try {
      await session.start();
    } catch (err) {
      startError = session.redactor.redact(errorMessage(err));
    }
    const runOne = async (position: number): Promise<ExecutionLog> => {
      const extraction = config.extractions[position]!;
      const identity: LogIdentity = {
        extractionName: extraction.name,
        extractionId: extractionIdOf(config, extraction),
        configName: config.name,
        configId,
        runId,
        startedAt,
      };
      if (startError === undefined) return runExtraction(session, position, identity, deps, options);
      const previousLast = await deps.lastRecords.get(identity.extractionId);
      const log = failureLog(identity, startError, previousLast, deps.clock.now(), session.redactor);
      await deps.executionLogs.append(log);
      return log;
    };
    // Workers take the next extraction until none is left (or the run is interrupted).
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < positions.length && !options.signal?.aborted) {
        const index = next++;
        byPosition[index] = await runOne(positions[index]!);
      }
    };
    const workers = Math.max(1, Math.min(options.concurrency ?? 1, positions.length));
    const settled = await Promise.allSettled(Array.from({ length: workers }, worker));
    for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
  } finally {
    await session.close();
  }
  const logs = byPosition.filter((log): log is ExecutionLog => log !== undefined);
  const success = logs.length === positions.length && logs.every((l) => l.success === 'true');
  logger.info('run finished', { config: config.name, run_id: runId, success });
  return { runId, success, logs };
}
