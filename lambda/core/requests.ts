import '../zod-messages';
import * as z from 'zod/mini';
import { EVENT_SOURCES, EVENT_TYPES, groupId, type EventSource, type EventType, LEAVING_TYPES, projectRole, TYPES_OF_SOURCE } from '../contract/vocabulary';

/**
 * The requests the core is asked to carry out (contract section 3): the onboarding event and the direct invite. One
 * zod schema per shape, for parsing, types and error messages. How they arrive (API Gateway, an SQS body, an SNS or
 * EventBridge envelope) is the adapters' business.
 */

/** One problem with an input: `path` is dotted (`user.email`, `roles.1`), empty for the whole body. */
export interface InputIssue {
  path: string;
  message: string;
}

// Control characters (C0, DEL, C1) and the bidirectional marks and overrides that make an address display as
// something it is not.
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** Text that reaches logs and dead letters as it is (an address, an id) holds none of {@link UNSAFE_CHARACTERS}. */
const safeCharacters = () =>
  z.refine<string>((value) => !UNSAFE_CHARACTERS.test(value), { error: 'must not contain control or bidirectional-override characters', abort: true });

/** An error message that says "is required" when the field is missing, and `message` otherwise. */
function expected(message: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : message);
}

export const emailAddress = z.pipe(
  z
    .string({ error: expected('must be a string') })
    .check(z.maxLength(254, { error: 'must be at most 254 characters' }), safeCharacters()),
  z.email({ error: 'must be a valid e-mail address' }),
);

const field = z.string({ error: 'must be a string' }).check(z.maxLength(1024, { error: 'must be at most 1024 characters' }));

/** An identifier that reaches logs and dead letters as it is: bounded, not empty, nothing unprintable. */
const safeText = (max: number) =>
  z
    .string({ error: expected('must be a string') })
    .check(z.minLength(1, { error: 'must not be empty' }), z.maxLength(max, { error: `must be at most ${max} characters` }), safeCharacters());

/**
 * **v2:** where the event came from (contract section 3): the connection (section 11) and the person's id at that
 * identity provider, by which the onboarder can read the person when `user.email` is absent (section 12).
 */
export const eventOrigin = z.object({ connection: safeText(63), userId: z.optional(safeText(256)) }, { error: 'must be an object' });
export type EventOrigin = z.infer<typeof eventOrigin>;

const userFields = {
  department: z.optional(field),
  title: z.optional(field),
  location: z.optional(field),
  costCenter: z.optional(field),
  groups: z.optional(z.array(field, { error: 'must be a list of strings' }).check(z.maxLength(1000, { error: 'must list at most 1000 groups' }))),
};
const eventFields = {
  id: z.optional(
    z
      .string({ error: 'must be a string' })
      .check(z.minLength(1, { error: 'must not be empty' }), z.maxLength(256, { error: 'must be at most 256 characters' }), safeCharacters()),
  ),
  source: z.enum(EVENT_SOURCES, { error: expected(`must be one of ${EVENT_SOURCES.join(', ')}`) }),
  type: z.enum(EVENT_TYPES, { error: expected(`must be one of ${EVENT_TYPES.join(', ')}`) }),
  occurredAt: z.optional(z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time such as 2026-11-28T09:00:00Z' })),
  group: z.optional(field),
  origin: z.optional(eventOrigin),
};
const typeOfSource = z.superRefine((event: { source: EventSource; type: EventType }, ctx) => {
  if (!TYPES_OF_SOURCE[event.source]?.includes(event.type)) {
    ctx.addIssue({ code: 'custom', path: ['type'], message: `is not an event type of source "${event.source}"` });
  }
});

export const onboardingEvent = z
  .object({ ...eventFields, user: z.object({ email: emailAddress, ...userFields }, { error: expected('must be an object') }) }, { error: 'must be a JSON object' })
  .check(typeOfSource);
export type OnboardingEvent = z.infer<typeof onboardingEvent>;

/**
 * **v2:** an onboarding event as the webhook ingress queues it (contract section 11): an event whose `user.email` may
 * be absent where `origin` names the person (`origin.userId`), for the onboarder to read from the identity provider
 * (section 12). Every other field is checked as in {@link onboardingEvent}, which stays what the API takes.
 */
export const queuedEvent = z
  .object(
    { ...eventFields, user: z.object({ email: z.optional(emailAddress), ...userFields }, { error: expected('must be an object') }) },
    { error: 'must be a JSON object' },
  )
  .check(
    typeOfSource,
    z.superRefine((event, ctx) => {
      if (event.user.email === undefined && event.origin?.userId === undefined) ctx.addIssue({ code: 'custom', path: ['user', 'email'], message: 'is required (or origin.userId)' });
    }),
  );
export type QueuedEvent = z.infer<typeof queuedEvent>;

export const directInvite = z.object(
  {
    id: z.optional(z.string({ error: 'must be a string' }).check(z.minLength(1), z.maxLength(256), safeCharacters())),
    groupId: z.pipe(z.string({ error: expected('must be a string') }), groupId),
    username: emailAddress,
    roles: z
      .array(projectRole, { error: expected('must be a list of Atlas project roles') })
      .check(
        z.minLength(1, { error: 'must name at least one role' }),
        z.maxLength(20),
        z.refine((roles) => new Set(roles).size === roles.length, { error: 'must not repeat a role' }),
      ),
  },
  { error: 'must be a JSON object' },
);
export type DirectInvite = z.infer<typeof directInvite>;

/** What the core is asked to do, once the person is known (what the plan takes). */
export type OnboardingRequest = { kind: 'event'; event: OnboardingEvent } | { kind: 'direct'; invite: DirectInvite };

/**
 * **v2:** what the core is handed: an event whose `user.email` may be absent where its origin names the person
 * (contract sections 3 and 12), which the core completes from the identity provider before planning.
 */
export type ReceivedRequest = { kind: 'event'; event: QueuedEvent } | { kind: 'direct'; invite: DirectInvite };

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: 'invalid_json' | 'invalid_event'; issues: InputIssue[] };

/** Leaving events never invite anyone. */
export function isLeaving(event: OnboardingEvent): boolean {
  return (LEAVING_TYPES as readonly string[]).includes(event.type);
}

/**
 * Parses a body's text as JSON, with an issue that says where it broke. The message is ours, not JSON.parse's,
 * which quotes the input: a body may hold an address or a pasted secret, and the message reaches logs and dead letters.
 */
export function parseJson(text: string): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    const position = /position (\d+)/.exec((err as Error).message)?.[1];
    const message = text.trim() === '' ? 'the body is empty' : `is not valid JSON${position === undefined ? '' : ` (at character ${position})`}`;
    return { ok: false, error: 'invalid_json', issues: [{ path: '', message }] };
  }
}

/** After this many inputs a schema's parser is compiled (see {@link tiered}). */
export const COMPILE_AFTER = 100;

/**
 * `schema.safeParse`, compiled with zod's `z.compile` once it has parsed {@link COMPILE_AFTER} inputs: a generated
 * fast path for what it accepts, the runtime parser for the rest (so issues and messages are the runtime's). A valid
 * event then parses several times faster, and a cold start skips the generation, though it loads the compiler. An
 * invalid input costs more once compiled: the fast path fails first, and its refinements run twice.
 *
 * @example
 * const safeParseEvent = tiered(onboardingEvent);
 * const parsed = safeParseEvent(JSON.parse(body));
 */
export function tiered<T extends z.ZodMiniType>(schema: T, compile: (schema: T) => T = z.compile): (value: unknown) => ReturnType<T['safeParse']> {
  let current: T = schema;
  let parsed = 0;
  return (value) => {
    if (++parsed === COMPILE_AFTER) current = compile(schema);
    return current.safeParse(value) as ReturnType<T['safeParse']>;
  };
}
const safeParseEvent = tiered(onboardingEvent);
const safeParseDirect = tiered(directInvite);

/** Validates an onboarding event (`POST /events`). */
export function parseOnboardingEvent(value: unknown): Parsed<OnboardingRequest> {
  const parsed = safeParseEvent(value);
  return parsed.success ? { ok: true, value: { kind: 'event', event: parsed.data } } : invalid(parsed.error);
}

const safeParseQueued = tiered(queuedEvent);

/** Validates an event the webhook ingress is about to queue (see {@link queuedEvent}). */
export function parseQueuedEvent(value: unknown): Parsed<QueuedEvent> {
  const parsed = safeParseQueued(value);
  return parsed.success ? { ok: true, value: parsed.data } : invalid(parsed.error);
}

/**
 * **v2:** validates an onboarding event as the onboarder receives it (`POST /events`, a queue message): `user.email`
 * may be absent where `origin.userId` names the person (see {@link queuedEvent}).
 */
export function parseReceivedEvent(value: unknown): Parsed<ReceivedRequest> {
  // Without an origin.userId to read the person by, the event is a v1 event: v1's schema, v1's messages.
  const named = isRecord(value) && isRecord(value.origin) && value.origin.userId !== undefined;
  if (!named) return parseOnboardingEvent(value);
  const parsed = parseQueuedEvent(value);
  return parsed.ok ? { ok: true, value: { kind: 'event', event: parsed.value } } : parsed;
}

/** Validates a direct invite (`POST /invites`). */
export function parseDirectInvite(value: unknown): Parsed<OnboardingRequest> {
  const parsed = safeParseDirect(value);
  return parsed.success ? { ok: true, value: { kind: 'direct', invite: parsed.data } } : invalid(parsed.error);
}

/**
 * Validates either kind, as an SQS body may carry both: a body with `groupId` or `username` and no `user` is a direct
 * invite, anything else an onboarding event.
 */
export function parseAnyRequest(value: unknown): Parsed<ReceivedRequest> {
  const looksDirect = isRecord(value) && !('user' in value) && ('groupId' in value || 'username' in value);
  return looksDirect ? parseDirectInvite(value) : parseReceivedEvent(value);
}

/** Whether an event names its person itself: it carries `user.email`, and needs no reading to be planned. */
export function isComplete(request: ReceivedRequest): request is OnboardingRequest {
  return request.kind === 'direct' || request.event.user.email !== undefined;
}

function invalid(error: z.core.$ZodError): Parsed<never> {
  return {
    ok: false,
    error: 'invalid_event',
    issues: error.issues.slice(0, 20).map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
  };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
