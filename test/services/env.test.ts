/** Environment parsing of the entry points: ALLOWED_OUTPUT_BUCKETS, each name checked. */
import { EnvError, EnvReader } from '../../services/env';
import { allowedOutputBucketsFromEnv } from '../../shared/adapters/embedded/pipelineDeps';

test('ALLOWED_OUTPUT_BUCKETS: unset is no list; set is the trimmed names', () => {
  expect(new EnvReader({}).bucketList('ALLOWED_OUTPUT_BUCKETS')).toBeUndefined();
  const read = new EnvReader({ ALLOWED_OUTPUT_BUCKETS: ' team-exports, audit.exports ,' });
  expect(read.bucketList('ALLOWED_OUTPUT_BUCKETS')).toEqual(['team-exports', 'audit.exports']);
  expect(() => read.done()).not.toThrow();
  expect(allowedOutputBucketsFromEnv({ ALLOWED_OUTPUT_BUCKETS: 'team-exports' })).toEqual(['team-exports']);
  expect(allowedOutputBucketsFromEnv({})).toBeUndefined();
});

test('ALLOWED_OUTPUT_BUCKETS: every invalid name is reported at start-up, by name', () => {
  const read = new EnvReader({ ALLOWED_OUTPUT_BUCKETS: 'team-exports,..,Team' });
  expect(read.bucketList('ALLOWED_OUTPUT_BUCKETS')).toBeUndefined();
  let problems: string[] = [];
  try {
    read.done();
  } catch (err) {
    problems = (err as EnvError).problems;
  }
  expect(problems).toEqual([
    'ALLOWED_OUTPUT_BUCKETS: ".." must be an S3 bucket name: 3 to 63 lower-case letters, digits, dots or hyphens, starting and ending with a letter or digit',
    'ALLOWED_OUTPUT_BUCKETS: "Team" must be an S3 bucket name: 3 to 63 lower-case letters, digits, dots or hyphens, starting and ending with a letter or digit',
  ]);
  expect(() => allowedOutputBucketsFromEnv({ ALLOWED_OUTPUT_BUCKETS: '..' })).toThrow(
    'ALLOWED_OUTPUT_BUCKETS: ".." must be an S3 bucket name',
  );
});
