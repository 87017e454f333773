import { emailAddress, type OnboardingEvent } from '../core/requests';
import type { GroupRef, ScimAttributes, StoredUser } from './directory';
import type { OnboardingEventFor } from './relay';
import { ENTERPRISE_SCHEMA, isRecord } from './protocol';

/**
 * The onboarding event a SCIM change puts on the queue (contract section 14): the user's full current state, source
 * `sso`. The relay decides *whether* a change makes an event ({@link mappedValues} before and after, and the groups);
 * this module decides *what* the event says.
 */

/** What the onboarding event reads from a user: a change that alters none of these (nor the groups) makes no event. */
export interface MappedValues {
  active: boolean;
  email: string | undefined;
  department: string | undefined;
  costCenter: string | undefined;
  title: string | undefined;
  location: string | undefined;
}

/** The event schema's bound on a text field (`lambda/core/requests.ts`): longer values are cut, not refused. */
const MAX_FIELD = 1024;
const MAX_GROUPS = 1000;

/**
 * The values of a user's attributes the onboarding event carries. Compare two of them (`JSON.stringify`) to tell a
 * change the onboarder cares about from one it does not (a new `name.givenName`).
 *
 * @example
 * mappedValues({ userName: 'ada@example.com', active: true, title: 'Engineer' });
 * // { active: true, email: 'ada@example.com', department: undefined, costCenter: undefined, title: 'Engineer', location: undefined }
 */
export function mappedValues(attributes: ScimAttributes): MappedValues {
  const enterprise = isRecord(attributes[ENTERPRISE_SCHEMA]) ? attributes[ENTERPRISE_SCHEMA] : {};
  return {
    // An absent `active` is an active user (RFC 7643 leaves the default to the provider; both IdPs send it).
    active: attributes.active !== false,
    email: emailOf(attributes),
    department: text(enterprise.department),
    costCenter: text(enterprise.costCenter),
    title: text(attributes.title),
    location: text(workAddress(attributes)?.locality),
  };
}

export interface EventOf {
  /** The user as stored, or the last state of a deleted one. */
  user: StoredUser;
  /** The groups the user is a member of (none for a deleted user). */
  groups: readonly GroupRef[];
  /** `created`: the user is new; `deleted`: the user is gone; `updated`: anything else. */
  change: 'created' | 'updated' | 'deleted';
  /** The event id, deterministic for the change (the relay's: a redelivered change makes the same event). */
  id: string;
  /** ISO 8601, when the change happened (the stream record's time; absent when unknown). */
  occurredAt?: string;
}

/**
 * The onboarding event for a user's change; `undefined` when the user has no e-mail address and a `userName` that is
 * not one either (the onboarder matches people by address: such a user cannot be onboarded, the relay logs it).
 *
 * @example
 * onboardingEventFor({ user, groups: [{ id: 'g1', displayName: 'atlas-readers' }], change: 'created', id: 'scim-u1-1', occurredAt });
 * // { id: 'scim-u1-1', source: 'sso', type: 'user.created', occurredAt, user: { email, groups: ['atlas-readers'], ... } }
 */
export function onboardingEventFor({ user, groups, change, id, occurredAt }: EventOf): OnboardingEvent | undefined {
  const values = mappedValues(user.attributes);
  if (values.email === undefined) return undefined;
  const type = change === 'deleted' || !values.active ? 'user.deactivated' : change === 'created' ? 'user.created' : 'user.updated';
  return {
    id,
    source: 'sso',
    type,
    ...(occurredAt !== undefined && { occurredAt }),
    user: {
      email: values.email,
      ...(values.department !== undefined && { department: values.department }),
      ...(values.title !== undefined && { title: values.title }),
      ...(values.location !== undefined && { location: values.location }),
      ...(values.costCenter !== undefined && { costCenter: values.costCenter }),
      groups: (change === 'deleted' ? [] : groups).slice(0, MAX_GROUPS).map((g) => g.displayName.slice(0, MAX_FIELD)),
    },
  };
}

/** The `work` e-mail, else the primary one, else the first, else `userName`: the first of those that is an address. */
function emailOf(attributes: ScimAttributes): string | undefined {
  const emails = Array.isArray(attributes.emails) ? attributes.emails.filter(isRecord) : [];
  const candidates = [
    ...emails.filter((e) => typeof e.type === 'string' && e.type.toLowerCase() === 'work'),
    ...emails.filter((e) => e.primary === true),
    ...emails,
  ].map((e) => e.value);
  candidates.push(attributes.userName);
  for (const candidate of candidates) {
    if (typeof candidate === 'string' && emailAddress.safeParse(candidate).success) return candidate;
  }
  return undefined;
}

function workAddress(attributes: ScimAttributes): Record<string, unknown> | undefined {
  const addresses = Array.isArray(attributes.addresses) ? attributes.addresses.filter(isRecord) : [];
  return addresses.find((a) => typeof a.type === 'string' && a.type.toLowerCase() === 'work');
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value.slice(0, MAX_FIELD) : undefined;
}

/**
 * {@link onboardingEventFor} in the relay's terms (lambda/scim/relay.ts): a deleted user (`undefined`) is taken at
 * their last state from the stream, `created` when the relayed batch holds the user's creation.
 */
export const relayedEventFor: OnboardingEventFor = (user, groups, context) => {
  const subject = user ?? context.previous;
  if (subject === undefined) return undefined;
  const change = user === undefined ? 'deleted' : context.created ? 'created' : 'updated';
  return onboardingEventFor({ user: subject, groups, change, id: context.eventId, ...(context.occurredAt !== undefined && { occurredAt: context.occurredAt }) });
};
