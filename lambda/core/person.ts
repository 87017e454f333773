import { LEAVING_TYPES, type EventSource, type EventType } from '../contract/vocabulary';
import type { Deadline } from '../deadline';
import { Failure, type Result } from '../failure';
import { parseOnboardingEvent, type InputIssue, type OnboardingRequest, type QueuedEvent, type ReceivedRequest } from './requests';

/**
 * The person, read from the identity provider (contract section 12; STYLE: event → the person read where the event
 * carries only an id → plan). The reading itself is a port ({@link PersonSource}, the onboarder's composition root
 * gives it the Okta client); what the core makes of a reading is pure and here.
 */

/** What the identity provider holds of a person now. */
export interface Person {
  /** Their address (Okta's `profile.email`), as the identity provider holds it; not yet validated. */
  email: string | undefined;
  department: string | undefined;
  title: string | undefined;
  location: string | undefined;
  costCenter: string | undefined;
  /** The names of every group they are in. */
  groups: string[];
  /** Whether they are still with the organization (Okta: any status but `SUSPENDED` and `DEPROVISIONED`). */
  active: boolean;
}

/** A person as read, or gone (Okta answered 404 for them). */
export type PersonReading = { kind: 'found'; person: Person } | { kind: 'gone' };

/**
 * What the connections file says of the connection an event's origin names: it reads its people (`reads`: an
 * `okta-event-hook` with `oktaOrgUrl` and `oktaApiSecretId`), its events are used as they come (`as-sent`), or the
 * file names no such connection (`unknown`).
 */
export type ConnectionReach = 'reads' | 'as-sent' | 'unknown';

/** The port the core reads people through: the connections file and, behind it, the identity providers. */
export interface PersonSource {
  reach(connection: string): ConnectionReach;
  /** Reads the person `userId` through `connection` (one whose reach is `reads`) within `deadline`. */
  read(connection: string, userId: string, deadline: Deadline): Promise<Result<PersonReading>>;
}

/** What becomes of a received request before planning. */
export type Completion =
  | { kind: 'ready'; request: OnboardingRequest; read: boolean }
  /** The request cannot be planned as it is (a fault of the message): API 400, SQS dead letter. */
  | { kind: 'invalid'; issues: InputIssue[] }
  /** Reading the person failed: for now (transient: the message waits), or for good (permanent). */
  | { kind: 'unread'; error: Failure };

/**
 * Completes a received request: where its origin names a connection that reads people, the person is read and the
 * event becomes what the identity provider holds now ({@link withPerson}); otherwise it is used as it came (v1), which
 * needs its `user.email`. An origin naming a connection the file does not hold is refused: the onboarder cannot tell
 * whether the person was meant to be read, and acting on an unread event could take access away under `movers: sync`.
 *
 * @example
 * const completion = await complete(request, source, deadline);
 * if (completion.kind === 'ready') planFor(completion.request, rules, fallbackId);
 */
export async function complete(request: ReceivedRequest, source: PersonSource | undefined, deadline: Deadline): Promise<Completion> {
  if (request.kind === 'direct') return { kind: 'ready', request, read: false };
  const { event } = request;
  const origin = event.origin;
  const reach = origin && source ? source.reach(origin.connection) : 'as-sent';
  if (reach === 'unknown') {
    return { kind: 'invalid', issues: [{ path: 'origin.connection', message: 'names no connection of the onboarder’s connections file (CONNECTIONS_FILE / CONNECTIONS)' }] };
  }
  if (reach === 'reads' && origin?.userId !== undefined) {
    const read = await source!.read(origin.connection, origin.userId, deadline);
    if (!read.ok) return { kind: 'unread', error: read.error };
    return withPerson(event, read.value);
  }
  const why = !origin
    ? 'the event has no origin to read the person by'
    : !source
      ? 'the onboarder has no connections file (CONNECTIONS_FILE / CONNECTIONS) to read the person by'
      : reach === 'reads'
        ? 'origin.userId is absent, so the person cannot be read'
        : 'its connection does not read people (no oktaOrgUrl and oktaApiSecretId)';
  return asSent(event, why);
}

/** An event used as it came: it must name its person. */
function asSent(event: QueuedEvent, why: string): Completion {
  if (event.user.email !== undefined) return { kind: 'ready', request: { kind: 'event', event: { ...event, user: { ...event.user, email: event.user.email } } }, read: false };
  return { kind: 'invalid', issues: [{ path: 'user.email', message: `is required: ${why}` }] };
}

/**
 * The event as the identity provider holds the person now (contract section 12): `user` becomes the reading (the
 * event's own fields are replaced, not merged), and the kind follows the person's status: a person who is gone or
 * inactive makes a leaving event; an active one a joining one (the event's own type, unless that was leaving). The
 * event's `group` is dropped: the person's groups are the identity provider's current ones, so an old `group.member.added`
 * for a group they have left since grants nothing.
 *
 * @example
 * withPerson(event, { kind: 'found', person: { email: 'ada@example.com', groups: ['engineering'], active: true, ... } });
 */
export function withPerson(event: QueuedEvent, reading: PersonReading): Completion {
  const { group: _group, ...rest } = event;
  if (reading.kind === 'gone') {
    if (event.user.email === undefined) {
      return { kind: 'unread', error: new Failure('permanent', 'PERSON_NOT_FOUND', 'the person is gone from the identity provider, and the event names no address to act on') };
    }
    return validated({ ...rest, type: leavingType(event.source), user: { ...event.user, email: event.user.email } });
  }
  const { person } = reading;
  const email = person.email ?? event.user.email;
  if (email === undefined) {
    return { kind: 'unread', error: new Failure('permanent', 'PERSON_WITHOUT_EMAIL', 'the identity provider holds no e-mail address for the person') };
  }
  const user = {
    email,
    ...defined({ department: person.department, title: person.title, location: person.location, costCenter: person.costCenter }),
    groups: person.groups,
  };
  const type = person.active ? joiningType(event.source, event.type) : leavingType(event.source);
  return validated({ ...rest, type, user });
}

/** The event checked as the API checks one: what the identity provider holds must fit it too. */
function validated(candidate: Record<string, unknown>): Completion {
  const parsed = parseOnboardingEvent(candidate);
  if (parsed.ok) return { kind: 'ready', request: parsed.value, read: true };
  const detail = parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return { kind: 'unread', error: new Failure('permanent', 'PERSON_UNUSABLE', `what the identity provider holds does not fit an onboarding event (${detail})`) };
}

function leavingType(source: EventSource): EventType {
  return source === 'hr' ? 'employee.terminated' : 'user.deactivated';
}

function joiningType(source: EventSource, type: EventType): EventType {
  if (!(LEAVING_TYPES as readonly string[]).includes(type)) return type;
  return source === 'hr' ? 'employee.hired' : 'user.created';
}

function defined(fields: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
