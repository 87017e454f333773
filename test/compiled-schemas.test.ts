import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { COMPILE_AFTER, directInvite, onboardingEvent, tiered } from '../lambda/core/requests';
import { EVENT_SOURCES, EVENT_TYPES, PROJECT_ROLES } from '../lambda/contract';

// A warm container parses events with zod's compiled fast path (lambda/core/requests.ts, `tiered`). It must answer exactly
// what the runtime parser answers: the same data for what it accepts, the same issues for what it does not.

const text = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', ' ', 'x'.repeat(300), '\u202e', 'ada@example.com'));
const email = fc.oneof(fc.emailAddress(), text, fc.constantFrom('a@b', 'ada@example.com\u0000', `${'a'.repeat(250)}@x.io`));
const loose = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 2 }));
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ arbitrary: arb, weight: 6 }, { arbitrary: loose, weight: 1 });

const eventLike = fc.record(
  {
    id: maybe(text),
    source: maybe(fc.oneof(fc.constantFrom(...EVENT_SOURCES), text)),
    type: maybe(fc.oneof(fc.constantFrom(...EVENT_TYPES), text)),
    occurredAt: maybe(fc.oneof(fc.constantFrom('2026-11-28T09:00:00Z', '2026-11-28T09:00:00+01:00', '2026-11-28'), text)),
    group: maybe(text),
    user: maybe(
      fc.record(
        { email: maybe(email), department: maybe(text), title: maybe(text), groups: maybe(fc.array(maybe(text), { maxLength: 3 })), extra: text },
        { requiredKeys: [] },
      ),
    ),
    unknownKey: text,
  },
  { requiredKeys: [] },
);
const directLike = fc.record(
  {
    id: maybe(text),
    groupId: maybe(fc.oneof(fc.constantFrom('5f1e2d3c4b5a69788796a5b4', '5F1E2D3C4B5A69788796A5B4'), text)),
    username: maybe(email),
    roles: maybe(fc.array(maybe(fc.oneof(fc.constantFrom(...PROJECT_ROLES), text)), { maxLength: 4 })),
  },
  { requiredKeys: [] },
);
// Valid ones, so that both sides of the comparison are exercised.
const word = fc.stringMatching(/^[A-Za-z][A-Za-z0-9 -]{0,15}$/);
const address = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9.]{0,10}[a-z0-9]$/), fc.constantFrom('example.com', 'corp.example.org')).map(([l, d]) => `${l}@${d}`);
const validEvent = fc.oneof(
  ...Object.entries({ hr: ['employee.hired', 'employee.updated', 'employee.terminated'], sso: ['user.created', 'group.member.added', 'group.member.removed', 'user.deactivated'] }).map(
    ([source, types]) =>
      fc.record(
        {
          id: word,
          source: fc.constant(source),
          type: fc.constantFrom(...types),
          group: word,
          occurredAt: fc.constant('2026-11-28T09:00:00Z'),
          user: fc.record({ email: address, department: word, title: word, groups: fc.array(word, { maxLength: 3 }) }, { requiredKeys: ['email'] }),
        },
        { requiredKeys: ['source', 'type', 'user'] },
      ),
  ),
);
const validDirect = fc.record({
  id: word,
  groupId: fc.constant('5f1e2d3c4b5a69788796a5b4'),
  username: address,
  roles: fc.uniqueArray(fc.constantFrom(...PROJECT_ROLES), { minLength: 1, maxLength: 3 }),
});
const anything = fc.oneof(eventLike, directLike, validEvent, validDirect, fc.anything());

let accepted = 0;
function sameAnswer(schema: z.ZodMiniType, compiled: z.ZodMiniType, value: unknown): void {
  const runtime = schema.safeParse(value);
  if (runtime.success) accepted++;
  const fast = compiled.safeParse(value);
  expect(fast.success).toBe(runtime.success);
  if (runtime.success) expect(fast.data).toStrictEqual(runtime.data);
  else expect(fast.error?.issues).toStrictEqual(runtime.error.issues);
}

describe('compiled schemas', () => {
  const compiledEvent = z.compile(onboardingEvent);
  const compiledDirect = z.compile(directInvite);

  it('answer an onboarding event as the runtime parser does', () => {
    accepted = 0;
    fc.assert(fc.property(fc.oneof(eventLike, validEvent, anything), (value) => sameAnswer(onboardingEvent, compiledEvent, value)), { numRuns: 3000, seed: 42 });
    // Both sides of the comparison are exercised: enough of the generated events are valid.
    expect(accepted).toBeGreaterThan(100);
  });

  it('answer a direct invite as the runtime parser does', () => {
    accepted = 0;
    fc.assert(fc.property(fc.oneof(directLike, validDirect, anything), (value) => sameAnswer(directInvite, compiledDirect, value)), { numRuns: 3000, seed: 42 });
    expect(accepted).toBeGreaterThan(100);
  });

  it('take over after the first inputs, answering the same before and after', () => {
    let compiled = 0;
    const parse = tiered(onboardingEvent, (schema) => {
      compiled++;
      return z.compile(schema);
    });
    const valid = { source: 'hr', type: 'employee.hired', user: { email: 'ada@example.com', department: 'Finance' } };
    const invalid = { source: 'hr', type: 'user.created', user: { email: 'not an address' } };
    const before = [parse(valid), parse(invalid)];
    for (let parsed = 2; parsed < COMPILE_AFTER - 1; parsed++) parse(valid);
    expect(compiled).toBe(0);
    parse(valid); // the 100th
    expect(compiled).toBe(1);
    for (let i = 0; i < 5; i++) parse(valid);
    expect(compiled).toBe(1);
    expect([parse(valid), parse(invalid)]).toStrictEqual(before);
    expect(before[0]!.success).toBe(true);
    expect(before[1]!.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['user.email', 'must be a valid e-mail address'],
      ['type', 'is not an event type of source "hr"'],
    ]);
  });
});
