/**
 * Turns a config Endpoint, with its references resolved, into an HTTP request.
 */
import type { Endpoint } from '../core/config/types';
import { ConfigError } from '../core/errors';
import { type ReferenceLookup, resolveDeep } from '../core/references';
import type { SecretScope } from '../core/secretOrigins';
import type { HttpRequest } from './http';

export interface RenderOptions {
  /** Where the endpoint is in the config (`extractions[0].endpoint`), for errors. */
  at: string;
  /** GET for data endpoints, POST for the token endpoint. */
  defaultMethod: 'GET' | 'POST';
  /** How an object body is encoded when no Content-Type header decides. */
  defaultBodyEncoding: 'json' | 'form';
  /** Replaces the endpoint URL (a `next_link`); configured params fill only what it lacks. */
  url?: string;
  /** Set last, over everything (page number, cursor). */
  query?: Record<string, string>;
  /** Refuses the request when it would carry a secret to an origin the secret is not bound to. */
  scope: SecretScope;
}

const FORM = 'application/x-www-form-urlencoded';

export function renderEndpoint(
  endpoint: Endpoint,
  lookup: ReferenceLookup,
  options: RenderOptions,
): HttpRequest {
  const resolved = resolveDeep(endpoint, lookup, options.at);
  const url =
    options.url !== undefined ? new URL(options.url) : endpointUrl(endpoint.url, resolved.url, options.at);
  const configured = new URLSearchParams();
  for (const [name, value] of Object.entries(resolved.query_params ?? {}))
    appendParam(configured, name, value);
  for (const name of new Set(configured.keys())) {
    // A next_link already carries its own state; the endpoint's own URL yields to query_params.
    if (options.url !== undefined && url.searchParams.has(name)) continue;
    url.searchParams.delete(name);
    for (const value of configured.getAll(name)) url.searchParams.append(name, value);
  }
  for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value);

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(resolved.headers ?? {})) headers[name] = String(value);
  const request: HttpRequest = {
    method: resolved.method ?? options.defaultMethod,
    url: url.toString(),
    headers,
  };
  // Not enumerable: the request's shape (logs, tests, copies) stays method, url, headers, body.
  Object.defineProperty(request, 'parsedUrl', { value: url, enumerable: false });
  const body = resolved.body;
  if (body !== undefined && body !== '') {
    const contentTypeName = Object.keys(headers).find((h) => h.toLowerCase() === 'content-type');
    const contentType = contentTypeName ? headers[contentTypeName]!.toLowerCase() : undefined;
    if (typeof body === 'string') {
      request.body = body;
    } else if (contentType?.startsWith(FORM) || (!contentType && options.defaultBodyEncoding === 'form')) {
      const form = new URLSearchParams();
      for (const [name, value] of Object.entries(body)) appendParam(form, name, value);
      request.body = form.toString();
      if (!contentTypeName) headers['content-type'] = FORM;
    } else {
      request.body = JSON.stringify(body);
      if (!contentTypeName) headers['content-type'] = 'application/json';
    }
  }
  // Checked on the final URL: a next link or a URL-valued reference may point anywhere.
  options.scope.assertRequest(endpoint, request.url);
  return request;
}

/**
 * The endpoint's URL, which a config may hold as any string (the original tool stores
 * `{domain}/data` as written): unusable once resolved, it fails the extraction for good,
 * naming the field and the URL as configured (never as resolved, which may hold a secret).
 */
function endpointUrl(configured: string, resolved: unknown, at: string): URL {
  const url = typeof resolved === 'string' ? URL.parse(resolved) : null;
  if (url && (url.protocol === 'http:' || url.protocol === 'https:')) return url;
  throw new ConfigError(
    `${at}.url: ${JSON.stringify(configured)} is not an absolute http or https URL (after references are resolved)`,
  );
}

function appendParam(params: URLSearchParams, name: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) appendParam(params, name, item);
  } else if (typeof value === 'object') {
    params.append(name, JSON.stringify(value));
  } else {
    params.append(name, String(value));
  }
}
