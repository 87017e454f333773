/**
 * The onboarding queue's redelivery schedule (contract section 7, v2), shared by the SQS adapter, which sets each
 * failed message's visibility from it, and by infra, which sizes the queue's `maxReceiveCount` and visibility timeout
 * to it: a message that fails for now comes back later each time, and an Atlas outage of an hour dead-letters nothing.
 */
export const REDELIVERY = {
  /** The wait after the first failed receive; it doubles with every receive. */
  firstDelaySeconds: 30,
  /** The longest wait between two receives. */
  maxDelaySeconds: 900,
  /** Receives before SQS itself moves a message to the dead-letter queue (a message the function can never answer). */
  maxReceiveCount: 20,
  /**
   * The queue's own visibility timeout: what a message waits when the function could not set one (it crashed, or
   * ChangeMessageVisibility failed). At least six times the function's timeout plus the batching window (AWS's rule
   * for Lambda consumers).
   */
  visibilityTimeoutSeconds: 300,
  /** The longest outage that must dead-letter nothing. */
  outageSeconds: 3_600,
} as const;

/**
 * The wait before the next receive of a message that failed for now on its `receiveCount`-th receive (SQS's
 * `ApproximateReceiveCount`, from 1): 30 s, 60 s, 120 s … up to 15 minutes.
 *
 * @example
 * redeliveryDelaySeconds(1); // 30
 * redeliveryDelaySeconds(7); // 900
 */
export function redeliveryDelaySeconds(receiveCount: number): number {
  const n = Math.max(1, Math.floor(receiveCount));
  return Math.min(REDELIVERY.maxDelaySeconds, REDELIVERY.firstDelaySeconds * 2 ** Math.min(n - 1, 30));
}

/**
 * How long a message that keeps failing for now stays on the queue before its last receive: the waits after each of
 * the receives before the last (`maxReceiveCount - 1` of them).
 *
 * @example
 * secondsBeforeLastReceive(); // 13,530 with the settings above: an outage of 3 h 45 min dead-letters nothing
 */
export function secondsBeforeLastReceive(maxReceiveCount: number = REDELIVERY.maxReceiveCount): number {
  let total = 0;
  for (let n = 1; n < maxReceiveCount; n++) total += redeliveryDelaySeconds(n);
  return total;
}
