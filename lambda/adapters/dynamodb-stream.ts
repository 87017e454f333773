import type { AttributeValue, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { StoredUser } from '../scim/directory';
import type { DirectoryChange, RecordRef, RelayOutcome } from '../scim/changes';
import { GROUP_PREFIX, GROUP_SK, USER_PREFIX, USER_SK, storedResourceOf } from '../scim/directory-layout';

/**
 * The SCIM directory table's stream (NEW_AND_OLD_IMAGES) as the change relay reads it (contract section 14): which
 * records say something about a user's onboarding state. Knows the DynamoDBStreamEvent shape and the directory's item
 * keys (lambda/scim/directory-layout.ts), nothing else.
 *
 * - a user item inserted, modified or removed: a `user` change with the images before and after (the relay decides
 *   whether a modification touched what the onboarding event carries);
 * - a membership inserted or removed (its user-side item; the group-side twin says the same): a `membership` change;
 * - a group item whose `displayName` changed: a `group-renamed` change (every member's `groups` changed).
 * Everything else (uniqueness and lookup items, list items, a group created or deleted without members) says nothing.
 */

/**
 * The directory changes a batch of stream records carries, in the records' order.
 *
 * @example
 * directoryChangesOf(event.Records); // [{ kind: 'membership', userId: 'u1', groupId: 'g1', record: {...} }, ...]
 */
export function directoryChangesOf(records: readonly DynamoDBRecord[]): DirectoryChange[] {
  const changes: DirectoryChange[] = [];
  for (const record of records) {
    const stream = record.dynamodb;
    const pk = stream?.Keys?.pk?.S;
    const sk = stream?.Keys?.sk?.S;
    if (!stream || pk === undefined || sk === undefined || stream.SequenceNumber === undefined) continue;
    const ref: RecordRef = {
      eventId: record.eventID ?? stream.SequenceNumber,
      sequenceNumber: stream.SequenceNumber,
      ...(stream.ApproximateCreationDateTime !== undefined && { occurredAt: new Date(stream.ApproximateCreationDateTime * 1000).toISOString() }),
    };
    if (pk.startsWith(USER_PREFIX) && sk === USER_SK) {
      const before = resourceOf(stream.OldImage);
      const after = resourceOf(stream.NewImage);
      if (before || after) changes.push({ kind: 'user', userId: pk.slice(USER_PREFIX.length), ...(before && { before }), ...(after && { after }), record: ref });
    } else if (pk.startsWith(USER_PREFIX) && sk.startsWith(GROUP_PREFIX)) {
      // A membership is only ever written whole or deleted: a MODIFY would mean nothing changed.
      if (record.eventName === 'INSERT' || record.eventName === 'REMOVE') {
        changes.push({ kind: 'membership', userId: pk.slice(USER_PREFIX.length), groupId: sk.slice(GROUP_PREFIX.length), record: ref });
      }
    } else if (pk.startsWith(GROUP_PREFIX) && sk === GROUP_SK && record.eventName === 'MODIFY') {
      const before = stream.OldImage?.displayName?.S;
      const after = stream.NewImage?.displayName?.S;
      if (before !== after) changes.push({ kind: 'group-renamed', groupId: pk.slice(GROUP_PREFIX.length), record: ref });
    }
  }
  return changes;
}

/**
 * The function's answer to a stream batch (ReportBatchItemFailures): the first record that failed, or none.
 *
 * @example
 * export const handler = (event: DynamoDBStreamEvent) => relayStreamBatch(event, (changes) => relayChanges(changes, deps));
 */
export async function relayStreamBatch(event: DynamoDBStreamEvent, relay: (changes: DirectoryChange[]) => Promise<RelayOutcome>): Promise<DynamoDBBatchResponse> {
  const outcome = await relay(directoryChangesOf(event.Records));
  return { batchItemFailures: outcome.failedSequenceNumber === undefined ? [] : [{ itemIdentifier: outcome.failedSequenceNumber }] };
}

/** A user item's image back into the port's shape; `undefined` when there is none or it is not one. */
function resourceOf(image: Record<string, AttributeValue> | undefined): StoredUser | undefined {
  const id = image?.id?.S;
  const version = image?.version?.N;
  const created = image?.created?.S;
  const lastModified = image?.lastModified?.S;
  const doc = image?.doc?.S;
  if (id === undefined || version === undefined || created === undefined || lastModified === undefined || doc === undefined) return undefined;
  try {
    return storedResourceOf({ id, version: Number(version), created, lastModified, doc });
  } catch {
    return undefined;
  }
}
