/**
 * A run: every extraction of one config, in order, after one token refresh.
 * Each extraction gets its own execution log; one failing does not stop the others.
 */
import { randomUUID } from 'node:crypto';
import type { ApiConfig, Extraction } from '../core/config/types';
import { Redactor } from '../core/redact';
import { TokenManager } from '../extract/auth';
import { createTokenEndpointHttp } from '../extract/clientFactory';
import { referenceLookup } from './lookup';
import { loadSecrets, secretScope } from './secrets';
import type { ExecutionLog } from '../ports/executionLog';
import type { EngineDeps } from './deps';
import { redactingLogger } from './redactingLogger';
import { buildExecutionLog, errorMessage } from './executionLog';
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

/** A stable id for a config that has none (a file run from the command line). */
export function localId(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '-');
}

export function configIdOf(config: ApiConfig): string {
  return config.id ?? `local-${localId(config.name)}`;
}

/**
 * An extraction's id: its own, or (a file run from the command line) one derived from
 * the config and its name; names may repeat, so the second extraction of a name gets
 * `#2`, and so on (the first keeps the plain id, and with it the `last` state it had).
 */
export function extractionIdOf(config: ApiConfig, extraction: Extraction): string {
  if (extraction.id !== undefined) return extraction.id;
  const base = `${configIdOf(config)}.${localId(extraction.name)}`;
  const position = config.extractions.indexOf(extraction);
  const earlier = config.extractions
    .slice(0, Math.max(position, 0))
    .filter((e) => e.name === extraction.name);
  return earlier.length === 0 ? base : `${base}#${earlier.length + 1}`;
}

export async function runConfig(
  config: ApiConfig,
  baseDeps: EngineDeps,
  options: RunOptions = {},
): Promise<RunReport> {
  const runId = options.runId ?? randomUUID();
  const startedAt = baseDeps.clock.now();
  const configId = configIdOf(config);
  const redactor = new Redactor();
  const deps: EngineDeps = { ...baseDeps, logger: redactingLogger(baseDeps.logger, redactor) };
  const loaded = await loadSecrets(deps.secrets);
  const secrets = loaded.values;
  redactor.addAll(secrets);
  const scope = secretScope(config, loaded);
  const lookup = referenceLookup({ config, secrets, previousLast: undefined, token: () => tokens.current() });
  const { transport, client } = createTokenEndpointHttp({
    allowLinkLocal: deps.allowLinkLocal,
    budget: deps.responseBudget,
  });
  const tokens = new TokenManager({
    auth: config.auth,
    lookup,
    scope,
    client,
    redactor,
    clock: deps.clock,
    store: deps.tokens,
    tokenKey: runId,
    onRefresh: () => deps.logger.info('access token refreshed', { config: config.name, run_id: runId }),
  });
  deps.logger.info('run started', { config: config.name, config_id: configId, run_id: runId });
  const logs: ExecutionLog[] = [];
  try {
    let startError: string | undefined;
    try {
      scope.assertConfig();
      await tokens.start();
    } catch (err) {
      startError = redactor.redact(errorMessage(err));
    }
    for (const [position, extraction] of config.extractions.entries()) {
      if (options.only && !options.only.has(position)) continue;
      if (options.signal?.aborted) break;
      const extractionId = extractionIdOf(config, extraction);
      if (startError !== undefined) {
        logs.push(
          await failedBeforeStart(
            deps,
            config,
            extraction,
            configId,
            extractionId,
            runId,
            startedAt,
            startError,
            redactor,
          ),
        );
        continue;
      }
      logs.push(
        await runExtraction(
          {
            config,
            extraction,
            position,
            configId,
            extractionId,
            runId,
            startedAt,
            tokens,
            secrets,
            scope,
            redactor,
            onProgress: options.onProgress,
            signal: options.signal,
          },
          deps,
        ),
      );
    }
  } finally {
    await transport.close();
  }
  const selected = options.only?.size ?? config.extractions.length;
  const success = logs.length === selected && logs.every((l) => l.success === 'true');
  deps.logger.info('run finished', { config: config.name, run_id: runId, success });
  return { runId, success, logs };
}

async function failedBeforeStart(
  deps: EngineDeps,
  config: ApiConfig,
  extraction: Extraction,
  configId: string,
  extractionId: string,
  runId: string,
  startedAt: Date,
  error: string,
  redactor: Redactor,
): Promise<ExecutionLog> {
  const log = buildExecutionLog(
    {
      extractionName: extraction.name,
      extractionId,
      configName: config.name,
      configId,
      runId,
      startedAt,
      finishedAt: deps.clock.now(),
      success: false,
      error,
      rows: 0,
      destiny: null,
      last: (await deps.lastRecords.get(extractionId)) ?? null,
      pages: 0,
      requests: 0,
      retries: 0,
      detailRequests: 0,
      warnings: 0,
      warningMessages: [],
    },
    redactor,
  );
  await deps.executionLogs.append(log);
  return log;
}
