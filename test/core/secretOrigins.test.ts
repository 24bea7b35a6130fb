/** The pure rules of secrets bound to origins: origins as written, literal origins of URL templates, taint through the access token. */
import { parseConfig } from '../../shared/core/config/validate';
import {
  carolEndpoint,
  literalOrigin,
  parseOrigin,
  SecretScope,
  splitSecretDocument,
} from '../../shared/core/secretOrigins';

test.each([
  ['https://api.example.com', 'https://api.example.com'],
  ['HTTPS://API.Example.COM:443/', 'https://api.example.com'],
  ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
  ['http://[::1]:80', 'http://[::1]'],
])('parseOrigin(%s) is %s', (text, origin) => {
  expect(parseOrigin(text)).toEqual({ ok: true, origin });
});

const ORIGIN_ONLY = 'must be an origin only (scheme://host:port), without path, query or fragment';
test.each([
  ['https://api.example.com/v1', ORIGIN_ONLY],
  ['https://api.example.com/?', ORIGIN_ONLY],
  ['https://a.example.com#x', ORIGIN_ONLY],
  ['file:///etc', 'must use http or https'],
  ['https://user:pw@api.example.com', 'must not hold a user or password'],
  ['x', 'must be an absolute URL such as https://api.example.com'],
])('parseOrigin refuses %s: %s', (text, reason) => {
  expect(parseOrigin(text)).toEqual({ ok: false, reason });
});

test.each([
  ['https://api.example.com/v1/${secret::x}', 'https://api.example.com'],
  ['https://api.example.com?k=${secret::x}', 'https://api.example.com'],
  ['https://api.example.com', 'https://api.example.com'],
  ['http://127.0.0.1:9/a', 'http://127.0.0.1:9'],
  ['${secret::base}/x', undefined],
  ['https://${self::host}/x', undefined],
  ['https://api.example.com${self::path}', undefined],
  ['https://api.example.com:${self::port}/x', undefined],
  ['https://${secret::user}@api.example.com/x', undefined],
  ['https://user:pw@api.example.com/x', undefined],
])('the literal origin of %s is %s', (url, origin) => {
  expect(literalOrigin(url)).toBe(origin);
});

test('a document written by the original tool (values only) has every secret unbound', () => {
  expect(splitSecretDocument({ a: 'x', b: { k: 1 } })).toEqual({
    values: { a: 'x', b: { k: 1 } },
    bindings: {},
  });
  expect(
    splitSecretDocument({
      a: 'x',
      '@origins': { a: ['https://a.example.com'], gone: ['https://g.example.com'] },
    }),
  ).toEqual({ values: { a: 'x' }, bindings: { a: ['https://a.example.com'] } });
});

test('the access token carries the secrets it is made from, refresh endpoint included', () => {
  const config = parseConfig({
    name: 'c',
    auth: {
      refresh_token: {
        endpoint: { url: 'https://accounts.example.com/token', body: { refresh_token: '${secret::rt}' } },
      },
    },
    extractions: [
      {
        name: 'e',
        endpoint: {
          url: 'https://data.example.com/items',
          headers: { Authorization: 'Bearer ${self::auth.access_token}' },
        },
      },
    ],
  });
  const only = new SecretScope(config, { rt: ['https://accounts.example.com'] }, ['rt']);
  expect(only.issues()).toEqual([
    {
      path: 'extractions[0].endpoint.headers.Authorization (the access token)',
      message:
        'sends secret "rt" to https://data.example.com; it may only be sent to https://accounts.example.com',
    },
  ]);
  const both = new SecretScope(config, { rt: ['https://accounts.example.com', 'https://data.example.com'] }, [
    'rt',
  ]);
  expect(both.issues()).toEqual([]);
  // Unbound: allowed to the origins the config names, which first use then binds.
  const unbound = new SecretScope(config, {}, ['rt']);
  expect(unbound.issues()).toEqual([]);
  expect(unbound.unboundInUse()).toEqual({
    rt: ['https://accounts.example.com', 'https://data.example.com'],
  });
  expect(() => unbound.assertRequest(config.extractions[0]!.endpoint, 'https://evil.example.com/x')).toThrow(
    'request to https://evil.example.com refused: it carries secret "rt"; it may only be sent to https://accounts.example.com, https://data.example.com',
  );
});

test('secrets named like Object.prototype members are ordinary secrets', () => {
  const document: Record<string, unknown> = JSON.parse('{"constructor":"c-value","__proto__":"p-value"}');
  const { values, bindings } = splitSecretDocument(document);
  expect(Object.keys(values)).toEqual(['constructor', '__proto__']);
  expect(bindings).toEqual({});
  const config = parseConfig({
    name: 'c',
    extractions: [
      { name: 'e', endpoint: { url: 'https://a.example.com/x', headers: { A: '${secret::constructor}' } } },
    ],
  });
  const scope = new SecretScope(config, bindings, Object.keys(values));
  expect(scope.issues()).toEqual([]);
  expect(scope.unboundInUse()).toEqual({ constructor: ['https://a.example.com'] });
  expect(() => scope.assertRequest(config.extractions[0]!.endpoint, 'https://b.example.com/x')).toThrow(
    'secret "constructor"',
  );
});

test('a URL that can never be requested ({domain}/auth, as the original tool stores it) sends no secret: no issue, nothing bound; one a reference decides is refused', () => {
  const configWith = (url: string) =>
    parseConfig({
      name: 'c',
      extractions: [{ name: 'e', endpoint: { url, query_params: { secret: '${secret::base_secret}' } } }],
    });
  const placeholder = new SecretScope(configWith('{domain}/auth'), {}, ['base_secret']);
  expect(placeholder.issues()).toEqual([]);
  expect(placeholder.unboundInUse()).toEqual({});
  const decided = new SecretScope(configWith('${self::domain}/auth'), {}, ['base_secret']);
  expect(decided.issues()).toEqual([
    expect.objectContaining({ path: 'extractions[0].endpoint.query_params.secret' }),
  ]);
});

describe('a Carol destination carries its secrets to its own origin only', () => {
  const config = parseConfig({
    name: 'c',
    extractions: [
      {
        name: 'deals',
        endpoint: { url: 'https://api.example.com/deals' },
        carol_destiny: {
          url: 'https://myorg.carol.ai/prefix',
          connector_id: '${secret::conn}',
          table: 'deals',
          auth: { type: 'connector_token', api_key: '${secret::carol_key}' },
          crosswalk: ['id'],
        },
      },
    ],
  });
  const destiny = config.extractions[0]!.carol_destiny!;

  test('an unbound secret may go to Carol; any other origin is refused before the request', () => {
    const scope = new SecretScope(config, {}, ['conn', 'carol_key']);
    expect(scope.issues()).toEqual([]);
    expect(scope.unboundInUse()).toEqual({
      conn: ['https://myorg.carol.ai'],
      carol_key: ['https://myorg.carol.ai'],
    });
    expect(() =>
      scope.assertRequest(carolEndpoint(destiny), 'https://myorg.carol.ai/prefix/api/v1/x'),
    ).not.toThrow();
    expect(() => scope.assertRequest(carolEndpoint(destiny), 'https://evil.example.com/api')).toThrow(
      /request to https:\/\/evil\.example\.com refused: it carries secret "conn"/,
    );
  });

  test('a secret bound elsewhere, or missing, is an issue naming the field', () => {
    const scope = new SecretScope(config, { carol_key: ['https://api.example.com'] }, ['carol_key']);
    expect(scope.issues()).toEqual([
      {
        path: 'extractions[0].carol_destiny.connector_id',
        message: expect.stringMatching(/reads secret "conn", which does not exist/),
      },
      {
        path: 'extractions[0].carol_destiny.auth.api_key',
        message:
          'sends secret "carol_key" to https://myorg.carol.ai; it may only be sent to https://api.example.com',
      },
    ]);
  });
});
