import { describe, expect, it } from 'vitest';
import { fixedCredentials } from '../lambda/atlas/credentials';
import { Invitations } from '../lambda/atlas/invitations';
import { AtlasSession } from '../lambda/atlas/session';
import { Deadline } from '../lambda/deadline';
import { Logger } from '../lambda/log';
import { batch, call, CLIENT_ID, CLIENT_SECRET, hireEvent, lambdaContext, PROJECT_B, restEvent, SECRET_ID, sqsEvent, useWorld, type World } from './harness';

let world: World;
useWorld((started) => (world = started));

/** One Finance hire: one project (B), one invitation. */
const financeHire = (email?: string) => restEvent({ path: '/events', body: hireEvent({ department: 'Finance', ...(email && { email }) }) });
const inviteCalls = () => world.atlas.requests.filter((r) => r.endpoint === 'invites' || r.endpoint === 'users');

describe('invitations as Atlas expects them', () => {
  it('POST /invites with the 2023-01-01 media type, a bearer token, and {roles, username}', async () => {
    const { status } = await call(world.handler(), financeHire('ada@example.com'));
    expect(status).toBe(200);
    expect(inviteCalls()).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: `/api/atlas/v2/groups/${PROJECT_B}/invites`,
        accept: 'application/vnd.atlas.2023-01-01+json',
        contentType: 'application/vnd.atlas.2023-01-01+json',
        authScheme: 'Bearer',
        body: { roles: ['GROUP_READ_ONLY'], username: 'ada@example.com' },
        status: 200,
      }),
    ]);
    const token = world.atlas.requests.find((r) => r.endpoint === 'token');
    expect(token).toMatchObject({ authScheme: 'Basic', contentType: 'application/x-www-form-urlencoded', body: expect.objectContaining({ grant_type: 'client_credentials' }) });
  });

  it('POST /users with the 2025-02-19 media type when ATLAS_INVITE_API=users, answered 201', async () => {
    const { status, body } = await call(world.handler({ ATLAS_INVITE_API: 'users' }), financeHire('ada@example.com'));
    expect(status).toBe(200);
    expect(body.results?.[0]).toMatchObject({ status: 'invited' });
    expect(inviteCalls()).toEqual([
      expect.objectContaining({ path: `/api/atlas/v2/groups/${PROJECT_B}/users`, accept: 'application/vnd.atlas.2025-02-19+json', contentType: 'application/vnd.atlas.2025-02-19+json', status: 201 }),
    ]);
  });
});

describe('retries', () => {
  it.each([
    [500, 'UNEXPECTED_ERROR'],
    [502, 'BAD_GATEWAY'],
    [503, 'SERVICE_UNAVAILABLE'],
    [504, 'GATEWAY_TIMEOUT'],
  ])('retry %i until Atlas answers', async (status, errorCode) => {
    world.atlas.injectFault({ kind: 'status', status, errorCode }, { on: 'invites', times: 2 });
    const { status: answer, body } = await call(world.handler(), financeHire());
    expect(answer).toBe(200);
    expect(body.results?.[0]?.status).toBe('invited');
    expect(inviteCalls().map((r) => r.status)).toEqual([status, status, 200]);
  });

  it('wait the Retry-After of a 429 before retrying', async () => {
    world.atlas.injectFault({ kind: 'status', status: 429, errorCode: 'RATE_LIMITED', retryAfter: '1' }, { on: 'invites' });
    const { status } = await call(world.handler(), financeHire());
    expect(status).toBe(200);
    const [limited, retried] = inviteCalls();
    expect([limited?.status, retried?.status]).toEqual([429, 200]);
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(1000);
  });

  it('honour a Retry-After given as an HTTP date', async () => {
    world.atlas.injectFault({ kind: 'status', status: 503, retryAfter: new Date(Date.now() + 2000).toUTCString() }, { on: 'invites' });
    const { status } = await call(world.handler(), financeHire());
    expect(status).toBe(200);
    const [first, second] = inviteCalls();
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(900);
  });

  it('retry RATE_LIMITED_IP (a 400 that is a rate limit)', async () => {
    world.atlas.injectFault({ kind: 'status', status: 400, errorCode: 'RATE_LIMITED_IP', detail: 'rate limit exceeded' }, { on: 'invites' });
    const { status } = await call(world.handler(), financeHire());
    expect(status).toBe(200);
    expect(inviteCalls().map((r) => r.status)).toEqual([400, 200]);
  });

  it('send RATE_LIMITED_IP that names a window longer than the invocation back with that wait', async () => {
    world.atlas.configure({ inviteRateLimit: { invitations: 1, perMinutes: 5 } });
    const handler = world.handler();
    expect((await call(handler, financeHire())).status).toBe(200);
    const { status, headers, body } = await call(handler, financeHire());
    expect([status, headers['retry-after']]).toEqual([503, '300']);
    expect(body.results?.[0]).toMatchObject({ status: 'failed', error: { code: 'RATE_LIMITED_IP', retryable: true } });
  });

  it('retry a reset connection', async () => {
    world.atlas.injectFault({ kind: 'reset' }, { on: 'invites' });
    const { status } = await call(world.handler(), financeHire());
    expect(status).toBe(200);
    expect(inviteCalls()).toHaveLength(2);
  });

  it('give up on a hang before the invocation deadline, as a failure for now', async () => {
    world.atlas.injectFault({ kind: 'hang' }, { on: 'invites', times: 1000 });
    const started = Date.now();
    const { status, body } = await call(world.handler({ ATLAS_TIMEOUT_MS: '60000', DEADLINE_MARGIN_MS: '500' }), financeHire(), lambdaContext(2500));
    const elapsed = Date.now() - started;
    expect(status).toBe(503);
    expect(body.results?.[0]).toMatchObject({ status: 'failed', error: { code: 'TIMEOUT', retryable: true } });
    expect(elapsed).toBeLessThan(2500);
  });

  it('stop after ATLAS_MAX_ATTEMPTS', async () => {
    world.atlas.injectFault({ kind: 'status', status: 500 }, { on: 'invites', times: 1000 });
    await call(world.handler({ ATLAS_MAX_ATTEMPTS: '3' }), financeHire());
    expect(inviteCalls()).toHaveLength(3);
  });

  it('do not retry a permanent failure', async () => {
    world.atlas.injectFault({ kind: 'status', status: 400, errorCode: 'INVALID_ROLE_FOR_GROUP' }, { on: 'invites' });
    const { status } = await call(world.handler(), financeHire());
    expect(status).toBe(502);
    expect(inviteCalls()).toHaveLength(1);
  });
});

describe('tokens', () => {
  it('fetch a new token once on a 401, then succeed', async () => {
    const handler = world.handler();
    expect((await call(handler, financeHire())).status).toBe(200);
    world.atlas.revokeTokens();
    const { status } = await call(handler, financeHire());
    expect(status).toBe(200);
    expect(world.atlas.count('token')).toBe(2);
    expect(inviteCalls().map((r) => r.status)).toEqual([200, 401, 200]);
  });

  it('give up as a permanent failure when a fresh token is refused too', async () => {
    world.atlas.injectFault({ kind: 'status', status: 401, errorCode: 'UNAUTHORIZED' }, { on: 'invites', times: 2 });
    const { status, body } = await call(world.handler(), financeHire());
    expect(status).toBe(502);
    expect(body.results?.[0]).toMatchObject({ error: { retryable: false } });
    expect(inviteCalls()).toHaveLength(2);
  });

  it('treat the token limit (403 access_denied) as transient', async () => {
    world.atlas.injectFault({ kind: 'status', status: 403, errorCode: 'access_denied' }, { on: 'token' });
    const { status } = await call(world.handler(), financeHire());
    expect(status).toBe(200);
    expect(world.atlas.count('token')).toBe(2);
  });

  it('treat wrong credentials (401 from the token endpoint) as permanent', async () => {
    world.aws.setSecret(SECRET_ID, JSON.stringify({ clientId: CLIENT_ID, clientSecret: 'wrong-secret-value' }));
    const { status, body } = await call(world.handler(), financeHire());
    expect(status).toBe(502);
    expect(body.results?.[0]).toMatchObject({ error: { code: 'INVALID_CREDENTIALS', retryable: false } });
    expect(inviteCalls()).toHaveLength(0);
  });

  it('request one token and one secret across warm invocations', async () => {
    const handler = world.handler();
    for (let i = 0; i < 3; i++) expect((await call(handler, financeHire())).status).toBe(200);
    expect(world.atlas.count('token')).toBe(1);
    expect(world.aws.secretRequests).toHaveLength(1);
  });

  it('request one token and one secret for a concurrent batch of ten', async () => {
    const answer = await batch(world.handler(), sqsEvent(Array.from({ length: 10 }, () => hireEvent())));
    expect(answer.batchItemFailures).toEqual([]);
    expect(inviteCalls()).toHaveLength(20);
    expect(world.atlas.count('token')).toBe(1);
    expect(world.aws.secretRequests).toHaveLength(1);
  });
});

describe('already invited', () => {
  it('on the invites API: a 409 is already_invited', async () => {
    world.atlas.configure({ duplicateInvite: 'conflict' });
    const handler = world.handler();
    await call(handler, financeHire('grace@example.com'));
    const { status, body } = await call(world.handler(), financeHire('grace@example.com'));
    expect(status).toBe(200);
    expect(body.results?.[0]?.status).toBe('already_invited');
    expect(inviteCalls().map((r) => r.status)).toEqual([200, 409]);
  });

  it('on the invites API: a 200 carrying an invitation made earlier is already_invited', async () => {
    world.atlas.seed({ groupId: PROJECT_B, username: 'grace@example.com', roles: ['GROUP_READ_ONLY'] });
    // Ask as if ten minutes later, so the invitation Atlas hands back predates the request.
    const log = new Logger('error', () => undefined);
    const session = new AtlasSession({
      baseUrl: world.atlas.url,
      retry: { maxAttempts: 2, attemptTimeoutMs: 2000, baseDelayMs: 10, maxDelayMs: 10 },
      credentials: fixedCredentials({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
      log,
      now: () => Date.now() + 10 * 60_000,
    });
    const atlas = new Invitations(session, 'invites', log);
    const outcome = await atlas.inviteToProject({ groupId: PROJECT_B, username: 'grace@example.com', roles: ['GROUP_READ_ONLY'] }, new Deadline(5000));
    expect(outcome).toEqual({ ok: true, status: 'already_invited', invitationId: world.atlas.invitations()[0]!.id });
  });

  it('on the users API: a 409 USER_ALREADY_IN_GROUP is already_invited', async () => {
    world.atlas.seed({ groupId: PROJECT_B, username: 'grace@example.com', roles: ['GROUP_READ_ONLY'], status: 'ACTIVE' });
    const { status, body } = await call(world.handler({ ATLAS_INVITE_API: 'users' }), financeHire('grace@example.com'));
    expect(status).toBe(200);
    expect(body.results?.[0]?.status).toBe('already_invited');
    expect(inviteCalls().map((r) => r.status)).toEqual([409]);
  });
});

describe('the invites API retired (410 VERSION_GONE)', () => {
  it('retries that invite on users, keeps using users, and says so in the log', async () => {
    world.atlas.configure({ invitesGone: true });
    const handler = world.handler();
    const first = await call(handler, financeHire());
    expect(first.status).toBe(200);
    expect(first.body.results?.[0]?.status).toBe('invited');
    await call(handler, financeHire());
    expect(inviteCalls().map((r) => [r.endpoint, r.status])).toEqual([
      ['invites', 410],
      ['users', 201],
      ['users', 201],
    ]);
    expect(world.logs.filter((l) => l.includes('VERSION_GONE') && l.includes('users'))).toHaveLength(1);
  });

  it('still refreshes a refused token once on the users API it switched to', async () => {
    world.atlas.configure({ invitesGone: true });
    world.atlas.injectFault({ kind: 'status', status: 401, errorCode: 'UNAUTHORIZED' }, { on: 'users' });
    const { status, body } = await call(world.handler(), financeHire());
    expect(status).toBe(200);
    expect(body.results?.[0]?.status).toBe('invited');
    expect(inviteCalls().map((r) => [r.endpoint, r.status])).toEqual([
      ['invites', 410],
      ['users', 401],
      ['users', 201],
    ]);
    expect(world.atlas.count('token')).toBe(2);
  });
});
