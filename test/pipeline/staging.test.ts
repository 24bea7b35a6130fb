import { parseStagedDetails, stageDetails, staging } from '../../shared/pipeline/staging';

describe('staging', () => {
  test('keys sort by page and chunk, under one prefix per run and extraction', () => {
    const keys = [
      staging.details('r', 'ext/1', 10, 2),
      staging.page('r', 'ext/1', 10),
      staging.details('r', 'ext/1', 9, 11),
      staging.page('r', 'ext/1', 9),
    ];
    // A page's detail chunks sort just before its records, and every page before the next.
    expect([...keys].sort()).toEqual([keys[2], keys[3], keys[0], keys[1]]);
    for (const key of keys) expect(key.startsWith(staging.prefix('r', 'ext/1'))).toBe(true);
    // An extraction id never adds a level to the key.
    expect(staging.prefix('r', 'ext/1')).toBe('runs/r/ext%2F1/');
    expect(staging.details('r', 'e', 3, 1).startsWith(staging.detailsPrefix('r', 'e', 3))).toBe(true);
  });

  test('detail outcomes are staged with readable keys and read back as they were', () => {
    const staged = stageDetails([
      { found: true, columns: { d_name: 'x' } },
      { found: false, reason: 'HTTP 404 from https://up/d/2' },
    ]);
    expect(staged).toEqual([
      { columns: { d_name: 'x' } },
      { warning: 'mapping_fetch kept a row without details: HTTP 404 from https://up/d/2' },
    ]);
    expect(parseStagedDetails(Buffer.from(JSON.stringify(staged)))).toEqual(staged);
  });

  test.each([
    ['one-letter keys of an older version', [{ c: { d_name: 'x' } }, { w: 'why' }]],
    ['not a list', { columns: {} }],
    ['a warning that is not text', [{ warning: 3 }]],
    ['columns that are not an object', [{ columns: 'x' }]],
  ])('a chunk staged in another shape (%s) is refused, not read as rows without details', (_what, staged) => {
    expect(() => parseStagedDetails(Buffer.from(JSON.stringify(staged)))).toThrow(
      "a staged detail chunk is not in this version's format (staged by another version?)",
    );
  });
});
