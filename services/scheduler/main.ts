/**
 * The scheduler service on AWS: `node dist/services/scheduler/main.js`
 * (`npm run service:scheduler`). Every SCHEDULER_INTERVAL_SECONDS it claims each
 * enabled config's latest due slot in DynamoDB (a conditional write, so any number
 * of replicas start each run exactly once), starts the run onto SQS for the worker
 * services, and fails runs without progress for STUCK_RUN_MINUTES. Configs without
 * a `schedule` use DEFAULT_SCHEDULE (or the original tool's EVENT_BRIDGE_SCHEDULE).
 * Configured by environment (docs/aws.md), validated at start-up with every problem
 * listed (exit 2). SIGTERM lets the current tick finish, then exits 0.
 */
// First: holds the young generation while this entry's modules load (see the module).
import '../heapWhileLoading';
import { awsApiStores } from '../../shared/adapters/aws/apiStores';
import { destroyAwsClients } from '../../shared/adapters/aws/config';
import { awsPipelineDeps } from '../../shared/adapters/aws/pipelineDeps';
import { createLogger } from '../../shared/observability/logger';
import { failRun } from '../../shared/pipeline/outcomes';
import { RunContexts } from '../../shared/pipeline/runContext';
import { liveConfigs, Scheduler } from '../../shared/pipeline/scheduler';
import { startRun } from '../../shared/pipeline/stages';
import { awsSettingsOrReport } from '../awsEnv';
import { EnvReader, installResponseBudget, LOG_LEVELS } from '../env';
import { stopOnSignals } from '../lifecycle';
import { applyHeapSettings } from '../heap';

const SERVICE = 'scheduler';

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const read = new EnvReader(env);
  const level = read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info');
  const intervalSeconds = read.int('SCHEDULER_INTERVAL_SECONDS', 30, 1, 3600);
  const stuckMinutes = read.int('STUCK_RUN_MINUTES', 60, 1, 7 * 24 * 60);
  const detailChunkSize = read.int('DETAIL_CHUNK_SIZE', 50, 1, 10_000);
  const allowLinkLocal = read.flag('ALLOW_LINK_LOCAL_REQUESTS');
  installResponseBudget(read);
  const defaultSchedule = read.defaultSchedule();
  const settings = awsSettingsOrReport(SERVICE, env, read);
  if (!settings) return;

  const logger = createLogger({ level, service: SERVICE });
  const { deps, clients } = awsPipelineDeps(settings, { logger, detailChunkSize, allowLinkLocal });
  const stores = awsApiStores(settings, clients);
  const contexts = new RunContexts(deps);
  const scheduler = new Scheduler({
    listConfigs: () => liveConfigs(stores.configs, logger),
    slots: stores.slots,
    runs: deps.runs,
    startRun: (config) => startRun(config, deps, { trigger: 'schedule' }),
    clock: deps.clock,
    logger,
    defaultSchedule,
    stuck: {
      afterMs: stuckMinutes * 60_000,
      listRunning: () => deps.runs.listRunning(),
      fail: async (run, reason) => {
        try {
          await failRun(await contexts.get(run.runId), reason, deps);
        } catch (err) {
          logger.error('cannot fail a stuck run', { run_id: run.runId, error: (err as Error).message });
        } finally {
          await contexts.evict(run.runId);
        }
      },
    },
  });
  scheduler.start(intervalSeconds * 1000);
  logger.info('scheduler started', {
    stage: settings.stage,
    interval_seconds: intervalSeconds,
    stuck_run_minutes: stuckMinutes,
    default_schedule: defaultSchedule ?? null,
    pid: process.pid,
  });

  stopOnSignals(logger, async () => {
    await scheduler.stop();
    await contexts.closeAll();
    destroyAwsClients(clients);
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
