import { request } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EVERYONE_GROUP_ID, OKTA_SANDBOX_TOKEN, OKTA_USER_STATUSES, startOktaSandbox } from '../sandbox';
import type { OktaSandbox } from '../sandbox';

// The Okta stand-in answers the way Okta's Management API does for what the onboarder reads (contract section 12);
// these tests hold it to that over real HTTP (node:http, so every header line is seen as sent).

const OKTA_ID = /^00[ug][A-Za-z0-9]{17}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Each `Link` header line as sent (node:http joins repeated lines in `headers`). */
  linkLines: string[];
  body: unknown;
}

/** A GET as the onboarder sends it; `timeoutMs` makes the client give up (a hung answer). */
function get(url: string, opts: { token?: string | null; authorization?: string; timeoutMs?: number } = {}): Promise<Reply> {
  const authorization = opts.authorization ?? (opts.token === null ? undefined : `SSWS ${opts.token ?? OKTA_SANDBOX_TOKEN}`);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers: { accept: 'application/json', ...(authorization && { authorization }) }, timeout: opts.timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const linkLines = res.rawHeaders.filter((_, i) => i % 2 === 1 && res.rawHeaders[i - 1]!.toLowerCase() === 'link');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, linkLines, body: text === '' ? undefined : (JSON.parse(text) as unknown) });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    req.on('error', reject);
    req.end();
  });
}

/** The `Link` header lines as `rel -> url`: one line per link, as Okta sends them. */
function links(reply: Reply): Record<string, string> {
  return Object.fromEntries(
    reply.linkLines.map((line) => {
      const match = /^<([^>]+)>; rel="([^"]+)"$/.exec(line);
      if (!match) throw new Error(`not a Link header line: ${line}`);
      return [match[2]!, match[1]!];
    }),
  );
}

let okta: OktaSandbox;
beforeAll(async () => {
  okta = await startOktaSandbox();
});
afterAll(() => okta.close());
beforeEach(() => okta.reset());

describe('Okta sandbox: users', () => {
  it('answers a user by id, login and short login, in the shape of Okta User object', async () => {
    const ada = okta.addUser({
      profile: { login: 'ada@example.com', email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', department: 'Data Platform', title: 'Engineer', city: 'London', costCenter: 'CC-42' },
    });
    expect(ada.id).toMatch(OKTA_ID);
    expect(ada.id.startsWith('00u')).toBe(true);
    for (const key of [ada.id, 'ada@example.com', 'ADA@example.com', encodeURIComponent('ada@example.com'), 'ada']) {
      const reply = await get(`${okta.url}/api/v1/users/${key}`);
      expect([key, reply.status]).toEqual([key, 200]);
      expect(reply.body).toEqual(ada);
    }
    const reply = await get(`${okta.url}/api/v1/users/${ada.id}`);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    const user = reply.body as Record<string, unknown>;
    expect(Object.keys(user).sort()).toEqual(
      ['_links', 'activated', 'created', 'credentials', 'id', 'lastLogin', 'lastUpdated', 'passwordChanged', 'profile', 'status', 'statusChanged', 'type'].sort(),
    );
    expect(user).toMatchObject({
      status: 'ACTIVE',
      created: expect.stringMatching(ISO),
      lastUpdated: expect.stringMatching(ISO),
      type: { id: expect.any(String) },
      profile: { login: 'ada@example.com', email: 'ada@example.com', department: 'Data Platform', title: 'Engineer', city: 'London', costCenter: 'CC-42' },
      _links: { self: { href: `${okta.url}/api/v1/users/${ada.id}` } },
    });
  });

  it('keeps every Okta status a user can be in, and reports the change', async () => {
    const user = okta.addUser({ status: 'STAGED', profile: { login: 'sam@example.com', email: 'sam@example.com' } });
    expect(user).toMatchObject({ status: 'STAGED', activated: null });
    for (const status of OKTA_USER_STATUSES) {
      okta.setStatus(user.id, status);
      const reply = await get(`${okta.url}/api/v1/users/${user.id}`);
      expect((reply.body as { status: string }).status).toBe(status);
    }
    expect(() => okta.setStatus(user.id, 'GONE' as never)).toThrow(RangeError);
  });

  it('answers 404 E0000007 for a user that is not there, or no longer is', async () => {
    const gone = okta.addUser({ profile: { login: 'gone@example.com', email: 'gone@example.com' } });
    okta.deleteUser(gone.id);
    for (const id of ['00uNOTHERE0000000000', gone.id]) {
      for (const path of [`/api/v1/users/${id}`, `/api/v1/users/${id}/groups`]) {
        const reply = await get(`${okta.url}${path}`);
        expect([path, reply.status]).toEqual([path, 404]);
        expect(reply.body).toEqual({
          errorCode: 'E0000007',
          errorSummary: `Not found: Resource not found: ${id} (User)`,
          errorLink: 'E0000007',
          errorId: expect.stringMatching(/^oae/),
          errorCauses: [],
        });
      }
    }
  });
});

describe('Okta sandbox: a user groups', () => {
  it('lists Everyone first, as Okta does, with the Group object shape', async () => {
    const ada = okta.addUser({ profile: { login: 'ada@example.com', email: 'ada@example.com' } });
    const readers = okta.addGroup({ name: 'atlas-analytics-readers', description: 'Read analytics' });
    expect(readers.id).toMatch(OKTA_ID);
    expect(readers.id.startsWith('00g')).toBe(true);
    okta.addToGroup(ada.id, readers.id);
    okta.addToGroup(ada.id, readers.id);
    const reply = await get(`${okta.url}/api/v1/users/${ada.id}/groups`);
    expect(reply.status).toBe(200);
    const groups = reply.body as Record<string, unknown>[];
    expect(groups.map((g) => (g.profile as { name: string }).name)).toEqual(['Everyone', 'atlas-analytics-readers']);
    expect(groups[0]).toMatchObject({ id: EVERYONE_GROUP_ID, type: 'BUILT_IN' });
    expect(groups[1]).toEqual({
      id: readers.id,
      created: expect.stringMatching(ISO),
      lastUpdated: expect.stringMatching(ISO),
      lastMembershipUpdated: expect.stringMatching(ISO),
      objectClass: ['okta:user_group'],
      type: 'OKTA_GROUP',
      profile: { name: 'atlas-analytics-readers', description: 'Read analytics' },
      _links: expect.objectContaining({ users: { href: `${okta.url}/api/v1/groups/${readers.id}/users` } }),
    });
    expect(links(reply)).toEqual({ self: `${okta.url}/api/v1/users/${ada.id}/groups?limit=200` });
  });

  it('pages with limit and after, following Link rel="next" exactly, across three pages', async () => {
    const ada = okta.addUser({ profile: { login: 'ada@example.com', email: 'ada@example.com' } });
    const names = ['g1', 'g2', 'g3', 'g4', 'g5'];
    for (const name of names) okta.addToGroup(ada.id, okta.addGroup({ name }).id);
    const seen: string[] = [];
    const pages: Record<string, string>[] = [];
    let next: string | undefined = `${okta.url}/api/v1/users/${ada.id}/groups?limit=2`;
    while (next) {
      const reply = await get(next);
      expect(reply.status).toBe(200);
      seen.push(...(reply.body as { profile: { name: string } }[]).map((g) => g.profile.name));
      const rels = links(reply);
      pages.push(rels);
      next = rels.next;
    }
    expect(seen).toEqual(['Everyone', ...names]);
    expect(pages).toHaveLength(3);
    const ids = okta.groupsOf(ada.id).map((g) => g.id);
    expect(pages[0]).toEqual({ self: `${okta.url}/api/v1/users/${ada.id}/groups?limit=2`, next: `${okta.url}/api/v1/users/${ada.id}/groups?after=${ids[1]}&limit=2` });
    expect(pages[1]!.next).toBe(`${okta.url}/api/v1/users/${ada.id}/groups?after=${ids[3]}&limit=2`);
    expect(pages[2]).toEqual({ self: `${okta.url}/api/v1/users/${ada.id}/groups?after=${ids[3]}&limit=2` });
    expect(okta.count('users:groups')).toBe(3);
  });

  it('uses the configured page size when the request sends no limit', async () => {
    const small = await startOktaSandbox({ groupsPageSize: 1 });
    try {
      const ada = small.addUser({ profile: { login: 'ada@example.com', email: 'ada@example.com' } });
      small.addToGroup(ada.id, small.addGroup({ name: 'g1' }).id);
      const reply = await get(`${small.url}/api/v1/users/${ada.id}/groups`);
      expect((reply.body as unknown[]).length).toBe(1);
      expect(links(reply).next).toBe(`${small.url}/api/v1/users/${ada.id}/groups?after=${EVERYONE_GROUP_ID}&limit=1`);
      // Okta's limit is at most 200: a larger one is served as 200.
      expect(links(await get(`${small.url}/api/v1/users/${ada.id}/groups?limit=5000`)).self).toBe(`${small.url}/api/v1/users/${ada.id}/groups?limit=200`);
    } finally {
      await small.close();
    }
    await expect(startOktaSandbox({ groupsPageSize: 201 })).rejects.toThrow(RangeError);
  });
});

describe('Okta sandbox: authentication and the rate limit', () => {
  it('answers 401 E0000011 without a token, with a wrong one, or with another scheme', async () => {
    const ada = okta.addUser({ profile: { login: 'ada@example.com', email: 'ada@example.com' } });
    for (const opts of [{ token: null }, { token: 'wrong-token' }, { authorization: `Bearer ${OKTA_SANDBOX_TOKEN}` }]) {
      const reply = await get(`${okta.url}/api/v1/users/${ada.id}`, opts);
      expect(reply.status).toBe(401);
      expect(reply.body).toMatchObject({ errorCode: 'E0000011', errorSummary: 'Invalid token provided' });
    }
  });

  it('answers 403 E0000006 to a valid token that lacks the permission', async () => {
    const strict = await startOktaSandbox({ forbiddenTokens: ['read-nothing-token'] });
    try {
      const ada = strict.addUser({ profile: { login: 'ada@example.com', email: 'ada@example.com' } });
      const reply = await get(`${strict.url}/api/v1/users/${ada.id}/groups`, { token: 'read-nothing-token' });
      expect(reply.status).toBe(403);
      expect(reply.body).toMatchObject({ errorCode: 'E0000006', errorSummary: 'You do not have permission to perform the requested action' });
      expect((await get(`${strict.url}/api/v1/users/${ada.id}`)).status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('answers 429 E0000047 past the limit, with X-Rate-Limit-Reset in epoch seconds', async () => {
    const limited = await startOktaSandbox({ rateLimit: { limit: 2, windowSeconds: 30 } });
    try {
      const ada = limited.addUser({ profile: { login: 'ada@example.com', email: 'ada@example.com' } });
      const before = Math.floor(Date.now() / 1000);
      const replies = [];
      for (let i = 0; i < 3; i += 1) replies.push(await get(`${limited.url}/api/v1/users/${ada.id}`));
      expect(replies.map((r) => r.status)).toEqual([200, 200, 429]);
      expect(replies.map((r) => r.headers['x-rate-limit-remaining'])).toEqual(['1', '0', '0']);
      expect(replies[2]!.headers['x-rate-limit-limit']).toBe('2');
      const reset = Number(replies[2]!.headers['x-rate-limit-reset']);
      expect(reset).toBeGreaterThanOrEqual(before + 29);
      expect(reset).toBeLessThanOrEqual(before + 31);
      expect(replies[2]!.body).toMatchObject({ errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.' });
    } finally {
      await limited.close();
    }
  });
});

describe('Okta sandbox: faults on demand and the record', () => {
  it('answers an injected 503 once, then serves again', async () => {
    const ada = okta.addUser({ profile: { login: 'ada@example.com', email: 'ada@example.com' } });
    okta.injectFault({ kind: 'status', status: 503, errorSummary: 'Service unavailable' }, { on: 'users:get' });
    const groups = await get(`${okta.url}/api/v1/users/${ada.id}/groups`);
    expect(groups.status).toBe(200);
    const faulted = await get(`${okta.url}/api/v1/users/${ada.id}`);
    expect(faulted.status).toBe(503);
    expect(faulted.body).toMatchObject({ errorSummary: 'Service unavailable', errorCauses: [] });
    expect((await get(`${okta.url}/api/v1/users/${ada.id}`)).status).toBe(200);
  });

  it('resets the connection, and hangs until the client gives up', async () => {
    const ada = okta.addUser({ profile: { login: 'ada@example.com', email: 'ada@example.com' } });
    okta.injectFault({ kind: 'reset' }, { on: 'users:groups' });
    await expect(get(`${okta.url}/api/v1/users/${ada.id}/groups`)).rejects.toMatchObject({ code: 'ECONNRESET' });
    okta.injectFault({ kind: 'hang' });
    await expect(get(`${okta.url}/api/v1/users/${ada.id}`, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'CLIENT_TIMEOUT' });
    okta.injectFault({ kind: 'delay', ms: 50 });
    const started = Date.now();
    expect((await get(`${okta.url}/api/v1/users/${ada.id}`)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(okta.requests.map((r) => [r.endpoint, r.fault, r.status])).toEqual([
      ['users:groups', 'reset', null],
      ['users:get', 'hang', null],
      ['users:get', 'delay', 200],
    ]);
  });

  it('records method, path, status and auth scheme, never the token', async () => {
    const ada = okta.addUser({ profile: { login: 'ada@example.com', email: 'ada@example.com' } });
    await get(`${okta.url}/api/v1/users/${ada.id}`);
    await get(`${okta.url}/api/v1/users/${ada.id}`, { token: 'some-wrong-secret' });
    await get(`${okta.url}/api/v1/nothing`);
    expect(okta.requests.map((r) => [r.method, r.path, r.endpoint, r.status, r.authScheme, r.accept])).toEqual([
      ['GET', `/api/v1/users/${ada.id}`, 'users:get', 200, 'SSWS', 'application/json'],
      ['GET', `/api/v1/users/${ada.id}`, 'users:get', 401, 'SSWS', 'application/json'],
      ['GET', '/api/v1/nothing', 'other', 404, 'SSWS', 'application/json'],
    ]);
    expect(JSON.stringify(okta.requests)).not.toContain(OKTA_SANDBOX_TOKEN);
    expect(JSON.stringify(okta.requests)).not.toContain('some-wrong-secret');
    expect(okta.count('users:get')).toBe(2);
  });
});
