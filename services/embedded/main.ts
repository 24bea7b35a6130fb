/**
 * The embedded system as a process: every worker of the pipeline in one process on
 * the embedded adapters (SQLite queue and stores under $DATA_DIR). SIGTERM/SIGINT
 * drain in-flight work and exit 0.
 */
import { createLogger } from '../../shared/observability/logger';
import { stopOnSignals } from '../lifecycle';
import { startEmbeddedSystem } from './system';

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`${name} must be a positive integer, got "${raw}"\n`);
    process.exit(2);
  }
  return value;
}

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const level = (env.LOG_LEVEL as 'debug' | 'info' | 'warn' | 'error' | undefined) ?? 'info';
  const logger = createLogger({ level, service: 'embedded' });
  const system = startEmbeddedSystem({
    dataDir: env.DATA_DIR || './.data',
    logger,
    env,
    visibilityTimeoutSeconds: positiveInt(env, 'VISIBILITY_TIMEOUT_SECONDS', 30),
    queue: {
      maxReceiveCount: positiveInt(env, 'MAX_RECEIVE_COUNT', 5),
      retryDelayMs: positiveInt(env, 'RETRY_DELAY_MS', 1000),
    },
    detailChunkSize: positiveInt(env, 'DETAIL_CHUNK_SIZE', 50),
  });
  logger.info('workers started', { data_dir: env.DATA_DIR || './.data', pid: process.pid });
  stopOnSignals(logger, () => system.stop());
}

if (require.main === module) void main();
