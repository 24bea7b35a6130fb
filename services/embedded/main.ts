/**
 * `npm start`: the whole system in one process on the embedded adapters, no cloud:
 * the config API on $PORT, the scheduler, and the page-fetcher, detail-mapper and
 * writer workers over the SQLite-backed queue, with data under $DATA_DIR.
 * SIGTERM/SIGINT stop the API, drain in-flight work and exit 0.
 */
// First: holds the young generation while this entry's modules load (see the module).
import '../heapWhileLoading';
import type { Server } from 'node:http';
import { embeddedApiStores } from '../../shared/adapters/embedded/apiStores';
import { SqliteSlotStore } from '../../shared/adapters/embedded/sqliteSlotStore';
import { localLayout } from '../../shared/adapters/local/engineDeps';
import { createApp } from '../../shared/api/app';
import {
  DEFAULT_EMBEDDED_RETRY_DELAY_MS,
  DEFAULT_EMBEDDED_VISIBILITY_TIMEOUT_SECONDS,
  DEFAULT_MAX_RECEIVE_COUNT,
  MAX_RECEIVE_COUNT_LIMIT,
  MAX_VISIBILITY_TIMEOUT_SECONDS,
} from '../../shared/core/topology';
import { ensureRootKey } from '../../shared/api/rootKey';
import { createLogger } from '../../shared/observability/logger';
import { failRun } from '../../shared/pipeline/outcomes';
import { liveConfigs, Scheduler } from '../../shared/pipeline/scheduler';
import { startRun } from '../../shared/pipeline/stages';
import { EnvError, EnvReader, installResponseBudget, LOG_LEVELS } from '../env';
import { listen, stopOnSignals } from '../lifecycle';
import { startEmbeddedSystem } from './system';
import { applyHeapSettings } from '../heap';

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const read = new EnvReader(env);
  const level = read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info');
  const port = read.int('PORT', 8080, 0, 65_535);
  const host = read.text('HOST', '127.0.0.1')!;
  const dataDir = read.text('DATA_DIR', './.data')!;
  const visibility = read.int(
    'VISIBILITY_TIMEOUT_SECONDS',
    DEFAULT_EMBEDDED_VISIBILITY_TIMEOUT_SECONDS,
    1,
    MAX_VISIBILITY_TIMEOUT_SECONDS,
  );
  const maxReceiveCount = read.int(
    'MAX_RECEIVE_COUNT',
    DEFAULT_MAX_RECEIVE_COUNT,
    1,
    MAX_RECEIVE_COUNT_LIMIT,
  );
  const retryDelayMs = read.int('RETRY_DELAY_MS', DEFAULT_EMBEDDED_RETRY_DELAY_MS, 1, 600_000);
  const detailChunkSize = read.int('DETAIL_CHUNK_SIZE', 50, 1, 10_000);
  const tickSeconds = read.int('SCHEDULER_INTERVAL_SECONDS', 30, 1, 3600);
  const stuckMinutes = read.int('STUCK_RUN_MINUTES', 60, 1, 7 * 24 * 60);
  const schedulerOn = read.oneOf('SCHEDULER', ['on', 'off'] as const, 'on') === 'on';
  const defaultSchedule = read.defaultSchedule();
  // Read here so a bad value is reported with the others (the pipeline deps read it again).
  read.bucketList('ALLOWED_OUTPUT_BUCKETS');
  installResponseBudget(read);
  try {
    read.done();
  } catch (err) {
    process.stderr.write(`api-extractor: ${(err as EnvError).message}\n`);
    process.exitCode = 2;
    return;
  }
  const logger = createLogger({ level, service: 'embedded', pretty: Boolean(process.stderr.isTTY) });
  const system = startEmbeddedSystem({
    dataDir,
    logger,
    env,
    visibilityTimeoutSeconds: visibility,
    queue: { maxReceiveCount, retryDelayMs },
    detailChunkSize,
  });
  let scheduler: Scheduler | undefined;
  let server: Server;
  try {
    // One database connection for the whole process: the pipeline's, shared by the API's
    // stores and the scheduler's slots, and closed once by system.stop().
    const stores = embeddedApiStores(system.db, dataDir);
    const rootKey = await ensureRootKey(stores.apiKeys, env, (line) => process.stdout.write(`${line}\n`));

    scheduler = new Scheduler({
      listConfigs: () => liveConfigs(stores.configs, logger),
      slots: new SqliteSlotStore(system.db),
      runs: system.deps.runs,
      startRun: (config) => startRun(config, system.deps, { trigger: 'schedule' }),
      clock: system.deps.clock,
      logger,
      defaultSchedule,
      stuck: {
        afterMs: stuckMinutes * 60_000,
        listRunning: () => system.deps.runs.listRunning(),
        fail: async (run, reason) => failRun(await system.contexts.get(run.runId), reason, system.deps),
      },
    });
    if (schedulerOn) scheduler.start(tickSeconds * 1000);

    const app = createApp({
      pipeline: system.deps,
      configs: stores.configs,
      apiKeys: stores.apiKeys,
      secretAdmin: stores.secretAdmin,
      rootKeySource: rootKey.source,
    });
    server = await listen(app, port, host);
    const address = server.address();
    const url = typeof address === 'object' && address ? `http://${host}:${address.port}` : String(address);
    logger.info('api-extractor running', {
      url,
      data_dir: localLayout(dataDir).dataDir,
      scheduler: schedulerOn,
      docs: `${url}/docs/`,
    });
    process.stdout.write(
      `API Extractor listening on ${url} (docs: ${url}/docs/, data: ${localLayout(dataDir).dataDir})\n`,
    );
  } catch (err) {
    // A start-up failure (the port taken, a bad root key) ends the process: stop what started.
    await scheduler?.stop();
    await system.stop();
    throw err;
  }

  stopOnSignals(logger, async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await scheduler!.stop();
    await system.stop();
  });
}

if (require.main === module) {
  // Its modules are loaded: the heap settings every entry shares (services/heap.ts).
  applyHeapSettings();
  main().catch((err: Error) => {
    process.stderr.write(`api-extractor: ${err.message}\n`);
    process.exitCode = 1;
  });
}
