/**
 * What went wrong with an Atlas call, as a value with a kind (STYLE: classify once, in the Atlas client):
 * - `transient`: may succeed later (retry now, or redeliver);
 * - `permanent`: will not succeed as asked (report, or dead-letter);
 * - `conflict`: already done (the person is already invited or a member).
 */
export type AtlasErrorKind = 'transient' | 'permanent' | 'conflict';

export class AtlasError extends Error {
  override readonly name = 'AtlasError';

  constructor(
    readonly kind: AtlasErrorKind,
    /** Atlas's `errorCode`, or ours for what Atlas did not name (`HTTP_502`, `TIMEOUT`, `CONNECTION_ERROR`...). */
    readonly code: string,
    message: string,
    readonly details: {
      /** The HTTP status, when Atlas answered. */
      status?: number;
      /** How long Atlas asked us to wait (`Retry-After`, or a wait named in its error detail). */
      retryAfterMs?: number;
    } = {},
  ) {
    super(message);
  }

  get retryable(): boolean {
    return this.kind === 'transient';
  }
}
