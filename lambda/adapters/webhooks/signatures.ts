import { createHmac, timingSafeEqual } from 'node:crypto';
import { matchesOneOf } from '../../constant-time';

/**
 * The two ways a webhook sender proves itself (contract section 11), compared in constant time: a static header value
 * (Okta event hooks) and a Standard Webhooks HMAC signature. Written on `node:crypto` rather than with the
 * `standardwebhooks` package: that package computes SHA-256 and compares in JavaScript (fast-sha256, its own
 * equality), and reads `1614265330abc` as a timestamp; the tests check this code against it.
 */

/** How far `webhook-timestamp` may be from now, either way (the reference library's tolerance). */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

/**
 * Whether the header value `offered` is one of the connection's values (Okta event hooks), in constant time.
 *
 * @example
 * headerMatches('Basic czNjcjN0', ['Basic czNjcjN0', 'Basic bjN3']); // true
 */
export const headerMatches = matchesOneOf;

export interface SignedRequest {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  /** The body's bytes as sent. */
  body: Uint8Array;
}

/**
 * Whether a Standard Webhooks request is signed with one of `secrets` (`whsec_<base64>`) and its timestamp is within
 * {@link TIMESTAMP_TOLERANCE_SECONDS} of `nowSeconds`. One valid `v1` entry among the header's space-separated
 * signatures suffices.
 *
 * @example
 * standardWebhookVerified({ id, timestamp, signature, body }, ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], Date.now() / 1000);
 */
export function standardWebhookVerified(request: SignedRequest, secrets: readonly string[], nowSeconds: number): boolean {
  const { id, timestamp, signature, body } = request;
  if (!id || !timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS) return false;
  const offered = signature
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3), 'base64'))
    .filter((bytes) => bytes.length === 32);
  if (offered.length === 0) return false;
  let matched = false;
  for (const secret of secrets) {
    const key = signingKey(secret);
    if (!key) continue;
    const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`, 'utf8').update(body).digest();
    for (const bytes of offered) matched = timingSafeEqual(expected, bytes) || matched;
  }
  return matched;
}

/** The HMAC key of a `whsec_` secret: its base64 part, decoded. */
function signingKey(secret: string): Buffer | undefined {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  return key.length > 0 ? key : undefined;
}
