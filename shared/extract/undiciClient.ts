/**
 * The parts of undici the HTTP client uses (`Agent`, `buildConnector`, `request`),
 * loaded from their own modules rather than the package's index: the index also loads
 * fetch, WebSocket, the cache stores, the mock agents and the proxy agents, 110 modules
 * and about 15 MiB of memory that a run never uses (docs/benchmarks.md, "Start-up: what
 * a run loads before its first request").
 *
 * undici's package.json has no `exports` map, so its `lib/` files are part of what a
 * dependent may require; the version is pinned by package-lock.json, and the types are
 * those the index declares for the same objects.
 */
import type * as Undici from 'undici';

/* eslint-disable @typescript-eslint/no-require-imports -- undici declares no types for these paths */
export const Agent: typeof Undici.Agent = require('undici/lib/dispatcher/agent');
export const buildConnector: typeof Undici.buildConnector = require('undici/lib/core/connect');
/** undici's `Dispatcher.prototype.request`, which only the package's index installs. */
const dispatcherRequest: (
  this: Undici.Dispatcher,
  options: Undici.Dispatcher.RequestOptions,
) => Promise<Undici.Dispatcher.ResponseData> = require('undici/lib/api/api-request');
/* eslint-enable @typescript-eslint/no-require-imports */

export type RequestOptions = Omit<Undici.Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & {
  dispatcher: Undici.Dispatcher;
  method: Undici.Dispatcher.HttpMethod;
};

/**
 * `undici.request(url, options)` for an absolute http(s) URL and an explicit
 * dispatcher: the origin and the path with its query, as the index's `request` splits them.
 */
export function request(url: URL, options: RequestOptions): Promise<Undici.Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = options;
  return dispatcherRequest.call(dispatcher, {
    ...rest,
    origin: url.origin,
    path: url.search ? `${url.pathname}${url.search}` : url.pathname,
  });
}
