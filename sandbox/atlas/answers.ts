/**
 * The shape of what every Atlas sandbox endpoint answers, and the pieces of an answer more than one endpoint builds:
 * Atlas's `ApiError` body and media-type parsing.
 */
import { STATUS_CODES } from 'node:http';

/** What the sandbox decided to answer; written after any latency. */
export interface Answer {
  status: number;
  body: unknown;
  contentType: string;
  headers?: Record<string, string>;
}

export const JSON_TYPE = 'application/json';

/** Atlas's `ApiError` body. */
export function apiError(status: number, errorCode: string, detail: string): Record<string, unknown> {
  return { error: status, errorCode, detail, reason: STATUS_CODES[status] ?? 'Error', parameters: [] };
}

export function errorAnswer(status: number, errorCode: string, detail: string): Answer {
  return { status, body: apiError(status, errorCode, detail), contentType: JSON_TYPE };
}

/** A `Content-Type` (or one part of an `Accept`) without parameters, lower-cased. */
export function mediaTypeOf(header: string | undefined): string | undefined {
  return header?.split(';')[0]?.trim().toLowerCase();
}

export function acceptsMediaType(accept: string | undefined, mediaType: string): boolean {
  return (accept ?? '').split(',').some((part) => mediaTypeOf(part) === mediaType);
}
