import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batch, call, CLIENT_ID, CLIENT_SECRET, DIRECT_PROJECT, expectNoSecretInLogs, hireEvent, linesWithSecrets, PROJECT_B, restEvent, sqsEvent, startWorld, type World } from './harness';

/**
 * The log lines of every path that touches credentials. That none carries a secret is checked when the world closes,
 * as for every world (test/harness.ts); the last test here shows that check finds one.
 */

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
  // A container of its own: the shared one just fetched a token because of a 401, and fetches no other for a while.
  // Its token is fetched for the call, so the 401 is the call's own failure: one answer is all it takes.
  world.atlas.injectFault({ kind: 'status', status: 401, errorCode: 'UNAUTHORIZED' }, { on: 'invites' });
  await call(world.handler(), restEvent({ path: '/events', body: hireEvent({ department: 'Finance' }) }));
  world.atlas.configure({ invitesGone: true });
  await batch(handler, sqsEvent([hireEvent({ id: 'evt-log-2' }), 'not json', { source: 'hr', type: 'employee.hired', user: { email: CLIENT_SECRET } }]));
  world.atlas.injectFault({ kind: 'status', status: 400, errorCode: 'INVALID_EMAIL_ADDRESS' }, { on: 'users' });
  await batch(handler, sqsEvent([hireEvent({ department: 'Finance' })]));
  world.addSecret('wrong-secret-also-secret');
  world.aws.setSecret('atlas/onboarder/service-account', JSON.stringify({ clientId: CLIENT_ID, clientSecret: 'wrong-secret-also-secret' }));
  world.atlas.revokeTokens();
  await call(world.handler(), restEvent({ path: '/events', body: hireEvent({ department: 'Finance' }) }));
});
afterAll(() => world.close());

describe('logs', () => {
  it('are written on every path that touches credentials (which the secret check at close reads)', () => {
    expect(world.atlas.issuedTokens().length).toBeGreaterThanOrEqual(3);
    expect(world.logs.length).toBeGreaterThan(20);
  });

  it('are one JSON object per line, with a level and a message, or the invocation’s metrics (EMF)', () => {
    const entries = world.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    const [metrics, lines] = [entries.filter((e) => '_aws' in e), entries.filter((e) => !('_aws' in e))];
    for (const entry of lines) {
      expect(entry).toEqual(expect.objectContaining({ level: expect.any(String), message: expect.any(String), time: expect.any(String) }));
    }
    expect(metrics.length).toBeGreaterThan(0);
    for (const entry of metrics) expect(entry).toEqual(expect.objectContaining({ _aws: expect.objectContaining({ CloudWatchMetrics: expect.any(Array) }), Function: 'onboarder' }));
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

describe('the secret check when a world closes', () => {
  it('names each log line that carries a secret, cut and masked, and fails close()', async () => {
    const leaky = await startWorld();
    await call(leaky.handler(), restEvent({ path: '/events', body: hireEvent({ department: 'Finance' }) }));
    const [token] = leaky.atlas.issuedTokens();
    const basic = Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64');
    leaky.addSecret('a-secret-this-test-stored');
    const written = leaky.linesWritten.length;
    leaky.logSink(JSON.stringify({ level: 'error', message: 'leak one', clientSecret: CLIENT_SECRET, padding: 'x'.repeat(400) }));
    leaky.logSink(JSON.stringify({ level: 'debug', message: 'leak two', token, basic }));
    leaky.logSink(JSON.stringify({ level: 'debug', message: 'leak three', authorization: 'Bearer not-a-token-we-know', stored: 'a-secret-this-test-stored' }));
    // A test that clears `logs` clears nothing the check reads.
    leaky.logs.length = 0;

    expect(linesWithSecrets(leaky)).toHaveLength(3);
    let report = '';
    try {
      expectNoSecretInLogs(leaky);
    } catch (err) {
      report = (err as Error).message;
    }
    expect(report).toMatch(new RegExp(`^3 of ${written + 3} log lines carry a secret`));
    expect(report).toContain(`line ${written + 1}: {"level":"error","message":"leak one","clientSecret":"[secret]"`);
    expect(report).toContain(`line ${written + 2}: {"level":"debug","message":"leak two","token":"[secret]","basic":"[secret]"}`);
    expect(report).toContain(`line ${written + 3}: {"level":"debug","message":"leak three","authorization":"Bearer [secret]","stored":"[secret]"}`);
    for (const secret of [CLIENT_SECRET, token!, basic, 'not-a-token-we-know', 'a-secret-this-test-stored']) expect(report).not.toContain(secret);
    // Cut: not the whole 400-character padding.
    expect(report).not.toContain('x'.repeat(200));

    await expect(leaky.close()).rejects.toThrow(/^3 of \d+ log lines carry a secret/);
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
