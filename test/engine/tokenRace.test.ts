/**
 * Two workers of one run refreshing at the same moment, against a token endpoint
 * that revokes the previous token: the retry made with the revoked token gets a 401,
 * and the newer token the other worker stored is adopted for one last try.
 */
import { MemoryTokenStore } from '../../shared/adapters/local/state';
import { parseConfig } from '../../shared/core/config/validate';
import { AuthenticatedClient } from '../../shared/extract/auth';
import { HttpTransport } from '../../shared/extract/http';
import { startServer } from '../support/engineHarness';
import { makeTokenManager } from '../support/tokens';

test('a retry rejected because another worker refreshed adopts that worker’s stored token', async () => {
  const store = new MemoryTokenStore();
  let valid = 'tok-1';
  let issued = 1;
  const seen: string[] = [];
  let raced = false;
  const server = await startServer(async (req, url) => {
    if (url.pathname === '/token') {
      valid = `tok-${++issued}`;
      return { body: { access_token: valid } };
    }
    const token = String(req.headers.authorization).replace('Bearer ', '');
    seen.push(token);
    if (token === 'tok-2' && !raced) {
      // The other worker refreshed at the same moment: tok-2 is revoked, its tok-3 stored.
      raced = true;
      valid = 'tok-3';
      await store.put('run-1', { accessToken: 'tok-3' });
    }
    if (token === valid) return { body: { ok: true } };
    return { status: 401, body: { error: 'invalid token' } };
  });
  const transport = new HttpTransport({ connectTimeoutMs: 1000 });
  try {
    const config = parseConfig({
      name: 'race',
      auth: { access_token: '', refresh_token: { endpoint: { url: `${server.url}/token` } } },
      extractions: [{ name: 'x', endpoint: { url: `${server.url}/data` } }],
    });
    const { tokens, client } = makeTokenManager(config, transport, { store });
    await store.put('run-1', { accessToken: 'tok-1' });
    await tokens.resume();
    valid = 'tok-0'; // tok-1 expired: the next request gets a 401 and this worker refreshes (tok-2)
    const authed = new AuthenticatedClient(client, tokens);
    const res = await authed.send(() => ({
      method: 'GET',
      url: `${server.url}/data`,
      headers: { authorization: `Bearer ${tokens.current()}` },
    }));
    expect(res.status).toBe(200);
    expect(seen).toEqual(['tok-1', 'tok-2', 'tok-3']);
    expect(tokens.current()).toBe('tok-3');
  } finally {
    await transport.close();
    await server.close();
  }
});
