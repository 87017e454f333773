import { describe, expect, it } from 'vitest';
import { parseOnboardingEvent, parseQueuedEvent } from '../lambda/core/requests';

/**
 * The onboarding event's `origin` (contract section 3, v2), and the one relaxation the webhook ingress needs: an
 * event it queues may leave out `user.email` where `origin.userId` names the person. What the API takes is unchanged.
 */

describe('the onboarding event’s origin (contract section 3, v2)', () => {
  const base = { source: 'sso', type: 'user.created' };
  it('takes a bounded, printable origin and refuses any other', () => {
    expect(parseOnboardingEvent({ ...base, origin: { connection: 'okta', userId: '00u1' }, user: { email: 'a@example.com' } }).ok).toBe(true);
    for (const origin of [{ connection: 'okta\u202e' }, { connection: 'x'.repeat(64) }, { connection: 'okta', userId: 7 }, 'okta']) {
      const parsed = parseOnboardingEvent({ ...base, origin, user: { email: 'a@example.com' } });
      expect(parsed.ok ? [] : parsed.issues.map((i) => i.path.split('.')[0])).toEqual(['origin']);
    }
  });

  it('still answers user.email is required to an event without an address, with or without origin', () => {
    for (const event of [{ ...base, user: {} }, { ...base, origin: { connection: 'okta', userId: '00u1' }, user: {} }]) {
      expect(parseOnboardingEvent(event)).toEqual({ ok: false, error: 'invalid_event', issues: [{ path: 'user.email', message: 'is required' }] });
    }
  });

  it('lets a queued event leave out the address only where origin names the person', () => {
    expect(parseQueuedEvent({ ...base, origin: { connection: 'okta', userId: '00u1' }, user: {} }).ok).toBe(true);
    for (const event of [{ ...base, user: {} }, { ...base, origin: { connection: 'okta' }, user: {} }]) {
      const parsed = parseQueuedEvent(event);
      expect(parsed.ok ? [] : parsed.issues.map((i) => i.path)).toEqual(['user.email']);
    }
  });
});
