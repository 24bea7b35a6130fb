/**
 * `npm run bootstrap`: creates the stage's queues, tables, buckets and secret
 * wherever the AWS settings point (AWS_ENDPOINT_URL for moto or LocalStack).
 * Safe to run again. Exit codes: 0 done, 1 AWS failure, 2 invalid settings.
 */
import { bootstrapAwsResources } from '../../shared/adapters/aws/bootstrap';
import { awsSettingsFromEnv, createAwsClients, destroyAwsClients } from '../../shared/adapters/aws/config';
import { AwsSettingsError } from '../../shared/adapters/aws/errors';
import { createLogger } from '../../shared/observability/logger';
import { causeChain } from '../causes';

async function main(): Promise<number> {
  const logger = createLogger({ service: 'bootstrap', pretty: process.stderr.isTTY });
  let settings;
  try {
    settings = awsSettingsFromEnv(process.env);
  } catch (err) {
    if (!(err instanceof AwsSettingsError)) throw err;
    logger.error(err.message);
    return 2;
  }
  logger.info('bootstrapping', {
    stage: settings.stage,
    region: settings.region,
    endpoint: settings.endpoint ?? 'AWS',
  });
  const clients = createAwsClients(settings);
  try {
    const report = await bootstrapAwsResources(settings, clients, logger);
    logger.info('bootstrap complete', { created: report.created.length, existing: report.existing.length });
    return 0;
  } catch (err) {
    logger.error('bootstrap failed', { error: causeChain(err) });
    return 1;
  } finally {
    destroyAwsClients(clients);
  }
}

void main().then((code) => {
  process.exitCode = code;
});
