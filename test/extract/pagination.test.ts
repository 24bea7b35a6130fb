/**
 * The Link header parser of `header_link` pagination: RFC 8288 forms, and linear work
 * on hostile upstream headers (counted, not timed).
 */
import { nextFromLinkHeader } from '../../shared/extract/pagination';
import { doublingRatio } from '../support/workMeter';

describe('nextFromLinkHeader', () => {
  test.each<[string, string | string[] | undefined, string | undefined]>([
    ['next with a quoted rel', '<https://a.example/p?page=2>; rel="next"', 'https://a.example/p?page=2'],
    ['next with an unquoted rel', '<https://a.example/2>; rel=next', 'https://a.example/2'],
    [
      'next among other links',
      '<https://a.example/1>; rel="first", <https://a.example/3>; rel="next", <https://a.example/9>; rel="last"',
      'https://a.example/3',
    ],
    ['rel in any case, spaces around =', '<https://a.example/2> ; REL = "Next"', 'https://a.example/2'],
    ['a list of relation types', '<https://a.example/2>; rel="prefetch next"', 'https://a.example/2'],
    [
      'a comma inside a quoted param ends the link',
      '<https://a.example/2>; title="page, two"; rel="next"',
      undefined,
    ],
    [
      'other params before rel, no comma',
      '<https://a.example/2>; type="text/html"; rel="next"',
      'https://a.example/2',
    ],
    ['only the first rel counts', '<https://a.example/2>; rel="prev"; rel="next"', undefined],
    ['no next', '<https://a.example/1>; rel="prev"', undefined],
    ['a word that contains next is not next', '<https://a.example/1>; rel="nextpage"', undefined],
    [
      'several header lines',
      ['<https://a.example/1>; rel="prev"', '<https://a.example/2>; rel="next"'],
      'https://a.example/2',
    ],
    ['no header', undefined, undefined],
    ['an empty header', '', undefined],
    ['a < without >', '<https://a.example/2; rel="next"', undefined],
  ])('%s', (_name, header, expected) => {
    expect(nextFromLinkHeader(header)).toBe(expected);
  });
});

describe('work is linear in the header', () => {
  test.each<[string, (size: number) => string]>([
    ['many < without >', (n) => '<'.repeat(n)],
    ['many links without rel', (n) => '<a>; x=y, '.repeat(n / 10)],
    ['many rel params with an unclosed quote', (n) => '<a>; rel="x, '.repeat(n / 13)],
    ['one link with many params', (n) => '<a>' + '; p=q'.repeat(n / 5)],
  ])('%s: 32 KB costs about twice 16 KB', (_name, input) => {
    expect(doublingRatio(nextFromLinkHeader, input, 16_000)).toBeLessThanOrEqual(2.5);
  });
});
