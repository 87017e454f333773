/**
 * The shape of what every Okta sandbox endpoint answers, and Okta's error body: `errorCode`, `errorSummary`,
 * `errorLink`, `errorId`, `errorCauses`, as Okta's Management API documents its `Error` object.
 */
import { randomBytes } from 'node:crypto';

/** What the sandbox decided to answer; written after any latency. */
export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string | string[]>;
}

/** Okta answers `application/json` (with a charset). */
export const JSON_TYPE = 'application/json;charset=UTF-8';

/** The error codes the sandbox answers, with Okta's summary for each. */
export const OKTA_ERRORS = {
  E0000006: 'You do not have permission to perform the requested action',
  E0000007: 'Not found: Resource not found',
  E0000009: 'Internal Server Error',
  E0000011: 'Invalid token provided',
  E0000022: 'The endpoint does not support the provided HTTP method',
  E0000047: 'API call exceeded rate limit due to too many requests.',
} as const;

/** Okta's `Error` body; `errorLink` repeats the code, `errorId` is a fresh request id, as Okta sends them. */
export function oktaError(errorCode: string, errorSummary: string, errorCauses: { errorSummary: string }[] = []): Record<string, unknown> {
  return { errorCode, errorSummary, errorLink: errorCode, errorId: `oae${randomBytes(11).toString('base64url').slice(0, 19)}`, errorCauses };
}

export function errorAnswer(status: number, errorCode: keyof typeof OKTA_ERRORS, errorSummary: string = OKTA_ERRORS[errorCode]): Answer {
  return { status, body: oktaError(errorCode, errorSummary) };
}

/** The errorCode Okta uses for a status, so an injected fault without one still looks real. */
export function defaultErrorCode(status: number): string {
  const codes: Record<number, string> = { 401: 'E0000011', 403: 'E0000006', 404: 'E0000007', 405: 'E0000022', 429: 'E0000047', 500: 'E0000009' };
  return codes[status] ?? 'E0000009';
}
