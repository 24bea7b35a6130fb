/** Which ids a saved config gets: the server's on create; kept, matched or new on update. */
import { prepareNewConfig, prepareUpdatedConfig } from '../../shared/api/configDocuments';
import type { ApiConfig } from '../../shared/core/config/types';

const counter = (): (() => string) => {
  let n = 0;
  return () => `new-${++n}`;
};
const extraction = (name: string, id?: string) => ({
  ...(id ? { id } : {}),
  name,
  endpoint: { url: `http://127.0.0.1:9/${name}` },
  // Two extractions may not write one file.
  s3_destiny: { folder: name },
});

function saved(body: unknown): ApiConfig {
  const result = prepareNewConfig(body, counter());
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config;
}

describe('create', () => {
  test('assigns the config id and an id per extraction, first in each object', () => {
    const config = saved({ name: 'c', extractions: [extraction('a'), extraction('b')] });
    expect(Object.keys(config)[0]).toBe('id');
    expect(config.id).toBe('new-1');
    expect(config.extractions.map((e) => [Object.keys(e)[0], e.id])).toEqual([
      ['id', 'new-2'],
      ['id', 'new-3'],
    ]);
  });

  test('replaces ids sent in the body', () => {
    const config = saved({ id: 'mine', name: 'c', extractions: [extraction('a', 'theirs')] });
    expect(config.id).toBe('new-1');
    expect(config.extractions[0]!.id).toBe('new-2');
  });

  test('reports every issue and assigns nothing when invalid', () => {
    expect(prepareNewConfig({ name: 1, extractions: [{}] }, counter())).toEqual({
      ok: false,
      issues: [
        { path: 'name', message: 'must be a string' },
        { path: 'extractions[0].name', message: 'is required' },
        { path: 'extractions[0].endpoint', message: 'is required' },
      ],
    });
  });
});

describe('update', () => {
  const current = saved({ name: 'c', extractions: [extraction('a'), extraction('b')] });
  // current: config new-1, extractions a=new-2, b=new-3
  const update = (body: unknown) => prepareUpdatedConfig(body, current, 'new-1', () => 'fresh');

  test.each([
    ['an extraction naming its id keeps it', [extraction('renamed', 'new-2')], ['new-2']],
    [
      'an extraction without id takes the id of the one with its name',
      [extraction('b'), extraction('a')],
      ['new-3', 'new-2'],
    ],
    ['a new extraction gets a new id', [extraction('a'), extraction('c')], ['new-2', 'fresh']],
    [
      'extractions of one name without ids take the ids of that name in order',
      [
        { ...extraction('b'), s3_destiny: { folder: 'b1' } },
        { ...extraction('a'), s3_destiny: { folder: 'a1' } },
        { ...extraction('a'), s3_destiny: { folder: 'a2' } },
      ],
      ['new-3', 'new-2', 'fresh'],
    ],
    [
      'a name whose id another extraction claims gets a new id',
      [extraction('x', 'new-2'), extraction('a')],
      ['new-2', 'fresh'],
    ],
  ])('%s', (_name, extractions, ids) => {
    const result = update({ name: 'c', extractions });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.config.id).toBe('new-1');
    expect(result.config.extractions.map((e) => e.id)).toEqual(ids);
  });

  test('an unknown extraction id, a duplicated one and another config id are all reported, with validation issues', () => {
    expect(
      update({
        id: 'other',
        name: '',
        extractions: [extraction('a', 'nope'), extraction('b', 'new-3'), extraction('c', 'new-3')],
      }),
    ).toEqual({
      ok: false,
      issues: [
        { path: 'id', message: 'must be "new-1" (the id in the URL) or absent' },
        { path: 'extractions[0].id', message: 'config new-1 has no extraction with id "nope"' },
        { path: 'extractions[2].id', message: 'duplicates the id of extractions[1]' },
        { path: 'name', message: 'is not allowed to be empty' },
      ],
    });
  });

  test('a body naming the config id itself is fine', () => {
    expect(update({ id: 'new-1', name: 'c', extractions: [extraction('a')] }).ok).toBe(true);
  });

  test('a non-object body is one issue', () => {
    expect(update([])).toEqual({
      ok: false,
      issues: [{ path: '', message: 'the config must be a JSON object' }],
    });
  });
});
