import { mapConcurrently } from '../concurrency';
import type { Logger } from '../log';
import { compareSequenceNumbers, type DirectoryChange, type RecordRef, type RelayOutcome } from './changes';
import type { Directory, GroupRef, StoredUser } from './directory';

/**
 * The change relay (contract section 14): the directory's stream in, one onboarding event per affected user out, on
 * the onboarding queue. Because it reads the table's stream, a change DynamoDB accepted reaches the queue even when
 * SQS fails at the moment of the write: the stream keeps the record (24 hours) and Lambda retries the batch from the
 * record that failed. The write and the event cannot diverge, and the SCIM request never waits for SQS.
 *
 * Each affected user's event carries the user's state as the directory holds it when the relay runs (so a batch with
 * five changes of one user sends one event, with all five applied). Its id is made of the first record of the batch
 * that affected the user and the user's id: a batch retried from a failed record yields the same ids for the users it
 * had not relayed (a duplicate is harmless either way, contract section 7).
 */

/** Where an event comes from, for the mapping: its id, when the change happened, and a deleted user's last state. */
export interface EventContext {
  eventId: string;
  occurredAt?: string;
  /** The user as the stream last saw them before deletion (from the record's OLD_IMAGE). */
  previous?: StoredUser;
  /** The batch holds the user's creation (the item's INSERT): what tells `user.created` from `user.updated`. */
  created?: true;
}

/**
 * The pure mapping from a stored user (`undefined`: deleted) and their groups to an onboarding event (contract
 * section 14), or `undefined` when the user gives no event. Written in lambda/scim/events.ts; the relay takes it as a
 * parameter.
 */
export type OnboardingEventFor = (user: StoredUser | undefined, groups: GroupRef[], context: EventContext) => object | undefined;

/** The onboarding queue, as the relay needs it (lambda/aws/sqs.ts implements it). */
export interface ChangeQueue {
  /** Sends every body to the queue (SendMessageBatch by tens); throws unless SQS accepted all. */
  enqueue(queueUrl: string, bodies: readonly string[], timeoutMs: number): Promise<void>;
}

export interface RelayDeps {
  directory: Directory;
  queue: ChangeQueue;
  onboardingQueueUrl: string;
  onboardingEventFor: OnboardingEventFor;
  log: Logger;
  /** Time for one SendMessageBatch. */
  queueTimeoutMs?: number;
  /** Users read from the directory at once. */
  concurrency?: number;
}

/** The largest message SQS takes (256 KiB). */
const MAX_EVENT_BYTES = 262_144;

/**
 * An event SQS could never take (a user in hundreds of long-named groups) is left out, loudly: retried, it would hold
 * back every later change of its shard until the stream gave up on it (12 hours).
 */
function fitsOnTheQueue(event: { user: Affected; body: string }, log: Logger): boolean {
  const bytes = Buffer.byteLength(event.body);
  if (bytes <= MAX_EVENT_BYTES) return true;
  log.error('an onboarding event is larger than SQS takes; no event for this change', { userId: event.user.userId, bytes, errorCode: 'EVENT_TOO_LARGE' });
  return false;
}

/** The most entries SQS takes in one SendMessageBatch. */
const BATCH_ENTRIES = 10;

interface Affected {
  userId: string;
  /** The first record of the batch that affected the user. */
  record: RecordRef;
  previous?: StoredUser;
  created?: true;
}

/**
 * Relays a batch's directory changes: which users they affect (each once), their current state and groups, one event
 * each on the queue. Answers the first record it could not relay, for Lambda to retry from.
 *
 * @example
 * const outcome = await relayChanges(directoryChangesOf(event.Records), { directory, queue, onboardingQueueUrl, onboardingEventFor, log });
 */
export async function relayChanges(changes: readonly DirectoryChange[], deps: RelayDeps): Promise<RelayOutcome> {
  const failed: RecordRef[] = [];
  const affected = new Map<string, Affected>();
  /** Leaving events for addresses users no longer have. */
  const leaving: { user: Affected; body: string }[] = [];
  const affect = (userId: string, record: RecordRef, previous?: StoredUser, created?: boolean) => {
    const known = affected.get(userId) ?? { userId, record };
    if (previous) known.previous = previous;
    if (created) known.created = true;
    affected.set(userId, known);
  };
  for (const change of changes) {
    if (change.kind === 'membership') affect(change.userId, change.record);
    else if (change.kind === 'user') {
      if (change.before && change.after && !changesEvent(change.before, change.after, deps.onboardingEventFor)) continue;
      if (change.before && change.after) {
        const left = leftAddress(change.before, change.after, change.record, deps);
        if (left) leaving.push({ user: { userId: change.userId, record: change.record }, body: left });
      }
      affect(change.userId, change.record, change.after ? undefined : change.before, !change.before);
    } else {
      const members = await deps.directory.membersOf(change.groupId);
      if (!members.ok) {
        deps.log.warn('could not read a renamed group’s members; the batch is retried from its record', { groupId: change.groupId, errorCode: members.error.code });
        failed.push(change.record);
        continue;
      }
      for (const member of members.value) affect(member.id, change.record);
    }
  }

  const users = [...affected.values()];
  const events = await mapConcurrently(users, deps.concurrency ?? 10, async (user) => {
    const { body, failed: unread } = await eventBody(user, deps);
    if (unread) failed.push(user.record);
    return body === undefined ? undefined : { user, body };
  });
  const ready = [...leaving, ...events.filter((event) => event !== undefined)].filter((event) => fitsOnTheQueue(event, deps.log));
  for (let i = 0; i < ready.length; i += BATCH_ENTRIES) {
    const chunk = ready.slice(i, i + BATCH_ENTRIES);
    try {
      await deps.queue.enqueue(
        deps.onboardingQueueUrl,
        chunk.map((event) => event.body),
        deps.queueTimeoutMs ?? 3_000,
      );
    } catch (err) {
      deps.log.warn('could not put onboarding events on the queue; the batch is retried from the first of their records', {
        users: chunk.length,
        awsError: err instanceof Error ? err.name : 'unknown',
      });
      failed.push(...chunk.map((event) => event.user.record));
    }
  }
  deps.log.info('relayed directory changes', { records: new Set(changes.map((c) => c.record.sequenceNumber)).size, users: users.length, events: ready.length, failed: failed.length });
  const first = failed.map((record) => record.sequenceNumber).sort(compareSequenceNumbers)[0];
  return first === undefined ? {} : { failedSequenceNumber: first };
}

/** The user's event as JSON; no body when the mapping gives none, `failed` when the directory could not be read. */
async function eventBody(user: Affected, deps: RelayDeps): Promise<{ body?: string; failed?: true }> {
  const [stored, groups] = await Promise.all([deps.directory.getUser(user.userId), deps.directory.groupsOf(user.userId)]);
  if (!stored.ok || !groups.ok) {
    const error = !stored.ok ? stored.error : !groups.ok ? groups.error : undefined;
    deps.log.warn('could not read a changed user; the batch is retried from its record', { userId: user.userId, errorCode: error?.code });
    return { failed: true };
  }
  // Deleted and never seen in this batch: the REMOVE record of the user (in a later batch) sends the leaving event.
  if (stored.value === undefined && user.previous === undefined) return {};
  const context: EventContext = {
    eventId: `scim-${user.record.eventId}-${user.userId}`,
    ...(user.record.occurredAt && { occurredAt: user.record.occurredAt }),
    ...(user.previous && { previous: user.previous }),
    ...(user.created && { created: true as const }),
  };
  try {
    const event = deps.onboardingEventFor(stored.value, stored.value ? groups.value : [], context);
    return event === undefined ? {} : { body: JSON.stringify(event) };
  } catch (err) {
    // A mapping that throws would block the stream for a day: the user is skipped, loudly.
    deps.log.error('the onboarding event mapping failed; no event for this change', { userId: user.userId, error: err instanceof Error ? err.name : 'unknown' });
    return {};
  }
}

/**
 * When a modification changes the user's address (their `userName` or work e-mail), the old address leaves: a leaving
 * event for the user as they were, so that the access granted to that address is removed (`leavers: remove`) rather
 * than kept for an address nobody answers to. `undefined` when the address stayed.
 */
function leftAddress(before: StoredUser, after: StoredUser, record: RecordRef, deps: RelayDeps): string | undefined {
  try {
    const was = addressOf(deps.onboardingEventFor(undefined, [], { eventId: 'compare', previous: before }));
    if (was === undefined || was === addressOf(deps.onboardingEventFor(undefined, [], { eventId: 'compare', previous: after }))) return undefined;
    const event = deps.onboardingEventFor(undefined, [], {
      eventId: `scim-${record.eventId}-${before.id}-left`,
      ...(record.occurredAt && { occurredAt: record.occurredAt }),
      previous: before,
    });
    return event === undefined ? undefined : JSON.stringify(event);
  } catch {
    return undefined;
  }
}

function addressOf(event: object | undefined): string | undefined {
  const email = (event as { user?: { email?: unknown } } | undefined)?.user?.email;
  return typeof email === 'string' ? email.toLowerCase() : undefined;
}

/**
 * Whether a user's modification changes the event they give (`active`, mapped attributes), groups aside: the mapping
 * itself says what it carries. Both sides are mapped with the old version and timestamps, so that only the
 * attributes can differ (a mapping may well tell `user.created` from `user.updated` by the version).
 */
function changesEvent(before: StoredUser, after: StoredUser, onboardingEventFor: OnboardingEventFor): boolean {
  const context: EventContext = { eventId: 'compare' };
  const afterAsBefore: StoredUser = { ...before, attributes: after.attributes };
  try {
    return JSON.stringify(onboardingEventFor(before, [], context)) !== JSON.stringify(onboardingEventFor(afterAsBefore, [], context));
  } catch {
    return true;
  }
}
