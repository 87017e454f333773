import { describe, expect, it } from 'vitest';
import { onboardingEvent, type OnboardingEvent } from '../lambda/core/requests';
import { disallowedDirectRoles, explain, grantsFor } from '../lambda/core/rules';
import { parseRuleFile, RuleFileError, type RuleFile } from '../lambda/contract';

const A = '5f1e2d3c4b5a69788796a5b4';
const B = '64b7c8d9e0f1a2b3c4d5e6f7';
const C = '6a0b1c2d3e4f5a6b7c8d9e0f';

function rules(json: unknown): RuleFile {
  return parseRuleFile(JSON.stringify(json), 'test');
}
function event(fields: Record<string, unknown> & { user?: Record<string, unknown> }): OnboardingEvent {
  return onboardingEvent.parse({ source: 'hr', type: 'employee.hired', ...fields, user: { email: 'ada@example.com', ...fields.user } });
}

const contractRules = rules({
  rules: [
    {
      name: 'data-platform-hires',
      when: { source: 'hr', type: ['employee.hired', 'employee.updated'], department: 'Data Platform' },
      invite: [{ groupId: A, roles: ['GROUP_DATA_ACCESS_READ_WRITE'] }],
    },
    { name: 'okta-analytics-readers', when: { source: 'sso', group: 'atlas-analytics-readers' }, invite: [{ groupId: A, roles: ['GROUP_READ_ONLY'] }] },
  ],
  directInvites: [{ groupId: C, roles: ['GROUP_READ_ONLY', 'GROUP_DATA_ACCESS_READ_ONLY'] }],
});

describe('rule matching', () => {
  it('maps the contract example hire to its project', () => {
    const grants = grantsFor(event({ user: { department: 'Data Platform' } }), contractRules.rules, false);
    expect(grants).toEqual([{ groupId: A, roles: ['GROUP_DATA_ACCESS_READ_WRITE'], rules: ['data-platform-hires'] }]);
  });

  it('ignores case and surrounding space on both sides', () => {
    const grants = grantsFor(event({ user: { department: '  data PLATFORM ' } }), contractRules.rules, false);
    expect(grants.map((g) => g.groupId)).toEqual([A]);
  });

  it('accepts source and type in any case, with surrounding space, as it compares them', () => {
    const file = rules({ rules: [{ name: 'shouty', when: { source: ' HR ', type: ['Employee.Hired'] }, invite: [{ groupId: B, roles: ['GROUP_READ_ONLY'] }] }] });
    expect(grantsFor(event({}), file.rules, false)).toHaveLength(1);
  });

  it('requires every key to hold', () => {
    expect(grantsFor(event({ type: 'employee.updated', user: { department: 'Finance' } }), contractRules.rules, false)).toEqual([]);
    expect(grantsFor(event({ source: 'sso', type: 'user.created', user: { department: 'Data Platform' } }), contractRules.rules, false)).toEqual([]);
  });

  it('matches group against the event group or any of the user groups', () => {
    const sso = { source: 'sso', type: 'group.member.added' };
    expect(grantsFor(event({ ...sso, group: 'ATLAS-analytics-readers' }), contractRules.rules, false)).toHaveLength(1);
    expect(grantsFor(event({ ...sso, user: { groups: ['eng', 'atlas-analytics-readers'] } }), contractRules.rules, false)).toHaveLength(1);
    expect(grantsFor(event({ ...sso, group: 'other', user: { groups: ['eng'] } }), contractRules.rules, false)).toEqual([]);
  });

  it('matches emailDomain against the address after the @', () => {
    const file = rules({ rules: [{ name: 'contractors', when: { emailDomain: ['Contractors.example.com'] }, invite: [{ groupId: B, roles: ['GROUP_READ_ONLY'] }] }] });
    expect(grantsFor(event({ user: { email: 'x@contractors.example.com' } }), file.rules, false)).toHaveLength(1);
    expect(grantsFor(event({ user: { email: 'x@example.com' } }), file.rules, false)).toEqual([]);
  });

  it('matches title, location and costCenter, any of a list', () => {
    const file = rules({
      rules: [{ name: 'berlin-cc42', when: { title: ['Analyst', 'Data Engineer'], location: 'berlin', costCenter: 'cc-42' }, invite: [{ groupId: B, roles: ['GROUP_READ_ONLY'] }] }],
    });
    expect(grantsFor(event({ user: { title: 'Data Engineer', location: 'Berlin', costCenter: 'CC-42' } }), file.rules, false)).toHaveLength(1);
    expect(grantsFor(event({ user: { title: 'Data Engineer', location: 'Berlin' } }), file.rules, false)).toEqual([]);
  });

  it('lets an empty when match every joining event', () => {
    const file = rules({ rules: [{ name: 'everyone', when: {}, invite: [{ groupId: B, roles: ['GROUP_READ_ONLY'] }] }] });
    expect(grantsFor(event({ source: 'sso', type: 'user.created' }), file.rules, false)).toHaveLength(1);
  });

  it('merges grants for one project into one invite with the union of roles, in role order', () => {
    const file = rules({
      rules: [
        { name: 'one', when: { source: 'hr' }, invite: [{ groupId: A, roles: ['GROUP_READ_ONLY'] }, { groupId: B, roles: ['GROUP_OWNER'] }] },
        { name: 'two', when: {}, invite: [{ groupId: A, roles: ['GROUP_DATA_ACCESS_READ_WRITE', 'GROUP_READ_ONLY'] }] },
      ],
    });
    expect(grantsFor(event({}), file.rules, false)).toEqual([
      { groupId: A, roles: ['GROUP_DATA_ACCESS_READ_WRITE', 'GROUP_READ_ONLY'], rules: ['one', 'two'] },
      { groupId: B, roles: ['GROUP_OWNER'], rules: ['one'] },
    ]);
  });

  it('for a leaving event, reports the projects the attributes map to, whatever the rule says of type', () => {
    const grants = grantsFor(event({ type: 'employee.terminated', user: { department: 'Data Platform' } }), contractRules.rules, true);
    expect(grants.map((g) => g.groupId)).toEqual([A]);
  });
});

describe('rule matching at the limits: 1,000 groups against 200 rules', () => {
  const groupName = (i: number) => `Team-${String(i).padStart(4, '0')}-${'x'.repeat(200)}`;
  const project = (i: number) => (i + 1).toString(16).padStart(24, '0');
  const big = event({
    source: 'sso',
    type: 'group.member.added',
    group: groupName(2000),
    user: { department: 'Data Platform', groups: Array.from({ length: 1000 }, (_, i) => (i % 2 ? `  ${groupName(i).toUpperCase()} ` : groupName(i))) },
  });
  // Rule i names group 5i (held up to i = 199), the event's own group (rule 199), or groups the event does not hold;
  // every fourth also asks for a department, alternately the event's and another.
  const bigRules = rules({
    rules: Array.from({ length: 200 }, (_, i) => ({
      name: `rule-${i}`,
      when: {
        group: i % 3 === 0 ? [groupName(5000 + i), ` ${groupName(5 * i).toLowerCase()}`] : i === 199 ? groupName(2000) : [groupName(5000 + i)],
        ...(i % 4 === 0 && { department: i % 8 === 0 ? 'data platform' : 'Finance' }),
      },
      invite: [{ groupId: project(i), roles: ['GROUP_READ_ONLY'] }],
    })),
  }).rules;
  const expected = Array.from({ length: 200 }, (_, i) => i).filter((i) => (i % 3 === 0 && (i % 4 !== 0 || i % 8 === 0)) || i === 199);

  it('grants exactly the projects of the rules whose every key holds, in rule order', () => {
    expect(grantsFor(big, bigRules, false)).toEqual(expected.map((i) => ({ groupId: project(i), roles: ['GROUP_READ_ONLY'], rules: [`rule-${i}`] })));
    expect(bigRules.filter((rule) => explain(big, rule, false).matches).map((rule) => rule.name)).toEqual(expected.map((i) => `rule-${i}`));
  });

  it('reads the event’s groups once per event, not once per rule', () => {
    // The cost bound, observed without a clock: how often the 1,000 groups are read, whatever the number of rules.
    let reads = 0;
    const groups = new Proxy(big.user.groups!, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const counted = { ...big, user: { ...big.user, groups } };
    expect(grantsFor(counted, bigRules, false)).toHaveLength(expected.length);
    expect(reads).toBeLessThanOrEqual(2 * 1000);
  });
});

describe('direct invites', () => {
  it('are allowed only for a listed project with every role asked for', () => {
    const invite = (groupId: string, roles: string[]) => ({ groupId, username: 'a@example.com', roles }) as never;
    expect(disallowedDirectRoles(invite(C, ['GROUP_READ_ONLY']), contractRules)).toEqual([]);
    expect(disallowedDirectRoles(invite(C, ['GROUP_READ_ONLY', 'GROUP_DATA_ACCESS_READ_ONLY']), contractRules)).toEqual([]);
    expect(disallowedDirectRoles(invite(C, ['GROUP_READ_ONLY', 'GROUP_OWNER']), contractRules)).toEqual(['GROUP_OWNER']);
    expect(disallowedDirectRoles(invite(A, ['GROUP_READ_ONLY']), contractRules)).toEqual(['GROUP_READ_ONLY']);
  });
});

describe('rule file errors name the rule', () => {
  const bad = (json: unknown) => {
    try {
      parseRuleFile(JSON.stringify(json), 'test');
    } catch (err) {
      expect(err).toBeInstanceOf(RuleFileError);
      return (err as RuleFileError).message;
    }
    throw new Error('expected the rule file to be refused');
  };
  const rule = (fields: Record<string, unknown>) => ({ rules: [{ name: 'my-rule', when: {}, invite: [{ groupId: A, roles: ['GROUP_READ_ONLY'] }], ...fields }] });

  it.each([
    ['an unknown when key', rule({ when: { colour: 'blue' } }), /rule "my-rule" at when: unknown key "colour"/],
    ['an unknown role', rule({ invite: [{ groupId: A, roles: ['GROUP_GOD'] }] }), /rule "my-rule" at invite\.0\.roles\.0: unknown Atlas project role "GROUP_GOD"/],
    ['a malformed groupId', rule({ invite: [{ groupId: '../../orgs', roles: ['GROUP_READ_ONLY'] }] }), /rule "my-rule" at invite\.0\.groupId: must be a 24-character/],
    ['an uppercase groupId', rule({ invite: [{ groupId: A.toUpperCase(), roles: ['GROUP_READ_ONLY'] }] }), /rule "my-rule" at invite\.0\.groupId/],
    ['an unknown event type', rule({ when: { type: 'employee.hird' } }), /rule "my-rule" at when\.type\.0: unknown event type "employee\.hird"/],
    ['an unknown rule key', rule({ unless: {} }), /rule "my-rule": unknown key|rule "my-rule".*unless/],
    ['a rule with no invite', rule({ invite: [] }), /rule "my-rule" at invite: a rule must invite to at least one project/],
  ])('refuses %s', (_, json, message) => {
    expect(bad(json)).toMatch(message);
  });

  it('refuses two rules with one name', () => {
    const r = rule({}).rules[0];
    expect(bad({ rules: [r, r] })).toMatch(/duplicate rule name "my-rule"/);
  });

  it('quote at most 64 characters of a value, with control and bidirectional characters escaped', () => {
    const long = `GROUP_${'X'.repeat(10_000)}`;
    const problems = bad({
      rules: [
        { name: `rule-\u202e${'n'.repeat(5_000)}`, when: { source: `\u202e${'s'.repeat(5_000)}`, type: 't'.repeat(5_000), [`k\u0085${'k'.repeat(5_000)}`]: 'x' }, invite: [{ groupId: A, roles: [long, 'GROUP\u202e_READ_ONLY'] }] },
      ],
    })
      .split('\n  - ')
      .slice(1);
    const twice = { name: `twice\u2066${'t'.repeat(5_000)}`, when: {}, invite: [{ groupId: A, roles: ['GROUP_READ_ONLY'] }] };
    problems.push(...bad({ rules: [twice, twice] }).split('\n  - ').slice(1));
    expect(problems).toHaveLength(6);
    for (const problem of problems) {
      expect(problem.length).toBeLessThan(300);
      expect(problem).not.toMatch(/[\u0080-\u009f\u202a-\u202e\u2066-\u2069]/u);
    }
    expect(problems).toContain(`rule "rule-\\u202e${'n'.repeat(58)}…" at invite.0.roles.0: unknown Atlas project role "${long.slice(0, 64)}…"`);
    expect(problems).toContain(`rule "rule-\\u202e${'n'.repeat(58)}…" at invite.0.roles.1: unknown Atlas project role "GROUP\\u202e_READ_ONLY"`);
    const quotedTwice = `"twice\\u2066${'t'.repeat(58)}…"`;
    expect(problems).toContain(`rule ${quotedTwice} at name: duplicate rule name ${quotedTwice}`);
  });

  it('refuses a direct invite with no roles, naming its place', () => {
    expect(bad({ rules: [], directInvites: [{ groupId: C, roles: [] }] })).toMatch(/directInvites\[0\] at roles: must name at least one role/);
  });

  it('refuses text that is not JSON', () => {
    expect(() => parseRuleFile('{', 'file.json')).toThrow(/invalid rule file \(file\.json\):\n {2}- not JSON/);
  });
});
