import type { Dispatcher } from 'undici';
import UndiciAgent from 'undici/lib/dispatcher/agent.js';
import dispatchRequest from 'undici/lib/api/api-request.js';

/**
 * The one door to undici. Its package entry (`undici`) loads everything it has: fetch, WebSocket, EventSource, the
 * cache stores, the mocks, the proxy agents. We use a keep-alive agent and `request`, so those two modules are all
 * that is imported. Loading the whole package cost a cold start about 50 ms (bench/cold-variants.ts), and it added
 * 260 KB to the bundle.
 *
 * The paths are undici's own files: the package has no `exports` map that would close them. The version is pinned
 * by package-lock.json. A release that moves either file fails the bundle build (esbuild cannot resolve it) and every
 * Atlas test, long before a deployment. Their types are undici's public ones (undici-internals.d.ts).
 */

export type { Dispatcher };
export const Agent = UndiciAgent;
export type Agent = UndiciAgent;

/**
 * `POST`s (or any method) through `dispatcher`, as undici's `request(url, { dispatcher, ... })` does, without its
 * package entry. The caller reads or dumps the body.
 */
export function request(
  dispatcher: Dispatcher,
  url: string,
  options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'>,
): Promise<Dispatcher.ResponseData> {
  const { origin, pathname, search } = new URL(url);
  return dispatchRequest.call(dispatcher, { ...options, origin, path: `${pathname}${search}` });
}
