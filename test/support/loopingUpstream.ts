/** An upstream whose pagination loops, for the link/cursor loop tests. */
import type { Handler } from './engineHarness';

/** Link and cursor loops: page 1 -> 2 -> 1…, a link to itself, a cursor that repeats. */
export const loopingUpstream: Handler = (_req, url) => {
  const page = Number(url.searchParams.get('page') ?? '1');
  if (url.pathname === '/pingpong')
    return { body: { results: [{ id: page }], next: `/pingpong?page=${page === 1 ? 2 : 1}` } };
  if (url.pathname === '/self') return { body: { results: [{ id: 1 }], next: `/self?page=1` } };
  if (url.pathname === '/header')
    return {
      body: [{ id: page }],
      headers: { link: `</header?page=${page === 3 ? 2 : page + 1}>; rel="next"` },
    };
  // /cursor: a first page, then the same cursor for ever.
  return { body: { results: [{ id: 1 }], next_cursor: 'again' } };
};
