import { ConfigError, TransformationError } from '../../shared/core/errors';
import {
  compileTransformations,
  TRANSFORMATION_ACTIONS,
  type TransformationSpec,
} from '../../shared/core/transformations';

/** Applies one transformation to one value in column `v`. */
function applyOne(action: string, value: unknown, params?: Record<string, unknown>): unknown {
  const spec: TransformationSpec = { action, on: ['v'] };
  if (params) spec.params = params;
  return compileTransformations([spec])({ v: value }).v;
}

describe('transformation actions on strings', () => {
  test.each<[string, Record<string, unknown> | undefined, string, unknown]>([
    ['replace', { to_replace: ';', value: '.' }, 'a;b;c', 'a.b.c'],
    ['replace', { to_replace: 'ab', value: 'x' }, 'abab-ab', 'xx-x'],
    ['replace', { to_replace: '.', value: '$&' }, 'a.b', 'a$&b'],
    ['replace', { to_replace: 'zz', value: 'y' }, 'abc', 'abc'],
    ['replace', { to_replace: ' ', value: '' }, 'a b c', 'abc'],
    ['trim', undefined, '  a b \t\n', 'a b'],
    ['ltrim', undefined, '  a b  ', 'a b  '],
    ['rtrim', undefined, '  a b  ', '  a b'],
    ['lower', undefined, 'MonTERÍA', 'montería'],
    ['upper', undefined, 'bogotá', 'BOGOTÁ'],
    ['title', undefined, 'hello WORLD  of apis', 'Hello World  Of Apis'],
    ['title', undefined, "o'neil mcDONALD", "O'neil Mcdonald"],
    ['title', undefined, 'élan vital', 'Élan Vital'],
    ['title', undefined, '', ''],
    ['capitalize', undefined, 'hello WORLD', 'Hello world'],
    ['capitalize', undefined, 'ñandú', 'Ñandú'],
    ['capitalize', undefined, ' leading space', ' leading space'],
    ['capitalize', undefined, '', ''],
    ['split', { char: ',' }, 'a,b,,c', ['a', 'b', '', 'c']],
    ['split', { char: ', ' }, 'a, b', ['a', 'b']],
    ['split', { char: '|' }, 'abc', ['abc']],
    ['split', { char: '' }, 'ab😀', ['a', 'b', '😀']],
    ['slice', { start: 0, stop: 3 }, 'abcdef', 'abc'],
    ['slice', { start: 2 }, 'abcdef', 'cdef'],
    ['slice', { stop: 2 }, 'abcdef', 'ab'],
    ['slice', {}, 'abcdef', 'abcdef'],
    ['slice', { start: -3 }, 'abcdef', 'def'],
    ['slice', { start: 1, stop: -1 }, 'abcdef', 'bcde'],
    ['slice', { start: -4, stop: -2 }, 'abcdef', 'cd'],
    ['slice', { start: -100, stop: 2 }, 'abcdef', 'ab'],
    ['slice', { start: 2, stop: 100 }, 'abcdef', 'cdef'],
    ['slice', { start: 4, stop: 2 }, 'abcdef', ''],
    ['slice', { start: null, stop: 2 }, 'abcdef', 'ab'],
    ['slice', { start: 0, stop: 10 }, '2020-09-03T17:40:53-05:00', '2020-09-03'],
    ['slice', { start: -2 }, 'ab😀c', '😀c'],
  ])('%s %j turns %j into %j', (action, params, input, expected) => {
    expect(applyOne(action, input, params)).toStrictEqual(expected);
  });
});

describe('join', () => {
  test.each<[unknown, unknown]>([
    [['a', 'b', 'c'], 'a-b-c'],
    [[], ''],
    [['a', 1, true, null, { k: 1 }], 'a-1-true--{"k":1}'],
    ['already a string', 'already a string'],
  ])('join with "-" turns %j into %j', (input, expected) => {
    expect(applyOne('join', input, { sep: '-' })).toStrictEqual(expected);
  });

  test('split then join round-trips with priorities', () => {
    const apply = compileTransformations([
      { action: 'join', priority: 1, on: ['v'], params: { sep: '+' } },
      { action: 'split', priority: 2, on: ['v'], params: { char: ' ' } },
    ]);
    expect(apply({ v: 'a b c' })).toStrictEqual({ v: 'a+b+c' });
  });
});

describe('values that are not strings', () => {
  const allActions: Array<[string, Record<string, unknown> | undefined]> = [
    ['replace', { to_replace: '1', value: '2' }],
    ['trim', undefined],
    ['ltrim', undefined],
    ['rtrim', undefined],
    ['lower', undefined],
    ['upper', undefined],
    ['title', undefined],
    ['capitalize', undefined],
    ['split', { char: ',' }],
    ['join', { sep: ',' }],
    ['slice', { start: 1 }],
  ];

  test.each(allActions)('%s keeps null as null and turns undefined into null', (action, params) => {
    expect(applyOne(action, null, params)).toBeNull();
    expect(applyOne(action, undefined, params)).toBeNull();
  });

  test.each(allActions)('%s passes numbers, booleans and objects through untouched', (action, params) => {
    expect(applyOne(action, 123, params)).toBe(123);
    expect(applyOne(action, true, params)).toBe(true);
    const object = { a: 'x' };
    expect(applyOne(action, object, params)).toBe(object);
  });

  test.each(allActions.filter(([action]) => action !== 'join'))(
    '%s leaves arrays untouched',
    (action, params) => {
      const list = [' a ', 'b,c'];
      expect(applyOne(action, list, params)).toBe(list);
    },
  );
});

describe('compileTransformations: ordering and columns', () => {
  test('higher priority runs first', () => {
    const apply = compileTransformations([
      { action: 'replace', priority: 0, on: ['v'], params: { to_replace: 'A', value: 'z' } },
      { action: 'upper', priority: 5, on: ['v'] },
    ]);
    // upper first ("ABC"), then replace A→z.
    expect(apply({ v: 'abc' })).toStrictEqual({ v: 'zBC' });
  });

  test('equal priorities keep declared order (default priority is 0)', () => {
    const apply = compileTransformations([
      { action: 'replace', on: ['v'], params: { to_replace: 'a', value: 'b' } },
      { action: 'replace', priority: 0, on: ['v'], params: { to_replace: 'b', value: 'c' } },
      { action: 'replace', on: ['v'], params: { to_replace: 'c', value: 'd' } },
    ]);
    expect(apply({ v: 'a' })).toStrictEqual({ v: 'd' });
  });

  test('negative priorities run after the default', () => {
    const apply = compileTransformations([
      { action: 'slice', priority: -1, on: ['v'], params: { stop: 1 } },
      { action: 'upper', on: ['v'] },
    ]);
    expect(apply({ v: 'abc' })).toStrictEqual({ v: 'A' });
  });

  test('without "on" every column of the row at that moment is transformed', () => {
    const apply = compileTransformations([{ action: 'trim' }]);
    expect(apply({ a: ' x ', b: 3, c: null, d: ' y' })).toStrictEqual({ a: 'x', b: 3, c: null, d: 'y' });
  });

  test('without a prefix the column is overwritten in place, keeping its position', () => {
    const row = compileTransformations([{ action: 'upper', on: ['b'] }])({ a: 'a', b: 'b', c: 'c' });
    expect(Object.keys(row)).toEqual(['a', 'b', 'c']);
    expect(row).toStrictEqual({ a: 'a', b: 'B', c: 'c' });
  });

  test('with new_column_prefix the result is appended as prefix + column, the source kept', () => {
    const row = compileTransformations([{ action: 'upper', on: ['city'], new_column_prefix: 'upper_' }])({
      city: 'Bogotá',
      id: 1,
    });
    expect(Object.keys(row)).toEqual(['city', 'id', 'upper_city']);
    expect(row).toStrictEqual({ city: 'Bogotá', id: 1, upper_city: 'BOGOTÁ' });
  });

  test('a prefixed transformation without "on" does not re-process the columns it adds', () => {
    const row = compileTransformations([{ action: 'lower', new_column_prefix: 'l_' }])({ A: 'X', B: 'Y' });
    expect(row).toStrictEqual({ A: 'X', B: 'Y', l_A: 'x', l_B: 'y' });
  });

  test('a later transformation can use a column added by an earlier one', () => {
    const apply = compileTransformations([
      { action: 'slice', priority: 1, on: ['date'], new_column_prefix: 'day_', params: { stop: 10 } },
      { action: 'replace', on: ['day_date'], params: { to_replace: '-', value: '/' } },
    ]);
    expect(apply({ date: '2020-09-03T17:40:53' })).toStrictEqual({
      date: '2020-09-03T17:40:53',
      day_date: '2020/09/03',
    });
  });

  test('the seed deals transformation replaces ";" in description', () => {
    const apply = compileTransformations([
      { action: 'replace', on: ['description'], params: { to_replace: ';', value: '.' } },
    ]);
    expect(apply({ id: '1', description: 'one; two; three' })).toStrictEqual({
      id: '1',
      description: 'one. two. three',
    });
  });

  test('changes the row in place and returns it', () => {
    const row = { v: 'a' };
    expect(compileTransformations([{ action: 'upper' }])(row)).toBe(row);
  });

  test('no transformations leave the row as it is', () => {
    expect(compileTransformations([])({ a: 1 })).toStrictEqual({ a: 1 });
  });

  test('a column in "on" that the row does not have fails the run with its name', () => {
    const apply = compileTransformations([
      { action: 'replace', on: ['foo'], params: { to_replace: 'a', value: 'b' } },
    ]);
    expect(() => apply({ bar: 'x' })).toThrow(
      new TransformationError('transformation "replace" (priority 0): column "foo" is not in the row'),
    );
    expect(() => apply({ bar: 'x' })).toThrow(TransformationError);
  });

  test('a column present with a null value is in the row', () => {
    expect(compileTransformations([{ action: 'upper', priority: 3, on: ['a'] }])({ a: null })).toStrictEqual({
      a: null,
    });
  });
});

describe('compileTransformations: config errors', () => {
  test.each<[string, TransformationSpec, string]>([
    [
      'an unknown action',
      { action: 'reverse' },
      'unknown transformation action "reverse" (valid: replace, trim, ltrim, rtrim, lower, upper, title, capitalize, split, join, slice)',
    ],
    [
      'an inherited name as action',
      { action: 'toString' },
      'unknown transformation action "toString" (valid: replace, trim, ltrim, rtrim, lower, upper, title, capitalize, split, join, slice)',
    ],
    [
      'a missing string param',
      { action: 'replace', params: { to_replace: ';' } },
      'transformation "replace" (priority 0): params.value must be a string',
    ],
    [
      'missing params',
      { action: 'split', priority: 2 },
      'transformation "split" (priority 2): params.char must be a string',
    ],
    [
      'a non-integer slice bound',
      { action: 'slice', params: { start: 1.5 } },
      'transformation "slice" (priority 0): params.start must be an integer',
    ],
    [
      'a string slice bound',
      { action: 'slice', params: { stop: '3' } },
      'transformation "slice" (priority 0): params.stop must be an integer',
    ],
  ])('%s is a ConfigError at compile time', (_name, spec, message) => {
    expect(() => compileTransformations([spec])).toThrow(new ConfigError(message));
    expect(() => compileTransformations([spec])).toThrow(ConfigError);
  });
});

describe('TRANSFORMATION_ACTIONS', () => {
  test('describes every action and its parameters for validation', () => {
    expect(TRANSFORMATION_ACTIONS).toStrictEqual({
      replace: { params: { to_replace: 'string', value: 'string' } },
      trim: { params: {} },
      ltrim: { params: {} },
      rtrim: { params: {} },
      lower: { params: {} },
      upper: { params: {} },
      title: { params: {} },
      capitalize: { params: {} },
      split: { params: { char: 'string' } },
      join: { params: { sep: 'string' } },
      slice: { params: { start: 'optional-integer', stop: 'optional-integer' } },
    });
  });

  test.each(Object.keys(TRANSFORMATION_ACTIONS))('every listed action compiles: %s', (action) => {
    const params = Object.fromEntries(
      Object.entries(TRANSFORMATION_ACTIONS[action]?.params ?? {}).map(([name, kind]) => [
        name,
        kind === 'string' ? ',' : 1,
      ]),
    );
    expect(() => compileTransformations([{ action, params }])).not.toThrow();
  });
});
