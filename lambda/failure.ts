/**
 * What went wrong with a call to something outside (Atlas, Secrets Manager, SQS), as a value with a kind (STYLE:
 * classify once, where the call is made):
 * - `transient`: may succeed later (retry now, or redeliver);
 * - `permanent`: will not succeed as asked (report, or dead-letter);
 * - `conflict`: already done (the person is already invited or a member).
 *
 * Inside a layer a failure travels as a {@link Result}; it is thrown only at a layer's edge.
 */
export type FailureKind = 'transient' | 'permanent' | 'conflict';

export interface FailureDetails {
  /** The HTTP status, when the other side answered. */
  status?: number;
  /** How long the other side asked us to wait (`Retry-After`, or a wait named in its error detail). */
  retryAfterMs?: number;
  /**
   * A fault of the deployment, not of the request (contract section 7, v2): a malformed or unreadable secret,
   * credentials Atlas refuses. Always `transient`: nothing is retried within the invocation, the message waits on the
   * queue (backed off) until an operator fixes the secret, an error line and an alarm say so, nothing is dead-lettered.
   */
  deploymentFault?: boolean;
}

export class Failure extends Error {
  override readonly name: string = 'Failure';

  constructor(
    readonly kind: FailureKind,
    /** The other side's error code, or ours for what it did not name (`HTTP_502`, `TIMEOUT`, `SECRET_UNAVAILABLE`...). */
    readonly code: string,
    message: string,
    readonly details: FailureDetails = {},
  ) {
    super(message);
  }

  get retryable(): boolean {
    return this.kind === 'transient';
  }
}

/** A value, or the failure that stood in its way. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: Failure };
