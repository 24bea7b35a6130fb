import { parseSchedule } from '../../shared/core/schedule';
import { doublingRatio } from '../support/workMeter';

const at = (iso: string) => new Date(iso);

describe('parseSchedule', () => {
  test.each([
    [
      'the seed default, AWS 6-field',
      '0 1 * * ? *',
      '2026-03-10T12:00:00Z',
      '2026-03-11T01:00:00.000Z',
      '2026-03-10T01:00:00.000Z',
    ],
    [
      '5-field cron',
      '30 2 * * *',
      '2026-03-10T12:00:00Z',
      '2026-03-11T02:30:00.000Z',
      '2026-03-10T02:30:00.000Z',
    ],
    [
      'AWS day-of-week 2 is Monday',
      '0 9 ? * 2 *',
      '2026-03-11T00:00:00Z',
      '2026-03-16T09:00:00.000Z',
      '2026-03-09T09:00:00.000Z',
    ],
    [
      'AWS day names and ranges',
      '0 9 ? * MON-FRI *',
      '2026-03-14T00:00:00Z',
      '2026-03-16T09:00:00.000Z',
      '2026-03-13T09:00:00.000Z',
    ],
    [
      'AWS numeric day range 2-6 is MON-FRI',
      '0 9 ? * 2-6 *',
      '2026-03-14T00:00:00Z',
      '2026-03-16T09:00:00.000Z',
      '2026-03-13T09:00:00.000Z',
    ],
    [
      'every 15 minutes',
      '*/15 * * * ? *',
      '2026-03-10T12:07:00Z',
      '2026-03-10T12:15:00.000Z',
      '2026-03-10T12:00:00.000Z',
    ],
    ['a year restriction', '0 0 1 1 ? 2028', '2026-03-10T00:00:00Z', '2028-01-01T00:00:00.000Z', undefined],
  ])('%s', (_name, source, now, next, previous) => {
    const schedule = parseSchedule(source);
    expect(schedule.next(at(now))?.toISOString()).toBe(next);
    expect(schedule.previous(at(now))?.toISOString()).toBe(previous);
  });

  test('a slot exactly now is the previous slot (it is due)', () => {
    expect(parseSchedule('0 1 * * ? *').previous(at('2026-03-10T01:00:00Z'))?.toISOString()).toBe(
      '2026-03-10T01:00:00.000Z',
    );
  });

  test.each([
    ['0 1 * *', 'expected 5 fields (cron) or 6 fields (AWS cron), got 4'],
    [
      '61 1 * * ? *',
      'invalid cron expression "61 1 * * ? *": Constraint error, got value 61 expected range 0-59',
    ],
    ['0 1 ? * 8 *', 'AWS day-of-week must be 1-7 (SUN-SAT), got 8'],
    ['0 1 * * ? 26', 'year field "26" must be *, a year, a range or a list of them'],
  ])('rejects %s', (source, message) => {
    expect(() => parseSchedule(source)).toThrow(message);
  });
});

describe('schedule in a config', () => {
  // Imported here so the table above stays about the parser alone.
  const { validateConfig } = jest.requireActual<typeof import('../../shared/core/config/validate')>(
    '../../shared/core/config/validate',
  );
  const config = (schedule: string) => ({
    name: 'c',
    schedule,
    extractions: [{ name: 'e', endpoint: { url: 'https://a.example/x' } }],
  });

  test('a valid AWS cron is accepted', () => {
    expect(validateConfig(config('0 1 * * ? *')).ok).toBe(true);
  });

  test('an invalid expression is a validation error on schedule', () => {
    const result = validateConfig(config('0 25 * * ? *'));
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          path: 'schedule',
          message:
            'invalid cron expression "0 25 * * ? *": Constraint error, got value 25 expected range 0-23',
        },
      ],
    });
  });
});

describe('a long expression is refused before it is parsed (work counted, not timed)', () => {
  test.each<[string, (size: number) => string]>([
    ['a long list of minutes', (n) => Array.from({ length: n / 3 }, (_, i) => i % 60).join(',') + ' * * * *'],
    ['a long cron( wrapper never closed', (n) => 'cron(' + ' 0'.repeat(n / 2)],
    ['long whitespace', (n) => '0' + ' '.repeat(n) + '1 * * *'],
  ])('%s: 400 KB costs no more than 200 KB', (_name, input) => {
    expect(doublingRatio(parseSchedule, input, 200_000)).toBeLessThanOrEqual(2.5);
  });

  test('the message names the cap', () => {
    expect(() => parseSchedule('0 '.repeat(200) + '* * * *')).toThrow('must be at most 256 characters');
  });
});
