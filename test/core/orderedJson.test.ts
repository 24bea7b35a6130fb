/** JSON that keeps the upstream's key order, integer-like keys included. */
import {
  copyKeepingOrder,
  hasSourceOrder,
  keysInSourceOrder,
  parseJsonKeepingOrder,
  stringifyKeepingOrder,
  stringifyRecords,
} from '../../shared/core/orderedJson';

describe('a round trip writes the text as it came (without whitespace)', () => {
  test.each([
    ['integer-like keys after others', '{"b":1,"7":2,"a":3,"10":4}'],
    ['nested objects and arrays', '{"x":[{"9":1,"a":{"z":0,"1":[2,{"3":null}]}}],"0":{}}'],
    ['escaped keys and values', '{"a\\"b":1,"7":2,"s":"\\"7\\"","\\n":[]}'],
    ['a __proto__ key', '{"z":1,"__proto__":{"2":1,"a":2},"1":0}'],
    [
      'numbers, literals and empty containers',
      '{"n":-1.5,"e":2e+21,"t":true,"f":false,"u":null,"5":[],"o":{}}',
    ],
    ['an array at the top', '[{"b":1,"2":2},3,"x"]'],
  ])('%s', (_name, text) => {
    expect(stringifyKeepingOrder(parseJsonKeepingOrder(text))).toBe(text);
    expect(
      stringifyKeepingOrder(parseJsonKeepingOrder(text.replaceAll(',', ' ,\n\t').replaceAll(':', ' : '))),
    ).toBe(text);
  });
});

test('an integer-like key written with an escape (\\u0037) keeps its place too', () => {
  expect(stringifyKeepingOrder(parseJsonKeepingOrder('{"b":1,"\\u0037":2}'))).toBe('{"b":1,"7":2}');
});

test('values are exactly what JSON.parse gives', () => {
  const text = '{"b":{"2":[1,2.5,"\\u00e9"]},"7":"x","__proto__":1}';
  expect(parseJsonKeepingOrder(text)).toEqual(JSON.parse(text));
  expect(Object.getPrototypeOf(parseJsonKeepingOrder(text))).toBe(Object.prototype);
});

test('invalid JSON throws as JSON.parse does', () => {
  expect(() => parseJsonKeepingOrder('{"7":')).toThrow(SyntaxError);
});

test('without integer-like keys nothing is marked: JSON.parse and JSON.stringify as they are', () => {
  const value = parseJsonKeepingOrder('{"b":1,"a":{"x":[1]},"s":"\\"7\\" is text"}');
  expect(hasSourceOrder(value)).toBe(false);
  expect(stringifyKeepingOrder(value)).toBe('{"b":1,"a":{"x":[1]},"s":"\\"7\\" is text"}');
});

test('a duplicate key keeps its first place and its last value, as JSON.parse does', () => {
  expect(stringifyKeepingOrder(parseJsonKeepingOrder('{"a":1,"7":2,"a":3}'))).toBe('{"a":3,"7":2}');
});

test('keys added later come after the source keys; deleted ones are gone', () => {
  const value = parseJsonKeepingOrder('{"b":1,"7":2}') as Record<string, unknown>;
  const copy = copyKeepingOrder(value);
  copy['3'] = 'new';
  copy.z = 'new';
  delete copy.b;
  expect(keysInSourceOrder(copy)).toEqual(['7', '3', 'z']);
  expect(stringifyKeepingOrder(copy)).toBe('{"7":2,"3":"new","z":"new"}');
  // The source record is untouched.
  expect(stringifyKeepingOrder(value)).toBe('{"b":1,"7":2}');
});

test('a page of records selected out of a body keeps each record in order', () => {
  const body = parseJsonKeepingOrder('{"data":{"b":1,"7":2}}') as { data: unknown };
  expect(stringifyRecords([body.data])).toBe('[{"b":1,"7":2}]');
  expect(stringifyRecords([{ b: 1 }])).toBe('[{"b":1}]');
});
