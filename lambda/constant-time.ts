import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether `offered` is one of `values` (a secret's one value, or two during a rotation), in time that depends on
 * neither: both sides are hashed to equal-length digests and every value is compared. The webhook ingress's header
 * check and the SCIM bearer check both use it.
 *
 * @example
 * matchesOneOf('s3cr3t-value', ['s3cr3t-value', 'n3xt-value']); // true
 */
export function matchesOneOf(offered: string | undefined, values: readonly string[]): boolean {
  if (offered === undefined) return false;
  const digest = sha256(offered);
  let matched = false;
  for (const value of values) matched = timingSafeEqual(digest, sha256(value)) || matched;
  return matched;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
