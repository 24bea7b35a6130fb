/**
 * The config API service on AWS: `node dist/services/config-api/main.js`
 * (`npm run service:config-api`). Serves the express app on $HOST:$PORT (default
 * 0.0.0.0:8080, for a container behind a load balancer) with configs, API keys and
 * schedule slots in DynamoDB, secrets in Secrets Manager, and runs started onto SQS
 * for the worker services. The root key comes from $ROOT_API_KEY, or is generated
 * on the first start and printed once. Configured by environment (docs/aws.md),
 * validated at start-up with every problem listed (exit 2). SIGTERM stops accepting
 * connections, lets requests in flight finish (and runs being started get queued),
 * then exits 0.
 */
// First: holds the young generation while this entry's modules load (see the module).
import '../heapWhileLoading';
import type { Server } from 'node:http';
import { awsApiStores } from '../../shared/adapters/aws/apiStores';
import { destroyAwsClients } from '../../shared/adapters/aws/config';
import { s3DownloadLinks } from '../../shared/adapters/aws/s3DownloadLinks';
import { awsPipelineDeps } from '../../shared/adapters/aws/pipelineDeps';
import { SecretsManagerStore } from '../../shared/adapters/aws/secretsManagerStore';
import { createApp } from '../../shared/api/app';
import type { StartRun } from '../../shared/api/deps';
import { ensureRootKey, MIN_ROOT_KEY_LENGTH, type RootKeySource } from '../../shared/api/rootKey';
import { createLogger } from '../../shared/observability/logger';
import { startRun } from '../../shared/pipeline/stages';
import type { SecretStore } from '../../shared/ports/storage';
import { causeChain } from '../causes';
import { awsSettingsOrReport } from '../awsEnv';
import { EnvReader, installResponseBudget, LOG_LEVELS } from '../env';
import { listen, stopOnSignals } from '../lifecycle';
import { applyHeapSettings } from '../heap';

const SERVICE = 'config-api';

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const read = new EnvReader(env);
  const level = read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info');
  const port = read.int('PORT', 8080, 0, 65_535);
  const host = read.text('HOST', '0.0.0.0')!;
  const detailChunkSize = read.int('DETAIL_CHUNK_SIZE', 50, 1, 10_000);
  const executeWaitMs = read.int('EXECUTE_WAIT_MS', 2000, 1, 60_000);
  const drainSeconds = read.int('SHUTDOWN_GRACE_SECONDS', 25, 1, 600);
  const allowLinkLocal = read.flag('ALLOW_LINK_LOCAL_REQUESTS');
  installResponseBudget(read);
  const problems: string[] = [];
  const rootKey = env.ROOT_API_KEY?.trim();
  if (rootKey && rootKey.length < MIN_ROOT_KEY_LENGTH) {
    problems.push(`ROOT_API_KEY must be at least ${MIN_ROOT_KEY_LENGTH} characters long`);
  }
  const settings = awsSettingsOrReport(SERVICE, env, read, problems);
  if (!settings) return;

  const logger = createLogger({ level, service: SERVICE });
  const { deps, clients } = awsPipelineDeps(settings, { logger, detailChunkSize, allowLinkLocal });
  // The secrets runs and previews read here are dropped whenever this process
  // changes them, so `PUT /secrets/…` then `execute` uses the new value at once.
  const secretId = settings.names.extractorSecret;
  let reader = new SecretsManagerStore(clients.secrets, secretId);
  const secrets: SecretStore = { getAll: () => reader.getAll() };
  const stores = awsApiStores(settings, clients, {
    onChange: () => {
      reader = new SecretsManagerStore(clients.secrets, secretId);
    },
  });
  const pipeline = { ...deps, secrets };

  let rootKeySource: RootKeySource;
  try {
    const print = (line: string): void => void process.stdout.write(`${line}\n`);
    rootKeySource = (await ensureRootKey(stores.apiKeys, env, print)).source;
  } catch (err) {
    logger.error('cannot set up the root key (is the stage bootstrapped?)', { error: causeChain(err) });
    destroyAwsClients(clients);
    process.exitCode = 1;
    return;
  }

  // Runs being started (token refresh, first tasks) finish before the process exits.
  const starting = new Set<Promise<unknown>>();
  const trackedStart: StartRun = (config, runDeps, options) => {
    const started = startRun(config, runDeps, options);
    const settled = started.catch(() => undefined);
    starting.add(settled);
    void settled.finally(() => starting.delete(settled));
    return started;
  };

  const app = createApp({
    pipeline,
    ...stores,
    startRun: trackedStart,
    executeWaitMs,
    rootKeySource,
    // Output files download through S3 presigned URLs, not through this service.
    downloadLinks: s3DownloadLinks(clients.s3),
  });
  let server: Server;
  try {
    server = await listen(app, port, host);
  } catch (err) {
    logger.error('cannot listen', { host, port, error: (err as Error).message });
    destroyAwsClients(clients);
    process.exitCode = 1;
    return;
  }
  const address = server.address();
  const url = typeof address === 'object' && address ? `http://${host}:${address.port}` : String(address);
  logger.info('config-api listening', { url, stage: settings.stage, pid: process.pid });
  process.stdout.write(`config-api listening on ${url}\n`);

  stopOnSignals(logger, async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Requests still running after the grace period (a hung upstream in a preview) are cut.
    const grace = setTimeout(() => server.closeAllConnections(), drainSeconds * 1000);
    await closed;
    clearTimeout(grace);
    await Promise.all([...starting]);
    destroyAwsClients(clients);
    // Whatever else still holds the event loop (an upstream keep-alive socket) must not keep a stopped task alive.
    setTimeout(() => process.exit(), 5000).unref();
  });
}

if (require.main === module) {
  // Its modules are loaded: the heap settings every entry shares (services/heap.ts).
  applyHeapSettings();
  main().catch((err: Error) => {
    process.stderr.write(`${SERVICE}: ${err.message}\n`);
    process.exitCode = 1;
  });
}
