import type { Dispatcher } from 'undici';
import UndiciAgent from 'undici/lib/dispatcher/agent.js';
import undiciSymbols from 'undici/lib/core/symbols.js';

/**
 * The one door to undici, for every HTTP client of the functions (Atlas's in `atlas/`, Okta's in `okta/`): its agent
 * module alone, as the package entry also loads fetch, WebSocket, the caches and the mocks (bench/cold-variants.ts
 * measures what that costs a cold start). undici has no `exports` map closing the path, the lock file pins the
 * version, and a release that moved the file fails the build and every Atlas and Okta test. It knows HTTP only: what
 * an answer means is each client's to classify.
 */

export type { Dispatcher };
export const Agent = UndiciAgent;
export type Agent = UndiciAgent;

// A CommonJS module whose names Node cannot list for an ES import: taken from its default export.
const { kQueuedAbort } = undiciSymbols;

/** An answer, read whole. */
export interface Answer {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface SendOptions {
  method: Dispatcher.HttpMethod;
  headers: Record<string, string>;
  /** None for GET and DELETE. */
  body?: string;
  /** The call ends with a {@link TimeoutError} after this long, wherever the request is. */
  timeoutMs: number;
}

/** No whole answer within the call's `timeoutMs`. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor() {
    super('no answer in time');
  }
}

/**
 * Sends one request through `dispatcher` and reads the answer whole, with a handler that collects the chunks and one
 * timer that aborts the dispatch itself: no readable stream, async resource or AbortSignal per call, as `request`
 * has (bench/http-client.ts compares the two).
 *
 * @example
 * const answer = await send(agent, `${base}/api/oauth/token`, { method: 'POST', headers, body, timeoutMs: 5_000 });
 */
export function send(dispatcher: Dispatcher, url: string, options: SendOptions): Promise<Answer> {
  const { origin, pathname, search } = new URL(url);
  return new Promise<Answer>((resolve, reject) => {
    if (options.timeoutMs <= 0) return reject(new TimeoutError());
    const chunks: Buffer[] = [];
    let answer: Omit<Answer, 'body'> | undefined;
    let controller: Dispatcher.DispatchController | undefined;
    let leaveQueue: ((reason: Error) => void) | undefined;
    let settled = false;
    let timedOut = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        outcome();
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    };
    // A request still waiting for a connection leaves the queue (undici's queued-abort hook, as its `request` uses),
    // so no warm connection is spent on it; one handed a connection in the meantime is aborted before it is written.
    const timer = setTimeout(() => {
      timedOut = true;
      const error = new TimeoutError();
      if (controller) controller.abort(error);
      else leaveQueue?.(error);
      settle(() => reject(error));
    }, Math.ceil(options.timeoutMs));
    const dispatchOptions = {
      origin,
      path: `${pathname}${search}`,
      method: options.method,
      headers: options.headers,
      body: options.body ?? null,
      [kQueuedAbort]: (cancel: (reason: Error) => void) => (leaveQueue = cancel),
    };
    try {
      dispatcher.dispatch(
        dispatchOptions,
        {
          onRequestStart(started) {
            controller = started;
            if (timedOut) started.abort(new TimeoutError());
          },
          onResponseStart(_controller, statusCode, headers) {
            answer = { statusCode, headers };
          },
          onResponseData(_controller, chunk) {
            chunks.push(chunk);
          },
          onResponseEnd() {
            // undici hands a kept-alive connection back to its pool one turn of the event loop after the answer ends
            // (client-h1: setImmediate(resume)), so a request made at once by the caller would open a new one: on a
            // cold start, a second TLS handshake for the invitation right after the token. Answer after that turn.
            settle(() => {
              const whole = { ...answer!, body: utf8(chunks) };
              queueMicrotask(() => setImmediate(resolve, whole));
            });
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

/** The body as text, without a byte-order mark (as undici's `body.text()` reads it). */
function utf8(chunks: Buffer[]): string {
  const text = Buffer.concat(chunks).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * A header's value, the first when it came more than once.
 *
 * @example
 * header(answer.headers, 'retry-after'); // '5'
 */
export function header(headers: Answer['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
