/**
 * The table of refused requests: every way a request can be refused, with the exact
 * status and body the client gets. Shared by the HTTP tests on the embedded system
 * (badRequests.test.ts) and against the config-api service on moto
 * (test/integration/services.test.ts).
 *
 * Hook: `ctx` is filled in once the API under test has the key `ana` and the config
 * `validConfig` (its ids); the cases read it lazily, when they run.
 */
import type { RequestOptions } from './harness';

export interface BadRequestContext {
  /** The id of the config created from {@link validConfig}. */
  configId: string;
  /** The id of its extraction. */
  extractionId: string;
  /** The key of `ana`, a non-root key. */
  anaKey: string;
}

export const validConfig = {
  name: 'Refusals',
  extractions: [{ name: 'deals', endpoint: { url: 'http://127.0.0.1:9/deals' }, data_key: 'data' }],
};

/** V8's own message for a JSON text, as body-parser passes it on. */
function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`${text} is valid JSON`);
}

export interface BadRequestCase {
  name: string;
  method: string;
  path: () => string;
  options?: () => RequestOptions;
  status: number;
  body: () => unknown;
}

const NOT_FOUND = { error: 'Not found' };
const MISSING_KEY = { error: 'missing API key: send it in the Authorization header' };
const INVALID_KEY = { error: 'invalid API key' };

/** POST /config of a config whose one extraction (`deals` plus `extraction`) has exactly one issue. */
function oneIssueConfig(
  name: string,
  extraction: Record<string, unknown>,
  issue: { path: string; message: string },
): BadRequestCase {
  return {
    name,
    method: 'POST',
    path: () => '/config',
    options: () => ({ json: { ...validConfig, extractions: [{ name: 'deals', ...extraction }] } }),
    status: 400,
    body: () => ({ error: 'invalid config', details: [issue] }),
  };
}

export function badRequestCases(ctx: BadRequestContext): BadRequestCase[] {
  const asAna = (extra: RequestOptions = {}): RequestOptions => ({ auth: ctx.anaKey, ...extra });
  return [
    // Authentication: 401.
    {
      name: 'no Authorization header',
      method: 'GET',
      path: () => '/config',
      options: () => ({ auth: null }),
      status: 401,
      body: () => MISSING_KEY,
    },
    {
      name: 'an empty Authorization header',
      method: 'GET',
      path: () => '/config',
      options: () => ({ auth: '' }),
      status: 401,
      body: () => MISSING_KEY,
    },
    {
      name: '"Bearer" with no key',
      method: 'GET',
      path: () => '/config',
      options: () => ({ auth: 'Bearer ' }),
      status: 401,
      body: () => MISSING_KEY,
    },
    {
      name: 'an unknown raw key',
      method: 'GET',
      path: () => '/config',
      options: () => ({ auth: 'not-a-key' }),
      status: 401,
      body: () => INVALID_KEY,
    },
    {
      name: 'an unknown Bearer key',
      method: 'GET',
      path: () => '/config',
      options: () => ({ auth: 'Bearer not-a-key' }),
      status: 401,
      body: () => INVALID_KEY,
    },
    {
      name: 'a key with a character changed',
      method: 'GET',
      path: () => '/config',
      options: () => ({ auth: `${ctx.anaKey.slice(0, -1)}${ctx.anaKey.endsWith('0') ? '1' : '0'}` }),
      status: 401,
      body: () => INVALID_KEY,
    },
    {
      name: 'no key on an unknown sub-route of a protected area',
      method: 'GET',
      path: () => '/config/a/b/c',
      options: () => ({ auth: null }),
      status: 401,
      body: () => MISSING_KEY,
    },
    {
      name: 'no key, even with a malformed body',
      method: 'POST',
      path: () => '/config',
      options: () => ({ auth: null, raw: '{' }),
      status: 401,
      body: () => MISSING_KEY,
    },
    {
      name: 'no key to list secrets',
      method: 'GET',
      path: () => '/secrets',
      options: () => ({ auth: null }),
      status: 401,
      body: () => MISSING_KEY,
    },

    // Rights: 403.
    {
      name: 'a non-root key creating a key',
      method: 'POST',
      path: () => '/api-keys',
      options: () => asAna({ json: { name: 'bob' } }),
      status: 403,
      body: () => ({ error: 'only the root key can create API keys' }),
    },
    {
      name: "a non-root key refreshing another's key",
      method: 'POST',
      path: () => '/api-keys/rootkey/refresh',
      options: () => asAna(),
      status: 403,
      body: () => ({ error: "only the root key or the key's owner can refresh this API key" }),
    },
    {
      name: "a non-root key deleting another's key",
      method: 'DELETE',
      path: () => '/api-keys/rootkey',
      options: () => asAna(),
      status: 403,
      body: () => ({ error: "only the root key or the key's owner can delete this API key" }),
    },
    {
      name: 'a non-root key listing secrets',
      method: 'GET',
      path: () => '/secrets',
      options: () => asAna(),
      status: 403,
      body: () => ({ error: 'only the root key can manage secrets' }),
    },
    {
      name: 'a non-root key setting a secret',
      method: 'PUT',
      path: () => '/secrets/token',
      options: () => asAna({ json: { value: 'x' } }),
      status: 403,
      body: () => ({ error: 'only the root key can manage secrets' }),
    },
    {
      name: 'a non-root key deleting a secret',
      method: 'DELETE',
      path: () => '/secrets/token',
      options: () => asAna(),
      status: 403,
      body: () => ({ error: 'only the root key can manage secrets' }),
    },
    {
      name: 'deleting the root key',
      method: 'DELETE',
      path: () => '/api-keys/rootkey',
      status: 403,
      body: () => ({ error: '"rootkey" is the root key: it cannot be deleted through the API' }),
    },

    // Malformed and oversized bodies.
    {
      name: 'malformed JSON creating a config',
      method: 'POST',
      path: () => '/config',
      options: () => ({ raw: '{"name": ' }),
      status: 400,
      body: () => ({ error: `malformed JSON body: ${jsonError('{"name": ')}` }),
    },
    {
      name: 'malformed JSON updating a config',
      method: 'PUT',
      path: () => `/config/${ctx.configId}`,
      options: () => ({ raw: "{'name': 'x'}" }),
      status: 400,
      body: () => ({ error: `malformed JSON body: ${jsonError("{'name': 'x'}")}` }),
    },
    {
      name: 'malformed JSON creating a key',
      method: 'POST',
      path: () => '/api-keys',
      options: () => ({ raw: '{name}' }),
      status: 400,
      body: () => ({ error: `malformed JSON body: ${jsonError('{name}')}` }),
    },
    {
      name: 'malformed JSON sent as text/plain',
      method: 'POST',
      path: () => '/config',
      options: () => ({ raw: 'name=x', headers: { 'content-type': 'text/plain' } }),
      status: 400,
      body: () => ({ error: `malformed JSON body: ${jsonError('name=x')}` }),
    },
    {
      name: 'a body over 1 MB',
      method: 'POST',
      path: () => '/config',
      options: () => ({ json: { name: 'x'.repeat(1_100_000) } }),
      status: 413,
      body: () => ({ error: 'request body is larger than the limit of 1mb' }),
    },

    // Pathological text: answered at once (every parser is linear), refused by its length cap.
    oneIssueConfig(
      'a 400 KB URL of unclosed ${self:: references',
      { endpoint: { url: 'http://a.example/' + '${self::'.repeat(50_000) } },
      { path: 'extractions[0].endpoint.url', message: 'must be at most 8192 characters' },
    ),
    oneIssueConfig(
      'a 400 KB condition of digits that is not a number',
      {
        endpoint: { url: 'http://a.example/' },
        pagination: {
          type: 'sequential',
          parameters: { param_name: 'page', there_are_more_pages: '1'.repeat(400_000) + 'x' },
        },
      },
      {
        path: 'extractions[0].pagination.parameters.there_are_more_pages',
        message: 'must be at most 1024 characters',
      },
    ),
    // Invalid configs: 400 with every issue.
    {
      name: 'an empty config',
      method: 'POST',
      path: () => '/config',
      options: () => ({ json: {} }),
      status: 400,
      body: () => ({
        error: 'invalid config',
        details: [
          { path: 'name', message: 'is required' },
          { path: 'extractions', message: 'is required' },
        ],
      }),
    },
    {
      name: 'a config that is an array',
      method: 'POST',
      path: () => '/config',
      options: () => ({ json: [validConfig] }),
      status: 400,
      body: () => ({
        error: 'invalid config',
        details: [{ path: '', message: 'the config must be a JSON object' }],
      }),
    },
    {
      name: 'a config that is a string',
      method: 'POST',
      path: () => '/config',
      options: () => ({ json: 'config' }),
      status: 400,
      body: () => ({
        error: 'invalid config',
        details: [{ path: '', message: 'the config must be a JSON object' }],
      }),
    },
    {
      name: 'a config with null for a body',
      method: 'POST',
      path: () => '/config',
      options: () => ({ raw: 'null' }),
      status: 400,
      body: () => ({
        error: 'invalid config',
        details: [{ path: '', message: 'the config must be a JSON object' }],
      }),
    },
    {
      name: 'a config with four problems in one extraction',
      method: 'POST',
      path: () => '/config',
      options: () => ({
        json: {
          name: 'x',
          extractions: [
            {
              name: 'a',
              endpoint: { url: 'http://127.0.0.1:9/x' },
              pagination: {
                type: 'sequential',
                parameters: {
                  param_name: 'p',
                  step: 0,
                  continue_while_status_code_is: 200,
                  there_are_more_pages: 'a <',
                },
              },
              transformations: [{ action: 'nope' }],
            },
          ],
        },
      }),
      status: 400,
      body: () => ({
        error: 'invalid config',
        details: [
          { path: 'extractions[0].pagination.parameters.step', message: 'must not be 0' },
          {
            path: 'extractions[0].pagination.parameters.continue_while_status_code_is',
            message: 'cannot be set together with there_are_more_pages',
          },
          {
            path: 'extractions[0].pagination.parameters.there_are_more_pages',
            message: 'invalid condition "a <": expected an operand after "<"',
          },
          {
            path: 'extractions[0].transformations[0].action',
            message:
              'unknown action "nope" (valid: replace, trim, ltrim, rtrim, lower, upper, title, capitalize, split, join, slice)',
          },
        ],
      }),
    },
    {
      name: 'an unknown reference type',
      method: 'POST',
      path: () => '/config',
      options: () => ({ json: { ...validConfig, auth: { access_token: '${vault::token}' } } }),
      status: 400,
      body: () => ({
        error: 'invalid config',
        details: [
          {
            path: 'auth.access_token',
            message:
              'reference ${vault::token} has unknown type "vault" (valid: self, secret, last, extracted_item)',
          },
        ],
      }),
    },
    {
      name: 'an invalid config on update',
      method: 'PUT',
      path: () => `/config/${ctx.configId}`,
      options: () => ({ json: { name: '' } }),
      status: 400,
      body: () => ({
        error: 'invalid config',
        details: [
          { path: 'name', message: 'is not allowed to be empty' },
          { path: 'extractions', message: 'is required' },
        ],
      }),
    },
    {
      name: 'an invalid unsaved config to preview',
      method: 'POST',
      path: () => '/preview',
      options: () => ({ json: { name: 'x', extractions: [] } }),
      status: 400,
      body: () => ({
        error: 'invalid config',
        details: [{ path: 'extractions', message: 'must contain at least one extraction' }],
      }),
    },

    // Extraction ids and config ids on update.
    {
      name: 'an update naming an extraction id the config does not have',
      method: 'PUT',
      path: () => `/config/${ctx.configId}`,
      options: () => ({
        json: { ...validConfig, extractions: [{ ...validConfig.extractions[0], id: 'not-an-extraction' }] },
      }),
      status: 400,
      body: () => ({
        error: 'invalid config',
        details: [
          {
            path: 'extractions[0].id',
            message: `config ${ctx.configId} has no extraction with id "not-an-extraction"`,
          },
        ],
      }),
    },
    {
      name: 'an update naming the same extraction id twice',
      method: 'PUT',
      path: () => `/config/${ctx.configId}`,
      options: () => ({
        json: {
          ...validConfig,
          extractions: [
            { ...validConfig.extractions[0], id: ctx.extractionId },
            {
              ...validConfig.extractions[0],
              name: 'copy',
              id: ctx.extractionId,
              s3_destiny: { folder: 'copy' },
            },
          ],
        },
      }),
      status: 400,
      body: () => ({
        error: 'invalid config',
        details: [{ path: 'extractions[1].id', message: 'duplicates the id of extractions[0]' }],
      }),
    },
    {
      name: 'an update whose body names another config id',
      method: 'PUT',
      path: () => `/config/${ctx.configId}`,
      options: () => ({ json: { ...validConfig, id: 'someone-else' } }),
      status: 400,
      body: () => ({
        error: 'invalid config',
        details: [{ path: 'id', message: `must be "${ctx.configId}" (the id in the URL) or absent` }],
      }),
    },

    // Unknown ids: 404.
    {
      name: 'getting an unknown config',
      method: 'GET',
      path: () => '/config/no-such-config',
      status: 404,
      body: () => NOT_FOUND,
    },
    {
      name: 'updating an unknown config',
      method: 'PUT',
      path: () => '/config/no-such-config',
      options: () => ({ json: validConfig }),
      status: 404,
      body: () => NOT_FOUND,
    },
    {
      name: 'deleting an unknown config',
      method: 'DELETE',
      path: () => '/config/no-such-config',
      status: 404,
      body: () => NOT_FOUND,
    },
    {
      name: 'executing an unknown config',
      method: 'POST',
      path: () => '/config/no-such-config/execute',
      status: 404,
      body: () => NOT_FOUND,
    },
    {
      name: 'the runs of an unknown config',
      method: 'GET',
      path: () => '/config/no-such-config/runs',
      status: 404,
      body: () => NOT_FOUND,
    },
    {
      name: 'previewing an unknown config',
      method: 'POST',
      path: () => '/config/no-such-config/preview',
      status: 404,
      body: () => NOT_FOUND,
    },
    {
      name: 'previewing an extraction the config does not have',
      method: 'POST',
      path: () => `/config/${ctx.configId}/preview?extraction=nope`,
      status: 404,
      body: () => ({ error: `config ${ctx.configId} has no extraction "nope"` }),
    },
    {
      name: 'an unknown run',
      method: 'GET',
      path: () => '/runs/no-such-run',
      status: 404,
      body: () => NOT_FOUND,
    },
    {
      name: 'refreshing an unknown key',
      method: 'POST',
      path: () => '/api-keys/nobody/refresh',
      status: 404,
      body: () => NOT_FOUND,
    },
    {
      name: 'deleting an unknown key',
      method: 'DELETE',
      path: () => '/api-keys/nobody',
      status: 404,
      body: () => NOT_FOUND,
    },
    {
      name: 'deleting an unknown secret',
      method: 'DELETE',
      path: () => '/secrets/nothing',
      status: 404,
      body: () => NOT_FOUND,
    },

    // Other request bodies and parameters.
    {
      name: 'creating a key without a name',
      method: 'POST',
      path: () => '/api-keys',
      options: () => ({ json: {} }),
      status: 400,
      body: () => ({ error: 'invalid request body', details: [{ path: 'name', message: 'is required' }] }),
    },
    {
      name: 'creating a key with no body at all',
      method: 'POST',
      path: () => '/api-keys',
      status: 400,
      body: () => ({ error: 'invalid request body', details: [{ path: 'name', message: 'is required' }] }),
    },
    {
      name: 'creating a key with a bad name',
      method: 'POST',
      path: () => '/api-keys',
      options: () => ({ json: { name: 'ana maria' } }),
      status: 400,
      body: () => ({
        error: 'invalid request body',
        details: [{ path: 'name', message: 'must be 1 to 64 letters, digits or _ . @ -' }],
      }),
    },
    {
      name: 'creating a key whose name is taken',
      method: 'POST',
      path: () => '/api-keys',
      options: () => ({ json: { name: 'ana' } }),
      status: 409,
      body: () => ({ error: 'api key "ana" already exists' }),
    },
    {
      name: 'creating the root key again',
      method: 'POST',
      path: () => '/api-keys',
      options: () => ({ json: { name: 'rootkey' } }),
      status: 409,
      body: () => ({ error: 'api key "rootkey" already exists' }),
    },
    {
      name: 'a secret with a bad name',
      method: 'PUT',
      path: () => '/secrets/bad.name',
      options: () => ({ json: { value: 'x' } }),
      status: 400,
      body: () => ({
        error: 'invalid path',
        details: [{ path: 'name', message: 'must be 1 to 128 letters, digits or _ $ -' }],
      }),
    },
    {
      name: 'a secret without a value',
      method: 'PUT',
      path: () => '/secrets/token',
      options: () => ({ json: { secret: 'x' } }),
      status: 400,
      body: () => ({
        error: 'invalid request body',
        details: [
          { path: 'value', message: 'is required' },
          { path: 'secret', message: 'is not allowed' },
        ],
      }),
    },
    {
      name: 'a run list limit that is not a number',
      method: 'GET',
      path: () => `/config/${ctx.configId}/runs?limit=abc`,
      status: 400,
      body: () => ({
        error: 'invalid query string',
        details: [{ path: 'limit', message: 'must be a number' }],
      }),
    },
    {
      name: 'a preview limit out of range',
      method: 'POST',
      path: () => `/config/${ctx.configId}/preview?limit=0`,
      status: 400,
      body: () => ({
        error: 'invalid query string',
        details: [{ path: 'limit', message: 'must be greater than or equal to 1' }],
      }),
    },

    // Routes and methods.
    {
      name: 'an unknown route',
      method: 'GET',
      path: () => '/nope',
      options: () => ({ auth: null }),
      status: 404,
      body: () => ({ error: 'no route for GET /nope' }),
    },
    {
      name: 'an unknown route under /config',
      method: 'GET',
      path: () => `/config/${ctx.configId}/nope`,
      status: 404,
      body: () => ({ error: `no route for GET /config/${ctx.configId}/nope` }),
    },
    {
      name: 'a method a route does not serve',
      method: 'PATCH',
      path: () => '/config',
      status: 405,
      body: () => ({ error: 'PATCH is not allowed on /config (allowed: GET, POST)' }),
    },
    {
      name: 'GET on execute',
      method: 'GET',
      path: () => `/config/${ctx.configId}/execute`,
      status: 405,
      body: () => ({ error: `GET is not allowed on /config/${ctx.configId}/execute (allowed: POST)` }),
    },
  ];
}
