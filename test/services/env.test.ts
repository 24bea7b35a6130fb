/** Environment parsing of the entry points: ALLOWED_OUTPUT_BUCKETS and the response memory budget. */
import { EnvError, EnvReader, installResponseBudget } from '../../services/env';
import { allowedOutputBucketsFromEnv } from '../../shared/adapters/embedded/pipelineDeps';
import { processResponseBudget } from '../../shared/extract/responseBudget';

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

const MB = 1024 * 1024;

describe('installResponseBudget', () => {
  test('defaults: 256 MB for all bodies, 64 MB per response', () => {
    const read = new EnvReader({});
    installResponseBudget(read);
    expect(read.problems).toEqual([]);
    expect(processResponseBudget()).toMatchObject({ budgetBytes: 256 * MB, maxResponseBytes: 64 * MB });
  });

  test('the variables set the process-wide budget', () => {
    const read = new EnvReader({ RESPONSE_MEMORY_BUDGET_MB: '600', RESPONSE_MAX_BODY_MB: '200' });
    installResponseBudget(read);
    expect(read.problems).toEqual([]);
    expect(processResponseBudget()).toMatchObject({ budgetBytes: 600 * MB, maxResponseBytes: 200 * MB });
  });

  test.each([
    [
      { RESPONSE_MEMORY_BUDGET_MB: 'lots' },
      'RESPONSE_MEMORY_BUDGET_MB must be an integer from 3 to 1048576 (got "lots")',
    ],
    [{ RESPONSE_MAX_BODY_MB: '0' }, 'RESPONSE_MAX_BODY_MB must be an integer from 1 to 349525 (got "0")'],
    [
      { RESPONSE_MEMORY_BUDGET_MB: '100', RESPONSE_MAX_BODY_MB: '64' },
      'RESPONSE_MEMORY_BUDGET_MB (100 MB) must be at least 3 times RESPONSE_MAX_BODY_MB (64 MB): one response of the largest size must fit in the budget',
    ],
  ])('%j is refused, naming the variable', (env, problem) => {
    const read = new EnvReader(env);
    installResponseBudget(read);
    expect(read.problems).toEqual([problem]);
  });
});
