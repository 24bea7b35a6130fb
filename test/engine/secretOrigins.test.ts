/**
 * Secrets bound to origins, at run time: a request built from an endpoint that
 * carries a secret goes only to an origin the secret may reach, whatever the
 * upstream says next (a next link, a Link header, a redirect). Two real servers on
 * 127.0.0.1 with different ports are two origins.
 */
import { type Harness, makeHarness, startServer } from '../support/engineHarness';

const TOKEN = 'run-time-secret-value-4242';

type Server = Awaited<ReturnType<typeof startServer>>;
let h: Harness;
let a: Server;
let b: Server;
/** What A answers for /items (page 1); page 2 is always an empty list. */
let firstPage: { status?: number; headers?: Record<string, string>; body?: unknown };
/** Every X-Token value B saw. */
const tokensAtB: string[] = [];

beforeAll(async () => {
  a = await startServer((_req, url) =>
    url.pathname === '/items' ? firstPage : { body: { data: [], next: null } },
  );
  b = await startServer((req) => {
    tokensAtB.push(String(req.headers['x-token'] ?? ''));
    return { body: { data: [{ id: 'from-b' }], next: null } };
  });
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});
beforeEach(async () => {
  h = await makeHarness();
  a.requests.length = 0;
  b.requests.length = 0;
  tokensAtB.length = 0;
});
afterEach(() => h.close());

const origin = (url: string): string => new URL(url).origin;

function config(pagination: Record<string, unknown>, url = `${a.url}/items`): unknown {
  return {
    name: 'scoped',
    extractions: [
      {
        name: 'items',
        format: 'json',
        data_key: 'data',
        endpoint: { url, headers: { 'X-Token': '${secret::tok}' } },
        pagination,
      },
    ],
  };
}

const bound = (): Record<string, unknown> => ({ tok: TOKEN, '@origins': { tok: [origin(a.url)] } });

async function runFails(cfg: unknown): Promise<string> {
  const report = await h.run(cfg);
  const [log] = report.logs;
  expect(log!.success).toBe('false');
  expect(log!.error).not.toContain(TOKEN);
  return log!.error ?? '';
}

const refusal = (): string =>
  `request to ${origin(b.url)} refused: it carries secret "tok"; it may only be sent to ${origin(a.url)}`;

test.each([
  [
    'a next link in the body',
    () => ({ body: { data: [{ id: 1 }], next: `${b.url}/page2` } }),
    { type: 'link', parameters: { next_link: 'next' } },
  ],
  [
    'a Link header',
    () => ({ headers: { link: `<${b.url}/page2>; rel="next"` }, body: { data: [{ id: 1 }] } }),
    { type: 'header_link' },
  ],
])('%s pointing at another origin is refused before the request is sent', async (_w, page, pagination) => {
  await h.setSecrets(bound());
  firstPage = page();
  expect(await runFails(config(pagination))).toContain(refusal());
  expect(b.requests).toHaveLength(0);
});

test('a secret written with a value only is held, at run time, to the origins the config names', async () => {
  await h.setSecrets({ tok: TOKEN });
  firstPage = { body: { data: [{ id: 1 }], next: `${b.url}/page2` } };
  expect(await runFails(config({ type: 'link', parameters: { next_link: 'next' } }))).toContain(refusal());
  expect(b.requests).toHaveLength(0);
});

test('a next link on the same origin is followed', async () => {
  await h.setSecrets(bound());
  firstPage = { body: { data: [{ id: 1 }], next: '/page2' } };
  const report = await h.run(config({ type: 'link', parameters: { next_link: 'next' } }));
  expect(report.logs[0]!.success).toBe('true');
  expect(a.requests.map((u) => u.pathname)).toEqual(['/items', '/page2']);
});

test('a redirect to another origin is not followed: the secret never reaches it', async () => {
  await h.setSecrets(bound());
  firstPage = { status: 302, headers: { location: `${b.url}/stolen` }, body: '' };
  const error = await runFails(config({ type: 'none' }));
  expect(error).toMatch(/HTTP 302/);
  expect(b.requests).toHaveLength(0);
});

test('a config that sends a bound secret elsewhere fails at start, before any request', async () => {
  await h.setSecrets(bound());
  const error = await runFails(config({ type: 'none' }, `${b.url}/items`));
  expect(error).toContain(`sends secret "tok" to ${origin(b.url)}; it may only be sent to ${origin(a.url)}`);
  expect(b.requests).toHaveLength(0);
  expect(a.requests).toHaveLength(0);
});

test('the bindings entry is neither a secret a config can read nor masked in logs', async () => {
  await h.setSecrets(bound());
  firstPage = { body: { data: [{ id: 1 }] } };
  const cfg = config({ type: 'none' }) as { extractions: Array<{ endpoint: Record<string, unknown> }> };
  cfg.extractions[0]!.endpoint.query_params = { o: '${secret::@origins, none}' };
  const report = await h.run(cfg);
  expect(report.logs[0]!.success).toBe('true');
  expect(a.requests[0]!.searchParams.get('o')).toBe('none');
});
