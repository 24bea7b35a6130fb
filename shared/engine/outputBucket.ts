/** The bucket an extraction writes to, checked at run time as the config API checks it at save time. */
import { outputBucketProblem, type OutputBuckets } from '../core/bucketName';
import type { Extraction } from '../core/config/types';
import { ConfigError } from '../core/errors';

/**
 * `s3_destiny.bucket`, or the deployment's output bucket when absent. A config saved
 * before the allow-list changed (or written to the store directly) fails here, as a
 * permanent error, before anything is written.
 */
export function outputBucket(extraction: Extraction, deployment: OutputBuckets): string {
  const bucket = extraction.s3_destiny.bucket;
  const problem = outputBucketProblem(bucket, deployment);
  if (problem) throw new ConfigError(`s3_destiny.bucket ${JSON.stringify(bucket)} ${problem}`);
  return bucket ?? deployment.defaultBucket;
}
