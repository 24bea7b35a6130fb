/**
 * A pipeline worker service on AWS: `node dist/services/worker/main.js <service>`
 * with <service> one of page-fetcher, detail-mapper, writer (the writer also handles
 * dead letters). Configured by environment (see docs/aws.md); SIGTERM, as ECS sends
 * it, drains in-flight work and exits 0.
 */
import { destroyAwsClients } from '../../shared/adapters/aws/config';
import { awsPipelineDeps } from '../../shared/adapters/aws/pipelineDeps';
import { createLogger } from '../../shared/observability/logger';
import { RunContexts } from '../../shared/pipeline/runContext';
import { SERVICE_QUEUES, startDeadLetterWorkers, startWorker } from '../../shared/pipeline/workers';
import type { Consumer } from '../../shared/ports/queue';
import { awsSettingsOrReport, EnvReader, installResponseBudget, LOG_LEVELS } from '../env';
import { stopOnSignals } from '../lifecycle';

export type WorkerService = keyof typeof SERVICE_QUEUES;
const SERVICES = Object.keys(SERVICE_QUEUES) as WorkerService[];

export async function main(argv = process.argv, env = process.env): Promise<void> {
  const service = argv[2] as WorkerService;
  if (!SERVICES.includes(service)) {
    process.stderr.write(`usage: worker <${SERVICES.join('|')}>\n`);
    process.exitCode = 2;
    return;
  }
  const read = new EnvReader(env);
  const level = read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info');
  const concurrency = read.int('CONCURRENCY', service === 'writer' ? 2 : 8, 1, 256);
  const visibility = read.int('VISIBILITY_TIMEOUT_SECONDS', 60, 1, 43_200);
  const detailChunkSize = read.int('DETAIL_CHUNK_SIZE', 50, 1, 10_000);
  const waitTimeSeconds = read.int('SQS_WAIT_TIME_SECONDS', 20, 1, 20);
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
  const consumers: Consumer[] = [startWorker(SERVICE_QUEUES[service], contexts, deps, options)];
  if (service === 'writer')
    consumers.push(
      ...startDeadLetterWorkers(contexts, deps, { concurrency: 1, visibilityTimeoutSeconds: visibility }),
    );
  logger.info('worker started', { queue: SERVICE_QUEUES[service], concurrency, pid: process.pid });

  stopOnSignals(logger, async () => {
    await Promise.all(consumers.map((c) => c.stop()));
    await contexts.closeAll();
    destroyAwsClients(clients);
  });
}

if (require.main === module) void main();
