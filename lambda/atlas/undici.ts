import type { Dispatcher } from 'undici';
import UndiciAgent from 'undici/lib/dispatcher/agent.js';

/**
 * The one door to undici: its agent module alone, as the package entry also loads fetch, WebSocket, the caches and
 * the mocks (50 ms of a cold start when measured, 243 ms against 192 ms). undici has no `exports` map closing the
 * path, the lock file pins the version, and a release that moved the file fails the build and every Atlas test.
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
 * Sends one request through `dispatcher` and reads the answer whole, with a handler that collects the chunks:
 * undici's `request` adds a readable stream and an async resource per call (about 35 us of CPU per request here).
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
