import type { Dispatcher } from 'undici';
import UndiciAgent from 'undici/lib/dispatcher/agent.js';

/**
 * The one door to undici. Its package entry (`undici`) loads everything it has: fetch, WebSocket, EventSource, the
 * cache stores, the mocks, the proxy agents. We use a keep-alive agent and its `dispatch`, so the agent's module is
 * all that is imported. Loading the whole package cost a cold start about 50 ms (bench/cold-variants.ts), and it
 * added 260 KB to the bundle.
 *
 * The path is undici's own file: the package has no `exports` map that would close it. The version is pinned by
 * package-lock.json. A release that moved it would fail the bundle build (esbuild cannot resolve it) and every Atlas
 * test, long before a deployment. Its types are undici's public ones (undici-internals.d.ts).
 */

export type { Dispatcher };
export const Agent = UndiciAgent;
export type Agent = UndiciAgent;

/** An answer, read whole. */
export interface Answer {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface SendOptions {
  method: Dispatcher.HttpMethod;
  headers: Record<string, string>;
  body: string;
  /** Aborting it rejects the call with the signal's reason and ends the request wherever it is. */
  signal: AbortSignal;
}

/**
 * Sends one request through `dispatcher` and reads the answer's body whole, with undici's own `dispatch` and a
 * handler that collects the chunks. undici's `request` does the same through a readable stream and an async
 * resource per call: against the sandbox the bare loop cost 129-136 us of CPU per request with it, 88-98 us with
 * this (bench/.out-style probe, 8 alternating rounds of 1,000, three runs).
 *
 * @example
 * const answer = await send(agent, `${base}/api/oauth/token`, { method: 'POST', headers, body, signal });
 */
export function send(dispatcher: Dispatcher, url: string, options: SendOptions): Promise<Answer> {
  const { origin, pathname, search } = new URL(url);
  const { signal } = options;
  return new Promise<Answer>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const chunks: Buffer[] = [];
    let answer: Omit<Answer, 'body'> | undefined;
    let controller: Dispatcher.DispatchController | undefined;
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      outcome();
    };
    // A request still waiting for a connection has no controller yet: the call ends now, and the request is
    // aborted as soon as it gets one (onRequestStart), before anything is written.
    function onAbort() {
      controller?.abort(signal.reason as Error);
      settle(() => reject(signal.reason as Error));
    }
    signal.addEventListener('abort', onAbort);
    try {
      dispatcher.dispatch(
        { origin, path: `${pathname}${search}`, method: options.method, headers: options.headers, body: options.body },
        {
          onRequestStart(started) {
            controller = started;
            if (signal.aborted) started.abort(signal.reason as Error);
          },
          onResponseStart(_controller, statusCode, headers) {
            answer = { statusCode, headers };
          },
          onResponseData(_controller, chunk) {
            chunks.push(chunk);
          },
          onResponseEnd() {
            settle(() => resolve({ ...answer!, body: Buffer.concat(chunks).toString('utf8') }));
          },
          onResponseError(_controller, error) {
            settle(() => reject(error));
          },
        },
      );
    } catch (err) {
      settle(() => reject(err instanceof Error ? err : new Error(String(err))));
    }
  });
}
