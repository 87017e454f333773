import { describe, expect, it } from 'vitest';
import { fixedCredentials } from '../lambda/atlas/credentials';
import { Invitations } from '../lambda/atlas/invitations';
import { AtlasSession } from '../lambda/atlas/session';
import { Deadline } from '../lambda/deadline';
import { Logger } from '../lambda/log';
import { batch, call, CLIENT_ID, CLIENT_SECRET, hireEvent, PROJECT_B, restEvent, sqsEvent, useWorld, type World } from './harness';

/**
 * Invitations as Atlas expects them, through the real handler and the Atlas sandbox: request shape and media types,
 * what counts as already invited, one token shared by a container's invocations, and the users API after a 410.
 * How each Atlas failure is retried or given up on, through the API and through SQS, is the fault matrix's
 * (fault-matrix.test.ts); it is not repeated here.
 */

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
