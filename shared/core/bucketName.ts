/**
 * S3's bucket naming rules, checked wherever a bucket name comes from outside: a
 * config's `s3_destiny.bucket` (save and run time), the deployment's allow-list
 * (`ALLOWED_OUTPUT_BUCKETS`, the stack's `extraOutputBuckets`). A name that passes
 * is one path segment of lower-case letters, digits, dots and hyphens, so it can
 * never be `..`, an absolute path or contain a separator, whatever the store does
 * with it.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */

/** Length, characters, first and last character; the other rules are in {@link bucketNameProblem}. */
export const BUCKET_NAME_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const BUCKET_NAME_RULE =
  'must be an S3 bucket name: 3 to 63 lower-case letters, digits, dots or hyphens, starting and ending with a letter or digit';

const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];
const IPV4_LIKE = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * Why `name` is not a valid S3 bucket name, or undefined when it is.
 *
 * @example
 * bucketNameProblem('..'); // 'must be an S3 bucket name: 3 to 63 …'
 * bucketNameProblem('my-exports'); // undefined
 */
export function bucketNameProblem(name: string): string | undefined {
  if (!BUCKET_NAME_PATTERN.test(name)) return BUCKET_NAME_RULE;
  if (name.includes('..')) return 'must not contain two adjacent dots (S3 bucket naming rules)';
  if (IPV4_LIKE.test(name)) return 'must not be formatted as an IP address (S3 bucket naming rules)';
  const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `must not start with "${prefix}" (reserved by S3)`;
  const suffix = RESERVED_SUFFIXES.find((s) => name.endsWith(s));
  if (suffix) return `must not end with "${suffix}" (reserved by S3)`;
  return undefined;
}

/**
 * A comma-separated list of bucket names (an environment variable), each checked:
 * the names, or the problems found (each naming the offending entry).
 */
export function parseBucketList(
  raw: string | undefined,
  what: string,
): { buckets: string[]; problems: string[] } {
  const buckets = (raw ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  const problems = buckets.flatMap((bucket) => {
    const problem = bucketNameProblem(bucket);
    return problem ? [`${what}: "${bucket}" ${problem}`] : [];
  });
  return { buckets, problems };
}

/** Where the deployment lets extractions write: its own output bucket, plus an optional allow-list. */
export interface OutputBuckets {
  defaultBucket: string;
  /** Other buckets `s3_destiny.bucket` may name; undefined = any valid bucket name. */
  allowedOutputBuckets?: readonly string[];
}

/**
 * Why an extraction may not write to `bucket` (its `s3_destiny.bucket`, undefined
 * for the deployment's own), or undefined when it may.
 */
export function outputBucketProblem(
  bucket: string | undefined,
  deployment: OutputBuckets,
): string | undefined {
  if (bucket === undefined || bucket === deployment.defaultBucket) return undefined;
  const problem = bucketNameProblem(bucket);
  if (problem) return problem;
  const allowed = deployment.allowedOutputBuckets;
  if (allowed === undefined || allowed.includes(bucket)) return undefined;
  const list = [...new Set([deployment.defaultBucket, ...allowed])].join(', ');
  return `is not a bucket this deployment writes to (allowed: ${list}; see ALLOWED_OUTPUT_BUCKETS)`;
}
