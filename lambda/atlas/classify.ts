import type { Failure } from '../failure';
import { parseRetryAfter } from './retry';
import { AtlasError } from './errors';
import { header } from '../http/transport';

/**
 * The one place that turns an Atlas answer into success or an {@link AtlasError} with a kind (contract section 6).
 * Everything above the Atlas client branches on the kind, never on status codes.
 */

const TRANSIENT_STATUSES = new Set([429, 500, 502, 503, 504]);
const RATE_LIMIT_CODES = new Set(['RATE_LIMITED', 'RATE_LIMITED_IP', 'RATE_LIMITED_TOKEN_BUCKET']);

const ALREADY_THERE_CODES = new Set(['USER_ALREADY_IN_GROUP', 'USER_ALREADY_EXISTS', 'USER_ALREADY_INVITED', 'INVITATION_ALREADY_EXISTS']);

/** The `ApiError` body, as far as we read it. */
interface ApiErrorBody {
  errorCode?: unknown;
  detail?: unknown;
  reason?: unknown;
  error?: unknown;
  error_description?: unknown;
}

/**
 * Classifies an answer of the Atlas Administration API. Returns `undefined` for success.
 *
 * @example
 * classifyAnswer(429, { 'retry-after': '5' }, '{"errorCode":"RATE_LIMITED"}', Date.now()); // transient, retryAfterMs 5000
 */
export function classifyAnswer(status: number, headers: Record<string, string | string[] | undefined>, body: string, now: number): AtlasError | undefined {
  if (status >= 200 && status < 300) return undefined;
  const parsed = parseBody(body);
  const code = typeof parsed.errorCode === 'string' ? parsed.errorCode : `HTTP_${status}`;
  const message = describe(status, parsed);
  if (status === 409 || ALREADY_THERE_CODES.has(code)) return new AtlasError('conflict', code, message, { status });
  if (TRANSIENT_STATUSES.has(status) || RATE_LIMIT_CODES.has(code)) {
    const retryAfterMs = parseRetryAfter(header(headers, 'retry-after'), now) ?? waitNamedIn(typeof parsed.detail === 'string' ? parsed.detail : '');
    return new AtlasError('transient', code, message, { status, retryAfterMs });
  }
  return new AtlasError('permanent', code, message, { status });
}

/**
 * Whether Atlas answered "too many requests": a 429 or a rate-limit errorCode (what a pacer and the metrics count).
 *
 * @example
 * isRateLimited(classifyAnswer(429, {}, '{"errorCode":"RATE_LIMITED"}', Date.now())!); // true
 */
export function isRateLimited(error: Failure): boolean {
  return error.details.status === 429 || RATE_LIMIT_CODES.has(error.code);
}

/**
 * Classifies an answer of the OAuth token endpoint: 403 `access_denied` ("Access Token limit reached") is transient,
 * 401 (wrong credentials) permanent.
 */
export function classifyTokenAnswer(status: number, headers: Record<string, string | string[] | undefined>, body: string, now: number): AtlasError | undefined {
  if (status >= 200 && status < 300) return undefined;
  const parsed = parseBody(body);
  const oauthCode = typeof parsed.error === 'string' ? parsed.error : undefined;
  if (status === 403 && (oauthCode === 'access_denied' || oauthCode === undefined)) {
    return new AtlasError('transient', 'TOKEN_LIMIT_REACHED', 'the service account holds its maximum of live access tokens', {
      status,
      retryAfterMs: parseRetryAfter(header(headers, 'retry-after'), now),
    });
  }
  // Wrong credentials are the deployment's fault, not the event's (contract section 7, v2): the message waits.
  if (status === 401) return new AtlasError('transient', 'INVALID_CREDENTIALS', 'Atlas rejected the service account credentials', { status, deploymentFault: true });
  if (TRANSIENT_STATUSES.has(status)) {
    return new AtlasError('transient', `TOKEN_HTTP_${status}`, `the token endpoint answered ${status}`, {
      status,
      retryAfterMs: parseRetryAfter(header(headers, 'retry-after'), now),
    });
  }
  return new AtlasError('permanent', oauthCode ? `TOKEN_${oauthCode.toUpperCase()}` : `TOKEN_HTTP_${status}`, `the token endpoint answered ${status}`, { status });
}

/** A call that got no answer: a timeout, a reset or refused connection, a DNS failure. All may succeed later. */
export function classifyFailure(err: unknown, timedOut: boolean): AtlasError {
  if (timedOut) return new AtlasError('transient', 'TIMEOUT', 'Atlas did not answer in time');
  const code = (err as { code?: unknown }).code;
  return new AtlasError('transient', 'CONNECTION_ERROR', `could not reach Atlas${typeof code === 'string' ? ` (${code})` : ''}`);
}

function parseBody(body: string): ApiErrorBody {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null ? (value) : {};
  } catch {
    return {};
  }
}

function describe(status: number, body: ApiErrorBody): string {
  const text = [body.detail, body.reason].find((v): v is string => typeof v === 'string' && v.length > 0);
  return text ? text.slice(0, 500) : `Atlas answered ${status}`;
}

/** Atlas names a wait in some details: "Please retry after 55 seconds", "rate limit of 10 invitations per 5 minutes". */
function waitNamedIn(detail: string): number | undefined {
  const seconds = /retry after (\d+) seconds?/i.exec(detail);
  if (seconds) return Number(seconds[1]) * 1000;
  const window = /per (\d+) minutes?/i.exec(detail);
  if (window) return Number(window[1]) * 60_000;
  return undefined;
}

export { header };
