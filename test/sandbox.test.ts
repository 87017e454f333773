import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ChangeMessageVisibilityCommand, QueueDoesNotExist, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { INVITES_MEDIA_TYPE, SANDBOX_ORG_ID, startAtlasSandbox, startAwsEndpoints, USERS_MEDIA_TYPE } from '../sandbox';
import type { AtlasSandbox, AwsEndpoints } from '../sandbox';

// The sandbox is what every Atlas and AWS test stands on; these tests hold it to what it promises, over real HTTP.

const GROUP = '5f1e2d3c4b5a69788796a5b4';
const OTHER_GROUP = '6a0b1c2d3e4f5a6b7c8d9e0f';
const CLIENT_ID = 'sandbox-client-id';
const CLIENT_SECRET = 'sandbox-client-secret';
const HEX24 = /^[a-f0-9]{24}$/;

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

function basic(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
}

async function reply(response: Response): Promise<Reply> {
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

function requestToken(atlas: AtlasSandbox, authorization = basic(CLIENT_ID, CLIENT_SECRET), form = 'grant_type=client_credentials'): Promise<Reply> {
  return fetch(`${atlas.url}/api/oauth/token`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form,
  }).then(reply);
}

async function accessToken(atlas: AtlasSandbox): Promise<string> {
  const { status, body } = await requestToken(atlas);
  expect(status).toBe(200);
  return String(body.access_token);
}

interface InviteOptions {
  endpoint?: 'invites' | 'users';
  groupId?: string;
  accept?: string;
  contentType?: string;
  body?: unknown;
  method?: string;
  signal?: AbortSignal;
}

function sendInvite(atlas: AtlasSandbox, token: string | undefined, opts: InviteOptions = {}): Promise<Response> {
  const endpoint = opts.endpoint ?? 'invites';
  const mediaType = endpoint === 'invites' ? INVITES_MEDIA_TYPE : USERS_MEDIA_TYPE;
  const headers: Record<string, string> = { accept: opts.accept ?? mediaType, 'content-type': opts.contentType ?? mediaType };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const body = opts.body ?? { username: 'ada@example.com', roles: ['GROUP_READ_ONLY'] };
  return fetch(`${atlas.url}/api/atlas/v2/groups/${opts.groupId ?? GROUP}/${endpoint}`, {
    method: opts.method ?? 'POST',
    headers,
    body: opts.method === 'GET' ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: opts.signal,
  });
}

function invite(atlas: AtlasSandbox, token: string | undefined, opts: InviteOptions = {}): Promise<Reply> {
  return sendInvite(atlas, token, opts).then(reply);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The `cause.code` of a failed fetch (ECONNRESET, ...). */
async function failureCode(promise: Promise<unknown>): Promise<unknown> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return (err as { cause?: { code?: unknown } }).cause?.code;
}

describe('Atlas sandbox', () => {
  let atlas: AtlasSandbox;
  let token: string;

  beforeAll(async () => {
    atlas = await startAtlasSandbox({ clients: { [CLIENT_ID]: CLIENT_SECRET, 'id:with colon': 'p@ss w/rd+&=' } });
  });
  afterAll(() => atlas.close());
  beforeEach(async () => {
    atlas.reset();
    atlas.revokeTokens();
    token = await accessToken(atlas);
    atlas.reset();
  });

  describe('OAuth token endpoint', () => {
    it('issues a Bearer token for form-urlencoded client credentials, usable on the invite endpoint', async () => {
      const { status, headers, body } = await requestToken(atlas, basic('id:with colon', 'p@ss w/rd+&='));
      expect(status).toBe(200);
      expect(headers.get('content-type')).toBe('application/json');
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
      expect(body.access_token).toEqual(expect.stringMatching(/^\S{20,}$/));
      expect((await invite(atlas, String(body.access_token))).status).toBe(200);
      expect(atlas.requests[0]).toMatchObject({ endpoint: 'token', status: 200, body: { grant_type: 'client_credentials' }, authScheme: 'Basic' });
    });

    it('answers 401 invalid_client for a wrong secret or a missing header, and 400 for a wrong grant', async () => {
      expect(await requestToken(atlas, basic(CLIENT_ID, 'wrong'))).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
      expect(await requestToken(atlas, '')).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
      // Unencoded credentials differ from the encoded ones once the secret holds reserved characters.
      const raw = `Basic ${Buffer.from('id:with colon:p@ss w/rd+&=').toString('base64')}`;
      expect((await requestToken(atlas, raw)).status).toBe(401);
      expect(await requestToken(atlas, undefined, 'grant_type=password')).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
    });

    it('answers 403 access_denied past maxLiveTokens, and issues again once tokens are revoked', async () => {
      atlas.revokeTokens();
      atlas.configure({ maxLiveTokens: 2 });
      await accessToken(atlas);
      await accessToken(atlas);
      expect(await requestToken(atlas)).toMatchObject({
        status: 403,
        body: { error: 'access_denied', error_description: 'Access Token limit reached' },
      });
      // The limit is per client: another service account still gets a token.
      expect((await requestToken(atlas, basic('id:with colon', 'p@ss w/rd+&='))).status).toBe(200);
      atlas.revokeTokens();
      expect((await requestToken(atlas)).status).toBe(200);
    });

    it('expires tokens after their lifetime, and expired tokens stop counting toward the limit', async () => {
      atlas.revokeTokens();
      atlas.configure({ tokenTtlSeconds: 0.3, maxLiveTokens: 1 });
      const { body } = await requestToken(atlas);
      expect(body.expires_in).toBe(0.3);
      const shortLived = String(body.access_token);
      expect((await invite(atlas, shortLived)).status).toBe(200);
      expect((await requestToken(atlas)).status).toBe(403);
      await sleep(350);
      expect(await invite(atlas, shortLived)).toMatchObject({ status: 401, body: { error: 401, errorCode: 'UNAUTHORIZED', reason: 'Unauthorized' } });
      expect((await requestToken(atlas)).status).toBe(200);
    });

    it('answers 401 for an unknown, missing or revoked Bearer token', async () => {
      expect(await invite(atlas, 'not-a-token')).toMatchObject({ status: 401, body: { errorCode: 'UNAUTHORIZED' } });
      expect((await invite(atlas, undefined)).status).toBe(401);
      expect((await invite(atlas, token)).status).toBe(200);
      atlas.revokeTokens();
      expect((await invite(atlas, token, { endpoint: 'users' })).status).toBe(401);
      expect(atlas.invitations()).toHaveLength(1);
    });

    it('never records an Authorization value or a client secret', async () => {
      await requestToken(atlas, basic(CLIENT_ID, CLIENT_SECRET), `grant_type=client_credentials&client_id=${CLIENT_ID}&client_secret=${CLIENT_SECRET}`);
      await invite(atlas, token);
      const log = JSON.stringify(atlas.requests);
      expect(log).not.toContain(CLIENT_SECRET);
      expect(log).not.toContain(token);
      expect(log).not.toContain(basic(CLIENT_ID, CLIENT_SECRET).slice(6));
      expect(atlas.requests.map((r) => r.authScheme)).toEqual(['Basic', 'Bearer']);
    });
  });

  describe('POST /groups/{groupId}/invites (2023-01-01)', () => {
    it('answers 200 with a GroupInvitation in the versioned media type', async () => {
      const { status, headers, body } = await invite(atlas, token, { body: { username: 'ada@example.com', roles: ['GROUP_READ_ONLY', 'GROUP_DATA_ACCESS_READ_ONLY'] } });
      expect(status).toBe(200);
      expect(headers.get('content-type')).toBe(INVITES_MEDIA_TYPE);
      expect(headers.get('sunset')).toBe('Thu, 01 Jul 2027 00:00:00 GMT');
      expect(body).toMatchObject({ groupId: GROUP, username: 'ada@example.com', roles: ['GROUP_READ_ONLY', 'GROUP_DATA_ACCESS_READ_ONLY'], links: [] });
      expect(body.id).toMatch(HEX24);
      expect(body.groupName).toEqual(expect.any(String));
      expect(body.inviterUsername).toEqual(expect.stringContaining('@'));
      expect(Date.parse(String(body.expiresAt)) - Date.parse(String(body.createdAt))).toBe(30 * 24 * 3600 * 1000);
      expect(atlas.invitations()).toEqual([
        { id: body.id, groupId: GROUP, username: 'ada@example.com', roles: ['GROUP_READ_ONLY', 'GROUP_DATA_ACCESS_READ_ONLY'], createdAt: body.createdAt, via: 'invites', status: 'PENDING' },
      ]);
      expect(atlas.requests.at(-1)).toMatchObject({ endpoint: 'invites', status: 200, accept: INVITES_MEDIA_TYPE, contentType: INVITES_MEDIA_TYPE, body: { username: 'ada@example.com' } });
    });

    it('answers 406 for another Accept and 415 for another Content-Type', async () => {
      expect(await invite(atlas, token, { accept: 'application/json' })).toMatchObject({ status: 406, body: { error: 406, errorCode: 'INVALID_VERSION_DATE', reason: 'Not Acceptable' } });
      expect((await invite(atlas, token, { accept: USERS_MEDIA_TYPE })).status).toBe(406);
      const wrongType = await invite(atlas, token, { contentType: 'application/json' });
      expect(wrongType).toMatchObject({ status: 415, body: { error: 415, reason: 'Unsupported Media Type' } });
      expect(wrongType.headers.get('content-type')).toBe('application/json');
      // A list with the right type in it is fine, as is a charset parameter.
      expect((await invite(atlas, token, { accept: `application/json, ${INVITES_MEDIA_TYPE}`, contentType: `${INVITES_MEDIA_TYPE}; charset=utf-8` })).status).toBe(200);
    });

    it('rejects malformed bodies and group ids with the errorCodes Atlas uses', async () => {
      const cases: [InviteOptions, number, string][] = [
        [{ body: { username: 'not-an-email', roles: ['GROUP_READ_ONLY'] } }, 400, 'INVALID_EMAIL_ADDRESS'],
        [{ body: { username: 'ada@example.com', roles: ['ORG_OWNER'] } }, 400, 'INVALID_ROLE_FOR_GROUP'],
        [{ body: { username: 'ada@example.com', roles: ['GROUP_READ_ONLY', 'GROUP_READ_ONLY'] } }, 400, 'INVALID_ATTRIBUTE'],
        [{ body: { roles: ['GROUP_READ_ONLY'] } }, 400, 'MISSING_ATTRIBUTE'],
        [{ body: '{"username":' }, 400, 'INVALID_JSON'],
        [{ groupId: 'not-hex' }, 400, 'INVALID_GROUP_ID'],
      ];
      for (const [opts, status, errorCode] of cases) {
        expect(await invite(atlas, token, opts), errorCode).toMatchObject({ status, body: { error: status, errorCode, parameters: [] } });
      }
      expect(atlas.invitations()).toEqual([]);
    });

    it('answers 404 GROUP_NOT_FOUND for a project that does not exist', async () => {
      atlas.configure({ projects: [GROUP] });
      expect((await invite(atlas, token)).status).toBe(200);
      expect(await invite(atlas, token, { groupId: OTHER_GROUP })).toMatchObject({ status: 404, body: { errorCode: 'GROUP_NOT_FOUND' } });
    });

    it('answers a repeated invitation with the existing one by default, matching the username without case', async () => {
      const first = await invite(atlas, token);
      const again = await invite(atlas, token, { body: { username: 'ADA@example.com', roles: ['GROUP_READ_ONLY'] } });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ id: first.body.id, createdAt: first.body.createdAt, username: 'ada@example.com' });
      expect((await invite(atlas, token, { groupId: OTHER_GROUP })).body.id).not.toBe(first.body.id);
      expect(atlas.invitations()).toHaveLength(2);
    });

    it('answers a repeated invitation with 409 in duplicateInvite: conflict mode', async () => {
      atlas.configure({ duplicateInvite: 'conflict' });
      expect((await invite(atlas, token)).status).toBe(200);
      expect(await invite(atlas, token)).toMatchObject({ status: 409, body: { error: 409, reason: 'Conflict', errorCode: 'INVITATION_ALREADY_EXISTS' } });
      expect(atlas.invitations()).toHaveLength(1);
    });

    it('answers 409 USER_ALREADY_IN_GROUP for an active member, on both endpoints', async () => {
      atlas.seed({ groupId: GROUP, username: 'ada@example.com', roles: ['GROUP_OWNER'], status: 'ACTIVE' });
      expect(await invite(atlas, token)).toMatchObject({ status: 409, body: { errorCode: 'USER_ALREADY_IN_GROUP' } });
      expect(await invite(atlas, token, { endpoint: 'users' })).toMatchObject({ status: 409, body: { errorCode: 'USER_ALREADY_IN_GROUP' } });
      expect((await invite(atlas, token, { groupId: OTHER_GROUP })).status).toBe(200);
    });

    it('answers 410 VERSION_GONE after the sunset, while /users keeps working', async () => {
      atlas.configure({ invitesGone: true });
      const gone = await invite(atlas, token);
      expect(gone).toMatchObject({ status: 410, body: { error: 410, errorCode: 'VERSION_GONE', reason: 'Gone' } });
      expect(gone.body.detail).toEqual(expect.stringContaining('sunset'));
      expect((await invite(atlas, token, { endpoint: 'users' })).status).toBe(201);
      atlas.reset();
      expect((await invite(atlas, token)).status).toBe(200);
    });
  });

  describe('POST /groups/{groupId}/users (2025-02-19)', () => {
    it('answers 201 with a pending GroupUserResponse in its media type', async () => {
      const { status, headers, body } = await invite(atlas, token, { endpoint: 'users' });
      expect(status).toBe(201);
      expect(headers.get('content-type')).toBe(USERS_MEDIA_TYPE);
      expect(body).toMatchObject({ username: 'ada@example.com', roles: ['GROUP_READ_ONLY'], orgMembershipStatus: 'PENDING' });
      expect(body.id).toMatch(HEX24);
      expect(body.inviterUsername).toEqual(expect.stringContaining('@'));
      expect(Date.parse(String(body.invitationExpiresAt))).toBeGreaterThan(Date.parse(String(body.invitationCreatedAt)));
      expect(atlas.invitations()).toMatchObject([{ id: body.id, groupId: GROUP, via: 'users', status: 'PENDING' }]);
    });

    it('answers 406 and 415 for the 2023-01-01 media type', async () => {
      expect((await invite(atlas, token, { endpoint: 'users', accept: INVITES_MEDIA_TYPE })).status).toBe(406);
      expect((await invite(atlas, token, { endpoint: 'users', contentType: INVITES_MEDIA_TYPE })).status).toBe(415);
    });

    it('answers 409 for an existing pending user, but does not see invitations made with /invites', async () => {
      expect((await invite(atlas, token)).status).toBe(200);
      expect((await invite(atlas, token, { endpoint: 'users' })).status).toBe(201);
      expect(await invite(atlas, token, { endpoint: 'users' })).toMatchObject({ status: 409, body: { errorCode: 'USER_ALREADY_IN_GROUP' } });
      atlas.seed({ groupId: OTHER_GROUP, username: 'grace@example.com', roles: ['GROUP_READ_ONLY'] });
      const seeded = await invite(atlas, token, { endpoint: 'users', groupId: OTHER_GROUP, body: { username: 'grace@example.com', roles: ['GROUP_READ_ONLY'] } });
      expect(seeded.status).toBe(409);
    });

    it('requires at least one role', async () => {
      expect(await invite(atlas, token, { endpoint: 'users', body: { username: 'ada@example.com', roles: [] } })).toMatchObject({ status: 400, body: { errorCode: 'INVALID_ATTRIBUTE' } });
    });
  });

  describe('rate limits', () => {
    it('answers 429 RATE_LIMITED with Retry-After and RateLimit headers once the shared bucket is empty', async () => {
      atlas.configure({ rateLimit: { requestsPerSecond: 0.5, burst: 2 } });
      const first = await invite(atlas, token);
      expect(first.status).toBe(200);
      expect([first.headers.get('ratelimit-limit'), first.headers.get('ratelimit-remaining')]).toEqual(['2', '1']);
      expect((await invite(atlas, token, { endpoint: 'users' })).status).toBe(201);
      const limited = await invite(atlas, token, { groupId: OTHER_GROUP });
      expect(limited).toMatchObject({ status: 429, body: { error: 429, errorCode: 'RATE_LIMITED' } });
      // One token refills in 2 s at 0.5/s.
      expect(limited.headers.get('retry-after')).toBe('2');
      expect([limited.headers.get('ratelimit-limit'), limited.headers.get('ratelimit-remaining')]).toEqual(['2', '0']);
      // The token endpoint is not part of the bucket.
      expect((await requestToken(atlas)).status).toBe(200);
      atlas.configure({ rateLimit: undefined });
      expect((await invite(atlas, token, { groupId: OTHER_GROUP })).status).toBe(200);
    });

    it('answers Retry-After of at least 1 second when the wait is shorter', async () => {
      // One request a second: the second request comes well within it however slow the machine (at 50/s it need only
      // take 20 ms to find the bucket refilled).
      atlas.configure({ rateLimit: { requestsPerSecond: 1, burst: 1 } });
      expect((await invite(atlas, token)).status).toBe(200);
      const limited = await invite(atlas, token);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('1');
    });

    it('answers 400 RATE_LIMITED_IP without Retry-After past the invitation window, on /invites only', async () => {
      atlas.configure({ inviteRateLimit: { invitations: 2, perMinutes: 5 } });
      expect((await invite(atlas, token, { body: { username: 'a@example.com', roles: ['GROUP_READ_ONLY'] } })).status).toBe(200);
      expect((await invite(atlas, token, { body: { username: 'b@example.com', roles: ['GROUP_READ_ONLY'] } })).status).toBe(200);
      const limited = await invite(atlas, token, { body: { username: 'c@example.com', roles: ['GROUP_READ_ONLY'] } });
      expect(limited).toMatchObject({ status: 400, body: { errorCode: 'RATE_LIMITED_IP', detail: 'rate limit of 2 invitations per 5 minutes exceeded' } });
      expect(limited.headers.get('retry-after')).toBeNull();
      expect((await invite(atlas, token, { endpoint: 'users', body: { username: 'c@example.com', roles: ['GROUP_READ_ONLY'] } })).status).toBe(201);
    });
  });

  describe('faults', () => {
    it('answers an injected status once, with Retry-After verbatim, and records it', async () => {
      atlas.injectFault({ kind: 'status', status: 503, retryAfter: 'Wed, 21 Oct 2037 07:28:00 GMT' });
      const faulted = await invite(atlas, token);
      expect(faulted).toMatchObject({ status: 503, body: { error: 503, errorCode: 'SERVICE_UNAVAILABLE', reason: 'Service Unavailable' } });
      expect(faulted.headers.get('retry-after')).toBe('Wed, 21 Oct 2037 07:28:00 GMT');
      expect((await invite(atlas, token)).status).toBe(200);
      expect(atlas.requests.map((r) => [r.status, r.fault])).toEqual([
        [503, 'status'],
        [200, undefined],
      ]);
    });

    it('applies faults to the matching endpoint only, `times` times, in queue order', async () => {
      atlas.injectFault({ kind: 'status', status: 500, errorCode: 'UNEXPECTED_ERROR' }, { on: 'users', times: 2 });
      atlas.injectFault({ kind: 'status', status: 429, detail: 'Please retry after 3 seconds' }, { on: 'users' });
      expect((await invite(atlas, token)).status).toBe(200);
      const statuses = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await invite(atlas, token, { endpoint: 'users', groupId: OTHER_GROUP })).status);
      expect(statuses).toEqual([500, 500, 429, 201]);
      expect(atlas.count('users')).toBe(4);
      expect(atlas.count('invites')).toBe(1);
    });

    it('answers a token fault in OAuth form, and leaves the token endpoint alone for `any` faults', async () => {
      atlas.injectFault({ kind: 'status', status: 500 });
      atlas.injectFault({ kind: 'status', status: 403, errorCode: 'access_denied', detail: 'Access Token limit reached' }, { on: 'token' });
      expect(await requestToken(atlas)).toMatchObject({ status: 403, body: { error: 'access_denied', error_description: 'Access Token limit reached' } });
      expect((await requestToken(atlas)).status).toBe(200);
      expect((await invite(atlas, token)).status).toBe(500);
      atlas.injectFault({ kind: 'status', status: 502 });
      atlas.clearFaults();
      expect((await invite(atlas, token)).status).toBe(200);
    });

    it('resets the connection: the client sees ECONNRESET', async () => {
      atlas.injectFault({ kind: 'reset' });
      expect(await failureCode(sendInvite(atlas, token))).toBe('ECONNRESET');
      expect(atlas.requests.at(-1)).toMatchObject({ endpoint: 'invites', status: null, fault: 'reset' });
      expect(atlas.invitations()).toEqual([]);
      expect((await invite(atlas, token)).status).toBe(200);
    });

    it('hangs until the client gives up', async () => {
      atlas.injectFault({ kind: 'hang' });
      const started = Date.now();
      const err = await sendInvite(atlas, token, { signal: AbortSignal.timeout(150) }).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'TimeoutError' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(atlas.requests.at(-1)).toMatchObject({ status: null, fault: 'hang' });
      expect(atlas.invitations()).toEqual([]);
    });

    it('delays the answer; a client that leaves during the delay changes nothing', async () => {
      atlas.injectFault({ kind: 'delay', ms: 150 });
      const started = Date.now();
      expect((await invite(atlas, token)).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);

      atlas.injectFault({ kind: 'delay', ms: 200 });
      const err = await sendInvite(atlas, token, { groupId: OTHER_GROUP, signal: AbortSignal.timeout(50) }).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'TimeoutError' });
      await sleep(250);
      expect(atlas.invitations().map((i) => i.groupId)).toEqual([GROUP]);
    });

    it('with slowHeaders, acts at once but answers late: a timed-out client has still invited', async () => {
      atlas.injectFault({ kind: 'slowHeaders', ms: 300 });
      const err = await sendInvite(atlas, token, { signal: AbortSignal.timeout(80) }).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'TimeoutError' });
      const [created] = atlas.invitations();
      expect(created).toMatchObject({ groupId: GROUP, username: 'ada@example.com' });
      // The retry a careful client makes finds the invitation already there.
      expect((await invite(atlas, token)).body.id).toBe(created?.id);
    });

    it('adds latencyMs to every invite answer but not to the token endpoint', async () => {
      atlas.configure({ latencyMs: 200 });
      let started = Date.now();
      expect((await invite(atlas, token, { endpoint: 'users' })).status).toBe(201);
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      started = Date.now();
      expect((await invite(atlas, 'bad-token')).status).toBe(401);
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      started = Date.now();
      expect((await requestToken(atlas)).status).toBe(200);
      expect(Date.now() - started).toBeLessThan(190);
    });

    it('answers 404 RESOURCE_NOT_FOUND for an unknown path and 405 for a wrong method', async () => {
      const unknown = await fetch(`${atlas.url}/api/atlas/v2/groups/${GROUP}/clusters`, { headers: { authorization: `Bearer ${token}` } }).then(reply);
      expect(unknown).toMatchObject({ status: 404, body: { error: 404, errorCode: 'RESOURCE_NOT_FOUND', reason: 'Not Found' } });
      expect(unknown.headers.get('content-type')).toBe('application/json');
      const wrongMethod = await invite(atlas, token, { method: 'PUT' });
      expect(wrongMethod).toMatchObject({ status: 405, body: { errorCode: 'METHOD_NOT_ALLOWED' } });
      expect(wrongMethod.headers.get('allow')).toBe('POST, GET');
      expect((await fetch(`${atlas.url}/api/oauth/token`)).status).toBe(405);
      // What the sandbox does not serve is `other`, whatever the path.
      expect([atlas.count('other'), atlas.count('invites'), atlas.count('token')]).toEqual([3, 0, 0]);
      expect(atlas.invitations()).toEqual([]);
    });
  });
});

describe('Atlas sandbox: what movers and leavers call', () => {
  const THIRD_GROUP = '7b1c2d3e4f5a6b7c8d9e0f1a';
  let atlas: AtlasSandbox;
  let token: string;

  interface GroupUser {
    id: string;
    username: string;
    roles: string[];
    orgMembershipStatus: string;
    [field: string]: unknown;
  }
  interface Page<T> {
    results: T[];
    totalCount?: number;
    links: { rel: string; href: string }[];
  }
  interface Answered<T> {
    status: number;
    headers: Headers;
    body: T;
    text: string;
  }
  interface CallOptions {
    accept?: string;
    contentType?: string;
    body?: unknown;
    token?: string | null;
  }

  /** One call to the sandbox: the path's version as Accept, a Content-Type only with a body, the test's token unless `token: null`. */
  async function api<T = Record<string, unknown>>(method: string, path: string, opts: CallOptions = {}): Promise<Answered<T>> {
    const accept = opts.accept ?? (path.includes('/invites') ? INVITES_MEDIA_TYPE : USERS_MEDIA_TYPE);
    const headers: Record<string, string> = { accept };
    const bearer = opts.token === undefined ? token : opts.token;
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? accept;
    const response = await fetch(`${atlas.url}/api/atlas/v2${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text === '' ? undefined : JSON.parse(text)) as T, text };
  }

  const listUsers = (groupId: string, query = '', opts: CallOptions = {}) => api<Page<GroupUser>>('GET', `/groups/${groupId}/users${query}`, opts);
  const listInvites = (groupId: string, query = '', opts: CallOptions = {}) => api<Record<string, unknown>[]>('GET', `/groups/${groupId}/invites${query}`, opts);
  const changeRole = (change: 'addRole' | 'removeRole', groupId: string, userId: string, groupRole: unknown, opts: CallOptions = {}) =>
    api<GroupUser>('POST', `/groups/${groupId}/users/${userId}:${change}`, { body: { groupRole }, ...opts });
  const addUser = (groupId: string, username: string, roles: string[]) => api<GroupUser>('POST', `/groups/${groupId}/users`, { body: { username, roles } });
  const inviteOld = (groupId: string, username: string, roles: string[]) => api('POST', `/groups/${groupId}/invites`, { body: { username, roles } });

  beforeAll(async () => {
    atlas = await startAtlasSandbox();
  });
  afterAll(() => atlas.close());
  beforeEach(async () => {
    atlas.reset();
    token = await accessToken(atlas);
    atlas.reset();
  });

  describe('GET /groups/{groupId}/users (2025-02-19)', () => {
    it('lists active and pending users in the paginated envelope, filtered by username without case', async () => {
      const grace = atlas.seed({ groupId: GROUP, username: 'grace.hopper@example.com', roles: ['GROUP_OWNER'], status: 'ACTIVE' });
      const ada = await addUser(GROUP, 'Ada@example.com', ['GROUP_READ_ONLY']);
      expect(ada.status).toBe(201);
      await addUser(OTHER_GROUP, 'linus@example.com', ['GROUP_READ_ONLY']);

      const all = await listUsers(GROUP);
      expect(all.status).toBe(200);
      expect(all.headers.get('content-type')).toBe(USERS_MEDIA_TYPE);
      expect(all.body).toEqual({
        results: [
          { id: grace.id, username: 'grace.hopper@example.com', roles: ['GROUP_OWNER'], orgMembershipStatus: 'ACTIVE', createdAt: grace.createdAt, firstName: 'Grace', lastName: 'Hopper' },
          {
            id: ada.body.id,
            username: 'Ada@example.com',
            roles: ['GROUP_READ_ONLY'],
            orgMembershipStatus: 'PENDING',
            invitationCreatedAt: ada.body.invitationCreatedAt,
            invitationExpiresAt: ada.body.invitationExpiresAt,
            inviterUsername: ada.body.inviterUsername,
          },
        ],
        totalCount: 2,
        links: [{ rel: 'self', href: `${atlas.url}/api/atlas/v2/groups/${GROUP}/users?pageNum=1&itemsPerPage=100` }],
      });
      const one = await listUsers(GROUP, '?username=ADA%40EXAMPLE.COM');
      expect(one.body.results.map((u) => u.id)).toEqual([ada.body.id]);
      expect((await listUsers(GROUP, '?username=nobody%40example.com')).body).toMatchObject({ results: [], totalCount: 0 });
    });

    it('does not show invitations made with /invites, until the person accepts', async () => {
      const old = await inviteOld(GROUP, 'ada@example.com', ['GROUP_READ_ONLY']);
      atlas.seed({ groupId: OTHER_GROUP, username: 'ada@example.com', roles: ['GROUP_OWNER'], via: 'invites' });
      expect((await listUsers(GROUP, '?username=ada%40example.com')).body.results).toEqual([]);
      expect((await listUsers(OTHER_GROUP)).body.results).toEqual([]);

      const accepted = atlas.accept('ADA@example.com');
      expect(accepted.map((m) => [m.groupId, m.status, m.listedBy])).toEqual([
        [GROUP, 'ACTIVE', ['users']],
        [OTHER_GROUP, 'ACTIVE', ['users']],
      ]);
      const [user] = (await listUsers(GROUP, '?username=ada%40example.com')).body.results;
      expect(user).toMatchObject({ username: 'ada@example.com', roles: ['GROUP_READ_ONLY'], orgMembershipStatus: 'ACTIVE' });
      // A user id is the person's: another project answers the same one; the invitation's id is gone.
      expect(user?.id).not.toBe(old.body.id);
      expect((await listUsers(OTHER_GROUP)).body.results.map((u) => u.id)).toEqual([user?.id]);
      expect((await listInvites(GROUP)).body).toEqual([]);
    });

    it('pages with itemsPerPage and pageNum, counts on request, and filters by orgMembershipStatuses', async () => {
      for (const name of ['a', 'b', 'c']) atlas.seed({ groupId: GROUP, username: `${name}@example.com`, roles: ['GROUP_READ_ONLY'], via: 'users', status: name === 'b' ? 'ACTIVE' : 'PENDING' });
      const first = await listUsers(GROUP, '?itemsPerPage=2');
      expect(first.body.results.map((u) => u.username)).toEqual(['a@example.com', 'b@example.com']);
      expect(first.body.totalCount).toBe(3);
      expect(first.body.links.map((l) => l.rel)).toEqual(['self', 'next']);
      const second = await listUsers(GROUP, '?itemsPerPage=2&pageNum=2&includeCount=false');
      expect(second.body.results.map((u) => u.username)).toEqual(['c@example.com']);
      expect(second.body).not.toHaveProperty('totalCount');
      expect(second.body.links.map((l) => l.rel)).toEqual(['previous', 'self']);
      expect((await listUsers(GROUP, '?orgMembershipStatuses=ACTIVE')).body.results.map((u) => u.username)).toEqual(['b@example.com']);
      expect((await listUsers(GROUP, '?orgMembershipStatuses=PENDING&orgMembershipStatuses=ACTIVE')).body.totalCount).toBe(3);
      expect((await listUsers(GROUP, '?orgMembershipStatuses=INVITATION_EXPIRED')).body.results).toEqual([]);
      expect(await listUsers(GROUP, '?itemsPerPage=501')).toMatchObject({ status: 400, body: { errorCode: 'VALIDATION_ERROR' } });
      expect(await listUsers(GROUP, '?orgMembershipStatuses=GONE')).toMatchObject({ status: 400, body: { errorCode: 'VALIDATION_ERROR' } });
    });

    it('answers 401 without a token, 406 for another version, and needs no Content-Type', async () => {
      expect(await listUsers(GROUP, '', { token: null })).toMatchObject({ status: 401, body: { errorCode: 'UNAUTHORIZED' } });
      expect(await listUsers(GROUP, '', { token: 'not-a-token' })).toMatchObject({ status: 401, body: { errorCode: 'UNAUTHORIZED' } });
      expect(await listUsers(GROUP, '', { accept: INVITES_MEDIA_TYPE })).toMatchObject({ status: 406, body: { errorCode: 'INVALID_VERSION_DATE' } });
      expect((await listUsers(GROUP, '', { accept: 'application/json' })).status).toBe(406);
      expect(atlas.requests.at(-1)?.contentType).toBeUndefined();
      expect((await listUsers(GROUP)).status).toBe(200);
      atlas.configure({ projects: [GROUP] });
      expect(await listUsers(OTHER_GROUP)).toMatchObject({ status: 404, body: { errorCode: 'GROUP_NOT_FOUND' } });
      expect(atlas.requests.map((r) => r.endpoint)).toEqual(Array(6).fill('users:list'));
    });
  });

  describe('POST /groups/{groupId}/users/{userId}:addRole and :removeRole (2025-02-19)', () => {
    it('adds a role, then removes the old one, answering the updated user each time', async () => {
      const grace = atlas.seed({ groupId: GROUP, username: 'grace@example.com', roles: ['GROUP_READ_ONLY'], status: 'ACTIVE' });
      const added = await changeRole('addRole', GROUP, grace.id, 'GROUP_DATA_ACCESS_READ_WRITE');
      expect(added.status).toBe(200);
      expect(added.headers.get('content-type')).toBe(USERS_MEDIA_TYPE);
      expect(added.body).toMatchObject({ id: grace.id, username: 'grace@example.com', roles: ['GROUP_READ_ONLY', 'GROUP_DATA_ACCESS_READ_WRITE'], orgMembershipStatus: 'ACTIVE' });
      const removed = await changeRole('removeRole', GROUP, grace.id, 'GROUP_READ_ONLY');
      expect(removed).toMatchObject({ status: 200, body: { id: grace.id, roles: ['GROUP_DATA_ACCESS_READ_WRITE'] } });
      expect(atlas.members({ groupId: GROUP }).map((m) => m.roles)).toEqual([['GROUP_DATA_ACCESS_READ_WRITE']]);
      expect(atlas.requests.map((r) => [r.endpoint, r.status, r.body])).toEqual([
        ['users:addRole', 200, { groupRole: 'GROUP_DATA_ACCESS_READ_WRITE' }],
        ['users:removeRole', 200, { groupRole: 'GROUP_READ_ONLY' }],
      ]);
    });

    it('changes the roles of a pending user added through /users, and takes an escaped colon', async () => {
      const ada = await addUser(GROUP, 'ada@example.com', ['GROUP_OWNER']);
      const added = await api<GroupUser>('POST', `/groups/${GROUP}/users/${ada.body.id}%3AaddRole`, { body: { groupRole: 'GROUP_READ_ONLY' } });
      expect(added).toMatchObject({ status: 200, body: { orgMembershipStatus: 'PENDING', roles: ['GROUP_OWNER', 'GROUP_READ_ONLY'], invitationCreatedAt: ada.body.invitationCreatedAt } });
      expect(atlas.requests.at(-1)?.endpoint).toBe('users:addRole');
    });

    it('refuses to remove the last role with 403 CANNOT_REMOVE_ALL_USER_ROLES: add before remove', async () => {
      const grace = atlas.seed({ groupId: GROUP, username: 'grace@example.com', roles: ['GROUP_READ_ONLY'], status: 'ACTIVE' });
      const last = await changeRole('removeRole', GROUP, grace.id, 'GROUP_READ_ONLY');
      expect(last).toMatchObject({
        status: 403,
        body: { error: 403, errorCode: 'CANNOT_REMOVE_ALL_USER_ROLES', detail: 'You cannot remove all roles from a user. Specify at least one role.', reason: 'Forbidden' },
      });
      expect(last.headers.get('content-type')).toBe('application/json');
      expect((await changeRole('addRole', GROUP, grace.id, 'GROUP_OWNER')).status).toBe(200);
      expect((await changeRole('removeRole', GROUP, grace.id, 'GROUP_READ_ONLY')).body.roles).toEqual(['GROUP_OWNER']);
    });

    it('answers a role already held (or already absent) unchanged, or 409 with redundantRoleChange: conflict', async () => {
      const grace = atlas.seed({ groupId: GROUP, username: 'grace@example.com', roles: ['GROUP_READ_ONLY'], status: 'ACTIVE' });
      expect(await changeRole('addRole', GROUP, grace.id, 'GROUP_READ_ONLY')).toMatchObject({ status: 200, body: { roles: ['GROUP_READ_ONLY'] } });
      expect(await changeRole('removeRole', GROUP, grace.id, 'GROUP_OWNER')).toMatchObject({ status: 200, body: { roles: ['GROUP_READ_ONLY'] } });
      atlas.configure({ redundantRoleChange: 'conflict' });
      expect(await changeRole('addRole', GROUP, grace.id, 'GROUP_READ_ONLY')).toMatchObject({ status: 409, body: { errorCode: 'CONFLICT', reason: 'Conflict' } });
      expect((await changeRole('removeRole', GROUP, grace.id, 'GROUP_OWNER')).status).toBe(409);
      expect(atlas.members()[0]?.roles).toEqual(['GROUP_READ_ONLY']);
    });

    it('answers 404 USER_NOT_IN_GROUP for a user not in that project, or invited with /invites', async () => {
      const grace = atlas.seed({ groupId: OTHER_GROUP, username: 'grace@example.com', roles: ['GROUP_READ_ONLY'], status: 'ACTIVE' });
      const old = await inviteOld(GROUP, 'ada@example.com', ['GROUP_READ_ONLY']);
      const notIn = await changeRole('addRole', GROUP, grace.id, 'GROUP_OWNER');
      expect(notIn).toMatchObject({ status: 404, body: { error: 404, errorCode: 'USER_NOT_IN_GROUP', detail: `User ${grace.id} is not in group ${GROUP}.` } });
      expect((await changeRole('removeRole', GROUP, String(old.body.id), 'GROUP_READ_ONLY')).body.errorCode).toBe('USER_NOT_IN_GROUP');
      expect((await changeRole('addRole', GROUP, '0123456789abcdef01234567', 'GROUP_OWNER')).body.errorCode).toBe('USER_NOT_IN_GROUP');
      expect(await changeRole('addRole', GROUP, 'not-an-id', 'GROUP_OWNER')).toMatchObject({ status: 404, body: { errorCode: 'INVALID_USER_ID' } });
      expect(atlas.members().map((m) => m.roles)).toEqual([['GROUP_READ_ONLY'], ['GROUP_READ_ONLY']]);
    });

    it('checks the token, the media types and the body', async () => {
      const grace = atlas.seed({ groupId: GROUP, username: 'grace@example.com', roles: ['GROUP_READ_ONLY'], status: 'ACTIVE' });
      const cases: [Promise<Answered<GroupUser>>, number, string][] = [
        [changeRole('addRole', GROUP, grace.id, 'GROUP_OWNER', { token: null }), 401, 'UNAUTHORIZED'],
        [changeRole('addRole', GROUP, grace.id, 'GROUP_OWNER', { accept: INVITES_MEDIA_TYPE, contentType: USERS_MEDIA_TYPE }), 406, 'INVALID_VERSION_DATE'],
        [changeRole('addRole', GROUP, grace.id, 'GROUP_OWNER', { contentType: 'application/json' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
        [changeRole('addRole', GROUP, grace.id, 'ORG_OWNER'), 400, 'INVALID_ROLE_FOR_GROUP'],
        [changeRole('addRole', GROUP, grace.id, ['GROUP_OWNER']), 400, 'INVALID_ATTRIBUTE'],
        [api('POST', `/groups/${GROUP}/users/${grace.id}:addRole`, { body: {} }), 400, 'MISSING_ATTRIBUTE'],
        [api('POST', `/groups/${GROUP}/users/${grace.id}:addRole`, { body: { groupRole: 'GROUP_OWNER', username: 'grace@example.com' } }), 400, 'INVALID_ATTRIBUTE'],
        [api('POST', `/groups/${GROUP}/users/${grace.id}:removeRole`, { body: '{"groupRole":' }), 400, 'INVALID_JSON'],
      ];
      for (const [answer, status, errorCode] of cases) expect(await answer, errorCode).toMatchObject({ status, body: { error: status, errorCode } });
      expect(atlas.members()[0]?.roles).toEqual(['GROUP_READ_ONLY']);
    });
  });

  describe('DELETE /groups/{groupId}/users/{userId} (2025-02-19)', () => {
    it('removes an active or a pending user from that project only: 204 without a body', async () => {
      const grace = atlas.seed({ groupId: GROUP, username: 'grace@example.com', roles: ['GROUP_OWNER'], status: 'ACTIVE' });
      atlas.seed({ groupId: OTHER_GROUP, username: 'grace@example.com', roles: ['GROUP_READ_ONLY'], status: 'ACTIVE' });
      const ada = await addUser(GROUP, 'ada@example.com', ['GROUP_READ_ONLY']);

      const gone = await api('DELETE', `/groups/${GROUP}/users/${grace.id}`);
      expect([gone.status, gone.text]).toEqual([204, '']);
      expect((await api('DELETE', `/groups/${GROUP}/users/${ada.body.id}`)).status).toBe(204);
      expect((await listUsers(GROUP)).body.results).toEqual([]);
      expect(atlas.members().map((m) => [m.groupId, m.username])).toEqual([[OTHER_GROUP, 'grace@example.com']]);
      expect(await api('DELETE', `/groups/${GROUP}/users/${grace.id}`)).toMatchObject({ status: 404, body: { errorCode: 'USER_NOT_IN_GROUP' } });
      expect(atlas.requests.filter((r) => r.endpoint === 'users:delete').map((r) => r.status)).toEqual([204, 204, 404]);
    });

    it('cannot remove an invitation made with /invites, and checks the token and version', async () => {
      const old = await inviteOld(GROUP, 'ada@example.com', ['GROUP_READ_ONLY']);
      expect(await api('DELETE', `/groups/${GROUP}/users/${String(old.body.id)}`)).toMatchObject({ status: 404, body: { errorCode: 'USER_NOT_IN_GROUP' } });
      const grace = atlas.seed({ groupId: GROUP, username: 'grace@example.com', roles: ['GROUP_OWNER'], via: 'users' });
      expect((await api('DELETE', `/groups/${GROUP}/users/${grace.id}`, { token: null })).status).toBe(401);
      expect((await api('DELETE', `/groups/${GROUP}/users/${grace.id}`, { accept: INVITES_MEDIA_TYPE })).status).toBe(406);
      expect(atlas.members().map((m) => m.username)).toEqual(['ada@example.com', 'grace@example.com']);
    });
  });

  describe('GET /groups/{groupId}/invites (2023-01-01)', () => {
    it('lists the pending /invites invitations as a plain array of GroupInvitation, filtered by username without case', async () => {
      const ada = await inviteOld(GROUP, 'ada@example.com', ['GROUP_READ_ONLY']);
      const seeded = atlas.seed({ groupId: GROUP, username: 'linus@example.com', roles: ['GROUP_OWNER'] });
      atlas.seed({ groupId: GROUP, username: 'grace@example.com', roles: ['GROUP_OWNER'], status: 'ACTIVE', via: 'invites' });
      atlas.seed({ groupId: GROUP, username: 'ken@example.com', roles: ['GROUP_OWNER'], via: 'users' });
      await addUser(GROUP, 'dennis@example.com', ['GROUP_OWNER']);
      await inviteOld(OTHER_GROUP, 'ada@example.com', ['GROUP_OWNER']);

      const listed = await listInvites(GROUP);
      expect(listed.status).toBe(200);
      expect(listed.headers.get('content-type')).toBe(INVITES_MEDIA_TYPE);
      expect(listed.headers.get('sunset')).toBe('Thu, 01 Jul 2027 00:00:00 GMT');
      expect(listed.body).toEqual([ada.body, expect.objectContaining({ id: seeded.id, username: 'linus@example.com', roles: ['GROUP_OWNER'], groupId: GROUP, links: [] })]);
      expect((await listInvites(GROUP, '?username=ADA%40example.com')).body).toEqual([ada.body]);
      expect((await listInvites(GROUP, '?username=grace%40example.com')).body).toEqual([]);
      expect(atlas.members({ groupId: GROUP }).map((m) => [m.username, m.listedBy])).toEqual([
        ['ada@example.com', ['invites']],
        ['linus@example.com', ['users', 'invites']],
        ['grace@example.com', ['users']],
        ['ken@example.com', ['users']],
        ['dennis@example.com', ['users']],
      ]);
    });

    it('answers 401, 406 for the 2025-02-19 version, and 410 VERSION_GONE after the sunset', async () => {
      expect((await listInvites(GROUP, '', { token: null })).status).toBe(401);
      expect((await listInvites(GROUP, '', { accept: USERS_MEDIA_TYPE })).status).toBe(406);
      atlas.configure({ invitesGone: true });
      expect(await listInvites(GROUP)).toMatchObject({ status: 410, body: { error: 410, errorCode: 'VERSION_GONE', reason: 'Gone' } });
      expect((await listUsers(GROUP)).status).toBe(200);
    });
  });

  describe('PATCH and DELETE /groups/{groupId}/invites/{invitationId} (2023-01-01)', () => {
    it('PATCH replaces the roles of a pending invitation and answers the GroupInvitation', async () => {
      const ada = await inviteOld(GROUP, 'ada@example.com', ['GROUP_OWNER']);
      const patched = await api('PATCH', `/groups/${GROUP}/invites/${String(ada.body.id)}`, { body: { roles: ['GROUP_DATA_ACCESS_ADMIN', 'GROUP_CLUSTER_MANAGER'] } });
      expect(patched.status).toBe(200);
      expect(patched.headers.get('content-type')).toBe(INVITES_MEDIA_TYPE);
      expect(patched.headers.get('sunset')).toBe('Thu, 01 Jul 2027 00:00:00 GMT');
      expect(patched.body).toEqual({ ...ada.body, roles: ['GROUP_DATA_ACCESS_ADMIN', 'GROUP_CLUSTER_MANAGER'] });
      expect(atlas.invitations()).toMatchObject([{ id: ada.body.id, roles: ['GROUP_DATA_ACCESS_ADMIN', 'GROUP_CLUSTER_MANAGER'], via: 'invites', status: 'PENDING' }]);
      expect(atlas.requests.at(-1)).toMatchObject({ endpoint: 'invites:update', method: 'PATCH', status: 200, contentType: INVITES_MEDIA_TYPE });
    });

    it('PATCH takes roles alone: a username, no roles or an empty list are 400s, another Content-Type 415', async () => {
      const ada = await inviteOld(GROUP, 'ada@example.com', ['GROUP_OWNER']);
      const path = `/groups/${GROUP}/invites/${String(ada.body.id)}`;
      const cases: [CallOptions, number, string][] = [
        [{ body: { username: 'ada@example.com', roles: ['GROUP_READ_ONLY'] } }, 400, 'INVALID_ATTRIBUTE'],
        [{ body: {} }, 400, 'MISSING_ATTRIBUTE'],
        [{ body: { roles: [] } }, 400, 'INVALID_ATTRIBUTE'],
        [{ body: { roles: ['GROUP_OWNER', 'GROUP_OWNER'] } }, 400, 'INVALID_ATTRIBUTE'],
        [{ body: { roles: ['ORG_MEMBER'] } }, 400, 'INVALID_ROLE_FOR_GROUP'],
        [{ body: { roles: ['GROUP_READ_ONLY'] }, contentType: USERS_MEDIA_TYPE }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
        [{ body: { roles: ['GROUP_READ_ONLY'] }, token: null }, 401, 'UNAUTHORIZED'],
      ];
      for (const [opts, status, errorCode] of cases) expect(await api('PATCH', path, opts), errorCode).toMatchObject({ status, body: { errorCode } });
      expect(atlas.invitations()[0]?.roles).toEqual(['GROUP_OWNER']);
    });

    it('DELETE revokes a pending invitation: 204, and it is gone from both listings', async () => {
      const ada = await inviteOld(GROUP, 'ada@example.com', ['GROUP_OWNER']);
      const revoked = await api('DELETE', `/groups/${GROUP}/invites/${String(ada.body.id)}`);
      expect([revoked.status, revoked.text]).toEqual([204, '']);
      expect((await listInvites(GROUP)).body).toEqual([]);
      expect(atlas.invitations()).toEqual([]);
      expect(atlas.requests.at(-2)).toMatchObject({ endpoint: 'invites:delete', status: 204, contentType: undefined });
    });

    it('answers 404 for an invitation that is not there, or was accepted, or is a /users pending user; 400 INVALID_INVITATION_ID if so configured', async () => {
      const ada = await inviteOld(GROUP, 'ada@example.com', ['GROUP_OWNER']);
      const grace = await addUser(GROUP, 'grace@example.com', ['GROUP_OWNER']);
      const elsewhere = await inviteOld(OTHER_GROUP, 'linus@example.com', ['GROUP_OWNER']);
      const notFound = { status: 404, body: { error: 404, errorCode: 'RESOURCE_NOT_FOUND' } };
      expect(await api('DELETE', `/groups/${GROUP}/invites/${grace.body.id}`)).toMatchObject(notFound);
      expect(await api('PATCH', `/groups/${GROUP}/invites/${String(elsewhere.body.id)}`, { body: { roles: ['GROUP_READ_ONLY'] } })).toMatchObject(notFound);
      expect(await api('DELETE', `/groups/${GROUP}/invites/not-an-id`)).toMatchObject(notFound);
      atlas.accept('ada@example.com');
      expect(await api('DELETE', `/groups/${GROUP}/invites/${String(ada.body.id)}`)).toMatchObject(notFound);
      atlas.configure({ missingInvitation: 'invalidInvitationId' });
      expect(await api('DELETE', `/groups/${GROUP}/invites/${String(ada.body.id)}`)).toMatchObject({
        status: 400,
        body: { errorCode: 'INVALID_INVITATION_ID', detail: 'The invitation you tried to delete does not exist or has already been accepted.' },
      });
      expect((await api('PATCH', `/groups/${GROUP}/invites/${String(ada.body.id)}`, { body: { roles: ['GROUP_READ_ONLY'] } })).body.errorCode).toBe('INVALID_INVITATION_ID');
      expect(atlas.members().map((m) => [m.username, m.status])).toEqual([
        ['ada@example.com', 'ACTIVE'],
        ['grace@example.com', 'PENDING'],
        ['linus@example.com', 'PENDING'],
      ]);
    });

    it('answers 410 VERSION_GONE to PATCH and DELETE after the sunset, changing nothing', async () => {
      const ada = await inviteOld(GROUP, 'ada@example.com', ['GROUP_OWNER']);
      atlas.configure({ invitesGone: true });
      const path = `/groups/${GROUP}/invites/${String(ada.body.id)}`;
      expect(await api('PATCH', path, { body: { roles: ['GROUP_READ_ONLY'] } })).toMatchObject({ status: 410, body: { errorCode: 'VERSION_GONE' } });
      expect(await api('DELETE', path)).toMatchObject({ status: 410, body: { errorCode: 'VERSION_GONE' } });
      expect(atlas.invitations()).toMatchObject([{ id: ada.body.id, roles: ['GROUP_OWNER'] }]);
    });
  });

  describe('GET /orgs/{orgId}/users (2025-02-19)', () => {
    interface OrgUser extends Omit<GroupUser, 'roles'> {
      roles: { orgRoles: string[]; groupRoleAssignments: { groupId: string; groupRoles: string[] }[] };
    }
    const listOrg = (query = '', opts: CallOptions & { orgId?: string } = {}) => api<Page<OrgUser>>('GET', `/orgs/${opts.orgId ?? atlas.orgId}/users${query}`, opts);

    it('shows a person once, with every project role they hold, but not their /invites invitations', async () => {
      const active = atlas.seed({ groupId: GROUP, username: 'ada@example.com', roles: ['GROUP_OWNER'], status: 'ACTIVE' });
      const pending = await addUser(OTHER_GROUP, 'ADA@example.com', ['GROUP_READ_ONLY', 'GROUP_CLUSTER_MANAGER']);
      await inviteOld(THIRD_GROUP, 'ada@example.com', ['GROUP_OWNER']);
      const grace = await addUser(GROUP, 'grace@example.com', ['GROUP_READ_ONLY']);
      await inviteOld(GROUP, 'linus@example.com', ['GROUP_READ_ONLY']);

      expect(pending.body.id).toBe(active.id);
      const listed = await listOrg();
      expect(listed.status).toBe(200);
      expect(listed.headers.get('content-type')).toBe(USERS_MEDIA_TYPE);
      expect(listed.body.totalCount).toBe(2);
      expect(listed.body.results).toEqual([
        {
          id: active.id,
          username: 'ada@example.com',
          orgMembershipStatus: 'ACTIVE',
          roles: {
            orgRoles: ['ORG_MEMBER'],
            groupRoleAssignments: [
              { groupId: GROUP, groupRoles: ['GROUP_OWNER'] },
              { groupId: OTHER_GROUP, groupRoles: ['GROUP_READ_ONLY', 'GROUP_CLUSTER_MANAGER'] },
            ],
          },
          teamIds: [],
          createdAt: active.createdAt,
          firstName: 'Ada',
          lastName: 'User',
        },
        {
          id: grace.body.id,
          username: 'grace@example.com',
          orgMembershipStatus: 'PENDING',
          roles: { orgRoles: ['ORG_MEMBER'], groupRoleAssignments: [{ groupId: GROUP, groupRoles: ['GROUP_READ_ONLY'] }] },
          teamIds: [],
          invitationCreatedAt: grace.body.invitationCreatedAt,
          invitationExpiresAt: grace.body.invitationExpiresAt,
          inviterUsername: grace.body.inviterUsername,
        },
      ]);
      expect((await listOrg('?username=Ada%40Example.com')).body.results.map((u) => u.id)).toEqual([active.id]);
      expect((await listOrg('?username=linus%40example.com')).body.results).toEqual([]);
      expect((await listOrg('?orgMembershipStatuses=PENDING')).body.results.map((u) => u.username)).toEqual(['grace@example.com']);
    });

    it('serves the sandbox organization only, and checks the token and version', async () => {
      expect(atlas.orgId).toBe(SANDBOX_ORG_ID);
      expect(await listOrg('', { orgId: OTHER_GROUP })).toMatchObject({ status: 404, body: { errorCode: 'ORG_NOT_FOUND' } });
      expect(await listOrg('', { orgId: 'not-hex' })).toMatchObject({ status: 400, body: { errorCode: 'INVALID_ORG_ID' } });
      expect((await listOrg('', { token: null })).status).toBe(401);
      expect((await listOrg('', { accept: INVITES_MEDIA_TYPE })).status).toBe(406);
      atlas.configure({ orgId: OTHER_GROUP });
      expect(atlas.orgId).toBe(OTHER_GROUP);
      expect((await listOrg()).status).toBe(200);
      atlas.reset();
      expect(atlas.orgId).toBe(SANDBOX_ORG_ID);
    });
  });

  describe('rate limits, faults, latency and the record on the new endpoints', () => {
    it('takes every new endpoint from the shared bucket', async () => {
      const grace = atlas.seed({ groupId: GROUP, username: 'grace@example.com', roles: ['GROUP_READ_ONLY'], status: 'ACTIVE' });
      atlas.configure({ rateLimit: { requestsPerSecond: 0.5, burst: 3 } });
      const listed = await listUsers(GROUP);
      expect([listed.status, listed.headers.get('ratelimit-remaining')]).toEqual([200, '2']);
      expect((await listInvites(GROUP)).status).toBe(200);
      expect((await inviteOld(GROUP, 'ada@example.com', ['GROUP_READ_ONLY'])).status).toBe(200);
      const limited = await api('DELETE', `/groups/${GROUP}/users/${grace.id}`);
      expect(limited).toMatchObject({ status: 429, body: { errorCode: 'RATE_LIMITED' } });
      expect(limited.headers.get('retry-after')).toBe('2');
      expect((await api('GET', `/orgs/${atlas.orgId}/users`)).status).toBe(429);
      expect(atlas.members().map((m) => m.username)).toEqual(['grace@example.com', 'ada@example.com']);
    });

    it('injects faults per endpoint; `any` still means the two invite POSTs, `admin` every endpoint but the token', async () => {
      const grace = atlas.seed({ groupId: GROUP, username: 'grace@example.com', roles: ['GROUP_READ_ONLY'], status: 'ACTIVE' });
      atlas.injectFault({ kind: 'status', status: 503, retryAfter: '7' }, { on: 'users:removeRole' });
      atlas.injectFault({ kind: 'status', status: 500 }, { on: 'any' });
      expect((await changeRole('addRole', GROUP, grace.id, 'GROUP_OWNER')).status).toBe(200);
      const faulted = await changeRole('removeRole', GROUP, grace.id, 'GROUP_READ_ONLY');
      expect(faulted).toMatchObject({ status: 503, body: { errorCode: 'SERVICE_UNAVAILABLE' } });
      expect(faulted.headers.get('retry-after')).toBe('7');
      expect((await listUsers(GROUP)).status).toBe(200);
      expect((await addUser(GROUP, 'ada@example.com', ['GROUP_READ_ONLY'])).status).toBe(500);

      atlas.injectFault({ kind: 'status', status: 502 }, { on: 'admin', times: 2 });
      expect((await requestToken(atlas)).status).toBe(200);
      expect((await api('GET', `/orgs/${atlas.orgId}/users`)).status).toBe(502);
      expect((await api('DELETE', `/groups/${GROUP}/invites/0123456789abcdef01234567`)).status).toBe(502);
      expect((await changeRole('removeRole', GROUP, grace.id, 'GROUP_READ_ONLY')).status).toBe(200);
      expect(atlas.requests.map((r) => [r.endpoint, r.status, r.fault])).toEqual([
        ['users:addRole', 200, undefined],
        ['users:removeRole', 503, 'status'],
        ['users:list', 200, undefined],
        ['users', 500, 'status'],
        ['token', 200, undefined],
        ['orgUsers:list', 502, 'status'],
        ['invites:delete', 502, 'status'],
        ['users:removeRole', 200, undefined],
      ]);
      expect(atlas.members()[0]?.roles).toEqual(['GROUP_OWNER']);
    });

    it('resets the connection of a new endpoint on demand, changing nothing', async () => {
      const ada = await inviteOld(GROUP, 'ada@example.com', ['GROUP_OWNER']);
      atlas.injectFault({ kind: 'reset' }, { on: 'invites:delete' });
      await expect(api('DELETE', `/groups/${GROUP}/invites/${String(ada.body.id)}`)).rejects.toThrow();
      expect(atlas.requests.at(-1)).toMatchObject({ endpoint: 'invites:delete', status: null, fault: 'reset' });
      expect(atlas.invitations()).toHaveLength(1);
    });

    it('adds latencyMs to every new endpoint', async () => {
      atlas.configure({ latencyMs: 150 });
      for (const answer of [() => listUsers(GROUP), () => listInvites(GROUP), () => api('GET', `/orgs/${atlas.orgId}/users`), () => api('DELETE', `/groups/${GROUP}/users/0123456789abcdef01234567`)]) {
        const started = Date.now();
        await answer();
        expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      }
      expect(atlas.requests.map((r) => [r.endpoint, r.status])).toEqual([
        ['users:list', 200],
        ['invites:list', 200],
        ['orgUsers:list', 200],
        ['users:delete', 404],
      ]);
      expect([atlas.count('users:list'), atlas.count('users:delete'), atlas.count('users')]).toEqual([1, 1, 0]);
    });

    it('answers 405 with the methods served for a method the sandbox does not serve on a known path', async () => {
      const answer = await api('GET', `/groups/${GROUP}/users/0123456789abcdef01234567`);
      expect(answer).toMatchObject({ status: 405, body: { errorCode: 'METHOD_NOT_ALLOWED' } });
      expect(answer.headers.get('allow')).toBe('DELETE');
      expect(atlas.requests.at(-1)?.endpoint).toBe('other');
    });
  });
});

describe('Atlas sandbox close()', () => {
  it('resolves promptly while a request hangs, and the hung client sees the connection end', async () => {
    const atlas = await startAtlasSandbox({ tokenTtlSeconds: 60 });
    const token = await accessToken(atlas);
    atlas.injectFault({ kind: 'hang' });
    const hung = sendInvite(atlas, token);
    while (atlas.count('invites') === 0) await sleep(10);
    const outcome = await Promise.race([atlas.close().then(() => 'closed'), sleep(1000).then(() => 'still open')]);
    expect(outcome).toBe('closed');
    expect(await failureCode(hung)).toEqual(expect.any(String));
    await expect(fetch(`${atlas.url}/api/oauth/token`)).rejects.toThrow();
  });
});

describe('AWS endpoints with the real SDK clients', () => {
  let aws: AwsEndpoints;
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/onboarding';
  const DLQ = 'https://sqs.us-east-1.amazonaws.com/123456789012/onboarding-dlq';
  let secrets: SecretsManagerClient;
  let sqs: SQSClient;
  let sqsOneShot: SQSClient;

  beforeAll(async () => {
    aws = await startAwsEndpoints({ secrets: { 'atlas/service-account': '{"clientId":"id","clientSecret":"s"}' } });
    secrets = new SecretsManagerClient({ region: 'us-east-1', endpoint: aws.url, credentials, maxAttempts: 1 });
    sqs = new SQSClient({ region: 'us-east-1', endpoint: aws.url, credentials, useQueueUrlAsEndpoint: false });
    sqsOneShot = new SQSClient({ region: 'us-east-1', endpoint: aws.url, credentials, useQueueUrlAsEndpoint: false, maxAttempts: 1 });
  });
  afterAll(async () => {
    secrets.destroy();
    sqs.destroy();
    sqsOneShot.destroy();
    await aws.close();
  });
  beforeEach(() => aws.reset());

  describe('Secrets Manager GetSecretValue', () => {
    it('finds a secret by name, by ARN and by partial ARN', async () => {
      const byName = await secrets.send(new GetSecretValueCommand({ SecretId: 'atlas/service-account' }));
      expect(byName).toMatchObject({ Name: 'atlas/service-account', SecretString: '{"clientId":"id","clientSecret":"s"}', VersionStages: ['AWSCURRENT'] });
      expect(byName.ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:atlas\/service-account-[A-Za-z0-9]{6}$/);
      expect(byName.CreatedDate).toBeInstanceOf(Date);
      expect(byName.VersionId).toEqual(expect.any(String));

      const byArn = await secrets.send(new GetSecretValueCommand({ SecretId: byName.ARN }));
      expect(byArn.SecretString).toBe(byName.SecretString);
      const partial = await secrets.send(new GetSecretValueCommand({ SecretId: byName.ARN?.slice(0, -7) }));
      expect(partial.Name).toBe('atlas/service-account');

      const arn = aws.setSecret('other', 'value');
      expect((await secrets.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString).toBe('value');
      expect(aws.secretRequests.map((r) => r.secretId)).toEqual(['atlas/service-account', byName.ARN, byName.ARN?.slice(0, -7), arn]);
      expect(aws.calls.every((c) => c.signed && c.target === 'secretsmanager.GetSecretValue' && c.status === 200)).toBe(true);
    });

    it('throws ResourceNotFoundException for an unknown secret', async () => {
      const err = await secrets.send(new GetSecretValueCommand({ SecretId: 'missing' })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ResourceNotFoundException);
      expect(err).toMatchObject({ name: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret.", $metadata: { httpStatusCode: 400 } });
    });

    it('reaches the sandbox through AWS_ENDPOINT_URL_SECRETS_MANAGER', async () => {
      const previous = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = aws.url;
      try {
        const client = new SecretsManagerClient({ region: 'us-east-1', credentials });
        expect((await client.send(new GetSecretValueCommand({ SecretId: 'atlas/service-account' }))).Name).toBe('atlas/service-account');
        client.destroy();
      } finally {
        if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
        else process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = previous;
      }
      expect(aws.secretRequests).toHaveLength(1);
    });
  });

  describe('SQS', () => {
    it('records SendMessage with its attributes and answers an MD5 the SDK accepts', async () => {
      const out = await sqs.send(
        new SendMessageCommand({
          QueueUrl: DLQ,
          MessageBody: '{"id":"evt-1"} ✓',
          MessageAttributes: {
            errorCode: { DataType: 'String', StringValue: 'INVALID_EVENT' },
            errorMessage: { DataType: 'String', StringValue: 'user.email is required' },
          },
        }),
      );
      expect(aws.sentMessages).toEqual([
        {
          queueUrl: DLQ,
          body: '{"id":"evt-1"} ✓',
          attributes: {
            errorCode: { DataType: 'String', StringValue: 'INVALID_EVENT' },
            errorMessage: { DataType: 'String', StringValue: 'user.email is required' },
          },
          id: out.MessageId,
          at: expect.any(Number) as number,
        },
      ]);
      expect(out.MD5OfMessageBody).toMatch(/^[a-f0-9]{32}$/);
      expect(aws.calls[0]).toMatchObject({ target: 'AmazonSQS.SendMessage', signed: true, status: 200 });
    });

    it('rejects an oversized or empty body with InvalidParameterValue', async () => {
      const tooBig = await sqsOneShot.send(new SendMessageCommand({ QueueUrl: DLQ, MessageBody: 'x'.repeat(262_145) })).catch((e: unknown) => e);
      expect(tooBig).toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
      const empty = await sqsOneShot.send(new SendMessageCommand({ QueueUrl: DLQ, MessageBody: '' })).catch((e: unknown) => e);
      expect(empty).toMatchObject({ name: 'InvalidParameterValue' });
      expect((await sqsOneShot.send(new SendMessageCommand({ QueueUrl: DLQ, MessageBody: 'x'.repeat(262_144) }))).MessageId).toEqual(expect.any(String));
      expect(aws.sentMessages).toHaveLength(1);
    });

    it('records ChangeMessageVisibility and rejects a timeout over 12 hours', async () => {
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: QUEUE, ReceiptHandle: 'rh-1', VisibilityTimeout: 120 }));
      expect(aws.visibilityChanges).toMatchObject([{ queueUrl: QUEUE, receiptHandle: 'rh-1', visibilityTimeout: 120 }]);
      const err = await sqsOneShot.send(new ChangeMessageVisibilityCommand({ QueueUrl: QUEUE, ReceiptHandle: 'rh-2', VisibilityTimeout: 43_201 })).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
      expect(aws.visibilityChanges).toHaveLength(1);
    });

    it('answers SendMessageBatch entry by entry', async () => {
      const out = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: DLQ,
          Entries: [
            { Id: 'a', MessageBody: 'first' },
            { Id: 'b', MessageBody: '' },
          ],
        }),
      );
      expect(out.Successful?.map((s) => s.Id)).toEqual(['a']);
      expect(out.Failed).toMatchObject([{ Id: 'b', SenderFault: true, Code: 'InvalidParameterValue' }]);
      expect(aws.sentMessages.map((m) => m.body)).toEqual(['first']);
    });
  });

  describe('failNext', () => {
    it('fails the next call with InternalFailure 500, then serves normally', async () => {
      aws.failNext('GetSecretValue');
      const err = await secrets.send(new GetSecretValueCommand({ SecretId: 'atlas/service-account' })).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'InternalFailure', $metadata: { httpStatusCode: 500 } });
      expect((await secrets.send(new GetSecretValueCommand({ SecretId: 'atlas/service-account' }))).Name).toBe('atlas/service-account');
    });

    it('surfaces the given SQS error type as the modelled exception', async () => {
      aws.failNext('AmazonSQS.SendMessage', { type: 'QueueDoesNotExist', status: 400 });
      const err = await sqsOneShot.send(new SendMessageCommand({ QueueUrl: DLQ, MessageBody: 'x' })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(QueueDoesNotExist);
      // SQS is query-compatible: the legacy error code travels in x-amzn-query-error and the SDK exposes it.
      expect(err).toMatchObject({ Code: 'AWS.SimpleQueueService.NonExistentQueue', Type: 'Sender' });
    });

    it('fails the next `times` calls, then serves normally', async () => {
      aws.failNext('ChangeMessageVisibility', { times: 2 });
      for (let i = 0; i < 2; i += 1) {
        const failed = await sqsOneShot.send(new ChangeMessageVisibilityCommand({ QueueUrl: QUEUE, ReceiptHandle: 'rh', VisibilityTimeout: 5 })).catch((e: unknown) => e);
        expect(failed).toMatchObject({ name: 'InternalFailure' });
      }
      await sqsOneShot.send(new ChangeMessageVisibilityCommand({ QueueUrl: QUEUE, ReceiptHandle: 'rh', VisibilityTimeout: 5 }));
      expect(aws.visibilityChanges).toHaveLength(1);
      expect(aws.sentMessages).toHaveLength(0);
    });

    it('with hang, reads the call and never answers it, and records it with status 0', async () => {
      aws.failNext('GetSecretValue', { hang: true });
      const err = await secrets.send(new GetSecretValueCommand({ SecretId: 'atlas/service-account' }), { abortSignal: AbortSignal.timeout(300) }).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'AbortError' });
      expect(aws.calls.map((c) => [c.operation, c.status])).toEqual([['GetSecretValue', 0]]);
      expect((await secrets.send(new GetSecretValueCommand({ SecretId: 'atlas/service-account' }))).Name).toBe('atlas/service-account');
    });

    it('lets the SDK retry a transient failure on its own', async () => {
      aws.failNext('SendMessage', { type: 'ServiceUnavailable', status: 503 });
      const out = await sqs.send(new SendMessageCommand({ QueueUrl: DLQ, MessageBody: 'retried' }));
      expect(aws.calls.map((c) => c.status)).toEqual([503, 200]);
      expect(aws.sentMessages).toMatchObject([{ body: 'retried', id: out.MessageId }]);
    });
  });
});
