import { parseCondition } from '../../shared/core/condition';
import { ConfigError } from '../../shared/core/errors';
import { doublingRatio } from '../support/workMeter';

const page = (current: unknown, total: unknown): unknown => ({
  data: [],
  info: { current_page: current, total_pages: total },
});

describe('parseCondition: the seed example', () => {
  const condition = parseCondition('info.current_page < info.total_pages');

  test('is true while pages remain (2 of 10)', () => {
    expect(condition.evaluate(page(2, 10))).toBe(true);
  });

  test('is false on the last page (10 of 10)', () => {
    expect(condition.evaluate(page(10, 10))).toBe(false);
  });

  test('keeps the source text', () => {
    expect(condition.source).toBe('info.current_page < info.total_pages');
  });
});

describe('parseCondition: comparisons', () => {
  test.each<[string, unknown, boolean]>([
    // == and != on numbers, numeric strings and JSON values
    ['a == 3', { a: 3 }, true],
    ['a == 3', { a: '3' }, true],
    ['a == "3"', { a: 3 }, true],
    ['a == 3.0', { a: 3 }, true],
    ['a == 3', { a: 4 }, false],
    ['a == 3', { a: 'three' }, false],
    ['a != 3', { a: 4 }, true],
    ['a != 3', { a: '3' }, false],
    ['a == "x"', { a: 'x' }, true],
    ["a == 'x'", { a: 'x' }, true],
    ['a == "x"', { a: 'X' }, false],
    ['a == true', { a: true }, true],
    ['a == true', { a: 'true' }, false],
    ['a == false', { a: false }, true],
    ['a == null', { a: null }, true],
    ['a == null', {}, true],
    ['a != null', {}, false],
    ['a != null', { a: 0 }, true],
    ['a == b', { a: { x: [1, 2] }, b: { x: [1, 2] } }, true],
    ['a == b', { a: { x: [1, 2] }, b: { x: [2, 1] } }, false],
    ['a == b', { a: [1], b: { 0: 1 } }, false],
    ['missing == other', {}, true],
    ['a == -1', { a: -1 }, true],
    ['a == -1.5', { a: '-1.5' }, true],
    ['-1 == a', { a: -1 }, true],
    // ordering
    ['a < 10', { a: 9 }, true],
    ['a < 10', { a: 10 }, false],
    ['a <= 10', { a: 10 }, true],
    ['a > 10', { a: 11 }, true],
    ['a >= 10', { a: 10 }, true],
    ['a >= 10', { a: 9.5 }, false],
    ['a < b', { a: '2', b: '10' }, true],
    ['a < 10', { a: '9' }, true],
    ['a < 1e3', { a: 999 }, true],
    ['a < b', { a: 'apple', b: 'banana' }, true],
    ['a < "2020-09-04T00:00:00Z"', { a: '2020-09-03T17:40:53Z' }, true],
    ['a > -0.5', { a: 0 }, true],
    ['a < 10', {}, false],
    ['a >= 10', {}, false],
    ['a < 10', { a: null }, false],
    ['a < 10', { a: true }, false],
    ['a < 10', { a: { n: 1 } }, false],
    ['a < 10', { a: 'ten' }, false],
    // spacing and quoting
    ['a<10', { a: 1 }, true],
    ['  a   <=   10  ', { a: 10 }, true],
    ['a=="b c"', { a: 'b c' }, true],
    ['a == "say \\"hi\\""', { a: 'say "hi"' }, true],
    ["a == 'it\\'s'", { a: "it's" }, true],
    ['a == "tab\\there"', { a: 'tab\there' }, true],
    ['a == "\\u00e9"', { a: 'é' }, true],
    ['a == "<= not an operator"', { a: '<= not an operator' }, true],
    ['$state == "open"', { $state: 'open' }, true],
    ['items.0.id == 7', { items: [{ id: 7 }] }, true],
  ])('%s on %j is %s', (source, body, expected) => {
    expect(parseCondition(source).evaluate(body)).toBe(expected);
  });
});

describe('parseCondition: a lone operand is read as a boolean', () => {
  test.each<[unknown, boolean]>([
    [true, true],
    [false, false],
    ['true', true],
    ['TRUE', true],
    ['True', true],
    ['false', false],
    ['yes', false],
    ['', false],
    [1, true],
    [-2, true],
    [0, false],
    [null, false],
    [undefined, false],
    [{}, false],
    [[1], false],
  ])('info.more_records = %j is %s', (value, expected) => {
    const body = value === undefined ? { info: {} } : { info: { more_records: value } };
    expect(parseCondition('info.more_records').evaluate(body)).toBe(expected);
  });

  test('a lone literal is a constant', () => {
    expect(parseCondition('true').evaluate({})).toBe(true);
    expect(parseCondition('0').evaluate({})).toBe(false);
  });
});

describe('parseCondition: syntax errors', () => {
  test.each<[string, string]>([
    ['', 'invalid condition "": empty expression'],
    ['   ', 'invalid condition "   ": empty expression'],
    [
      'info.page foo',
      'invalid condition "info.page foo": expected an operator after "info.page" but found "foo"',
    ],
    ['< 3', 'invalid condition "< 3": expected an operand before "<"'],
    ['a <', 'invalid condition "a <": expected an operand after "<"'],
    ['a < >= 3', 'invalid condition "a < >= 3": expected an operand after "<" but found ">="'],
    ['a < 3 4', 'invalid condition "a < 3 4": expected the end of the expression after "3" but found "4"'],
    ['a && b', 'invalid condition "a && b": expected an operator after "a" but found "&&"'],
    ['a = 3', 'invalid condition "a = 3": unknown operator "=" at column 3 (valid: == != < <= > >=)'],
    ['a ! 3', 'invalid condition "a ! 3": unknown operator "!" at column 3 (valid: == != < <= > >=)'],
    ['a == "open', 'invalid condition "a == \\"open": unterminated string starting at column 6'],
    ["a == 'x\\'", 'invalid condition "a == \'x\\\\\'": unterminated string starting at column 6'],
    ['a == "x\\', 'invalid condition "a == \\"x\\\\": unterminated string starting at column 6'],
  ])('%j fails with %j', (source, message) => {
    expect(() => parseCondition(source)).toThrow(new ConfigError(message));
    expect(() => parseCondition(source)).toThrow(ConfigError);
  });
});

describe('parsing is linear in the expression (work counted, not timed)', () => {
  test.each<[string, (size: number) => string]>([
    ['a long run of digits that is not a number', (n) => '1'.repeat(n) + 'x'],
    ['a long number-like word with a dot', (n) => '1'.repeat(n / 2) + '.' + '1'.repeat(n / 2) + 'e'],
    ['a long unterminated string with escapes', (n) => 'a == "' + '\\u00'.repeat(n / 4)],
    ['a long JsonField of empty segments', (n) => '.'.repeat(n) + ' == 1'],
    ['many operators', (n) => 'a ' + '<'.repeat(n)],
  ])('%s: 400 KB costs about twice 200 KB', (_name, input) => {
    expect(doublingRatio(parseCondition, input, 200_000)).toBeLessThanOrEqual(2.5);
  });

  test('a 400 KB digit run ending in a letter is a JsonField, read as absent', () => {
    const word = '1'.repeat(400_000) + 'x';
    expect(parseCondition(word).evaluate({ a: 1 })).toBe(false);
  });
});

describe('number literals', () => {
  test.each<[string, boolean]>([
    ['1', true],
    ['-1', true],
    ['2.5', true],
    ['1.', true],
    ['.5', true],
    ['-.5', true],
    ['1e3', true],
    ['1E+3', true],
    ['2.5e-3', true],
    ['.', false],
    ['-', false],
    ['1e', false],
    ['1e+', false],
    ['e3', false],
    ['1.2.3', false],
    ['0x10', false],
  ])('%j is a number: %s', (word, isNumber) => {
    // A number compares equal to itself; a JsonField into {} is absent and equals null.
    expect(parseCondition(`${word} == null`).evaluate({})).toBe(!isNumber);
  });
});
