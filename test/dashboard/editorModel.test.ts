/** The dashboard's editor model: where a validation issue's path is in the JSON text, and the version diff. */
import { diffLines, withContext } from '../../dashboard/src/diff';
import { lineIndex, lineOf, syntaxErrorLine } from '../../dashboard/src/jsonPaths';

const TEXT = JSON.stringify(
  {
    name: 'deals',
    extractions: [
      { name: 'a', endpoint: { url: 'https://x.test/a' } },
      { name: 'b', endpoint: { url: 'https://x.test/b', headers: { 'a.b': '[1]' } }, tags: [1, [2, 3]] },
    ],
  },
  null,
  2,
);
const lineWith = (needle: string, from = 0): number =>
  TEXT.split('\n').findIndex((l, i) => i >= from && l.includes(needle)) + 1;

test('an issue path names the line of its field, in nested objects and arrays', () => {
  const index = lineIndex(TEXT);
  expect(lineOf(index, 'name')).toBe(lineWith('"deals"'));
  expect(lineOf(index, 'extractions[1].endpoint.url')).toBe(lineWith('x.test/b'));
  expect(lineOf(index, 'extractions[0].endpoint')).toBe(lineWith('"endpoint"'));
  expect(lineOf(index, 'extractions[1].tags[1]')).toBe(lineWith('[', lineWith('"tags"')));
});

test('a missing field is shown at its nearest present parent; an unknown one at the top', () => {
  const index = lineIndex(TEXT);
  expect(lineOf(index, 'extractions[0].endpoint.method')).toBe(lineWith('"endpoint"'));
  expect(lineOf(index, 'extractions[5].name')).toBe(lineWith('"extractions"'));
  expect(lineOf(index, 'nothing')).toBe(1);
});

test('a text that stops parsing keeps the lines found before the error', () => {
  const broken = '{\n  "name": "x",\n  "extractions": [ oops ]\n}';
  const index = lineIndex(broken);
  expect(lineOf(index, 'name')).toBe(2);
  expect(lineOf(index, 'extractions[0]')).toBe(3);
});

test('a JSON syntax error is placed by the line or position the parser reports', () => {
  expect(syntaxErrorLine('{\n\n  x', 'Unexpected token x at line 3 column 3')).toBe(3);
  expect(syntaxErrorLine('{\n\n  x', 'Unexpected token x in JSON at position 5')).toBe(3);
  expect(syntaxErrorLine('{', 'Unexpected end of JSON input')).toBe(1);
});

test('the diff of two versions keeps common lines and marks removed and added ones', () => {
  expect(diffLines('a\nb\nc', 'a\nc\nd')).toEqual([
    { kind: 'same', text: 'a' },
    { kind: 'removed', text: 'b' },
    { kind: 'same', text: 'c' },
    { kind: 'added', text: 'd' },
  ]);
  expect(diffLines('x', 'x')).toEqual([{ kind: 'same', text: 'x' }]);
});

test('a diff shows each change with a few lines of context, the rest as skipped runs', () => {
  const before = Array.from({ length: 20 }, (_, i) => `line ${i}`);
  const after = before.map((l, i) => (i === 10 ? 'changed' : l));
  const rows = withContext(diffLines(before.join('\n'), after.join('\n')), 2);
  expect(rows).toEqual([
    { kind: 'skipped', count: 8 },
    { kind: 'same', text: 'line 8' },
    { kind: 'same', text: 'line 9' },
    { kind: 'removed', text: 'line 10' },
    { kind: 'added', text: 'changed' },
    { kind: 'same', text: 'line 11' },
    { kind: 'same', text: 'line 12' },
    { kind: 'skipped', count: 7 },
  ]);
  expect(withContext(diffLines('a', 'a'))).toEqual([{ kind: 'skipped', count: 1 }]);
});
