/** The nesting pre-check of response bodies: strings (escapes included) never count as nesting. */
import fc from 'fast-check';
import type { ApiConfig, Extraction } from '../../shared/core/config/types';
import { SecretScope } from '../../shared/core/secretOrigins';
import type { AuthenticatedClient } from '../../shared/extract/auth';
import type { HttpResponse } from '../../shared/extract/http';
import {
  jsonNestsDeeperThan,
  MAX_JSON_DEPTH,
  PageFetcher,
  parseJsonBody,
  valueNestsDeeperThan,
} from '../../shared/extract/pageFetcher';

const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

test.each<[string, string, number, boolean]>([
  ['exactly the limit', nested(5), 5, false],
  ['one level past it', nested(6), 5, true],
  ['objects and arrays alike', '{"a":[{"b":[{"c":1}]}]}', 5, false],
  ['objects and arrays alike, past it', '{"a":[{"b":[{"c":[1]}]}]}', 5, true],
  ['brackets inside a string', '["[[[[[[[[", "{{{{{{"]', 1, false],
  ['an escaped quote does not end the string', '["a\\"[[[[[[", 1]', 1, false],
  ['an escaped backslash does end it', '["a\\\\", [[[1]]]]', 3, true],
  ['three backslashes then a quote: still inside', '["x\\\\\\"[[[[", 2]', 1, false],
  ['an unterminated string is left to JSON.parse', '["abc', 1, false],
  ['siblings do not add up', '[[1],[2],[3],[4]]', 2, false],
])('%s', (_name, text, max, deeper) => {
  expect(jsonNestsDeeperThan(text, max)).toBe(deeper);
});

test('agrees with a character-by-character scan on generated bodies', () => {
  const reference = (text: string, max: number): boolean => {
    let depth = 0;
    let inString = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '[' || c === '{') {
        if (++depth > max) return true;
      } else if (c === ']' || c === '}') depth--;
    }
    return false;
  };
  const pieces = ['[', ']', '{"k":', '}', '"s"', '"\\\\"', '"\\""', '"[{"', '1', ','];
  let seed = 7;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  for (let n = 0; n < 500; n++) {
    let text = '';
    for (let k = next() % 60; k > 0; k--) text += pieces[next() % pieces.length];
    expect([text, jsonNestsDeeperThan(text, 3)]).toEqual([text, reference(text, 3)]);
  }
});

/**
 * A page is handed to the output with its parsed records; its raw text is not kept with
 * it, so a body is garbage as soon as it is parsed (held while its rows are mapped and
 * written, it outlived a young-generation collection and filled the old generation).
 */
describe('PageFetcher views', () => {
  const config = {
    auth: {},
    extractions: [{ name: 'x', endpoint: { url: 'https://api.example/items' }, data_key: 'data' }],
  } as unknown as ApiConfig;
  const extraction = {
    ...config.extractions[0]!,
    endpoint: { url: 'https://api.example/items' },
  } as Extraction;
  const fetcherFor = (body: string): PageFetcher => {
    const client = {
      send: async (): Promise<HttpResponse> => ({
        status: 200,
        headers: {},
        body,
        url: 'https://api.example/items',
        release: () => undefined,
      }),
    } as unknown as AuthenticatedClient;
    return new PageFetcher(extraction, client, () => undefined, new SecretScope(config, {}, []), 0);
  };
  const cursor = { index: 0 };

  test('keep the records, not the body text', async () => {
    const text = JSON.stringify({ data: [{ id: 1 }, { id: 2 }], info: { more: false } });
    const page = await fetcherFor(text).fetch(cursor);
    expect(page.records).toEqual([{ id: 1 }, { id: 2 }]);
    expect(JSON.stringify(page)).not.toContain(JSON.stringify(text));
    expect(Object.values(page)).not.toContain(text);
    expect(page.blankBody).toBe(false);
  });

  test.each([
    ['no bytes', ''],
    ['only whitespace', ' \n '],
  ])('say a body of %s is blank', async (_name, text) => {
    const page = await fetcherFor(text).fetch(cursor);
    expect(page.blankBody).toBe(true);
    expect(page.records).toEqual([]);
  });
});

describe('the parsed-value depth check and parseJsonBody', () => {
  test('valueNestsDeeperThan agrees with jsonNestsDeeperThan on the text of any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 8 }), (value, max) => {
        const text = JSON.stringify(value);
        expect(valueNestsDeeperThan(JSON.parse(text), max)).toBe(jsonNestsDeeperThan(text, max));
      }),
      { numRuns: 500 },
    );
  });

  test('a value nested far past the limit is walked without recursion', () => {
    expect(valueNestsDeeperThan(JSON.parse(nested(200_000)), MAX_JSON_DEPTH)).toBe(true);
    expect(valueNestsDeeperThan(JSON.parse(nested(MAX_JSON_DEPTH)), MAX_JSON_DEPTH)).toBe(false);
  });

  const deepError = 'response from http://x/ nests JSON deeper than 1000 levels; such a body is refused';
  test.each([false, true])('keepOrder %s: a deep body is refused, valid or not', (keepOrder) => {
    const deep = nested(100_000);
    for (const text of [deep, deep.slice(0, -1), `${deep}x`]) {
      expect(() => parseJsonBody(text, 'http://x/', 200, keepOrder)).toThrow(
        expect.objectContaining({ name: 'HttpRequestError', message: deepError, status: 200 }),
      );
    }
    expect(parseJsonBody(nested(MAX_JSON_DEPTH), 'http://x/', 200, keepOrder)).toHaveLength(1);
  });

  test.each([false, true])('keepOrder %s: a shallow body that is not JSON says so', (keepOrder) => {
    expect(() => parseJsonBody('[[1]', 'http://x/', 502, keepOrder)).toThrow(
      expect.objectContaining({
        name: 'HttpRequestError',
        message: 'response from http://x/ is not JSON (HTTP 502): [[1]',
        status: 502,
      }),
    );
    expect(parseJsonBody('  ', 'http://x/', 200, keepOrder)).toBeUndefined();
  });
});
