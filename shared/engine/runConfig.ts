/**
 * A run: every extraction of one config, in order, after one token refresh.
 * Each extraction gets its own execution log; one failing does not stop the others.
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
  const logs: ExecutionLog[] = [];
  try {
    let startError: string | undefined;
    try {
      await session.start();
    } catch (err) {
      startError = session.redactor.redact(errorMessage(err));
    }
    for (const [position, extraction] of config.extractions.entries()) {
      if (options.only && !options.only.has(position)) continue;
      if (options.signal?.aborted) break;
      const identity: LogIdentity = {
        extractionName: extraction.name,
        extractionId: extractionIdOf(config, extraction),
        configName: config.name,
        configId,
        runId,
        startedAt,
      };
      if (startError === undefined) {
        logs.push(await runExtraction(session, position, identity, deps, options));
        continue;
      }
      const previousLast = await deps.lastRecords.get(identity.extractionId);
      const log = failureLog(identity, startError, previousLast, deps.clock.now(), session.redactor);
      await deps.executionLogs.append(log);
      logs.push(log);
    }
  } finally {
    await session.close();
  }
  const selected = options.only?.size ?? config.extractions.length;
  const success = logs.length === selected && logs.every((l) => l.success === 'true');
  logger.info('run finished', { config: config.name, run_id: runId, success });
  return { runId, success, logs };
}
