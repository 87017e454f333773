import type { StoredUser } from './directory';

/**
 * What the change relay (relay.ts) takes from the directory table's stream, in words of the directory rather than of
 * DynamoDB's record shape (lambda/adapters/dynamodb-stream.ts reads that shape into these).
 */

/** Where a change came from: what the event id is made of, and what to name when it must be retried. */
export interface RecordRef {
  /** The stream record's `eventID`. */
  eventId: string;
  sequenceNumber: string;
  /** ISO 8601, from `ApproximateCreationDateTime`. */
  occurredAt?: string;
}

export type DirectoryChange =
  | { kind: 'user'; userId: string; before?: StoredUser; after?: StoredUser; record: RecordRef }
  | { kind: 'membership'; userId: string; groupId: string; record: RecordRef }
  | { kind: 'group-renamed'; groupId: string; record: RecordRef };

/**
 * What the relay answers for a batch: the sequence number of the first record it could not relay, if any (Lambda
 * retries the batch from there onward).
 */
export interface RelayOutcome {
  failedSequenceNumber?: string;
}

/** Orders two stream sequence numbers (decimal strings of up to 40 digits). */
export function compareSequenceNumbers(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}
