/**
 * The CSV writer's own cell encoder (csvField), held to csv-stringify byte for byte:
 * over arbitrary text (quotes, line breaks, CR, separators, BOMs, surrogates) and over
 * whole files written by the CsvWriter with arbitrary cell values and separators.
 */
import fc from 'fast-check';
import { stringify } from 'csv-stringify/sync';
import { csvField, isLeanSeparator } from '../../shared/output/csvEncoder';
import { cellText, createRowWriter, type Row, TIMESTAMP_COLUMN } from '../../shared/output/rowWriter';
import type { ScratchFile } from '../../shared/ports/storage';

const SPECIAL = [
  '"',
  '""',
  '\n',
  '\r',
  '\r\n',
  ',',
  ';',
  '\t',
  '|',
  ' ',
  '\uFEFF',
  'é',
  '\u2028',
  '\u001e',
  '\\',
  "'",
  '=',
];

/** Text made of the characters CSV cares about, mixed with any other code units or code points. */
const text = fc.string({
  unit: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...SPECIAL) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    {
      weight: 1,
      arbitrary: fc.string({ unit: fc.constantFrom('\uD800', '\uDFFF', 'a'), minLength: 1, maxLength: 1 }),
    },
  ),
  maxLength: 12,
});

/** Any one-character separator the config accepts (csv_separator is one UTF-16 unit). */
const separator = fc.oneof(
  fc.constantFrom(',', ';', '\t', '|', ' ', '"', '\n', '\r', '\uFEFF', 'a', '\u2028'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((s) => s.length === 1),
);

const reference = (records: string[][], delimiter: string): string =>
  stringify(records, { delimiter, record_delimiter: 'unix' });

test('csvField writes a record as csv-stringify does, for every lean separator', () => {
  fc.assert(
    fc.property(fc.array(text, { minLength: 1, maxLength: 6 }), separator, (cells, sep) => {
      fc.pre(isLeanSeparator(sep));
      expect(cells.map((c) => csvField(c, sep)).join(sep) + '\n').toBe(reference([cells], sep));
    }),
    { numRuns: 3000 },
  );
});

test('the lean separators are the one-character ones other than the quote and line breaks', () => {
  expect([',', ';', '\t', '|', ' ', '\uFEFF', 'é'].every(isLeanSeparator)).toBe(true);
  expect(['"', '\n', '\r', ',,', ''].some(isLeanSeparator)).toBe(false);
});

class MemoryScratch implements ScratchFile {
  readonly parts: string[] = [];
  async append(chunk: string): Promise<void> {
    this.parts.push(chunk);
  }
  async *read(): AsyncIterable<Buffer> {
    yield Buffer.from(this.parts.join(''), 'utf8');
  }
  async dispose(): Promise<void> {}
}

/** Cell values as rows hold them: text, numbers (NaN, infinities), booleans, null, lists, objects. */
const cell = fc.oneof(
  { weight: 4, arbitrary: text },
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
  fc.array(text, { maxLength: 3 }),
  fc.dictionary(text, fc.oneof(text, fc.integer(), fc.constant(null)), { maxKeys: 3 }),
);

test('the CsvWriter writes the file csv-stringify writes, whatever the cells and separator', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }),
      fc.array(fc.array(cell, { minLength: 5, maxLength: 5 }), { maxLength: 300 }),
      separator,
      fc.string({ unit: fc.constantFrom('2', '0', '-', ':', ' ', '"', ','), maxLength: 20 }),
      async (names, values, sep, timestamp) => {
        const columns = names.filter((n) => n !== TIMESTAMP_COLUMN && n !== '__proto__');
        fc.pre(columns.length > 0);
        const rows: Row[] = values.map((v) => Object.fromEntries(columns.map((c, i) => [c, v[i]])));
        const scratch = new MemoryScratch();
        const writer = createRowWriter(scratch, {
          format: 'csv',
          separator: sep,
          timestamp,
          initialColumns: columns,
        });
        await writer.write(rows);
        const expected =
          rows.length === 0
            ? ''
            : reference(
                [
                  [...columns, TIMESTAMP_COLUMN],
                  ...rows.map((row) => [...columns.map((c) => cellText(row[c])), timestamp]),
                ],
                sep,
              );
        expect(scratch.parts.join('')).toBe(expected);
      },
    ),
    { numRuns: 400 },
  );
});
