import { ReferenceResolutionError } from '../../shared/core/errors';
import {
  collectReferences,
  findReferences,
  hasReferences,
  REFERENCE_TYPES,
  resolveDeep,
  resolveString,
  type ReferenceLookup,
  type ReferenceType,
} from '../../shared/core/references';
import { readJsonField } from '../../shared/core/jsonField';
import { doublingRatio } from '../support/workMeter';

/** A lookup over one JSON document per reference type, as the engine builds it. */
function lookupFrom(sources: Partial<Record<ReferenceType, unknown>>): ReferenceLookup {
  return (type, path) => readJsonField(sources[type], path);
}

const lookup = lookupFrom({
  self: { auth: { access_token: 'tok123' }, name: 'Zoho' },
  secret: { client_id: 'cid', zoho_refresh_token: 'r3fr3sh' },
  last: {
    id: 42,
    Modified_Time: '2021-01-01T00:00:00-05:00',
    owner: { id: 7 },
    tags: ['a', 'b'],
    gone: null,
  },
  extracted_item: { id: 'item-9' },
});

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('findReferences', () => {
  test.each<[string, string, unknown[]]>([
    [
      '${…} form',
      '${self::auth.access_token}',
      [{ raw: '${self::auth.access_token}', type: 'self', path: 'auth.access_token' }],
    ],
    [
      '$(…) form',
      '$(self::auth.access_token)',
      [{ raw: '$(self::auth.access_token)', type: 'self', path: 'auth.access_token' }],
    ],
    [
      'seed example with a default',
      '$(self::auth.access_token, token_default)',
      [
        {
          raw: '$(self::auth.access_token, token_default)',
          type: 'self',
          path: 'auth.access_token',
          defaultValue: 'token_default',
        },
      ],
    ],
    [
      'whitespace around every part',
      '${  last ::  Modified_Time ,  2020-09-03T17:40:53-05:00  }',
      [
        {
          raw: '${  last ::  Modified_Time ,  2020-09-03T17:40:53-05:00  }',
          type: 'last',
          path: 'Modified_Time',
          defaultValue: '2020-09-03T17:40:53-05:00',
        },
      ],
    ],
    [
      'default after the first comma',
      '${secret::x, a,b}',
      [{ raw: '${secret::x, a,b}', type: 'secret', path: 'x', defaultValue: 'a,b' }],
    ],
    ['empty default', '${last::x,}', [{ raw: '${last::x,}', type: 'last', path: 'x', defaultValue: '' }]],
    [
      'default holding balanced brackets',
      '$(last::x, f(1))',
      [{ raw: '$(last::x, f(1))', type: 'last', path: 'x', defaultValue: 'f(1)' }],
    ],
    [
      'several references in text',
      'Bearer ${self::auth.access_token} for $(secret::client_id)',
      [
        { raw: '${self::auth.access_token}', type: 'self', path: 'auth.access_token' },
        { raw: '$(secret::client_id)', type: 'secret', path: 'client_id' },
      ],
    ],
    [
      'an unknown type, kept for validation to report',
      '${env::HOME}',
      [{ raw: '${env::HOME}', type: 'env', path: 'HOME' }],
    ],
    [
      'a missing :: (typo) as a type with an empty path',
      '${self:auth.token}',
      [{ raw: '${self:auth.token}', type: 'self:auth.token', path: '' }],
    ],
    ['$ not followed by a bracket is literal', 'price $5 and $filter=x', []],
    ['an unterminated ${ is literal', 'a ${self::x', []],
    [
      'a reference after an unterminated one',
      '${a ${self::x}',
      [{ raw: '${self::x}', type: 'self', path: 'x' }],
    ],
    ['plain text', 'no references here', []],
  ])('%s', (_name, text, expected) => {
    expect(findReferences(text)).toStrictEqual(expected);
  });

  test('exports the four reference types', () => {
    expect(REFERENCE_TYPES).toEqual(['self', 'secret', 'last', 'extracted_item']);
  });
});

describe('resolveString', () => {
  test.each<[string, string, unknown]>([
    ['interpolates into text (seed header)', 'Bearer ${self::auth.access_token}', 'Bearer tok123'],
    ['interpolates the $(…) form', 'Zoho-oauthtoken $(self::auth.access_token)', 'Zoho-oauthtoken tok123'],
    ['interpolates several references', '${secret::client_id}:${secret::zoho_refresh_token}', 'cid:r3fr3sh'],
    ['a whole-string reference to a string', '${secret::client_id}', 'cid'],
    ['a whole-string reference keeps a number a number', '${last::id}', 42],
    ['a whole-string $(…) reference keeps a number a number', '$(last::id, 1)', 42],
    ['a whole-string reference keeps an object an object', '${last::owner}', { id: 7 }],
    ['a whole-string reference keeps an array an array', '${last::tags}', ['a', 'b']],
    ['a whole-string reference to null gives null', '${last::gone}', null],
    ['a number is interpolated as text', 'id=${last::id}', 'id=42'],
    ['an object is interpolated as JSON text', 'owner=${last::owner}', 'owner={"id":7}'],
    ['an array is interpolated as JSON text', 'tags=${last::tags}', 'tags=["a","b"]'],
    ['null is interpolated as empty text', 'x=${last::gone}.', 'x=.'],
    [
      'a missing whole-string value uses a numeric default as a number (seed start_from)',
      '$(last::missing, 1)',
      1,
    ],
    [
      'a missing value uses a text default (seed If-Modified-Since)',
      '${last::missing, 2020-09-03T17:40:53-05:00}',
      '2020-09-03T17:40:53-05:00',
    ],
    ['a default with commas keeps them', '${secret::x, a,b}', 'a,b'],
    ['a default of true becomes a boolean', '${last::missing, true}', true],
    ['a default of null becomes null', '${last::missing, null}', null],
    ['a default with a leading zero stays text', '${last::missing, 007}', '007'],
    ['a negative decimal default becomes a number', '${last::missing, -1.5}', -1.5],
    ['an empty default gives the empty string', '${last::missing,}', ''],
    ['a default interpolated in text stays text', 'page=$(last::missing, 1)', 'page=1'],
    ['the present value wins over the default', '${self::auth.access_token, fallback}', 'tok123'],
    ['extracted_item references resolve', '/items/${extracted_item::id}', '/items/item-9'],
    ['surrounding spaces make it interpolation, not a whole reference', ' ${last::id}', ' 42'],
    ['literal $ text is kept', 'cost $5 ${last::id}', 'cost $5 42'],
    ['a string without references is returned as is', 'plain', 'plain'],
  ])('%s', (_name, text, expected) => {
    expect(resolveString(text, lookup)).toStrictEqual(expected);
  });

  test.each<[string, string, string]>([
    ['${…}', '${last::id}', 'reference ${last::id} has no value and no default'],
    ['$(…)', 'Bearer $(secret::token)', 'reference $(secret::token) has no value and no default'],
  ])('a missing value without default in %s form fails naming the reference', (_form, text, message) => {
    const error = thrownBy(() => resolveString(text, () => undefined));
    expect(error).toBeInstanceOf(ReferenceResolutionError);
    expect((error as ReferenceResolutionError).message).toBe(message);
    expect((error as ReferenceResolutionError).reference).toBe(message.split(' ')[1]);
  });

  test('an unknown type fails at resolve time, even with a default', () => {
    expect(() => resolveString('${env::HOME, /root}', lookup)).toThrow(
      new ReferenceResolutionError(
        'reference ${env::HOME, /root} has unknown type "env" (valid: self, secret, last, extracted_item)',
      ),
    );
  });

  test('passes the type and the trimmed path to the lookup', () => {
    const calls: Array<[ReferenceType, string]> = [];
    resolveString('${ secret :: a.b , d }', (type, path) => {
      calls.push([type, path]);
      return 'v';
    });
    expect(calls).toEqual([['secret', 'a.b']]);
  });
});

describe('resolveDeep', () => {
  test('resolves every nested string, keeps key order and non-string values', () => {
    const endpoint = {
      url: 'https://api.example.com/items/${extracted_item::id}',
      method: 'GET',
      headers: {
        Authorization: 'Bearer ${self::auth.access_token}',
        'If-Modified-Since': '${last::Modified_Time, 2020-09-03T17:40:53-05:00}',
      },
      query_params: { page: '$(last::id, 1)', size: 100, flags: ['${secret::client_id}', true, null] },
    };
    const resolved = resolveDeep(endpoint, lookup);
    expect(resolved).toStrictEqual({
      url: 'https://api.example.com/items/item-9',
      method: 'GET',
      headers: { Authorization: 'Bearer tok123', 'If-Modified-Since': '2021-01-01T00:00:00-05:00' },
      query_params: { page: 42, size: 100, flags: ['cid', true, null] },
    });
    expect(Object.keys(resolved)).toEqual(['url', 'method', 'headers', 'query_params']);
    expect(Object.keys(resolved.headers)).toEqual(['Authorization', 'If-Modified-Since']);
  });

  test('returns a new structure and leaves the input untouched', () => {
    const input = { a: { b: '${last::id}' } };
    const resolved = resolveDeep(input, lookup);
    expect(resolved).not.toBe(input);
    expect(input).toEqual({ a: { b: '${last::id}' } });
  });

  test('does not resolve references in keys', () => {
    expect(resolveDeep({ '${last::id}': 'x' }, lookup)).toEqual({ '${last::id}': 'x' });
  });

  test('resolves a bare string and leaves non-strings alone', () => {
    expect(resolveDeep('${last::id}', lookup)).toBe(42);
    expect(resolveDeep(7, lookup)).toBe(7);
    expect(resolveDeep(null, lookup)).toBeNull();
  });
});

describe('collectReferences', () => {
  test('lists every reference in nested values with its location', () => {
    const config = {
      auth: { refresh_token: { endpoint: { body: { client_id: '${secret::client_id}' } } } },
      extractions: [
        {
          endpoint: { headers: { Authorization: 'Bearer ${self::auth.access_token}', Accept: 'json' } },
          pagination: { parameters: { start_from: '$(last::id, 1)' } },
        },
      ],
      items: ['${last::a} ${last::b}'],
      '${secret::in_key}': 'no',
    };
    expect(collectReferences(config)).toEqual([
      {
        raw: '${secret::client_id}',
        type: 'secret',
        path: 'client_id',
        location: 'auth.refresh_token.endpoint.body.client_id',
      },
      {
        raw: '${self::auth.access_token}',
        type: 'self',
        path: 'auth.access_token',
        location: 'extractions[0].endpoint.headers.Authorization',
      },
      {
        raw: '$(last::id, 1)',
        type: 'last',
        path: 'id',
        defaultValue: '1',
        location: 'extractions[0].pagination.parameters.start_from',
      },
      { raw: '${last::a}', type: 'last', path: 'a', location: 'items[0]' },
      { raw: '${last::b}', type: 'last', path: 'b', location: 'items[0]' },
    ]);
  });

  test('a string passed directly has an empty location', () => {
    expect(collectReferences('${last::id}')).toEqual([
      { raw: '${last::id}', type: 'last', path: 'id', location: '' },
    ]);
  });
});

describe('hasReferences', () => {
  test.each<[string, unknown, boolean]>([
    ['a string with a reference', 'Bearer ${self::auth.access_token}', true],
    ['a nested object with a reference', { a: [{ b: '$(last::id)' }] }, true],
    ['text with a literal $', 'cost $5', false],
    ['an object without references', { a: ['x', 1, null] }, false],
    ['a reference only in a key', { '${last::id}': 1 }, false],
    ['a number', 3, false],
  ])('%s → %s', (_name, value, expected) => {
    expect(hasReferences(value)).toBe(expected);
  });
});

describe('the scan is linear in the text (work counted, not timed)', () => {
  // Each input is built so a rescan per `$` would be quadratic: nothing ever closes.
  test.each<[string, (size: number) => string]>([
    ['repeated unclosed ${self::', (n) => '${self::'.repeat(n / 8)],
    ['repeated unclosed $(last::', (n) => '$(last::'.repeat(n / 8)],
    ['nested openers closed once at the end', (n) => '${a, '.repeat(n / 5) + '}'],
    ['unclosed openers around many closed references', (n) => '${x ${self::a}'.repeat(n / 14)],
  ])('%s: 400 KB costs about twice 200 KB', (_name, input) => {
    expect(doublingRatio(findReferences, input, 200_000)).toBeLessThanOrEqual(2.5);
    expect(doublingRatio((text) => resolveString(text, lookup), input, 200_000)).toBeLessThanOrEqual(2.5);
  });

  test('400 KB of unclosed ${self:: is literal text', () => {
    const text = '${self::'.repeat(50_000);
    expect(findReferences(text)).toEqual([]);
    expect(resolveString(text, lookup)).toBe(text);
  });
});
