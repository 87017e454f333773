import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OnboarderHandler } from '../lambda/functions/onboarder/app';
import { parseMessageBody } from '../lambda/adapters/envelopes';
import { parseDirectInvite, parseJson, parseOnboardingEvent, type OnboardingRequest, type Parsed } from '../lambda/core/requests';
import { batch, call, DIRECT_PROJECT, DLQ_URL, httpApiEvent, restEvent, sqsEvent, startWorld, type World } from './harness';

/**
 * Hostile input, property-based: whatever a caller or a queue sends that is not a valid event, the function answers a
 * 4xx naming the problem (API) or dead-letters the message with its reason (SQS); it never answers a 5xx, never
 * throws, never reads the Atlas secret and never calls Atlas, not even for a token. The validators in
 * `lambda/core/requests.ts` are the oracle that keeps valid inputs out of the generators and says which issues to expect.
 */

let world: World;
let handler: OnboarderHandler;
beforeAll(async () => {
  world = await startWorld();
  handler = world.handler({ LOG_LEVEL: 'debug' });
});
afterAll(() => world.close());

const MAX_BODY_BYTES = 256 * 1024;
/** fast-check's default seed, shrinking stopped at the first failure: the report prints the seed and path to replay. */
const RUN = { endOnFailure: true } as const;

// ---------------------------------------------------------------------------------------------------------------
// The world between runs, and what every run must leave behind
// ---------------------------------------------------------------------------------------------------------------

function freshRun(): void {
  world.atlas.reset();
  world.aws.reset();
}

/** Nothing reached Atlas (no invite, no token) and nothing read the secret. */
function expectAtlasUntouched(): void {
  expect(world.atlas.requests.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  expect(world.aws.secretRequests).toHaveLength(0);
}

const OBJECT_PROTOTYPE = Object.getOwnPropertyDescriptors(Object.prototype);
const ARRAY_PROTOTYPE_KEYS = Reflect.ownKeys(Array.prototype);

/** `__proto__`, `constructor` and `prototype` keys changed no prototype. */
function expectNoPollution(): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined();
  expect(Reflect.ownKeys(Object.prototype)).toEqual(Reflect.ownKeys(OBJECT_PROTOTYPE));
  // Same keys, and every value, getter and setter the very same function as before.
  expect(Object.getOwnPropertyDescriptors(Object.prototype)).toEqual(OBJECT_PROTOTYPE);
  expect(Reflect.ownKeys(Array.prototype)).toEqual(ARRAY_PROTOTYPE_KEYS);
  expect(Object.getPrototypeOf({})).toBe(Object.prototype);
}

// ---------------------------------------------------------------------------------------------------------------
// API Gateway: sending a body, and what a refusal must look like
// ---------------------------------------------------------------------------------------------------------------

type Route = '/events' | '/invites';
const ROUTE_ORACLE: Record<Route, (value: unknown) => Parsed<OnboardingRequest>> = { '/events': parseOnboardingEvent, '/invites': parseDirectInvite };
const API_FORMATS = { 'REST API (payload 1.0)': restEvent, 'HTTP API (payload 2.0)': httpApiEvent } as const;
type ApiFormat = keyof typeof API_FORMATS;
const apiFormat = fc.constantFrom(...(Object.keys(API_FORMATS) as ApiFormat[]));
const route = fc.constantFrom<Route>('/events', '/invites');

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** Sends `text` as the body of `POST route` (as given, or as base64 of its UTF-8, or `rawBase64` verbatim). */
async function post(format: ApiFormat, path: Route, body: { text: string; base64?: boolean } | { rawBase64: string }, query?: Record<string, string>): Promise<Answer> {
  const event =
    'rawBase64' in body
      ? { ...API_FORMATS[format]({ path, body: '', ...(query && { query }) }), body: body.rawBase64, isBase64Encoded: true }
      : API_FORMATS[format]({ path, body: body.text, base64: body.base64 ?? false, ...(query && { query }) });
  const { status, headers, body: answer } = await call(handler, event);
  expect(headers['content-type']).toMatch(/^application\/json/);
  return { status, body: answer };
}

/** A 400 whose issues name problems with a path and a message each, at most 20. */
function expectBadRequest(answer: Answer): { error: string; issues: { path: string; message: string }[] } {
  expect(answer.status).toBe(400);
  const body = answer.body as { error: string; issues: { path: string; message: string }[] };
  expect(['invalid_json', 'invalid_event']).toContain(body.error);
  expect(Array.isArray(body.issues)).toBe(true);
  expect(body.issues.length).toBeGreaterThan(0);
  expect(body.issues.length).toBeLessThanOrEqual(20);
  for (const issue of body.issues) {
    expect(issue).toEqual({ path: expect.any(String), message: expect.any(String) });
    expect(issue.message.length).toBeGreaterThan(0);
  }
  return body;
}

/** The oracle's verdict on a body's text sent to `path`, or `undefined` when the body is valid (no test for it here). */
function oracle(path: Route, text: string): Exclude<Parsed<OnboardingRequest>, { ok: true }> | undefined {
  const json = parseJson(text);
  if (!json.ok) return json;
  const parsed = ROUTE_ORACLE[path](json.value);
  return parsed.ok ? undefined : parsed;
}

/** The answer is the 400 the oracle predicts for `text`, issue for issue. */
function expectRefusedAsOracleSays(answer: Answer, path: Route, text: string): void {
  const expected = oracle(path, text)!;
  const body = expectBadRequest(answer);
  if (expected.error === 'invalid_json') expect(body).toEqual({ error: 'invalid_json', issues: [{ path: '', message: expect.any(String) }] });
  else expect(body).toEqual({ error: expected.error, issues: expected.issues });
}

// ---------------------------------------------------------------------------------------------------------------
// SQS: a batch of hostile bodies, and what each record must become
// ---------------------------------------------------------------------------------------------------------------

/** Characters SQS accepts in a message: a body with any other cannot have been delivered. */
const SQS_REFUSED_CHARACTER = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;
const deliverable = (body: string) => (body.replace(SQS_REFUSED_CHARACTER, '?') || '?');

type Envelope = 'raw' | 'sns' | 'eventbridge';
const envelope = fc.constantFrom<Envelope>('raw', 'sns', 'eventbridge');
const PREFIX: Record<Envelope, string> = { raw: '', sns: 'Message.', eventbridge: 'detail.' };

/** Wraps a body's text as SQS would carry it from SNS or EventBridge (EventBridge needs JSON: others stay raw). */
function wrap(text: string, how: Envelope): string {
  if (how === 'sns') return JSON.stringify({ Type: 'Notification', MessageId: 'n-1', TopicArn: 'arn:aws:sns:us-east-1:123456789012:hr', Message: text });
  // EventBridge's detail is always an object: other JSON stays raw.
  const json = parseJson(text);
  if (how === 'eventbridge' && json.ok && typeof json.value === 'object' && json.value !== null && !Array.isArray(json.value)) {
    return `{"version":"0","id":"e-1","detail-type":"employee.hired","source":"hr.workday","account":"123456789012","time":"2026-11-28T09:00:00Z","region":"us-east-1","resources":[],"detail":${text}}`;
  }
  return text;
}

/**
 * Every record was dead-lettered once, body unchanged, with the oracle's `errorCode` and an `errorMessage` that starts
 * with the first issue; nothing is left for redelivery and nothing but `SendMessage` reached AWS.
 */
async function expectEveryRecordDeadLettered(bodies: string[]): Promise<void> {
  const event = sqsEvent(bodies);
  const answer = await batch(handler, event);
  expect(answer).toEqual({ batchItemFailures: [] });
  const sent = [...world.aws.sentMessages];
  expect(sent).toHaveLength(bodies.length);
  for (const record of event.Records) {
    const expected = parseMessageBody(record.body);
    if (expected.ok) throw new Error(`generator produced a valid message: ${record.body.slice(0, 200)}`);
    const index = sent.findIndex((m) => m.body === record.body);
    expect(index, 'a dead letter with the body unchanged').toBeGreaterThanOrEqual(0);
    const [letter] = sent.splice(index, 1);
    expect(letter!.queueUrl).toBe(DLQ_URL);
    expect(letter!.attributes.errorCode?.StringValue).toBe(expected.error);
    const message = letter!.attributes.errorMessage?.StringValue ?? '';
    expect(message.length).toBeGreaterThan(0);
    const first = expected.issues[0]!;
    if (first.path) expect(message.startsWith(`${first.path}: `), `"${message.slice(0, 120)}" names ${first.path}`).toBe(true);
  }
  expect(world.aws.calls.map((c) => c.operation).filter((op) => op !== 'SendMessage')).toEqual([]);
  expectAtlasUntouched();
}

// ---------------------------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------------------------

const lower = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), minLength: min, maxLength: max });
const email = fc.tuple(lower(1, 12), lower(1, 10), fc.constantFrom('com', 'org', 'io', 'example')).map(([local, host, tld]) => `${local}@${host}.${tld}`);
const SOURCE_TYPES = [
  ['hr', 'employee.hired'],
  ['hr', 'employee.updated'],
  ['sso', 'user.created'],
  ['sso', 'group.member.added'],
] as const;

/** A valid onboarding event that, accepted, would invite to Atlas (it matches a rule). */
const invitingEvent = fc
  .record({
    id: lower(1, 16).map((s) => `evt-${s}`),
    sourceType: fc.constantFrom(...SOURCE_TYPES),
    email,
    title: fc.constantFrom('Data Engineer', 'Analyst'),
    groups: fc.array(fc.constantFrom('engineering', 'atlas-analytics-readers'), { minLength: 1, maxLength: 3 }),
  })
  .map(({ id, sourceType: [source, type], email: address, title, groups }) => ({
    id,
    source,
    type,
    occurredAt: '2026-11-28T09:00:00Z',
    group: 'atlas-analytics-readers',
    user: { email: address, department: 'Data Platform', title, location: 'Berlin', costCenter: 'CC-42', groups },
  }));

/** A valid direct invite the rule file allows. */
const allowedInvite = fc
  .record({ username: email, roles: fc.subarray(['GROUP_READ_ONLY', 'GROUP_DATA_ACCESS_READ_ONLY'], { minLength: 1 }) })
  .map(({ username, roles }) => ({ groupId: DIRECT_PROJECT, username, roles }));

const REMOVE = Symbol('remove');
/** A copy of `value` with the dotted `path` set to `replacement` (or removed). */
function withValueAt(value: unknown, path: string, replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  const keys = path.split('.');
  let node: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = keys.at(-1)!;
  if (replacement === REMOVE) delete node[last];
  else node[last] = replacement;
  return copy;
}

/** JSON of the wrong type or out of bounds, or nothing at all. */
const wrongValue = fc.oneof(
  fc.constant(REMOVE),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, 0, -1, 1e308, true, false, [], {}, '', ' ', 'x'.repeat(257), 'x'.repeat(1025), ['x'.repeat(1025)], '2026-13-45T99:00:00Z', 'HR', 'employee.fired'),
);

const EVENT_PATHS = ['id', 'source', 'type', 'occurredAt', 'group', 'user', 'user.email', 'user.department', 'user.title', 'user.location', 'user.costCenter', 'user.groups', 'user.groups.0'];
const INVITE_PATHS = ['id', 'groupId', 'username', 'roles', 'roles.0'];

/** A valid event or invite with one field broken: `{ value, path, route }`; valid outcomes are left to `fc.pre`. */
const brokenField = fc.oneof(
  fc.record({ value: invitingEvent, path: fc.constantFrom(...EVENT_PATHS), wrong: wrongValue, route: fc.constant<Route>('/events') }),
  fc.record({ value: allowedInvite, path: fc.constantFrom(...INVITE_PATHS), wrong: wrongValue, route: fc.constant<Route>('/invites') }),
).map(({ value, path, wrong, route: r }) => ({ value: withValueAt(value, path, wrong), path, route: r }));

/** The issue names the broken field (or a field inside it; a broken `source` may show as a `type` of no source). */
const namesField = (issuePath: string, field: string) =>
  issuePath === field || issuePath.startsWith(`${field}.`) || (field === 'source' && issuePath === 'type');

/** Leaves written as JSON text: numbers JSON allows but JavaScript bends, and the values pollution would plant. */
const jsonLeafText = fc.oneof(
  fc.jsonValue({ maxDepth: 0 }).map((v) => JSON.stringify(v)),
  fc.constantFrom('1e999', '-1e999', '-0', '123456789012345678901234567890', '0.0000000000000000000000001', '{"polluted":true,"isAdmin":true}', '"ada@example.com"', '"hr"'),
);
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'polluted', 'isAdmin', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'source', 'type', 'user', 'email', 'groupId', 'Message', 'detail'];

/** JSON text whose objects use `__proto__`, `constructor` and `prototype` keys at any depth (duplicates allowed). */
const { tree: hostileKeyedJson } = fc.letrec<{ tree: string; object: string; array: string }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, jsonLeafText, tie('object'), tie('array')),
  object: fc
    .array(fc.tuple(fc.constantFrom(...HOSTILE_KEYS), tie('tree')), { maxLength: 6 })
    .map((entries) => `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`),
  array: fc.array(tie('tree'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
}));
const hostileKeyedObject = fc
  .tuple(fc.array(fc.tuple(fc.constantFrom(...HOSTILE_KEYS), hostileKeyedJson), { minLength: 1, maxLength: 6 }))
  .map(([entries]) => `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`);

/** Text that is not JSON: anything, a valid body cut short or with something after it, JSON's near relatives. */
const notJson = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 300 }),
  fc.tuple(invitingEvent, fc.nat()).map(([event, cut]) => {
    const text = JSON.stringify(event);
    return text.slice(0, cut % text.length);
  }),
  fc.tuple(invitingEvent, fc.constantFrom('}', ',', ' x', '\u0000', '{}', '//', ']')).map(([event, tail]) => JSON.stringify(event) + tail),
  invitingEvent.map((event) => `\ufeff${JSON.stringify(event)}`),
  invitingEvent.map((event) => JSON.stringify(event).replaceAll('"', "'")),
  fc.constantFrom('', ' ', 'null null', 'NaN', 'Infinity', 'undefined', '{source: "hr"}', '{"a":1,}', '[1,]', "{'a':1}", '01', '0x10', '"\\x41"', '"unterminated', '{"a":1}/*x*/', 'true false', '\u2028', '{"a"\u00a0:1}'),
).filter((text) => !parseJson(text).ok);

/** Any JSON value at all: `null`, numbers, strings, arrays, objects. */
const anyJsonText = fc.jsonValue().map((v) => JSON.stringify(v));

const UNSAFE_CODE_POINTS = [
  ...Array.from({ length: 0x20 }, (_, i) => i),
  ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
  0x200e,
  0x200f,
  ...[0x202a, 0x202b, 0x202c, 0x202d, 0x202e],
  ...[0x2066, 0x2067, 0x2068, 0x2069],
  0x061c,
];
const unsafeCharacter = fc.constantFrom(...UNSAFE_CODE_POINTS.map((cp) => String.fromCodePoint(cp)));

/** A valid address with 1 to 3 control or bidirectional characters inserted at random positions. */
const hostileEmail = fc
  .tuple(email, fc.array(fc.tuple(unsafeCharacter, fc.nat()), { minLength: 1, maxLength: 3 }))
  .map(([clean, insertions]) => ({
    clean,
    hostile: insertions.reduce((address, [character, at]) => {
      const i = at % (address.length + 1);
      return address.slice(0, i) + character + address.slice(i);
    }, clean),
  }));

const PATH_SEGMENTS = ['../', '..', '/', '%2F', '%2f', '?', '#', '%3F', '%23', '\\', '%5C', '/../../orgs/5f1e2d3c4b5a69788796a5b4', '?pretty=true', '#frag', '/invites', '%2e%2e%2f', '.', ';', '%00', '\u0000', ' ', '\n', '@'];
const LOOKALIKES = ['\u0430' /* Cyrillic a */, '\uff41' /* fullwidth a */, '\uff10' /* fullwidth 0 */, '\u00e9', 'A', 'F', 'g', 'z'];
const hex = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });

/** A `groupId` that is not 24 lowercase hex digits: path segments, uppercase, lookalikes, 23 or 25 digits, not a string. */
const hostileGroupId = fc
  .oneof(
    fc.tuple(fc.constantFrom(...PATH_SEGMENTS), fc.nat(24)).map(([segment, at]) => DIRECT_PROJECT.slice(0, at) + segment + DIRECT_PROJECT.slice(at)),
    fc.tuple(fc.constantFrom(...PATH_SEGMENTS, ...LOOKALIKES), fc.nat(23)).map(([segment, at]) => DIRECT_PROJECT.slice(0, at) + segment + DIRECT_PROJECT.slice(at + 1)),
    fc.tuple(fc.nat(23), fc.integer({ min: 1, max: 24 })).map(([at, length]) => DIRECT_PROJECT.slice(0, at) + DIRECT_PROJECT.slice(at, at + length).toUpperCase() + DIRECT_PROJECT.slice(at + length)),
    fc.oneof(hex(23), hex(25), hex(0), fc.constant(DIRECT_PROJECT.slice(1)), fc.constant(`${DIRECT_PROJECT}0`), fc.constant(`${DIRECT_PROJECT}/`), fc.constant(` ${DIRECT_PROJECT}`)),
    fc.constantFrom<unknown>(REMOVE, null, 0, 0x6a0b1c2d3e4f, true, [DIRECT_PROJECT], { $oid: DIRECT_PROJECT }, { toString: DIRECT_PROJECT }),
  )
  .filter((g) => !(typeof g === 'string' && /^[a-f0-9]{24}$/.test(g)));

type Nesting = 'array' | 'object' | 'mixed' | 'unclosed' | 'user' | 'email' | 'groups' | 'detail';
/** Bytes each level adds, to keep a body within 256 KiB. */
const LEVEL_BYTES: Record<Nesting, number> = { array: 2, object: 6, mixed: 16, unclosed: 1, user: 9, email: 2, groups: 2, detail: 2 };
/** How deep and in which shape: the text is built from it (`nested`), so a failure prints two numbers, not 256 KiB. */
const deepNesting = fc.record({
  depth: fc.integer({ min: 1_000, max: 40_000 }),
  shape: fc.constantFrom<Nesting>('array', 'object', 'mixed', 'unclosed', 'user', 'email', 'groups', 'detail'),
});

/** Nested `depth` times (at most what fits in 256 KiB), as text: no recursion anywhere in the test. */
function nested({ depth: asked, shape }: { depth: number; shape: Nesting }): string {
  const depth = Math.min(asked, Math.floor((MAX_BODY_BYTES - 200) / LEVEL_BYTES[shape]));
  const arrays = '['.repeat(depth) + ']'.repeat(depth);
  switch (shape) {
    case 'array':
      return arrays;
    case 'object':
      return '{"a":'.repeat(depth) + 'null' + '}'.repeat(depth);
    case 'mixed':
      return '[{"__proto__":'.repeat(depth) + '1' + '}]'.repeat(depth);
    case 'unclosed':
      return '['.repeat(depth);
    case 'user':
      return `{"source":"hr","type":"employee.hired","user":${'{"user":'.repeat(depth)}{}${'}'.repeat(depth)}}`;
    case 'email':
      return `{"source":"hr","type":"employee.hired","user":{"email":${arrays},"department":"Data Platform"}}`;
    case 'groups':
      return `{"source":"hr","type":"employee.hired","user":{"email":"ada@example.com","department":"Data Platform","groups":${arrays}}}`;
    case 'detail':
      return `{"groupId":${arrays},"username":"ada@example.com","roles":["GROUP_READ_ONLY"]}`;
  }
}

/** Huge strings and arrays in every field, the body kept at most 256 KiB. */
type Huge = 'email' | 'department' | 'id' | 'groups' | 'groupsOfHuge' | 'roles' | 'username' | 'topArray' | 'topString' | 'manyKeys';
const hugeButUnderLimit = fc
  .record({ n: fc.integer({ min: 1, max: 60_000 }), shape: fc.constantFrom<Huge>('email', 'department', 'id', 'groups', 'groupsOfHuge', 'roles', 'username', 'topArray', 'topString', 'manyKeys') })
  .filter((huge) => Buffer.byteLength(hugeBody(huge).text) <= MAX_BODY_BYTES);

/** The body a `hugeButUnderLimit` describes (a failure prints the description, not the body). */
function hugeBody({ n, shape }: { n: number; shape: Huge }): { route: Route; text: string } {
    const event = { source: 'hr', type: 'employee.hired', user: { email: 'ada@example.com', department: 'Data Platform' } };
  switch (shape) {
    case 'email':
        return { route: '/events', text: JSON.stringify({ ...event, user: { ...event.user, email: `${'a'.repeat(243 + n)}@example.com` } }) };
      case 'department':
        return { route: '/events', text: JSON.stringify({ ...event, user: { ...event.user, department: 'x'.repeat(1024 + n) } }) };
      case 'id':
        return { route: '/events', text: JSON.stringify({ ...event, id: 'i'.repeat(256 + n) }) };
      case 'groups':
        return { route: '/events', text: JSON.stringify({ ...event, user: { ...event.user, groups: Array.from({ length: 1000 + n }, (_, i) => `g${i % 10}`) } }) };
      case 'groupsOfHuge':
        return { route: '/events', text: JSON.stringify({ ...event, user: { ...event.user, groups: Array.from({ length: 1 + (n % 200) }, () => 'g'.repeat(1025)) } }) };
      case 'roles':
        return { route: '/invites', text: JSON.stringify({ groupId: DIRECT_PROJECT, username: 'ada@example.com', roles: Array.from({ length: 21 + n }, () => 'GROUP_READ_ONLY') }) };
      case 'username':
        return { route: '/invites', text: JSON.stringify({ groupId: DIRECT_PROJECT, username: `${'u'.repeat(243 + n)}@example.com`, roles: ['GROUP_READ_ONLY'] }) };
      case 'topArray':
        return { route: '/events', text: JSON.stringify(Array.from({ length: n }, (_, i) => i)) };
      case 'topString':
        return { route: '/events', text: JSON.stringify('s'.repeat(n * 4)) };
      default:
        return { route: '/events', text: JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))) };
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Properties: API Gateway
// ---------------------------------------------------------------------------------------------------------------

describe('hostile bodies through API Gateway (REST and HTTP API): a 400 naming the problem, never Atlas', () => {
  it('arbitrary JSON values (null, numbers, strings, arrays, objects) answer the 400 the validator predicts', async () => {
    await fc.assert(
      fc.asyncProperty(apiFormat, route, anyJsonText, async (format, path, text) => {
        fc.pre(oracle(path, text) !== undefined);
        freshRun();
        expectRefusedAsOracleSays(await post(format, path, { text }), path, text);
        expectAtlasUntouched();
      }),
      { ...RUN, numRuns: 200, examples: [['REST API (payload 1.0)', '/events', 'null'], ['HTTP API (payload 2.0)', '/invites', '[]'], ['REST API (payload 1.0)', '/events', '42'], ['HTTP API (payload 2.0)', '/events', '"hr"']] },
    );
  });

  it('a valid event or invite with one field broken answers 400 invalid_event naming that field', async () => {
    await fc.assert(
      fc.asyncProperty(apiFormat, brokenField, fc.boolean(), async (format, { value, path, route: r }, base64) => {
        const text = JSON.stringify(value);
        fc.pre(oracle(r, text) !== undefined);
        freshRun();
        const answer = await post(format, r, { text, base64 });
        expectRefusedAsOracleSays(answer, r, text);
        const { issues } = answer.body as { issues: { path: string }[] };
        expect(issues.some((issue) => namesField(issue.path, path)), `issues ${JSON.stringify(issues)} name ${path}`).toBe(true);
        expectAtlasUntouched();
      }),
      { ...RUN, numRuns: 200 },
    );
  });

  it('bodies that are not JSON answer 400 invalid_json with one issue for the whole body', async () => {
    await fc.assert(
      fc.asyncProperty(apiFormat, route, notJson, fc.boolean(), async (format, path, text, base64) => {
        freshRun();
        const body = expectBadRequest(await post(format, path, { text, base64 }));
        expect(body).toEqual({ error: 'invalid_json', issues: [{ path: '', message: expect.any(String) }] });
        expectAtlasUntouched();
      }),
      { ...RUN, numRuns: 200 },
    );
  });

  it('__proto__, constructor and prototype keys at any depth answer 400 and pollute no prototype', async () => {
    await fc.assert(
      fc.asyncProperty(apiFormat, route, fc.oneof(hostileKeyedObject, hostileKeyedJson), async (format, path, text) => {
        fc.pre(oracle(path, text) !== undefined);
        freshRun();
        expectRefusedAsOracleSays(await post(format, path, { text }), path, text);
        expectAtlasUntouched();
        expectNoPollution();
      }),
      {
        ...RUN,
        numRuns: 200,
        examples: [
          ['REST API (payload 1.0)', '/events', '{"__proto__":{"polluted":true,"source":"hr","type":"employee.hired","user":{"email":"ada@example.com"}}}'],
          ['HTTP API (payload 2.0)', '/events', '{"constructor":{"prototype":{"polluted":true}},"source":"hr","type":"employee.hired","user":{"email":"ada\\u202e@example.com"}}'],
          ['REST API (payload 1.0)', '/invites', '{"__proto__":{"groupId":"6a0b1c2d3e4f5a6b7c8d9e0f","username":"ada@example.com","roles":["GROUP_READ_ONLY"]}}'],
        ],
      },
    );
  });

  it('required fields hidden under __proto__ or constructor.prototype do not count: 400 naming each of them', async () => {
    const hidingPlace = fc.constantFrom('__proto__', 'constructor.prototype');
    await fc.assert(
      fc.asyncProperty(
        apiFormat,
        invitingEvent,
        fc.subarray(['source', 'type', 'user.email'] as const, { minLength: 1 }),
        hidingPlace,
        async (format, event, hidden, place) => {
          // Built as JSON text: an object literal's `__proto__` would set the prototype instead of a key.
          const hide = (value: Record<string, unknown>, keys: readonly string[], userText?: string): string => {
            const own = Object.entries(value)
              .filter(([k]) => !keys.includes(k))
              .map(([k, v]) => `${JSON.stringify(k)}:${k === 'user' && userText !== undefined ? userText : JSON.stringify(v)}`);
            const moved = JSON.stringify(Object.fromEntries(Object.entries(value).filter(([k]) => keys.includes(k))));
            const under = place === '__proto__' ? `"__proto__":${moved}` : `"constructor":{"prototype":${moved}}`;
            return `{${[...own, ...(keys.length ? [under] : [])].join(',')}}`;
          };
          const userText = hide(event.user, hidden.includes('user.email') ? ['email'] : []);
          const text = hide(event, hidden.filter((h) => h !== 'user.email'), userText);
          freshRun();
          const answer = await post(format, '/events', { text });
          expectRefusedAsOracleSays(answer, '/events', text);
          const named = (answer.body as { issues: { path: string; message: string }[] }).issues.filter((i) => i.message === 'is required').map((i) => i.path);
          expect(named.sort()).toEqual([...hidden].sort());
          expectAtlasUntouched();
          expectNoPollution();
        },
      ),
      { ...RUN, numRuns: 100 },
    );
  });

  it('an e-mail with a control or bidirectional character answers 400 naming user.email (or username), never Atlas', async () => {
    await fc.assert(
      fc.asyncProperty(apiFormat, fc.oneof(invitingEvent, allowedInvite), hostileEmail, async (format, request, { clean, hostile }) => {
        const isEvent = 'user' in request;
        const path: Route = isEvent ? '/events' : '/invites';
        const field = isEvent ? 'user.email' : 'username';
        const withAddress = (address: string) => (isEvent ? withValueAt(request, 'user.email', address) : { ...request, username: address });
        expect(ROUTE_ORACLE[path](withAddress(clean)).ok, 'without the character the request is valid').toBe(true);
        freshRun();
        const body = expectBadRequest(await post(format, path, { text: JSON.stringify(withAddress(hostile)) }));
        expect(body).toEqual({ error: 'invalid_event', issues: [{ path: field, message: 'must not contain control or bidirectional-override characters' }] });
        expectAtlasUntouched();
      }),
      { ...RUN, numRuns: 200 },
    );
  });

  it('a direct invite whose groupId carries path segments, uppercase or the wrong length answers 400 naming groupId, never Atlas', async () => {
    await fc.assert(
      fc.asyncProperty(apiFormat, allowedInvite, hostileGroupId, fc.boolean(), async (format, invite, groupId, base64) => {
        const text = JSON.stringify(withValueAt(invite, 'groupId', groupId));
        freshRun();
        const body = expectBadRequest(await post(format, '/invites', { text, base64 }));
        expect(body).toEqual({ error: 'invalid_event', issues: [{ path: 'groupId', message: expect.any(String) }] });
        expectAtlasUntouched();
      }),
      { ...RUN, numRuns: 200, examples: [['REST API (payload 1.0)', { groupId: DIRECT_PROJECT, username: 'ada@example.com', roles: ['GROUP_READ_ONLY'] }, '../../orgs/6a0b1c2d3e4f5a6b7c8d9e0f', false]] },
    );
  });

  it('base64 bodies of arbitrary bytes, invalid UTF-8 included, or of text that is not base64, answer 400', async () => {
    const bytes = fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b));
    const body = fc.oneof(
      bytes.map((b) => ({ rawBase64: b.toString('base64'), decoded: b })),
      fc.string({ unit: 'binary', maxLength: 500 }).map((s) => ({ rawBase64: s, decoded: Buffer.from(s, 'base64') })),
    );
    await fc.assert(
      fc.asyncProperty(apiFormat, route, body, async (format, path, { rawBase64, decoded }) => {
        const text = decoded.toString('utf8');
        fc.pre(oracle(path, text) !== undefined);
        freshRun();
        const answer = await post(format, path, { rawBase64 });
        if (isWellFormedUtf8(decoded)) expectRefusedAsOracleSays(answer, path, text);
        else expectBadRequest(answer);
        expectAtlasUntouched();
      }),
      { ...RUN, numRuns: 200 },
    );
  });

  // A body that is not UTF-8 is not JSON (RFC 8259 §8.1). Decoding it leniently turns the bad bytes into U+FFFD and lets
  // the request through with a field the caller never sent.
  it('a base64 body with invalid UTF-8 inside an otherwise valid event answers 400 invalid_json, never Atlas', async () => {
    const INVALID_UTF8 = [[0xff], [0xfe], [0x80], [0xc3], [0xc0, 0x80], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]];
    const MARK = '\ue000';
    await fc.assert(
      fc.asyncProperty(
        apiFormat,
        invitingEvent,
        fc.constantFrom('id', 'group', 'user.title', 'user.location', 'user.costCenter', 'user.department', 'user.groups.0'),
        fc.constantFrom(...INVALID_UTF8),
        fc.nat(),
        async (format, event, field, bad, at) => {
          const value = field.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], event) as string;
          const i = at % (value.length + 1);
          const text = JSON.stringify(withValueAt(event, field, value.slice(0, i) + MARK + value.slice(i)));
          const [before, after] = text.split(MARK) as [string, string];
          const bytes = Buffer.concat([Buffer.from(before), Buffer.from(bad), Buffer.from(after)]);
          expect(isWellFormedUtf8(bytes)).toBe(false);
          freshRun();
          const body = expectBadRequest(await post(format, '/events', { rawBase64: bytes.toString('base64') }));
          expect(body.error).toBe('invalid_json');
          expectAtlasUntouched();
        },
      ),
      { ...RUN, numRuns: 100 },
    );
  });

  it('deeply nested bodies (1 000 to 40 000 levels) answer 400 without a throw', async () => {
    await fc.assert(
      fc.asyncProperty(apiFormat, deepNesting, async (format, nesting) => {
        const text = nested(nesting);
        const path: Route = nesting.shape === 'detail' ? '/invites' : '/events';
        freshRun();
        expectRefusedAsOracleSays(await post(format, path, { text }), path, text);
        expectAtlasUntouched();
        expectNoPollution();
      }),
      {
        ...RUN,
        numRuns: 20,
        // 10 000 levels, and as deep as 256 KiB allows.
        examples: [
          ['REST API (payload 1.0)', { depth: 10_000, shape: 'array' }],
          ['HTTP API (payload 2.0)', { depth: 10_000, shape: 'object' }],
          ['REST API (payload 1.0)', { depth: MAX_BODY_BYTES, shape: 'array' }],
          ['HTTP API (payload 2.0)', { depth: MAX_BODY_BYTES, shape: 'unclosed' }],
          ['HTTP API (payload 2.0)', { depth: MAX_BODY_BYTES, shape: 'mixed' }],
        ],
      },
    );
  });

  it('huge strings and arrays up to 256 KiB answer 400 naming the field', async () => {
    await fc.assert(
      fc.asyncProperty(apiFormat, hugeButUnderLimit, fc.boolean(), async (format, huge, base64) => {
        const { route: path, text } = hugeBody(huge);
        freshRun();
        expectRefusedAsOracleSays(await post(format, path, { text, base64 }), path, text);
        expectAtlasUntouched();
      }),
      { ...RUN, numRuns: 25 },
    );
  });

  it('a body over 256 KiB (plain or base64, however valid inside) answers 413; one of at most 256 KiB is read', async () => {
    const bodyOfSize = fc.record({
      bytes: fc.oneof(fc.integer({ min: MAX_BODY_BYTES - 64, max: MAX_BODY_BYTES + 64 }), fc.integer({ min: MAX_BODY_BYTES + 1, max: 2 * MAX_BODY_BYTES })),
      filler: fc.constantFrom('x', '\u00e9', '\u20ac', '\u{1f600}'),
      event: invitingEvent,
    });
    await fc.assert(
      fc.asyncProperty(apiFormat, route, bodyOfSize, fc.boolean(), async (format, path, { bytes, filler, event }, base64) => {
        // A valid, inviting event padded with an unknown field to about `bytes` bytes of UTF-8.
        const bare = JSON.stringify({ ...event, padding: '' });
        const count = Math.max(0, Math.ceil((bytes - Buffer.byteLength(bare)) / Buffer.byteLength(filler)));
        const text = JSON.stringify({ ...event, padding: filler.repeat(count) });
        const size = Buffer.byteLength(text);
        freshRun();
        const answer = await post(format, path, { text, base64 });
        if (size > MAX_BODY_BYTES) {
          expect(answer.status).toBe(413);
          expect(answer.body.error).toBe('payload_too_large');
          expectAtlasUntouched();
        } else {
          // Read, not refused for its size: valid on /events (and then it may invite), an invalid invite on /invites.
          expect(answer.status).not.toBe(413);
          if (path === '/invites') expectRefusedAsOracleSays(answer, path, text);
          else expect(answer.status).toBe(200);
        }
      }),
      { ...RUN, numRuns: 20 },
    );
  });

  it('a dryRun that is neither true nor false answers 400 naming dryRun, never Atlas', async () => {
    const ACCEPTED = new Set(['true', '1', '', 'false', '0']);
    await fc.assert(
      fc.asyncProperty(apiFormat, invitingEvent, fc.string({ unit: 'grapheme', maxLength: 20 }), async (format, event, dryRun) => {
        fc.pre(!ACCEPTED.has(dryRun.trim().toLowerCase()));
        freshRun();
        const body = expectBadRequest(await post(format, '/events', { text: JSON.stringify(event) }, { dryRun }));
        expect(body).toEqual({ error: 'invalid_event', issues: [{ path: 'dryRun', message: expect.any(String) }] });
        expectAtlasUntouched();
      }),
      { ...RUN, numRuns: 100 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Properties: SQS, raw and in SNS and EventBridge envelopes
// ---------------------------------------------------------------------------------------------------------------

describe('hostile message bodies through SQS (raw, SNS, EventBridge): one dead letter each naming the problem, never Atlas', () => {
  const hostileBody = fc.oneof(
    notJson,
    anyJsonText,
    hostileKeyedObject,
    hostileKeyedJson,
    brokenField.map(({ value }) => JSON.stringify(value)),
    hostileEmail.map(({ hostile }) => JSON.stringify({ source: 'hr', type: 'employee.hired', user: { email: hostile, department: 'Data Platform' } })),
  );
  /** Hostile envelopes: wrong `Type`, a `Message` that is not a string, an envelope in an envelope, `detail` missing. */
  const hostileEnvelope = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }).map((message) => JSON.stringify({ Type: 'Notification', Message: message })),
    invitingEvent.map((event) => JSON.stringify({ Type: 'Notification', Message: JSON.stringify({ Type: 'Notification', Message: JSON.stringify({ ...event, user: { email: 'x' } }) }) })),
    invitingEvent.map((event) => JSON.stringify({ Type: 'Notification', Message: JSON.stringify({ version: '0', 'detail-type': 'x', detail: { ...event, source: 'nope' } }) })),
    fc.jsonValue({ maxDepth: 2 }).map((detail) => JSON.stringify({ version: '0', 'detail-type': 'employee.hired', detail })),
    fc.constantFrom('{"Type":"Notification"}', '{"Type":"Notification","Message":""}', '{"Type":"Notification","Message":"null"}', '{"version":"0","detail-type":"x"}', '{"version":0,"detail-type":"x","detail":{}}', '{"Type":"SubscriptionConfirmation","Message":"{}"}'),
  );
  const message = fc.tuple(fc.oneof(hostileBody, hostileEnvelope), envelope).map(([text, how]) => deliverable(wrap(text, how)));

  it('arbitrary, broken, __proto__-keyed and non-JSON bodies, raw or wrapped, are each dead-lettered with their reason', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 4 }), async (bodies) => {
        fc.pre(bodies.every((b) => !parseMessageBody(b).ok));
        freshRun();
        await expectEveryRecordDeadLettered(bodies);
        expectNoPollution();
      }),
      { ...RUN, numRuns: 150 },
    );
  });

  it('an e-mail with a control or bidirectional character is dead-lettered as invalid_event naming user.email', async () => {
    await fc.assert(
      fc.asyncProperty(invitingEvent, hostileEmail, envelope, async (event, { hostile }, how) => {
        const body = wrap(JSON.stringify(withValueAt(event, 'user.email', hostile)), how);
        freshRun();
        await expectEveryRecordDeadLettered([body]);
        const letter = world.aws.sentMessages[0]!;
        expect(letter.attributes.errorMessage?.StringValue).toBe(`${PREFIX[how]}user.email: must not contain control or bidirectional-override characters`);
      }),
      { ...RUN, numRuns: 100 },
    );
  });

  it('a direct invite whose groupId carries path segments is dead-lettered as invalid_event naming groupId', async () => {
    await fc.assert(
      fc.asyncProperty(allowedInvite, hostileGroupId, envelope, async (invite, groupId, how) => {
        const body = deliverable(wrap(JSON.stringify(withValueAt(invite, 'groupId', groupId)), how));
        freshRun();
        await expectEveryRecordDeadLettered([body]);
        expect(world.aws.sentMessages[0]!.attributes.errorMessage?.StringValue).toMatch(new RegExp(`^${PREFIX[how].replace('.', '\\.')}groupId: `));
      }),
      { ...RUN, numRuns: 100 },
    );
  });

  it('deeply nested and huge bodies well under SQS’s 256 KiB are dead-lettered, raw or wrapped', async () => {
    const big = fc.oneof(
      deepNesting.map((nesting) => ({ nesting })),
      hugeButUnderLimit.map((huge) => ({ huge })),
      fc.integer({ min: 1_000, max: MAX_BODY_BYTES - 8_192 }).map((repeat) => ({ repeat })),
    );
    const textOf = (b: { nesting: { depth: number; shape: Nesting } } | { huge: { n: number; shape: Huge } } | { repeat: number }) =>
      'nesting' in b ? nested(b.nesting) : 'huge' in b ? hugeBody(b.huge).text : 'x'.repeat(b.repeat);
    await fc.assert(
      fc.asyncProperty(big, envelope, async (description, how) => {
        const body = wrap(textOf(description), how);
        // SQS counts the attributes with the body: leave room for the reason (errorMessage is at most 2048 characters).
        fc.pre(Buffer.byteLength(body) <= MAX_BODY_BYTES - 8_192);
        freshRun();
        await expectEveryRecordDeadLettered([body]);
      }),
      {
        ...RUN,
        numRuns: 20,
        examples: [
          [{ nesting: { depth: 10_000, shape: 'array' } }, 'raw'],
          [{ nesting: { depth: 10_000, shape: 'object' } }, 'sns'],
          [{ nesting: { depth: 10_000, shape: 'email' } }, 'eventbridge'],
        ],
      },
    );
  });

  // A body SQS delivered may be as large as SQS allows; the dead-letter copy carries the same body plus the reason, and
  // SQS counts both against 256 KiB. Left for redelivery, such a message fails on every receive until the source
  // queue's redrive moves it, with no reason attached.
  it('an invalid body at SQS’s size limit is still dead-lettered (body unchanged), not left for redelivery', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: MAX_BODY_BYTES - 2_500, max: MAX_BODY_BYTES }), async (size) => {
        freshRun();
        const body = 'x'.repeat(size);
        const answer = await batch(handler, sqsEvent([body]));
        expect(answer).toEqual({ batchItemFailures: [] });
        expect(world.aws.sentMessages.map((m) => [m.queueUrl, m.body === body])).toEqual([[DLQ_URL, true]]);
        expectAtlasUntouched();
      }),
      { ...RUN, numRuns: 10, examples: [[MAX_BODY_BYTES]] },
    );
  });
});

/** `bytes` is well-formed UTF-8 (what a strict decoder accepts). */
function isWellFormedUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
