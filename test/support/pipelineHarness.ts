/** Runs configs through the embedded pipeline (SQLite queue and stores, local files). */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../shared/core/config/validate';
import { startRun } from '../../shared/pipeline/stages';
import type { PipelineDeps } from '../../shared/pipeline/deps';
import type { RunRecord, RunStore } from '../../shared/ports/runs';
import type { ExecutionLog } from '../../shared/ports/executionLog';
import {
  type EmbeddedSystem,
  type EmbeddedSystemOptions,
  startEmbeddedSystem,
} from '../../services/embedded/system';
import type { LogLine } from './engineHarness';
import type { Logger } from '../../shared/ports/logger';
import { pollUntil } from './poll';

/** Polls the run store, with backoff, until the run is over (a condition, not a fixed sleep). */
export async function waitForRun(runs: RunStore, runId: string, timeoutMs = 60_000): Promise<RunRecord> {
  return pollUntil(
    async () => {
      const run = await runs.getRun(runId);
      return run && run.status !== 'running' ? run : undefined;
    },
    async () => {
      const run = await runs.getRun(runId);
      return `run ${runId} still ${run?.status ?? 'missing'} after ${timeoutMs} ms: ${JSON.stringify(run)}`;
    },
    { timeoutMs },
  );
}

export interface PipelineHarness {
  dataDir: string;
  system: EmbeddedSystem;
  deps: PipelineDeps;
  logLines: LogLine[];
  /** Starts a run and waits for it; returns the run and each extraction's execution log. */
  run(config: unknown): Promise<{ run: RunRecord; logs: ExecutionLog[] }>;
  output(log: ExecutionLog): Promise<string>;
  setSecrets(secrets: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export function captureLogger(lines: LogLine[]): Logger {
  return {
    debug: (message, fields) => lines.push({ level: 'debug', message, fields }),
    info: (message, fields) => lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
    error: (message, fields) => lines.push({ level: 'error', message, fields }),
  };
}

export async function makePipelineHarness(
  options: Partial<EmbeddedSystemOptions> = {},
): Promise<PipelineHarness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'api-extractor-pipeline-'));
  const logLines: LogLine[] = [];
  const system = startEmbeddedSystem({
    dataDir,
    logger: captureLogger(logLines),
    env: {},
    queue: { retryDelayMs: 20, pollIntervalMs: 20, ...options.queue },
    ...options,
  });
  const deps = system.deps;
  return {
    dataDir,
    system,
    deps,
    logLines,
    async run(config) {
      const parsed = parseConfig(config);
      const started = await startRun(parsed, deps, { trigger: 'api' });
      const run = await waitForRun(deps.runs, started.runId);
      const logs: ExecutionLog[] = [];
      for (const id of run.extractionIds) {
        const log = (await deps.executionLogs.list(id)).find((l) => l.run_id === run.runId);
        if (log) logs.push(log);
      }
      return { run, logs };
    },
    async output(log) {
      if (!log.destiny) throw new Error(`no output file: ${JSON.stringify(log)}`);
      return readFile(join(dataDir, 's3', log.destiny.replace(/^s3:\/\//, '')), 'utf8');
    },
    async setSecrets(secrets) {
      await writeFile(join(dataDir, 'secrets.json'), JSON.stringify(secrets));
    },
    async close() {
      await system.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The output with `ext__timestamp` values blanked, for comparing two runs byte for byte. */
export function withoutTimestamps(text: string): string {
  return text.replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}/g, '<ts>');
}
