import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalGateway, type LocalGateway } from '../local/gateway';
import { localHookSecret } from '../local/hooks';

/** `npm start`'s webhook ingress at /hooks/{name}: the real handler, local secrets, the queue handed to the onboarder. */

let gateway: LocalGateway;
const lines: string[] = [];
beforeAll(async () => {
  // SCIM (and its DynamoDB Local) is test/local-scim.test.ts's.
  gateway = await startLocalGateway({ env: { PATH: process.env.PATH }, port: 0, logSink: (line) => lines.push(line), scim: false });
});
afterAll(async () => {
  await gateway.close();
  const secrets = gateway.hooks.connections.map((c) => localHookSecret(c).replace(/^(Basic |whsec_)/, ''));
  expect(lines.filter((line) => secrets.some((secret) => line.includes(secret)))).toEqual([]);
});

const OKTA = localHookSecret({ name: 'okta', kind: 'okta-event-hook' });
const user = (id: string, login: string) => ({ id, type: 'User', alternateId: login, displayName: login });
const group = { id: '00gdemoanalyticsread', type: 'UserGroup', alternateId: 'unknown', displayName: 'atlas-analytics-readers' };
const delivery = (events: unknown[]) => JSON.stringify({ eventType: 'com.okta.event_hook', eventTypeVersion: '1.0', eventId: 'local-delivery', data: { events } });

describe('npm start: Okta event hooks at /hooks/okta', () => {
  it('answers the verification challenge with the local secret, and 401 without it', async () => {
    const verified = await fetch(`${gateway.url}/hooks/okta`, { headers: { 'x-okta-verification-challenge': 'local-challenge', authorization: OKTA } });
    expect(verified.status).toBe(200);
    expect(await verified.json()).toEqual({ verification: 'local-challenge' });
    const refused = await fetch(`${gateway.url}/hooks/okta`, { headers: { 'x-okta-verification-challenge': 'local-challenge', authorization: 'Basic bm90LWl0' } });
    expect(refused.status).toBe(401);
  });

  it('answers 204, and the onboarder then invites everyone the delivery added to a group', async () => {
    // The onboarder reads each person from the Okta stand-in (contract section 12): they are there, in the group.
    for (const [i, login] of ['mary@example.com', 'katherine@example.com'].entries()) {
      gateway.okta.addUser({ id: `00ulocal${i}`, profile: { login, email: login } });
      gateway.okta.addToGroup(`00ulocal${i}`, group.id);
    }
    const events = ['mary@example.com', 'katherine@example.com'].map((login, i) => ({
      uuid: `local-${i}`,
      published: '2026-11-30T09:00:00.000Z',
      eventType: 'group.user_membership.add',
      target: [group, user(`00ulocal${i}`, login)],
    }));
    const answer = await fetch(`${gateway.url}/hooks/okta`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: OKTA }, body: delivery(events) });
    expect(answer.status).toBe(204);
    await gateway.hooks.settled();
    const invited = gateway.sandbox!.invitations().filter((i) => i.username === 'mary@example.com' || i.username === 'katherine@example.com');
    expect(invited.map((i) => [i.username, i.groupId, i.roles])).toEqual([
      ['mary@example.com', '5f1e2d3c4b5a69788796a5b4', ['GROUP_READ_ONLY']],
      ['katherine@example.com', '5f1e2d3c4b5a69788796a5b4', ['GROUP_READ_ONLY']],
    ]);
  });

  it('puts an event with no User target among the dead letters /queue/dead-letters shows', async () => {
    const answer = await fetch(`${gateway.url}/hooks/okta`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: OKTA },
      body: delivery([{ uuid: 'local-no-user', eventType: 'user.lifecycle.deactivate', target: null }]),
    });
    expect(answer.status).toBe(204);
    const shown = (await (await fetch(`${gateway.url}/queue/dead-letters`)).json()) as { deadLetters: { body: string; errorCode: string }[] };
    expect(shown.deadLetters.filter((d) => d.body.includes('local-no-user')).map((d) => d.errorCode)).toEqual(['untranslatable_event']);
  });
});
