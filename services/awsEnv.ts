/**
 * Environment parsing of the AWS services. Apart from services/env.ts so that the
 * command line and `npm start`, which read the environment too, do not load the AWS SDK
 * (the settings module creates its clients).
 */
import { type AwsSettings, awsSettingsFromEnv } from '../shared/adapters/aws/config';
import { EnvError, type EnvReader } from './env';

/**
 * The AWS settings of a service, or undefined after printing every problem (these
 * and the reader's) and setting exit code 2.
 */
export function awsSettingsOrReport(
  service: string,
  env: NodeJS.ProcessEnv,
  read: EnvReader,
  problems: string[] = [],
): AwsSettings | undefined {
  let settings: AwsSettings | undefined;
  try {
    settings = awsSettingsFromEnv(env);
  } catch (err) {
    problems.push((err as Error).message);
  }
  problems.push(...read.problems);
  if (settings && problems.length === 0) return settings;
  process.stderr.write(`${service}: ${new EnvError(problems).message}\n`);
  process.exitCode = 2;
  return undefined;
}
