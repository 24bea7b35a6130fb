/**
 * A pipeline worker service on AWS: `node dist/services/worker/main.js <service>`
 * with <service> one of page-fetcher, detail-mapper, writer (the writer also handles
 * dead letters). Configured by environment (see docs/aws.md); SIGTERM, as ECS sends
 * it, drains in-flight work and exits 0.
 */
// First: holds the young generation while this entry's modules load (see the module).
import '../heapWhileLoading';
import { destroyAwsClients } from '../../shared/adapters/aws/config';
import { awsPipelineDeps } from '../../shared/adapters/aws/pipelineDeps';
import { createLogger } from '../../shared/observability/logger';
import { RunContexts } from '../../shared/pipeline/runContext';
import {
  DEAD_LETTER_CONCURRENCY,
  DEAD_LETTER_CONSUMER,
  DEFAULT_WORKER_CONCURRENCY,
  defaultWorkerVisibilitySeconds,
  LONG_POLL_SECONDS,
  MAX_VISIBILITY_TIMEOUT_SECONDS,
  WORKER_QUEUES,
  WORKER_SERVICES,
  type WorkerService,
} from '../../shared/core/topology';
import { startDeadLetterWorkers, startWorker } from '../../shared/pipeline/workers';
import type { Consumer } from '../../shared/ports/queue';
import { awsSettingsOrReport } from '../awsEnv';
import { EnvReader, installResponseBudget, LOG_LEVELS } from '../env';
import { stopOnSignals } from '../lifecycle';
import { applyHeapSettings } from '../heap';

export async function main(argv = process.argv, env = process.env): Promise<void> {
  const service = argv[2] as WorkerService;
  if (!WORKER_SERVICES.includes(service)) {
    process.stderr.write(`usage: worker <${WORKER_SERVICES.join('|')}>\n`);
    process.exitCode = 2;
    return;
  }
  const read = new EnvReader(env);
  const level = read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info');
  const concurrency = read.int('CONCURRENCY', DEFAULT_WORKER_CONCURRENCY[service], 1, 256);
  const visibility = read.int(
    'VISIBILITY_TIMEOUT_SECONDS',
    defaultWorkerVisibilitySeconds(service),
    1,
    MAX_VISIBILITY_TIMEOUT_SECONDS,
  );
  const detailChunkSize = read.int('DETAIL_CHUNK_SIZE', 50, 1, 10_000);
  const waitTimeSeconds = read.int('SQS_WAIT_TIME_SECONDS', LONG_POLL_SECONDS, 1, LONG_POLL_SECONDS);
  installResponseBudget(read);
  const problems: string[] = [];
  const settings = awsSettingsOrReport(service, env, read, problems);
  if (!settings) return;
  const logger = createLogger({ level, service });
  const { deps, clients } = awsPipelineDeps(settings, {
    logger,
    detailChunkSize,
    waitTimeSeconds,
    allowLinkLocal: read.flag('ALLOW_LINK_LOCAL_REQUESTS'),
  });
  const contexts = new RunContexts(deps);
  const options = { concurrency, visibilityTimeoutSeconds: visibility };
  const consumers: Consumer[] = [startWorker(WORKER_QUEUES[service], contexts, deps, options)];
  if (service === DEAD_LETTER_CONSUMER)
    consumers.push(
      ...startDeadLetterWorkers(contexts, deps, {
        concurrency: DEAD_LETTER_CONCURRENCY,
        visibilityTimeoutSeconds: visibility,
      }),
    );
  logger.info('worker started', { queue: WORKER_QUEUES[service], concurrency, pid: process.pid });

  stopOnSignals(logger, async () => {
    await Promise.all(consumers.map((c) => c.stop()));
    await contexts.closeAll();
    // What this process cost in AWS requests, per service and operation (billing, the bench).
    logger.info('aws requests', { ...clients.requests.snapshot() });
    destroyAwsClients(clients);
  });
}

if (require.main === module) {
  // Its modules are loaded: the heap settings every entry shares (services/heap.ts).
  applyHeapSettings();
  void main();
}
