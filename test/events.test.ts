import { describe, expect, it } from 'vitest';
import { parseMessageBody } from '../lambda/adapters/envelopes';
import { eventBridgeEvent, snsNotification } from '../local/events';
import { parseDirectInvite, parseOnboardingEvent } from '../lambda/core/requests';

const hire = {
  id: 'evt-2026-0001',
  source: 'hr',
  type: 'employee.hired',
  occurredAt: '2026-11-28T09:00:00Z',
  group: 'atlas-analytics-readers',
  user: { email: 'ada@example.com', department: 'Data Platform', title: 'Data Engineer', location: 'Berlin', costCenter: 'CC-42', groups: ['engineering'] },
};
const issuesOf = (parsed: ReturnType<typeof parseOnboardingEvent>) => (parsed.ok ? [] : parsed.issues);

describe('onboarding events', () => {
  it('accept the contract example and ignore unknown fields', () => {
    const parsed = parseOnboardingEvent({ ...hire, extra: { nested: true }, user: { ...hire.user, nickname: 'ada' } });
    expect(parsed.ok).toBe(true);
    expect(parsed.ok && parsed.value).toEqual({ kind: 'event', event: hire });
  });

  it('name every missing required field', () => {
    expect(issuesOf(parseOnboardingEvent({}))).toEqual([
      { path: 'source', message: 'is required' },
      { path: 'type', message: 'is required' },
      { path: 'user', message: 'is required' },
    ]);
    expect(issuesOf(parseOnboardingEvent({ source: 'hr', type: 'employee.hired', user: {} }))).toEqual([{ path: 'user.email', message: 'is required' }]);
  });

  it('refuse a wrong type on a known field', () => {
    expect(issuesOf(parseOnboardingEvent({ ...hire, user: { ...hire.user, groups: 'engineering' } }))).toEqual([{ path: 'user.groups', message: 'must be a list of strings' }]);
    expect(issuesOf(parseOnboardingEvent({ ...hire, id: 42 })).map((i) => i.path)).toEqual(['id']);
    expect(issuesOf(parseOnboardingEvent({ ...hire, occurredAt: 'yesterday' })).map((i) => i.path)).toEqual(['occurredAt']);
  });

  it('refuse an unknown source or type, and a type of the other source', () => {
    expect(issuesOf(parseOnboardingEvent({ ...hire, source: 'ldap' })).map((i) => i.path)).toEqual(['source']);
    expect(issuesOf(parseOnboardingEvent({ ...hire, type: 'employee.promoted' })).map((i) => i.path)).toEqual(['type']);
    expect(issuesOf(parseOnboardingEvent({ ...hire, type: 'group.member.added' }))).toEqual([{ path: 'type', message: 'is not an event type of source "hr"' }]);
  });

  it.each([
    ['not an address', 'ada'],
    ['a right-to-left override', 'ada\u202e@example.com'],
    ['a left-to-right mark', 'ada@exam\u200eple.com'],
    ['a NUL', 'ada\u0000@example.com'],
    ['a newline', 'ada@example.com\nBcc: eve@example.com'],
    ['a C1 control', 'ada\u0085@example.com'],
    ['an isolate', '\u2066ada@example.com'],
  ])('refuse an e-mail address with %s', (_, email) => {
    expect(issuesOf(parseOnboardingEvent({ ...hire, user: { email } })).map((i) => i.path)).toEqual(['user.email']);
  });

  it.each([
    ['a right-to-left override', 'evt-\u202e1000-tve'],
    ['a NUL', 'evt\u0000'],
    ['a newline', 'evt-1\n{"level":"info","message":"forged"}'],
    ['a C1 control', 'evt\u009b31m'],
    ['an isolate', '\u2067evt-1'],
    ['an Arabic letter mark', 'evt\u061c-1'],
  ])('refuse an id with %s, naming id', (_, id) => {
    expect(issuesOf(parseOnboardingEvent({ ...hire, id }))).toEqual([{ path: 'id', message: 'must not contain control or bidirectional-override characters' }]);
  });

  it('refuse a body that is not an object', () => {
    for (const body of [null, [], 42, 'text', true]) {
      expect(issuesOf(parseOnboardingEvent(body))).toEqual([{ path: '', message: 'must be a JSON object' }]);
    }
  });
});

describe('direct invites', () => {
  it('accept the contract shape', () => {
    const parsed = parseDirectInvite({ groupId: '6a0b1c2d3e4f5a6b7c8d9e0f', username: 'ada@example.com', roles: ['GROUP_READ_ONLY'] });
    expect(parsed.ok).toBe(true);
  });

  it('refuse a groupId that is not 24 hex digits, an unknown or repeated role', () => {
    const parsed = parseDirectInvite({ groupId: '6a0b1c2d3e4f5a6b7c8d9e0f/../../orgs', username: 'ada@example.com', roles: ['GROUP_READ_ONLY', 'GROUP_READ_ONLY', 'ORG_OWNER'] });
    expect(parsed.ok ? [] : parsed.issues.map((i) => i.path)).toEqual(['groupId', 'roles.2']);
    const repeated = parseDirectInvite({ groupId: '6a0b1c2d3e4f5a6b7c8d9e0f', username: 'ada@example.com', roles: ['GROUP_READ_ONLY', 'GROUP_READ_ONLY'] });
    expect(repeated.ok ? [] : repeated.issues).toEqual([{ path: 'roles', message: 'must not repeat a role' }]);
  });

  it('quote at most 64 characters of an unknown role, with control and bidirectional characters escaped', () => {
    const role = `GROUP_\u202e${'X'.repeat(200_000)}`;
    const parsed = parseDirectInvite({ groupId: '6a0b1c2d3e4f5a6b7c8d9e0f', username: 'ada@example.com', roles: [role] });
    expect(parsed.ok ? [] : parsed.issues).toEqual([{ path: 'roles.0', message: `unknown Atlas project role "GROUP_\\u202e${'X'.repeat(57)}…"` }]);
  });

  it('refuse an id with a control or bidirectional-override character, naming id', () => {
    for (const id of ['inv-\u202e1', 'inv\r\n1', 'inv\u200f1']) {
      const parsed = parseDirectInvite({ id, groupId: '6a0b1c2d3e4f5a6b7c8d9e0f', username: 'ada@example.com', roles: ['GROUP_READ_ONLY'] });
      expect(parsed.ok ? [] : parsed.issues).toEqual([{ path: 'id', message: 'must not contain control or bidirectional-override characters' }]);
    }
  });
});

describe('SQS bodies and envelopes', () => {
  it('take a raw event, an SNS notification, and an EventBridge event alike', () => {
    const sns = JSON.stringify(snsNotification(JSON.stringify(hire)));
    const bridge = JSON.stringify(eventBridgeEvent(hire));
    for (const body of [JSON.stringify(hire), sns, bridge]) {
      const parsed = parseMessageBody(body);
      expect(parsed.ok && parsed.value).toEqual({ kind: 'event', event: hire });
    }
  });

  it('open only what is an envelope: a raw event with EventBridge-like fields but no detail is the event itself', () => {
    const raw = parseMessageBody(JSON.stringify({ version: '2', 'detail-type': 'hire', ...hire }));
    expect(raw.ok && raw.value).toEqual({ kind: 'event', event: hire });
    const notSns = parseMessageBody(JSON.stringify({ Type: 'Notification', Message: { not: 'text' }, ...hire }));
    expect(notSns.ok && notSns.value).toEqual({ kind: 'event', event: hire });
  });

  // Contract section 3, v2: the event executed is the one a filter on the message body sees, never one hidden inside.
  it('never execute an event hidden in a valid event that also carries envelope fields', () => {
    const hidden = { ...hire, id: 'hidden', user: { email: 'outsider@evil.example', department: 'Data Platform' } };
    const withDetail = parseMessageBody(JSON.stringify({ ...eventBridgeEvent(hidden), ...hire }));
    expect(withDetail.ok && withDetail.value).toEqual({ kind: 'event', event: hire });
    const withMessage = parseMessageBody(JSON.stringify({ ...snsNotification(JSON.stringify(hidden)), ...hire }));
    expect(withMessage.ok && withMessage.value).toEqual({ kind: 'event', event: hire });
  });

  it('recognise an envelope only by its whole shape: a partial one is not opened', () => {
    const partialBridge = parseMessageBody(JSON.stringify({ version: '0', 'detail-type': 'x', detail: hire }));
    expect(partialBridge.ok).toBe(false);
    const partialSns = parseMessageBody(JSON.stringify({ Type: 'Notification', Message: JSON.stringify(hire) }));
    expect(partialSns.ok).toBe(false);
  });

  it('take a direct invite in a body', () => {
    const parsed = parseMessageBody(JSON.stringify({ groupId: '6a0b1c2d3e4f5a6b7c8d9e0f', username: 'ada@example.com', roles: ['GROUP_READ_ONLY'] }));
    expect(parsed.ok && parsed.value.kind).toBe('direct');
  });

  it('say where an enveloped event is wrong', () => {
    const parsed = parseMessageBody(JSON.stringify(eventBridgeEvent({ ...hire, user: {} })));
    expect(parsed.ok ? [] : parsed.issues).toEqual([{ path: 'detail.user.email', message: 'is required' }]);
    const sns = parseMessageBody(JSON.stringify(snsNotification('{not json')));
    expect(sns.ok ? undefined : [sns.error, sns.issues[0]?.path]).toEqual(['invalid_json', 'Message']);
  });

  it('call a body that is not JSON invalid_json', () => {
    const parsed = parseMessageBody('hire ada');
    expect(parsed.ok ? undefined : parsed.error).toBe('invalid_json');
  });
});
