/** Start-up environment: the response memory budget variables. */
import { EnvReader, installResponseBudget } from '../../services/env';
import { processResponseBudget } from '../../shared/extract/responseBudget';

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
