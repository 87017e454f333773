import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The bearer token check (contract section 14): `Authorization: Bearer <token>` against every value of the token
 * secret (one, or two while rotating), in time that depends on neither: both sides are hashed to equal-length digests
 * and every value is compared.
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
  const token = offeredToken(authorization);
  if (token === undefined) return false;
  const digest = sha256(token);
  let matched = false;
  for (const value of values) matched = timingSafeEqual(digest, sha256(value)) || matched;
  return matched;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
