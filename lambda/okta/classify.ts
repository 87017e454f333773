import { header, type Answer } from '../http/transport';
import { OktaError } from './errors';

/**
 * The one place that turns an Okta answer into success or an {@link OktaError} with a kind (contract section 12).
 * Everything above the Okta client branches on the kind, never on status codes.
 */

/** Okta's `errorCode` for a resource that is not there (`Not found: Resource not found`). */
export const OKTA_NOT_FOUND = 'E0000007';

/** The longest wait taken from `X-Rate-Limit-Reset`: SQS's largest visibility timeout (12 hours). */
const MAX_RESET_WAIT_MS = 43_200_000;

/**
 * Classifies an answer of Okta's Management API; `undefined` for success. 429 waits until `X-Rate-Limit-Reset` (epoch
 * seconds) and, like a 5xx, is transient; 401 (a token Okta does not know) and 403 (a token whose admin may not read
 * users) are a fault of the deployment; 404 with Okta's `E0000007` is permanent (the caller knows what a missing user means),
 * any other 404 a fault of the deployment (not Okta answering). Okta's
 * `errorSummary` is not carried: it quotes the id or login asked for, and the message reaches logs and dead letters.
 *
 * @example
 * classifyOktaAnswer(429, { 'x-rate-limit-reset': '1764500000' }, '{"errorCode":"E0000047"}', Date.now()); // transient, retryAfterMs until then
 */
export function classifyOktaAnswer(status: number, headers: Answer['headers'], body: string, now: number): OktaError | undefined {
  if (status >= 200 && status < 300) return undefined;
  const code = errorCodeOf(body) ?? `OKTA_HTTP_${status}`;
  if (status === 429) {
    return new OktaError('transient', code, 'Okta rate-limits this API token; waiting for its limit to reset', { status, retryAfterMs: resetWait(header(headers, 'x-rate-limit-reset'), now) });
  }
  if (status >= 500) return new OktaError('transient', code, `Okta answered ${status}`, { status });
  // The token is the deployment's (its secret, its admin's permissions), not the event's: the message waits.
  if (status === 401) return new OktaError('transient', code, 'Okta refused the API token (401): fix the oktaApiSecretId secret', { status, deploymentFault: true });
  if (status === 403) return new OktaError('transient', code, 'the Okta API token may not read users and groups (403): give its admin read access', { status, deploymentFault: true });
  // Only Okta's own "not found" says the person is gone. A 404 without it comes from something else at oktaOrgUrl (a
  // wrong org or custom domain, a proxy): read as a leaver it would remove everyone, so the message waits instead.
  if (status === 404 && code === OKTA_NOT_FOUND) return new OktaError('permanent', code, 'Okta has no such user', { status });
  if (status === 404) return new OktaError('transient', code, 'oktaOrgUrl answered 404 without Okta’s not-found error (E0000007): is it the org’s URL?', { status, deploymentFault: true });
  return new OktaError('permanent', code, `Okta answered ${status}`, { status });
}

/** A call that got no answer: a timeout, a reset or refused connection, a DNS failure. All may succeed later. */
export function classifyNoAnswer(err: unknown, timedOut: boolean): OktaError {
  if (timedOut) return new OktaError('transient', 'OKTA_TIMEOUT', 'Okta did not answer in time');
  const code = (err as { code?: unknown }).code;
  return new OktaError('transient', 'OKTA_CONNECTION_ERROR', `could not reach Okta${typeof code === 'string' ? ` (${code})` : ''}`);
}

/** How long until `X-Rate-Limit-Reset` (epoch seconds), from `now`; `undefined` when absent or not a number. */
export function resetWait(reset: string | undefined, now: number): number | undefined {
  if (reset === undefined || !/^\d{1,12}$/.test(reset.trim())) return undefined;
  return Math.min(Math.max(0, Number(reset.trim()) * 1000 - now), MAX_RESET_WAIT_MS);
}

/** Okta's `errorCode` (`E0000047`), when the body is its `Error` object and the code looks like one. */
function errorCodeOf(body: string): string | undefined {
  try {
    const value = JSON.parse(body) as { errorCode?: unknown };
    return typeof value.errorCode === 'string' && /^E\d{7}$/.test(value.errorCode) ? value.errorCode : undefined;
  } catch {
    return undefined;
  }
}
