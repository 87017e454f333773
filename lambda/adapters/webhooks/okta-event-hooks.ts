import type { EventType } from '../../contract/vocabulary';
import { emailAddress, isRecord, parseQueuedEvent, type InputIssue, type QueuedEvent } from '../../core/requests';

/**
 * Okta event hooks (contract section 11): a delivery's System Log events, translated into onboarding events. Okta
 * sends ids, not profiles: the person is named by `origin.userId`, and by `user.email` only where the login is an
 * address.
 */

/** The Okta event types that mean something to onboarding, and what each becomes. */
export const OKTA_EVENT_TYPES: Readonly<Record<string, EventType>> = {
  'user.lifecycle.create': 'user.created',
  'user.lifecycle.activate': 'user.created',
  'user.lifecycle.reactivate': 'user.created',
  'user.lifecycle.unsuspend': 'user.created',
  'user.account.update_profile': 'user.updated',
  'group.user_membership.add': 'group.member.added',
  'group.user_membership.remove': 'group.member.removed',
  'user.lifecycle.deactivate': 'user.deactivated',
  'user.lifecycle.suspend': 'user.deactivated',
  'user.lifecycle.delete.initiated': 'user.deactivated',
};

/** The most events one delivery may carry; Okta amalgamates a few, never thousands. */
export const MAX_EVENTS_PER_DELIVERY = 1000;

export type Delivery = { ok: true; events: unknown[] } | { ok: false; issues: InputIssue[] };

/**
 * Reads a delivery's envelope: `{"eventType": "com.okta.event_hook", "data": {"events": [...]}}`.
 *
 * @example
 * deliveryOf(JSON.parse(body)); // { ok: true, events: [{ uuid: '...', eventType: 'user.lifecycle.create', ... }] }
 */
export function deliveryOf(body: unknown): Delivery {
  if (!isRecord(body)) return { ok: false, issues: [{ path: '', message: 'must be a JSON object' }] };
  if (body.eventType !== 'com.okta.event_hook') return { ok: false, issues: [{ path: 'eventType', message: 'must be "com.okta.event_hook"' }] };
  const events = isRecord(body.data) ? body.data.events : undefined;
  if (!Array.isArray(events)) return { ok: false, issues: [{ path: 'data.events', message: 'must be a list of events' }] };
  if (events.length > MAX_EVENTS_PER_DELIVERY) return { ok: false, issues: [{ path: 'data.events', message: `must list at most ${MAX_EVENTS_PER_DELIVERY} events` }] };
  return { ok: true, events };
}

/** What became of one element of `data.events`. */
export type Translation =
  | { kind: 'event'; event: QueuedEvent }
  | { kind: 'skipped' }
  | { kind: 'untranslatable'; reason: string };

/**
 * Translates one System Log event. A type not in {@link OKTA_EVENT_TYPES} is skipped; one that is, but names no
 * `User` target (or names it in a way no event can carry), is untranslatable: it goes to the dead-letter queue.
 *
 * @example
 * translateOktaEvent({ uuid, published, eventType: 'user.lifecycle.create', target: [{ type: 'User', id: '00u1', alternateId: 'ada@example.com' }] }, 'okta');
 * // { kind: 'event', event: { id: uuid, source: 'sso', type: 'user.created', origin: { connection: 'okta', userId: '00u1' }, user: { email: 'ada@example.com' }, ... } }
 */
export function translateOktaEvent(element: unknown, connection: string): Translation {
  if (!isRecord(element) || typeof element.eventType !== 'string' || !Object.hasOwn(OKTA_EVENT_TYPES, element.eventType)) return { kind: 'skipped' };
  const type = OKTA_EVENT_TYPES[element.eventType]!;
  // Preview deliveries carry `"target": null`; the person is found by type, never by position.
  const targets = Array.isArray(element.target) ? element.target.filter(isRecord) : [];
  const person = targets.find((t) => t.type === 'User');
  if (!person || typeof person.id !== 'string') return { kind: 'untranslatable', reason: `a ${element.eventType} event with no User target` };
  const group = targets.find((t) => t.type === 'UserGroup')?.displayName;
  const login = person.alternateId;
  const candidate = {
    ...(typeof element.uuid === 'string' && { id: element.uuid }),
    source: 'sso',
    type,
    ...(typeof element.published === 'string' && { occurredAt: element.published }),
    ...(typeof group === 'string' && { group }),
    origin: { connection, userId: person.id },
    user: { ...(typeof login === 'string' && emailAddress.safeParse(login).success && { email: login }) },
  };
  const parsed = parseQueuedEvent(candidate);
  if (!parsed.ok) return { kind: 'untranslatable', reason: parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ') };
  return { kind: 'event', event: parsed.value };
}
