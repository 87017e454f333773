import type { Deadline } from './deadline';
import { Failure, type Result } from './failure';

/**
 * The retry policy for calls to Atlas and Okta, in one place: exponential backoff with full jitter, the other side's
 * wait honoured (`Retry-After`, Okta's `X-Rate-Limit-Reset`), and never a wait or an attempt past the invocation's
 * deadline.
 *
 * The other places that decide about trying again: `atlas/classify.ts` and `okta/classify.ts` (what is transient),
 * `atlas/session.ts` (a new token after a 401; the secret read again when Atlas refuses the credentials),
 * `atlas/pacing.ts` (a rate-limited scope's calls wait, or hand the wait back without calling), `atlas/invitations.ts`
 * (the `users` API after a 410), `atlas/project-users.ts` (a removal that finds nothing to remove is done),
 * `okta/users.ts` (the token secret read again after Okta refuses it), `aws/secrets-manager.ts` (the last good secret
 * when a refresh fails), `core/verdict.ts` (redeliver or dead-letter), `adapters/sqs.ts` (the visibility of a message
 * Atlas or Okta asked to wait for).
 */

export interface RetryPolicy {
  maxAttempts: number;
  attemptTimeoutMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** The longest wait we take from the other side: SQS's largest visibility timeout (12 hours). */
const MAX_RETRY_AFTER_MS = 43_200_000;
/** An attempt with less time than this left is not started: it could not finish. */
const MIN_ATTEMPT_MS = 50;

/**
 * Reads a `Retry-After` header: delay-seconds or an HTTP date (RFC 9110 section 10.2.3), in milliseconds from `now`.
 *
 * @example
 * parseRetryAfter('120', Date.now()); // 120000
 * parseRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT', Date.now());
 */
export function parseRetryAfter(header: string | undefined, now: number): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}

/** Full jitter: a uniform wait between 0 and the exponential ceiling of this attempt (AWS Architecture Blog). */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

export interface RetryHooks {
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onRetry?: (error: Failure, attempt: number, delayMs: number) => void;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, fails other than transiently, runs out of attempts, or would run past the
 * deadline. An attempt gets `timeoutMs`: the policy's per-attempt timeout, cut to the time left.
 *
 * A transient failure whose wait does not fit in the time left comes back with that wait in `retryAfterMs`, so the
 * caller can ask to be redelivered then instead of spending the invocation waiting.
 */
export async function withRetries<T>(
  attempt: (timeoutMs: number, attemptNumber: number) => Promise<Result<T>>,
  policy: RetryPolicy,
  deadline: Deadline,
  hooks: RetryHooks = {},
  /** The failure when not one attempt had time to start. */
  noTime: () => Failure = () => new Failure('transient', 'DEADLINE_EXCEEDED', 'no time was left in this invocation'),
): Promise<Result<T>> {
  const sleep = hooks.sleep ?? defaultSleep;
  let last: Failure | undefined;
  for (let n = 1; n <= policy.maxAttempts; n++) {
    const left = deadline.remainingMs();
    if (left < MIN_ATTEMPT_MS) break;
    const outcome = await attempt(Math.min(policy.attemptTimeoutMs, left), n);
    // A deployment fault (a bad secret, refused credentials) will not clear within one invocation: no retry now.
    if (outcome.ok || outcome.error.kind !== 'transient' || outcome.error.details.deploymentFault) return outcome;
    last = outcome.error;
    if (n === policy.maxAttempts) break;
    const askedMs = last.details.retryAfterMs;
    // The other side advises waiting at least this long; a little jitter on top keeps concurrent callers apart.
    const delay = askedMs !== undefined ? askedMs + backoffDelay(1, policy, hooks.random) : backoffDelay(n, policy, hooks.random);
    if (delay + MIN_ATTEMPT_MS > deadline.remainingMs()) return { ok: false, error: last };
    hooks.onRetry?.(last, n, delay);
    await sleep(delay);
  }
  return { ok: false, error: last ?? noTime() };
}
