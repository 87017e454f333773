import { matchesOneOf } from '../constant-time';

/**
 * The bearer token check (contract section 14): `Authorization: Bearer <token>` against every value of the token
 * secret (one, or two while rotating), in constant time (lambda/constant-time.ts).
 */

const BEARER = /^bearer[ \t]+([^\s]+)[ \t]*$/i;

/** The token a request offers; `undefined` when it carries no bearer token. */
export function offeredToken(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
}

/**
 * @example
 * tokenAccepted('Bearer s3cr3t-value', ['s3cr3t-value', 'n3xt-value']); // true
 */
export function tokenAccepted(authorization: string | undefined, values: readonly string[]): boolean {
  return matchesOneOf(offeredToken(authorization), values);
}
