import {
  compileDataSchema,
  flattenRecord,
  schemaColumns,
  type DataSchema,
} from '../../shared/core/dataSchema';
import { ConfigError } from '../../shared/core/errors';

describe('compileDataSchema: seed examples', () => {
  test('selects and renames flat fields; the misspelt "acount" leaves user_account null', () => {
    const mapper = compileDataSchema({ name: 'user_name', account: 'user_account', city: 'city' });
    const records = [
      { name: 'Cristian', age: 26, acount: 11111, city: 'Montería' },
      { name: 'Jose', age: 23, acount: 2222, city: 'Bogotá' },
    ];
    expect(mapper.columns).toEqual(['user_name', 'user_account', 'city']);
    expect(records.map((r) => mapper.map(r))).toStrictEqual([
      { user_name: 'Cristian', user_account: null, city: 'Montería' },
      { user_name: 'Jose', user_account: null, city: 'Bogotá' },
    ]);
  });

  test('the same schema reads "account" when the record spells it so', () => {
    const mapper = compileDataSchema({ name: 'user_name', account: 'user_account', city: 'city' });
    expect(mapper.map({ name: 'Cristian', account: 11111, city: 'Montería' })).toStrictEqual({
      user_name: 'Cristian',
      user_account: 11111,
      city: 'Montería',
    });
  });

  test('maps nested fields to the named columns', () => {
    const mapper = compileDataSchema({
      type: 'type',
      user: { name: 'user_name', account: { number: 'user_acc_number' } },
    });
    const records = [
      { type: 'A', user: { name: 'Cristian', account: { number: 3344 } } },
      { type: 'B', user: { name: 'Juan', account: { number: 5555 } } },
    ];
    expect(mapper.columns).toEqual(['type', 'user_name', 'user_acc_number']);
    expect(records.map((r) => mapper.map(r))).toStrictEqual([
      { type: 'A', user_name: 'Cristian', user_acc_number: 3344 },
      { type: 'B', user_name: 'Juan', user_acc_number: 5555 },
    ]);
  });

  test('reads keys starting with $ (Zoho deals schema)', () => {
    const mapper = compileDataSchema({
      Owner: { name: 'owner_name', id: 'owner_id' },
      $currency_symbol: 'currency_symbol',
      $review_process: { approve: 'review_process_approve', reject: 'review_process_reject' },
      id: 'id',
    });
    const row = mapper.map({
      id: '99',
      $currency_symbol: '$',
      $review_process: { approve: false, reject: true },
      Owner: { name: 'Ana', id: '1', email: 'a@x' },
    });
    expect(row).toStrictEqual({
      owner_name: 'Ana',
      owner_id: '1',
      currency_symbol: '$',
      review_process_approve: false,
      review_process_reject: true,
      id: '99',
    });
  });
});

describe('compileDataSchema: rules', () => {
  const schema: DataSchema = { z: 'z_col', user: { name: 'user_name', tags: 'user_tags' }, a: 'a_col' };

  test('row keys follow schema order, not record order', () => {
    const row = compileDataSchema(schema).map({ a: 1, user: { tags: [], name: 'x' }, z: 2 });
    expect(Object.keys(row)).toEqual(['z_col', 'user_name', 'user_tags', 'a_col']);
  });

  test.each<[string, unknown, Record<string, unknown>]>([
    [
      'a missing nested object nulls its branch',
      { z: 1, a: 2 },
      { z_col: 1, user_name: null, user_tags: null, a_col: 2 },
    ],
    [
      'a string where an object is expected nulls its branch',
      { user: 'Cristian' },
      { z_col: null, user_name: null, user_tags: null, a_col: null },
    ],
    [
      'null where an object is expected nulls its branch',
      { user: null },
      { z_col: null, user_name: null, user_tags: null, a_col: null },
    ],
    [
      'an array where an object is expected nulls its branch',
      { user: ['x'] },
      { z_col: null, user_name: null, user_tags: null, a_col: null },
    ],
    [
      'a non-object record gives all nulls',
      'just text',
      { z_col: null, user_name: null, user_tags: null, a_col: null },
    ],
    [
      'values are taken as they are (objects, arrays, booleans)',
      { z: { deep: 1 }, user: { name: false, tags: ['a', 'b'] }, a: 0 },
      { z_col: { deep: 1 }, user_name: false, user_tags: ['a', 'b'], a_col: 0 },
    ],
    ['explicit null stays null', { z: null }, { z_col: null, user_name: null, user_tags: null, a_col: null }],
  ])('%s', (_name, record, expected) => {
    expect(compileDataSchema(schema).map(record)).toStrictEqual(expected);
  });

  test('a numeric schema key indexes an array, as in a JsonField', () => {
    const mapper = compileDataSchema({ emails: { '0': { address: 'first_email' } } });
    expect(mapper.map({ emails: [{ address: 'a@x' }, { address: 'b@x' }] })).toStrictEqual({
      first_email: 'a@x',
    });
  });

  test('a schema key containing a dot is a literal key, not a path', () => {
    const mapper = compileDataSchema({ 'a.b': 'ab' });
    expect(mapper.map({ 'a.b': 1, a: { b: 2 } })).toStrictEqual({ ab: 1 });
  });

  test('a repeated column keeps its first position and the later value', () => {
    const mapper = compileDataSchema({ x: 'col', y: 'other', z: 'col' });
    expect(mapper.columns).toEqual(['col', 'other']);
    expect(mapper.map({ x: 1, y: 2, z: 3 })).toStrictEqual({ col: 3, other: 2 });
  });

  test('a column named __proto__ is an ordinary column', () => {
    const row = compileDataSchema({ a: '__proto__' }).map({ a: 1 });
    expect(Object.keys(row)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
  });

  test.each<[string, unknown, string]>([
    ['a number leaf', { a: 1 }, 'data_schema.a must be a column name (string) or a nested schema (object)'],
    [
      'a nested array leaf',
      { a: { b: ['x'] } },
      'data_schema.a.b must be a column name (string) or a nested schema (object)',
    ],
    ['a null leaf', { a: null }, 'data_schema.a must be a column name (string) or a nested schema (object)'],
    ['a non-object schema', 'name', 'data_schema must be an object'],
  ])('rejects %s with a ConfigError', (_name, bad, message) => {
    expect(() => compileDataSchema(bad as DataSchema)).toThrow(new ConfigError(message));
    expect(() => compileDataSchema(bad as DataSchema)).toThrow(ConfigError);
  });
});

describe('schemaColumns', () => {
  test('lists columns depth-first in the order written', () => {
    expect(
      schemaColumns({
        type: 'type',
        user: { name: 'user_name', account: { number: 'user_acc_number' } },
        id: 'id',
      }),
    ).toEqual(['type', 'user_name', 'user_acc_number', 'id']);
  });

  test('an empty schema has no columns', () => {
    expect(schemaColumns({})).toEqual([]);
  });
});

describe('flattenRecord', () => {
  test.each<[string, unknown, Record<string, unknown>]>([
    ['keeps a flat record as it is', { id: 1, name: 'x' }, { id: 1, name: 'x' }],
    [
      'flattens nested objects to parent__child',
      { type: 'A', user: { name: 'Cristian', account: { number: 3344 } } },
      { type: 'A', user__name: 'Cristian', user__account__number: 3344 },
    ],
    [
      'keeps arrays as arrays',
      { tags: ['a', 'b'], items: [{ id: 1 }] },
      { tags: ['a', 'b'], items: [{ id: 1 }] },
    ],
    ['keeps null and scalars', { a: null, b: false, c: 0 }, { a: null, b: false, c: 0 }],
    ['keeps an empty nested object under its name', { meta: {} }, { meta: {} }],
    ['wraps a string record as { value }', 'text', { value: 'text' }],
    ['wraps a number record as { value }', 5, { value: 5 }],
    ['wraps an array record as { value }', [1, 2], { value: [1, 2] }],
    ['wraps null as { value: null }', null, { value: null }],
  ])('%s', (_name, item, expected) => {
    expect(flattenRecord(item)).toStrictEqual(expected);
  });

  test('keeps the record order, nested columns in place of their parent', () => {
    const row = flattenRecord({ a: 1, b: { c: 2, d: { e: 3 } }, f: 4 });
    expect(Object.keys(row)).toEqual(['a', 'b__c', 'b__d__e', 'f']);
  });

  test('accepts another separator', () => {
    expect(flattenRecord({ a: { b: 1 } }, '.')).toStrictEqual({ 'a.b': 1 });
  });

  test('a __proto__ key from JSON stays data and does not change the prototype', () => {
    const row = flattenRecord(JSON.parse('{"__proto__":{"polluted":1},"x":{"__proto__":2}}'));
    expect(Object.keys(row)).toEqual(['__proto____polluted', 'x____proto__']);
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    const leaf = flattenRecord(JSON.parse('{"__proto__":5}'));
    expect(Object.keys(leaf)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(leaf)).toBe(Object.prototype);
  });
});
