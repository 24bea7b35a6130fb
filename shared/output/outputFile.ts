/** Where an extraction's file goes: its bucket and key, and the write that never replaces another run's file. */
import { outputBucketProblem, type OutputBuckets } from '../core/bucketName';
import type { Extraction } from '../core/config/types';
import { ConfigError } from '../core/errors';
import type { Chunk, ObjectStore } from '../ports/storage';

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

/**
 * Writes a run's output file without ever replacing another run's object: under
 * `key` when no object has it or this run wrote it (a retry, or a task delivered
 * twice, replaces its own file), else under the same name with `-{runId}` before the
 * extension (unique to the run).
 * `body` must be readable twice (a row writer's `finish()` is). Returns the key written.
 *
 * @example
 * await writeOutputFile(objects, 'out', 'deals/2026-01-01@01-00-00.csv', runId, body);
 * // 'deals/2026-01-01@01-00-00.csv', or 'deals/2026-01-01@01-00-00-<runId>.csv' on a clash
 */
export async function writeOutputFile(
  objects: ObjectStore,
  bucket: string,
  key: string,
  runId: string,
  body: AsyncIterable<Chunk>,
): Promise<string> {
  if (await objects.putIfAbsent(bucket, key, body, runId)) return key;
  const dot = key.lastIndexOf('.');
  const distinct = `${key.slice(0, dot)}-${runId}${key.slice(dot)}`;
  await objects.put(bucket, distinct, body);
  return distinct;
}
