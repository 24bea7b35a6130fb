/**
 * `auth.refresh_token.refresh_grant`: after the endpoint's own grant, refreshes use
 * `grant_type=refresh_token` (RFC 6749 section 6) against the same URL and headers,
 * form-encoded, with the client credentials of the endpoint's body; a refresh token
 * that looks like a reference is sent as is, never resolved.
 */
import { parseConfig } from '../../shared/core/config/validate';
import type { Redactor } from '../../shared/core/redact';
import type { TokenManager } from '../../shared/extract/auth';
import { HttpTransport } from '../../shared/extract/http';
import { startServer } from '../support/engineHarness';
import { makeTokenManager } from '../support/tokens';

interface Seen {
  contentType: string;
  authorization: string;
  query: string;
  form: Record<string, string>;
}

async function withTokenEndpoint(
  body: unknown,
  refreshToken: string | undefined,
  run: (tokens: TokenManager, seen: Seen[], redactor: Redactor) => Promise<void>,
): Promise<void> {
  const seen: Seen[] = [];
  let issued = 0;
  const server = await startServer((req, url, text) => {
    seen.push({
      contentType: String(req.headers['content-type']),
      authorization: String(req.headers.authorization),
      query: url.search,
      form: String(req.headers['content-type']).startsWith('application/json')
        ? (JSON.parse(text) as Record<string, string>)
        : Object.fromEntries(new URLSearchParams(text)),
    });
    issued++;
    return {
      body: { access_token: `tok-${issued}`, ...(refreshToken ? { refresh_token: refreshToken } : {}) },
    };
  });
  const transport = new HttpTransport({ connectTimeoutMs: 1000 });
  try {
    const config = parseConfig({
      name: 'grant',
      auth: {
        refresh_token: {
          endpoint: {
            url: `${server.url}/token`,
            query_params: { realm: 'r1' },
            headers: { Authorization: 'Basic Y2xpZW50', 'Content-Type': 'application/json' },
            body,
          },
          refresh_grant: true,
        },
      },
      extractions: [{ name: 'x', endpoint: { url: `${server.url}/data` } }],
    });
    const { tokens, redactor } = makeTokenManager(config, transport, { secrets: { pw: 'pw-secret' } });
    await run(tokens, seen, redactor);
  } finally {
    await transport.close();
    await server.close();
  }
}

test('the refresh grant keeps URL, query and headers, form-encodes, and carries the client credentials', async () => {
  const body = {
    grant_type: 'password',
    username: 'u',
    password: '${secret::pw}',
    client_id: 'cid',
    client_secret: 'cs',
  };
  await withTokenEndpoint(body, 'rt-1', async (tokens, seen, redactor) => {
    await tokens.start();
    expect(await tokens.recoverFrom401('tok-1')).toBe(true);
    expect(tokens.current()).toBe('tok-2');
    expect(seen[0]!.form).toEqual({ ...body, password: 'pw-secret' });
    expect(seen[0]!.contentType).toBe('application/json');
    expect(seen[1]).toEqual({
      contentType: 'application/x-www-form-urlencoded',
      authorization: 'Basic Y2xpZW50',
      query: '?realm=r1',
      form: { grant_type: 'refresh_token', refresh_token: 'rt-1', client_id: 'cid', client_secret: 'cs' },
    });
    expect(redactor.redact('x rt-1 y')).not.toContain('rt-1');
  });
});

test('a refresh token that looks like a reference is sent as is', async () => {
  await withTokenEndpoint({ grant_type: 'password' }, '${secret::pw}', async (tokens, seen) => {
    await tokens.start();
    await tokens.recoverFrom401('tok-1');
    expect(seen[1]!.form).toEqual({ grant_type: 'refresh_token', refresh_token: '${secret::pw}' });
  });
});

test('without a refresh token in the response, refreshes repeat the endpoint', async () => {
  await withTokenEndpoint({ grant_type: 'password' }, undefined, async (tokens, seen) => {
    await tokens.start();
    await tokens.recoverFrom401('tok-1');
    expect(seen.map((s) => s.form.grant_type)).toEqual(['password', 'password']);
  });
});
