/**
 * Rendering an endpoint resolves the references of every string in it; the work is
 * linear in the text however the references are written (counted, not timed).
 */
import { renderEndpoint } from '../../shared/extract/render';
import type { ReferenceLookup } from '../../shared/core/references';
import { doublingRatio } from '../support/workMeter';
import { SecretScope } from '../../shared/core/secretOrigins';
import type { ApiConfig } from '../../shared/core/config/types';

const lookup: ReferenceLookup = (type, path) => (type === 'self' && path === 'id' ? 7 : undefined);
/** No secrets anywhere: the scope lets every request through. */
const noSecrets = new SecretScope({ auth: {}, extractions: [] } as unknown as ApiConfig, {}, []);
const options = {
  defaultMethod: 'GET',
  defaultBodyEncoding: 'json',
  scope: noSecrets,
  at: 'endpoint',
} as const;

test('references are resolved in the URL, query, headers and body', () => {
  const request = renderEndpoint(
    {
      url: 'http://127.0.0.1/items/${self::id}',
      query_params: { q: '$(self::id)' },
      headers: { 'X-Id': 'id ${self::id}' },
      body: { id: '${self::id}' },
    },
    lookup,
    options,
  );
  expect(request).toEqual({
    method: 'GET',
    url: 'http://127.0.0.1/items/7?q=7',
    headers: { 'X-Id': 'id 7', 'content-type': 'application/json' },
    body: '{"id":7}',
  });
});

test.each<[string, number, (size: number) => string]>([
  ['unclosed ${self:: in every string', 200_000, (n) => '${self::'.repeat(n / 8)],
  ['many closed references among unclosed ones', 50_000, (n) => '${ $(self::id)'.repeat(n / 14)],
])('%s: %i characters cost about half of twice as many', (_name, size, text) => {
  const render = (t: string) =>
    renderEndpoint(
      { url: 'http://127.0.0.1/' + t, query_params: { q: t }, headers: { H: t }, body: t },
      lookup,
      options,
    );
  expect(doublingRatio(render, text, size)).toBeLessThanOrEqual(2.5);
});
