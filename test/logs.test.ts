import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batch, call, CLIENT_ID, CLIENT_SECRET, DIRECT_PROJECT, hireEvent, linesWithSecrets, PROJECT_B, restEvent, sqsEvent, startWorld, type World } from './harness';

let world: World;
beforeAll(async () => {
  world = await startWorld();
  // Every path that touches credentials, once: success, retries, token refresh, token limit, the 410 switch,
  // dead letters, a permanent failure, an invalid body.
  const handler = world.handler();
  await call(handler, restEvent({ path: '/events', body: hireEvent({ id: 'evt-log-1' }) }));
  world.atlas.injectFault({ kind: 'status', status: 503 }, { on: 'invites', times: 2 });
  await call(handler, restEvent({ path: '/events', body: hireEvent({ department: 'Finance' }) }));
  world.atlas.revokeTokens();
  world.atlas.injectFault({ kind: 'status', status: 403, errorCode: 'access_denied' }, { on: 'token' });
  await call(handler, restEvent({ path: '/events', body: hireEvent({ department: 'Finance' }) }));
  world.atlas.injectFault({ kind: 'status', status: 401, errorCode: 'UNAUTHORIZED' }, { on: 'invites', times: 2 });
  await call(handler, restEvent({ path: '/events', body: hireEvent({ department: 'Finance' }) }));
  world.atlas.configure({ invitesGone: true });
  await batch(handler, sqsEvent([hireEvent({ id: 'evt-log-2' }), 'not json', { source: 'hr', type: 'employee.hired', user: { email: CLIENT_SECRET } }]));
  world.atlas.injectFault({ kind: 'status', status: 400, errorCode: 'INVALID_EMAIL_ADDRESS' }, { on: 'users' });
  await batch(handler, sqsEvent([hireEvent({ department: 'Finance' })]));
  world.aws.setSecret('atlas/onboarder/service-account', JSON.stringify({ clientId: CLIENT_ID, clientSecret: 'wrong-secret-also-secret' }));
  world.atlas.revokeTokens();
  await call(world.handler(), restEvent({ path: '/events', body: hireEvent({ department: 'Finance' }) }));
});
afterAll(() => world.close());

describe('logs', () => {
  it('never carry the client secret, an access token or an Authorization value', () => {
    expect(world.atlas.issuedTokens().length).toBeGreaterThanOrEqual(3);
    expect(world.logs.length).toBeGreaterThan(20);
    expect(linesWithSecrets(world, ['wrong-secret-also-secret'])).toEqual([]);
  });

  it('are one JSON object per line, with a level and a message', () => {
    for (const line of world.logs) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(entry).toEqual(expect.objectContaining({ level: expect.any(String), message: expect.any(String), time: expect.any(String) }));
    }
  });

  it('give one line per decision with the event id, the request or message id, the project and the outcome', () => {
    const entries = world.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const first = entries.filter((e) => e.eventId === 'evt-log-1' && e.outcome === 'invited');
    expect(first).toHaveLength(2);
    expect(first[0]).toEqual(expect.objectContaining({ requestId: expect.any(String), groupId: expect.any(String) }));
    const queued = entries.filter((e) => e.eventId === 'evt-log-2' && e.outcome === 'invited');
    expect(queued).toHaveLength(2);
    expect(queued[0]).toEqual(expect.objectContaining({ messageId: expect.any(String) }));
    const deadLettered = entries.filter((e) => e.outcome === 'dead_lettered');
    expect(deadLettered.map((e) => e.errorCode).sort()).toEqual(['INVALID_EMAIL_ADDRESS', 'invalid_event', 'invalid_json']);
    expect(entries.some((e) => e.groupId === PROJECT_B && e.outcome === 'failed' && e.errorCode === 'INVALID_CREDENTIALS')).toBe(true);
  });
});

describe('text from callers', () => {
  it('reaches a line cut to a bounded length, with control and bidirectional characters escaped', async () => {
    const before = world.logs.length;
    const handler = world.handler();
    const hostile = `GROUP_${'X'.repeat(200_000)}\u202e\u0085`;
    world.atlas.injectFault({ kind: 'status', status: 400, errorCode: 'INVALID_ATTRIBUTE', detail: `bad \u202eetybd ${'d'.repeat(50_000)}` }, { on: 'users' });
    await batch(handler, sqsEvent([{ groupId: DIRECT_PROJECT, username: 'ada@example.com', roles: [hostile] }, hireEvent({ department: 'Finance' })]));
    await call(handler, restEvent({ path: '/invites', body: { groupId: DIRECT_PROJECT, username: 'ada@example.com', roles: [hostile] } }));
    const lines = world.logs.slice(before);
    expect(lines.map((l) => (JSON.parse(l) as { message: string }).message)).toEqual(
      expect.arrayContaining(['message dead-lettered', 'invitation failed', 'request rejected']),
    );
    for (const line of lines) {
      expect(line.length).toBeLessThan(8_192);
      expect(line).not.toMatch(/[\u0080-\u009f\u202a-\u202e]/u);
    }
    const deadLettered = lines.map((l) => JSON.parse(l) as Record<string, string>).find((e) => e.message === 'message dead-lettered')!;
    expect(deadLettered.errorMessage).toMatch(/^roles\.0: unknown Atlas project role "GROUP_X+…"$/);
  });
});
