import type { Deadline } from '../deadline';
import type { Result } from '../failure';
import { withRetries as retried, type RetryHooks, type RetryPolicy } from '../retry';
import { AtlasError } from './errors';

/**
 * The retry policy for Atlas calls: the one loop of `lambda/retry.ts` (full jitter, `Retry-After` honoured, never past
 * the deadline; its header lists the other places that decide about trying again), failing as an {@link AtlasError}
 * when no attempt had time to start.
 */

export { backoffDelay, parseRetryAfter } from '../retry';
export type { RetryHooks, RetryPolicy } from '../retry';

/** {@link retried | withRetries} for Atlas calls. */
export function withRetries<T>(
  attempt: (timeoutMs: number, attemptNumber: number) => Promise<Result<T>>,
  policy: RetryPolicy,
  deadline: Deadline,
  hooks: RetryHooks = {},
): Promise<Result<T>> {
  return retried(attempt, policy, deadline, hooks, () => new AtlasError('transient', 'DEADLINE_EXCEEDED', 'no time was left in this invocation to call Atlas'));
}
