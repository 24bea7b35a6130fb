import { compileJsonField, readJsonField } from '../../shared/core/jsonField';
import { doublingRatio } from '../support/workMeter';

const seedUser = { user: { name: 'Cristian', account: { number: 2334, type: 'credit' } } };

describe('readJsonField', () => {
  test.each<[string, unknown, string, unknown]>([
    ['reads a nested number (seed example)', seedUser, 'user.account.number', 2334],
    ['reads a top-level key', seedUser, 'user', seedUser.user],
    ['returns the value itself for the empty path', seedUser, '', seedUser],
    ['reads keys containing $', { $currency_symbol: '$' }, '$currency_symbol', '$'],
    ['reads nested keys containing $', { $approval: { approve: true } }, '$approval.approve', true],
    ['indexes an array with a numeric segment', { items: [{ id: 1 }, { id: 2 }] }, 'items.1.id', 2],
    ['indexes a top-level array', [10, 20], '1', 20],
    ['treats a numeric segment on an object as a key', { codes: { '0': 'zero' } }, 'codes.0', 'zero'],
    ['keeps null values (present, not absent)', { a: null }, 'a', null],
    ['keeps false and 0', { a: { f: false, z: 0 } }, 'a.z', 0],
    ['returns objects and arrays as they are', { a: { b: [1, 2] } }, 'a.b', [1, 2]],
  ])('%s', (_name, value, path, expected) => {
    expect(readJsonField(value, path)).toEqual(expected);
  });

  test.each<[string, unknown, string]>([
    ['a missing key', seedUser, 'user.age'],
    ['a missing top-level key', seedUser, 'nope'],
    ['a step into a number', seedUser, 'user.account.number.value'],
    ['a step into a string', seedUser, 'user.name.length'],
    ['a step into null', { a: null }, 'a.b'],
    ['a step from undefined input', undefined, 'a'],
    ['a non-index segment on an array', { items: [1] }, 'items.length'],
    ['an index past the end', { items: [1] }, 'items.5'],
    ['a negative index', { items: [1] }, 'items.-1'],
    ['an index with a leading zero', { items: [1, 2] }, 'items.01'],
    ['inherited properties such as constructor', {}, 'constructor'],
    ['inherited properties such as toString', { a: {} }, 'a.toString'],
  ])('returns undefined (absent) for %s', (_name, value, path) => {
    expect(readJsonField(value, path)).toBeUndefined();
  });

  test('reads an own __proto__ key produced by JSON.parse', () => {
    expect(readJsonField(JSON.parse('{"__proto__":{"x":1}}'), '__proto__.x')).toBe(1);
  });
});

describe('compileJsonField', () => {
  test('gives the same results as readJsonField and can be reused', () => {
    const read = compileJsonField('user.account.number');
    expect(read(seedUser)).toBe(2334);
    expect(read({ user: { account: { number: 5555 } } })).toBe(5555);
    expect(read({ user: null })).toBeUndefined();
    expect(read('not json')).toBeUndefined();
  });

  test('the empty path compiles to identity', () => {
    const body = { data: [] };
    expect(compileJsonField('')(body)).toBe(body);
  });
});

describe('compiling is linear in the path (work counted, not timed)', () => {
  test.each<[string, (size: number) => string]>([
    ['one long digit segment', (n) => '1'.repeat(n)],
    ['one long key', (n) => 'k'.repeat(n)],
    ['many empty segments', (n) => '.'.repeat(n)],
    ['many numeric segments', (n) => '12345.'.repeat(n / 6)],
  ])('%s: 400 KB costs about twice 200 KB', (_name, input) => {
    expect(doublingRatio((path) => compileJsonField(path)({ a: [1] }), input, 200_000)).toBeLessThanOrEqual(
      2.5,
    );
  });

  test('a segment longer than any array index is a key', () => {
    expect(readJsonField({ items: [1, 2] }, 'items.00000000001')).toBeUndefined();
    expect(readJsonField({ '12345678901': 'k' }, '12345678901')).toBe('k');
    expect(readJsonField({ items: ['a', 'b'] }, 'items.1')).toBe('b');
  });
});
