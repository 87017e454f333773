import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseOnboardingEvent } from '../lambda/core/requests';
import type { ScimAttributes, StoredUser } from '../lambda/scim/directory';
import { mappedValues, onboardingEventFor } from '../lambda/scim/events';

/** The onboarding event a SCIM change makes (contract section 14), checked against the onboarder's own event schema. */

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const OCCURRED_AT = '2026-11-30T09:00:00.000Z';

function stored(attributes: ScimAttributes): StoredUser {
  return { id: 'u-1', version: 3, created: OCCURRED_AT, lastModified: OCCURRED_AT, attributes };
}

const ADA: ScimAttributes = {
  userName: 'ada.upn@contoso.com',
  active: true,
  title: 'Data Engineer',
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [
    { type: 'home', value: 'ada@home.example', primary: true },
    { type: 'work', value: 'ada@contoso.com' },
  ],
  addresses: [
    { type: 'home', locality: 'London' },
    { type: 'work', locality: 'Berlin' },
  ],
  [ENTERPRISE]: { department: 'Data Platform', costCenter: 'CC-42', manager: { value: 'u-0' } },
};
const GROUPS = [
  { id: 'g-1', displayName: 'engineering' },
  { id: 'g-2', displayName: 'atlas-analytics-readers' },
];

function eventFor(attributes: ScimAttributes, change: 'created' | 'updated' | 'deleted' = 'updated', groups = GROUPS) {
  return onboardingEventFor({ user: stored(attributes), groups, change, id: 'scim-u-1-3', occurredAt: OCCURRED_AT });
}

describe('the onboarding event of a SCIM change', () => {
  it('carries the user’s full current state and passes the onboarder’s event schema', () => {
    const event = eventFor(ADA, 'created');
    expect(event).toEqual({
      id: 'scim-u-1-3',
      source: 'sso',
      type: 'user.created',
      occurredAt: OCCURRED_AT,
      user: { email: 'ada@contoso.com', department: 'Data Platform', title: 'Data Engineer', location: 'Berlin', costCenter: 'CC-42', groups: ['engineering', 'atlas-analytics-readers'] },
    });
    const parsed = parseOnboardingEvent(event);
    expect(parsed.ok).toBe(true);
  });

  it('is user.deactivated for an inactive or deleted user (a deleted one has no groups), else user.updated', () => {
    expect(eventFor({ ...ADA, active: false }, 'updated')!.type).toBe('user.deactivated');
    expect(eventFor({ ...ADA, active: false }, 'created')!.type).toBe('user.deactivated');
    const deleted = eventFor(ADA, 'deleted')!;
    expect(deleted.type).toBe('user.deactivated');
    expect(deleted.user.groups).toEqual([]);
    expect(eventFor(ADA, 'updated')!.type).toBe('user.updated');
    // No `active` at all is an active user.
    const { active: _active, ...noActive } = ADA;
    expect(eventFor(noActive, 'created')!.type).toBe('user.created');
  });

  it('takes the work e-mail, else the primary, else the first, else userName', () => {
    expect(eventFor(ADA)!.user.email).toBe('ada@contoso.com');
    expect(eventFor({ ...ADA, emails: [{ type: 'other', value: 'first@contoso.com' }, { type: 'home', value: 'primary@contoso.com', primary: true }] })!.user.email).toBe('primary@contoso.com');
    expect(eventFor({ ...ADA, emails: [{ value: 'first@contoso.com' }, { value: 'second@contoso.com' }] })!.user.email).toBe('first@contoso.com');
    expect(eventFor({ ...ADA, emails: undefined })!.user.email).toBe('ada.upn@contoso.com');
    expect(eventFor({ ...ADA, emails: [{ type: 'WORK', value: 'upper@contoso.com' }] })!.user.email).toBe('upper@contoso.com');
  });

  it('makes no event for a user with no address at all (Entra’s Test_User_... userName and no e-mail)', () => {
    expect(eventFor({ userName: 'Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee', active: true })).toBeUndefined();
  });

  it('leaves out what the user does not have, and cuts what is longer than the schema allows', () => {
    const event = eventFor({ userName: 'bo@contoso.com', title: 'x'.repeat(5000), [ENTERPRISE]: { department: 42 } })!;
    expect(event.user).toEqual({ email: 'bo@contoso.com', title: 'x'.repeat(1024), groups: ['engineering', 'atlas-analytics-readers'] });
    expect(parseOnboardingEvent(event).ok).toBe(true);
  });

  it('passes the event schema whatever the stored attributes hold', () => {
    const value = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.emailAddress());
    const attributes = fc.record(
      {
        userName: fc.oneof(fc.string(), fc.emailAddress()),
        active: fc.oneof(fc.boolean(), fc.string()),
        title: value,
        emails: fc.array(fc.record({ type: fc.constantFrom('work', 'home', 'WORK', 3), value, primary: fc.oneof(fc.boolean(), fc.string()) }, { requiredKeys: [] })),
        addresses: fc.array(fc.record({ type: fc.constantFrom('work', 'home'), locality: value }, { requiredKeys: [] })),
        [ENTERPRISE]: fc.record({ department: value, costCenter: value }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    );
    const groups = fc.array(fc.record({ id: fc.uuid(), displayName: fc.string({ maxLength: 2000 }) }), { maxLength: 50 });
    fc.assert(
      fc.property(attributes, groups, fc.constantFrom('created', 'updated', 'deleted'), (attrs, gs, change) => {
        const event = onboardingEventFor({ user: stored(attrs), groups: gs, change, id: 'scim-x', occurredAt: OCCURRED_AT });
        if (event === undefined) return;
        const parsed = parseOnboardingEvent(event);
        expect(parsed.ok ? [] : parsed.issues).toEqual([]);
      }),
    );
  });
});

describe('mappedValues: which changes matter to the onboarder', () => {
  const same = (a: ScimAttributes, b: ScimAttributes) => JSON.stringify(mappedValues(a)) === JSON.stringify(mappedValues(b));

  it('does not change for a name, a manager or a home address', () => {
    expect(same(ADA, { ...ADA, name: { givenName: 'Augusta' } })).toBe(true);
    expect(same(ADA, { ...ADA, [ENTERPRISE]: { department: 'Data Platform', costCenter: 'CC-42', manager: { value: 'u-9' } } })).toBe(true);
    expect(same(ADA, { ...ADA, addresses: [{ type: 'home', locality: 'Paris' }, { type: 'work', locality: 'Berlin' }] })).toBe(true);
  });

  it('changes for active, the e-mail, department, cost center, title and work locality', () => {
    expect(same(ADA, { ...ADA, active: false })).toBe(false);
    expect(same(ADA, { ...ADA, emails: [{ type: 'work', value: 'ada.l@contoso.com' }] })).toBe(false);
    expect(same(ADA, { ...ADA, [ENTERPRISE]: { department: 'Finance', costCenter: 'CC-42' } })).toBe(false);
    expect(same(ADA, { ...ADA, [ENTERPRISE]: { department: 'Data Platform', costCenter: 'CC-7' } })).toBe(false);
    expect(same(ADA, { ...ADA, title: 'Staff Engineer' })).toBe(false);
    expect(same(ADA, { ...ADA, addresses: [{ type: 'work', locality: 'Munich' }] })).toBe(false);
  });
});
