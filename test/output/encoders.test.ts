/**
 * The CSV, JSON and JSON Lines encoders, directly, over an in-memory scratch file that
 * hands the spool back in small pieces (so the CSV rewrite meets records and
 * multi-byte characters split across pieces).
 */
import {
  cellText,
  createRowWriter,
  type Row,
  TIMESTAMP_COLUMN,
  type WriterOptions,
} from '../../shared/output/rowWriter';
import type { Chunk, ScratchFile } from '../../shared/ports/storage';

const TS = '2026-11-29@12-00-00';

/** Appended text kept in memory; read back in pieces of `pieceBytes` bytes. */
class MemoryScratch implements ScratchFile {
  private readonly parts: string[] = [];
  constructor(private readonly pieceBytes = 7) {}
  async append(chunk: string): Promise<void> {
    this.parts.push(chunk);
  }
  async *read(): AsyncIterable<Buffer> {
    const all = Buffer.from(this.parts.join(''), 'utf8');
    for (let i = 0; i < all.length; i += this.pieceBytes) yield all.subarray(i, i + this.pieceBytes);
  }
  async dispose(): Promise<void> {}
}

async function text(file: AsyncIterable<Chunk> | undefined): Promise<string | undefined> {
  if (file === undefined) return undefined;
  const pieces: Buffer[] = [];
  for await (const chunk of file)
    pieces.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(pieces).toString('utf8');
}

/**
 * Writes each batch, then returns the finished file's text (undefined: no file); the
 * spool is read back in pieces of `options.pieceBytes` (default 7).
 */
async function encode(
  options: Partial<WriterOptions> & { pieceBytes?: number },
  ...batches: Row[][]
): Promise<string | undefined> {
  const { pieceBytes, ...writerOptions } = options;
  const writer = createRowWriter(new MemoryScratch(pieceBytes), {
    format: 'csv',
    separator: ',',
    timestamp: TS,
    ...writerOptions,
  });
  for (const batch of batches) await writer.write(batch);
  expect(writer.rowCount).toBe(batches.reduce((n, b) => n + b.length, 0));
  return text(await writer.finish());
}

describe('cellText', () => {
  test.each<[string, unknown, string]>([
    ['a string as it is', 'a "b", c', 'a "b", c'],
    ['an empty string', '', ''],
    ['an integer', 42, '42'],
    ['a negative decimal', -1.5, '-1.5'],
    ['a large number as JSON writes it', 1e21, '1e+21'],
    ['NaN: empty', Number.NaN, ''],
    ['Infinity: empty', Number.POSITIVE_INFINITY, ''],
    ['true', true, 'true'],
    ['false', false, 'false'],
    ['a bigint', 12345678901234567890n, '12345678901234567890'],
    ['undefined: empty', undefined, ''],
    ['null: empty', null, ''],
    ['a list: JSON', [1, 'two', null], '[1,"two",null]'],
    ['an object: JSON', { b: 1, a: { c: true } }, '{"b":1,"a":{"c":true}}'],
  ])('%s', (_name, value, expected) => {
    expect(cellText(value)).toBe(expected);
  });
});

describe('CSV', () => {
  test('a header of the columns in first-seen order, the timestamp column last, a row per record', async () => {
    expect(
      await encode({}, [
        { id: 1, name: 'a' },
        { id: 2, name: 'b' },
      ]),
    ).toBe(`id,name,${TIMESTAMP_COLUMN}\n1,a,${TS}\n2,b,${TS}\n`);
  });

  test("a row's own ext__timestamp is replaced by the run's, still last", async () => {
    expect(await encode({}, [{ [TIMESTAMP_COLUMN]: 'theirs', id: 1 }])).toBe(
      `id,${TIMESTAMP_COLUMN}\n1,${TS}\n`,
    );
  });

  test('the separator splits cells; cells holding it, a quote or a line break are quoted', async () => {
    const csv = await encode({ separator: ';' }, [
      { a: 'x;y', b: 'say "hi"', c: 'two\nlines', d: 'plain, with comma' },
    ]);
    expect(csv).toBe(
      `a;b;c;d;${TIMESTAMP_COLUMN}\n"x;y";"say ""hi""";"two\nlines";plain, with comma;${TS}\n`,
    );
  });

  test('cells of every type as cellText writes them; a missing column is empty', async () => {
    expect(await encode({}, [{ n: 1.5, t: true, o: { k: 'v' }, z: null }, { n: 0 }])).toBe(
      `n,t,o,z,${TIMESTAMP_COLUMN}\n1.5,true,"{""k"":""v""}",,${TS}\n0,,,,${TS}\n`,
    );
  });

  test('initial columns keep their order and come first, even before any row has them', async () => {
    expect(
      await encode({ initialColumns: ['2', '1', 'name'] }, [{ name: 'n', 1: 'one', 2: 'two', extra: 'e' }]),
    ).toBe(`2,1,name,extra,${TIMESTAMP_COLUMN}\ntwo,one,n,e,${TS}\n`);
  });

  test('a column first seen in a later batch: the header gains it and earlier rows are padded', async () => {
    const csv = await encode(
      { separator: ';', pieceBytes: 1 << 20 },
      [
        { id: 1, note: 'multi\nline; "quoted"' },
        { id: 2, note: 'plain' },
      ],
      [{ id: 3, added: 'new' }],
      [{ id: 4, later: 'z', note: { k: 'v' } }],
    );
    expect(csv).toBe(
      [
        `id;note;added;later;${TIMESTAMP_COLUMN}`,
        `1;"multi\nline; ""quoted""";;;${TS}`,
        `2;plain;;;${TS}`,
        `3;;new;;${TS}`,
        `4;"{""k"":""v""}";;z;${TS}`,
        '',
      ].join('\n'),
    );
  });

  test('the rewrite reads the spool in pieces: rows and multi-byte characters split across them', async () => {
    // Pieces of 7 bytes, no quoted cell (see the known bug below).
    const csv = await encode(
      { separator: ';', pieceBytes: 7 },
      [
        { id: 1, note: 'é€ü and more text' },
        { id: 2, note: '漢字' },
      ],
      [{ id: 3, added: 'new' }],
    );
    expect(csv).toBe(
      [
        `id;note;added;${TIMESTAMP_COLUMN}`,
        `1;é€ü and more text;;${TS}`,
        `2;漢字;;${TS}`,
        `3;;new;${TS}`,
        '',
      ].join('\n'),
    );
  });

  // The unfinished record carried over to the next piece read was once scanned again,
  // its quotes toggling the quote state twice: a quoted cell in a record straddling a
  // read piece (64 KiB on disk) then split or joined records.
  test('the rewrite keeps a quoted cell whole when its record straddles the pieces read', async () => {
    const csv = await encode(
      { separator: ';', pieceBytes: 7 },
      [{ id: 1, note: 'a; b' }],
      [{ id: 2, added: 'new' }],
    );
    expect(csv).toBe([`id;note;added;${TIMESTAMP_COLUMN}`, `1;"a; b";;${TS}`, `2;;new;${TS}`, ''].join('\n'));
  });

  test('a new column within the first batch needs no rewrite', async () => {
    expect(await encode({}, [{ a: 1 }, { b: 2 }])).toBe(`a,b,${TIMESTAMP_COLUMN}\n1,,${TS}\n,2,${TS}\n`);
  });
});

describe('JSON and JSON Lines', () => {
  test('JSON: one array, an object per row, the timestamp last', async () => {
    expect(await encode({ format: 'json' }, [{ id: 1, tags: ['a'] }], [{ id: 2, x: null }])).toBe(
      `[\n{"id":1,"tags":["a"],"${TIMESTAMP_COLUMN}":"${TS}"},\n{"id":2,"x":null,"${TIMESTAMP_COLUMN}":"${TS}"}\n]\n`,
    );
    const parsed = JSON.parse((await encode({ format: 'json' }, [{ id: 1 }], [{ id: 2 }]))!) as Row[];
    expect(parsed.map((r) => r.id)).toEqual([1, 2]);
  });

  test('JSON Lines: an object per line, every line ended', async () => {
    expect(
      await encode({ format: 'jsonl' }, [{ id: 1 }, { id: 2 }], [{ [TIMESTAMP_COLUMN]: 'theirs', id: 3 }]),
    ).toBe([1, 2, 3].map((id) => `{"id":${id},"${TIMESTAMP_COLUMN}":"${TS}"}\n`).join(''));
  });

  test('integer-like initial columns are written in their order, then the other keys', async () => {
    expect(
      await encode({ format: 'jsonl', initialColumns: ['10', '2'] }, [{ other: 'o', 2: 'two', 10: 'ten' }]),
    ).toBe(`{"10":"ten","2":"two","other":"o","${TIMESTAMP_COLUMN}":"${TS}"}\n`);
  });
});

describe('no rows, no file', () => {
  test.each<WriterOptions['format']>(['csv', 'json', 'jsonl'])('%s', async (format) => {
    expect(await encode({ format })).toBeUndefined();
    expect(await encode({ format }, [], [])).toBeUndefined();
  });
});
