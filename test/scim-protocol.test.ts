import { describe, expect, it } from 'vitest';
import { Failure } from '../lambda/failure';
import { ConfigError, loadConfig } from '../lambda/functions/scim/config';
import { NEXT_TOKEN, scimWorld, TOKEN, type ScimReply, type ScimWorld } from './scim-world';

/** The SCIM protocol as RFC 7644 and contract sections 10 and 14 state it, around the provider replays. */

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

function expectError(reply: ScimReply, status: number, scimType?: string): void {
  expect(reply.status).toBe(status);
  expect(reply.headers['content-type']).toBe('application/scim+json');
  expect(reply.json).toEqual({ schemas: [ERROR], status: String(status), ...(scimType && { scimType }), detail: expect.any(String) });
}

async function newUser(world: ScimWorld, userName = 'ada@contoso.com', extra: Record<string, unknown> = {}): Promise<string> {
  const reply = await world.call({ method: 'POST', path: '/Users', body: { userName, active: true, ...extra } });
  expect(reply.status).toBe(201);
  return reply.json!.id as string;
}

const patch = (world: ScimWorld, path: string, ...Operations: unknown[]) => world.call({ method: 'PATCH', path, body: { schemas: [PATCH_OP], Operations } });

describe('authentication: a bearer token against every value of the secret', () => {
  it('accepts either value during a rotation', async () => {
    const world = scimWorld({ tokens: [TOKEN, NEXT_TOKEN] });
    expect((await world.call({ path: '/Users', authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await world.call({ path: '/Users', authorization: `bearer ${NEXT_TOKEN}` })).status).toBe(200);
  });

  it('answers 401 in the SCIM error format with WWW-Authenticate, and logs no offered token', async () => {
    const world = scimWorld();
    const offered = 'Bearer wrong-token-offered-by-a-caller-0000';
    for (const authorization of [offered, null, `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}`, `Bearer ${TOKEN}x`, 'Bearer', TOKEN]) {
      const reply = await world.call({ path: '/Users', authorization });
      expectError(reply, 401);
      expect(reply.headers['www-authenticate']).toBe('Bearer');
      expect(reply.text).not.toContain(TOKEN.slice(0, 20));
    }
    const logs = world.logs.join('\n');
    expect(logs).not.toContain('wrong-token-offered');
    expect(logs).not.toContain(TOKEN);
    expect(world.logs.filter((l) => l.includes('"status":401'))).toHaveLength(6);
    // Nothing was read or written for them.
    expect(world.directory.calls).toEqual([]);
  });

  it('answers 503 (not 401) when the token secret cannot be read, with an error line', async () => {
    const world = scimWorld();
    world.failTokens(true);
    const reply = await world.call({ path: '/Users' });
    expectError(reply, 503);
    expect(reply.headers['retry-after']).toBe('5');
    expect(world.logs.some((l) => l.includes('"level":"error"') && l.includes('SCIM token secret'))).toBe(true);
  });
});

describe('metrics', () => {
  it('publishes ScimRequests by status, Function scim', async () => {
    const world = scimWorld();
    await world.call({ path: '/Users' });
    await world.call({ path: '/Users', authorization: 'Bearer nope-nope-nope' });
    const emf = world.logs.filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(emf).toContainEqual(expect.objectContaining({ Function: 'scim', Status: '200', ScimRequests: 1 }));
    expect(emf).toContainEqual(expect.objectContaining({ Function: 'scim', Status: '401', ScimRequests: 1 }));
  });
});

describe('bodies and content types', () => {
  it('takes application/scim+json with any parameters and application/json; refuses anything else with 415', async () => {
    const world = scimWorld();
    for (const [i, type] of ['application/scim+json', 'application/scim+json; charset=utf-8', 'APPLICATION/JSON', 'application/json;charset=UTF-8'].entries()) {
      const reply = await world.call({ method: 'POST', path: '/Users', body: { userName: `user${i}@contoso.com` }, headers: { 'content-type': type } });
      expect(reply.status).toBe(201);
    }
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/scim', '']) {
      expectError(await world.call({ method: 'POST', path: '/Users', body: { userName: 'x@contoso.com' }, headers: { 'content-type': type } }), 415);
    }
  });

  it('answers every success as application/scim+json', async () => {
    const world = scimWorld();
    for (const path of ['/Users', '/Groups', '/ServiceProviderConfig', '/ResourceTypes', '/Schemas']) {
      const reply = await world.call({ path });
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toBe('application/scim+json');
    }
  });

  it('refuses bad JSON and a body that is not an object with 400 invalidSyntax', async () => {
    const world = scimWorld();
    for (const body of ['{"userName":', '[]', '"text"', '42', 'null']) {
      expectError(await world.call({ method: 'POST', path: '/Users', body }), 400, 'invalidSyntax');
    }
    expectError(await world.call({ method: 'POST', path: '/Users', body: Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'), base64: true }), 400, 'invalidSyntax');
  });

  it('refuses a body over 256 KiB with 413, plain or base64, before reading the token secret', async () => {
    const world = scimWorld();
    const big = JSON.stringify({ userName: 'big@contoso.com', title: 'x'.repeat(256 * 1024) });
    expectError(await world.call({ method: 'POST', path: '/Users', body: big }), 413);
    expectError(await world.call({ method: 'POST', path: '/Users', body: big, base64: true }), 413);
    const fits = JSON.stringify({ userName: 'fits@contoso.com', title: 'x'.repeat(200 * 1024) });
    expect((await world.call({ method: 'POST', path: '/Users', body: fits, base64: true })).status).toBe(201);
  });

  it('answers HTTP API (payload 2.0) events alike', async () => {
    const world = scimWorld();
    const created = await world.call({ api: 'http', method: 'POST', path: '/Users', body: { userName: 'v2@contoso.com' } });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`https://127.0.0.1/scim/v2/Users/${created.json!.id as string}`);
  });
});

describe('routes', () => {
  it('answers 404 and 405 in the SCIM error format', async () => {
    const world = scimWorld();
    for (const path of ['/Users/', '/users', '/Users/a/b', '/Bulk', '/Me', '/', '/Users/missing-id']) expectError(await world.call({ path }), 404);
    expectError(await world.call({ method: 'DELETE', path: '/Users' }), 405);
    expectError(await world.call({ method: 'POST', path: '/ServiceProviderConfig', body: {} }), 405);
  });

  it('answers a path outside /scim/v2 with 404', async () => {
    const world = scimWorld();
    const answer = await world.handler({ ...(await import('../local/events')).restEvent({ method: 'GET', path: '/events' }) });
    expect((answer as { statusCode: number }).statusCode).toBe(404);
  });

  it('refuses an event that is not an API Gateway event; a stream event with no relay fails so its records stay', async () => {
    const world = scimWorld();
    const answer = (await world.handler({ requestContext: { elb: { targetGroupArn: 'arn' } }, httpMethod: 'GET', path: '/scim/v2/Users' })) as { statusCode: number };
    expect(answer.statusCode).toBe(400);
    await expect(world.handler({ Records: [{ eventSource: 'aws:dynamodb', eventName: 'INSERT' }] })).rejects.toThrow(/no stream relay/);
  });
});

describe('discovery', () => {
  it('describes the service: PATCH and filter supported, no bulk, no sort, bearer tokens', async () => {
    const world = scimWorld();
    const config = (await world.call({ path: '/ServiceProviderConfig' })).json!;
    expect(config).toMatchObject({
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: 100 },
      sort: { supported: false },
      etag: { supported: false },
      changePassword: { supported: false },
      authenticationSchemes: [{ type: 'oauthbearertoken' }],
    });
    const types = (await world.call({ path: '/ResourceTypes' })).json!;
    expect((types.Resources as { id: string }[]).map((t) => t.id)).toEqual(['User', 'Group']);
    expect((await world.call({ path: '/ResourceTypes/User' })).json).toMatchObject({ endpoint: '/Users', schemaExtensions: [{ schema: ENTERPRISE, required: false }] });
    const schemas = (await world.call({ path: '/Schemas' })).json!;
    expect((schemas.Resources as { id: string }[]).map((s) => s.id)).toEqual(['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE, 'urn:ietf:params:scim:schemas:core:2.0:Group']);
    expect((await world.call({ path: `/Schemas/${ENTERPRISE}` })).json).toMatchObject({ name: 'EnterpriseUser' });
  });
});

describe('list: filter, paging and projection', () => {
  it('filters by eq on the contract’s attributes, case-insensitive names and operators, joined by and', async () => {
    const world = scimWorld();
    const id = await newUser(world, 'Ada@Contoso.com', { externalId: 'ext-1', emails: [{ type: 'work', value: 'ada@contoso.com' }] });
    await newUser(world, 'bo@contoso.com', { externalId: 'ext-2' });
    const found = async (filter: string) => ((await world.call({ path: `/Users?filter=${encodeURIComponent(filter)}` })).json!.Resources as { id: string }[]).map((r) => r.id);
    expect(await found('userName eq "ada@contoso.com"')).toEqual([id]);
    expect(await found('USERNAME EQ "ADA@CONTOSO.COM"')).toEqual([id]);
    expect(await found('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ada@contoso.com"')).toEqual([id]);
    expect(await found('externalId eq "ext-1" and emails[type eq "work"].value eq "ada@contoso.com"')).toEqual([id]);
    expect(await found('externalId eq "EXT-1"')).toEqual([]);
    expect(await found('externalId eq "ext-1" and externalId eq "ext-2"')).toEqual([]);
    expect(await found('userName eq "ada@contoso.com" and userName eq "ADA@contoso.com"')).toEqual([id]);
  });

  it('refuses any other filter with 400 invalidFilter', async () => {
    const world = scimWorld();
    for (const filter of ['userName co "a"', 'title eq "x"', 'userName eq "a" or userName eq "b"', 'not (userName eq "a")', 'userName eq', '', 'emails[type eq "home"].value eq "a@b.c"', 'userName eq "unterminated']) {
      expectError(await world.call({ path: `/Users?filter=${encodeURIComponent(filter)}` }), 400, 'invalidFilter');
    }
    expectError(await world.call({ path: `/Groups?filter=${encodeURIComponent('userName eq "a"')}` }), 400, 'invalidFilter');
  });

  it('pages with startIndex (below 1 is 1) and count (negative is 0, at most 100), totalResults honest', async () => {
    const world = scimWorld();
    for (let i = 0; i < 105; i++) await newUser(world, `user${i}@contoso.com`);
    const list = async (query: string) => (await world.call({ path: `/Users?${query}` })).json!;
    expect(await list('count=1000')).toMatchObject({ totalResults: 105, itemsPerPage: 100, startIndex: 1 });
    expect(await list('startIndex=0&count=2')).toMatchObject({ totalResults: 105, itemsPerPage: 2, startIndex: 1 });
    expect(await list('startIndex=-4&count=-5')).toMatchObject({ totalResults: 105, itemsPerPage: 0, Resources: [] });
    expect(await list('startIndex=101&count=100')).toMatchObject({ totalResults: 105, itemsPerPage: 5, startIndex: 101 });
    expectError(await world.call({ path: '/Users?startIndex=abc' }), 400, 'invalidValue');
    expectError(await world.call({ path: '/Users?count=1.5' }), 400, 'invalidValue');
  });

  it('projects with attributes and excludedAttributes, and reads no members when they are excluded', async () => {
    const world = scimWorld();
    const id = await newUser(world, 'ada@contoso.com', { title: 'Engineer', name: { givenName: 'Ada', familyName: 'L' } });
    const only = (await world.call({ path: `/Users/${id}?attributes=userName,name.givenName` })).json!;
    expect(Object.keys(only).sort()).toEqual(['id', 'meta', 'name', 'schemas', 'userName']);
    expect(only.name).toEqual({ givenName: 'Ada' });
    await patch(world, `/Users/${id}`, { op: 'add', path: 'emails', value: [{ type: 'work', value: 'ada@contoso.com', primary: true }] });
    expect((await world.call({ path: `/Users/${id}?attributes=emails.value` })).json!.emails).toEqual([{ value: 'ada@contoso.com' }]);
    const without = (await world.call({ path: `/Users?excludedAttributes=title,groups` })).json!.Resources as Record<string, unknown>[];
    expect(without[0]).not.toHaveProperty('title');
    expect(without[0]).not.toHaveProperty('groups');
    const group = (await world.call({ method: 'POST', path: '/Groups', body: { displayName: 'g', members: [{ value: id }] } })).json!.id as string;
    world.directory.calls.length = 0;
    const excluded = (await world.call({ path: `/Groups/${group}?excludedAttributes=members` })).json!;
    expect(excluded).not.toHaveProperty('members');
    expect(world.directory.calls.map((c) => c.method)).toEqual(['getGroup']);
  });
});

describe('create and replace', () => {
  it('refuses a user without userName, a non-boolean active, and a taken group displayName, naming the field', async () => {
    const world = scimWorld();
    const missing = await world.call({ method: 'POST', path: '/Users', body: { active: true } });
    expectError(missing, 400, 'invalidValue');
    expect(missing.json!.detail).toContain('userName');
    const active = await world.call({ method: 'POST', path: '/Users', body: { userName: 'a@contoso.com', active: 'yes' } });
    expectError(active, 400, 'invalidValue');
    expect(active.json!.detail).toContain('active');
    expect((await world.call({ method: 'POST', path: '/Users', body: { userName: 'a@contoso.com', active: 'FALSE' } })).json!.active).toBe(false);
    expect((await world.call({ method: 'POST', path: '/Groups', body: { displayName: 'g' } })).status).toBe(201);
    expectError(await world.call({ method: 'POST', path: '/Groups', body: { displayName: 'g' } }), 409, 'uniqueness');
    const other = (await world.call({ method: 'POST', path: '/Groups', body: { displayName: 'h' } })).json!.id as string;
    expectError(await patch(world, `/Groups/${other}`, { op: 'replace', path: 'displayName', value: 'g' }), 409, 'uniqueness');
    expectError(await world.call({ method: 'PUT', path: '/Users/nope', body: { userName: 'x@contoso.com' } }), 404);
  });
});

describe('PATCH of a user', () => {
  it('takes op in any case, bare enterprise attributes, and adds a work e-mail the user did not have', async () => {
    const world = scimWorld();
    const id = await newUser(world);
    const reply = await patch(
      world,
      `/Users/${id}`,
      { op: 'REPLACE', path: 'title', value: 'Engineer' },
      { op: 'add', path: 'department', value: 'Data Platform' },
      { op: 'Add', path: `${ENTERPRISE}:costCenter`, value: 'CC-42' },
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'ada@contoso.com' },
      { op: 'add', value: { 'name.givenName': 'Ada', [ENTERPRISE]: { division: 'R&D' } } },
    );
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({
      title: 'Engineer',
      emails: [{ type: 'work', value: 'ada@contoso.com' }],
      name: { givenName: 'Ada' },
      [ENTERPRISE]: { department: 'Data Platform', costCenter: 'CC-42', division: 'R&D' },
    });
    expect((await patch(world, `/Users/${id}`, { op: 'remove', path: 'emails[type eq "work"]' })).json).not.toHaveProperty('emails.0');
  });

  it('refuses what RFC 7644 refuses, with its scimType', async () => {
    const world = scimWorld();
    const id = await newUser(world);
    expectError(await patch(world, `/Users/${id}`, { op: 'remove' }), 400, 'noTarget');
    expectError(await patch(world, `/Users/${id}`, { op: 'move', path: 'title', value: 'x' }), 400, 'invalidSyntax');
    expectError(await patch(world, `/Users/${id}`, { op: 'add', path: 'groups', value: [{ value: 'g' }] }), 400, 'mutability');
    expectError(await patch(world, `/Users/${id}`, { op: 'add', path: 'emails[type eq "work"', value: 'x' }), 400, 'invalidPath');
    expectError(await patch(world, `/Users/${id}`, { op: 'add', path: 'urn:example:other:title', value: 'x' }), 400, 'invalidPath');
    expectError(await patch(world, `/Users/${id}`, { op: 'add', path: '__proto__', value: { polluted: true } }), 400, 'invalidPath');
    expectError(await patch(world, `/Users/${id}`, { op: 'add', value: { '__proto__.polluted': true } }), 400, 'invalidPath');
    expectError(await patch(world, `/Users/${id}`, { op: 'remove', path: 'userName' }), 400, 'invalidValue');
    expectError(await world.call({ method: 'PATCH', path: `/Users/${id}`, body: { schemas: [PATCH_OP], Operations: [] } }), 400, 'invalidSyntax');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expectError(await patch(world, '/Users/missing', { op: 'add', path: 'title', value: 'x' }), 404);
  });

  it('re-reads and retries when the user changed between read and write; 503 when it keeps changing', async () => {
    const world = scimWorld();
    const id = await newUser(world);
    const mismatch = new Failure('permanent', 'version_mismatch', 'changed');
    world.directory.failNext(mismatch, 'replaceUser');
    expect((await patch(world, `/Users/${id}`, { op: 'replace', path: 'title', value: 'A' })).status).toBe(200);
    expect(world.directory.calls.filter((c) => c.method === 'replaceUser')).toHaveLength(2);
    for (let i = 0; i < 3; i++) world.directory.failNext(mismatch, 'replaceUser');
    const reply = await patch(world, `/Users/${id}`, { op: 'replace', path: 'title', value: 'B' });
    expectError(reply, 503);
    expect(reply.headers['retry-after']).toBe('5');
  });

  it('writes nothing when the PATCH changes nothing (Entra re-sends values)', async () => {
    const world = scimWorld();
    const id = await newUser(world, 'ada@contoso.com', { title: 'Engineer' });
    world.directory.calls.length = 0;
    const reply = await patch(world, `/Users/${id}`, { op: 'Replace', path: 'title', value: 'Engineer' }, { op: 'Replace', path: 'active', value: 'True' });
    expect(reply.json!.meta).toMatchObject({ version: 'W/"1"' });
    expect(world.directory.calls.map((c) => c.method)).toEqual(['getUser', 'groupsOf']);
  });
});

describe('PATCH of a group', () => {
  it('removes all members with a bare remove, by a value list, and through a replace of []', async () => {
    const world = scimWorld();
    const [a, b, c] = [await newUser(world, 'a@x.com'), await newUser(world, 'b@x.com'), await newUser(world, 'c@x.com')];
    const group = (await world.call({ method: 'POST', path: '/Groups', body: { displayName: 'g', members: [{ value: a }, { value: b }, { value: c }] } })).json!.id as string;
    expect(world.directory.members.get(group)!.size).toBe(3);
    expect((await patch(world, `/Groups/${group}`, { op: 'remove', path: 'members', value: [{ value: a }, { value: b }] })).status).toBe(204);
    expect([...world.directory.members.get(group)!]).toEqual([c]);
    await patch(world, `/Groups/${group}`, { op: 'remove', path: 'members' });
    expect(world.directory.members.get(group)!.size).toBe(0);
    await patch(world, `/Groups/${group}`, { op: 'add', value: { members: [{ value: a }] } }, { op: 'add', path: 'members', value: [{ value: 'no-such-user' }] });
    expect([...world.directory.members.get(group)!]).toEqual([a]);
    // Okta's no-path form replaces the list (and renames in the same operation).
    await patch(world, `/Groups/${group}`, { op: 'replace', value: { id: group, displayName: 'g2', members: [{ value: b }, { value: c }] } });
    expect([...world.directory.members.get(group)!].sort()).toEqual([b, c].sort());
    expect(world.directory.groups.get(group)!.attributes.displayName).toBe('g2');
    expectError(await patch(world, `/Groups/${group}`, { op: 'add', path: 'members', value: [{ display: 'no value' }] }), 400, 'invalidValue');
    expectError(await patch(world, '/Groups/missing', { op: 'add', path: 'members', value: [{ value: a }] }), 404);
    expectError(await patch(world, '/Groups/missing', { op: 'replace', path: 'displayName', value: 'x' }), 404);
  });

  it('changes members in one directory call, never a read-modify-write of the list (Okta’s add-and-remove, 200 at once)', async () => {
    const world = scimWorld();
    const [a, b] = [await newUser(world, 'a@x.com'), await newUser(world, 'b@x.com')];
    const group = (await world.call({ method: 'POST', path: '/Groups', body: { displayName: 'g', members: [{ value: b }] } })).json!.id as string;
    world.directory.calls.length = 0;
    await patch(world, `/Groups/${group}`, { op: 'remove', path: 'members', value: [{ value: b }] }, { op: 'add', path: 'members', value: [{ value: a }] });
    expect(world.directory.calls.map((c) => [c.method, ...c.args])).toEqual([['changeMembers', group, { add: [a], remove: [b] }]]);
    const many: string[] = [];
    for (let i = 0; i < 200; i++) many.push(await newUser(world, `m${i}@x.com`));
    world.directory.calls.length = 0;
    expect((await patch(world, `/Groups/${group}`, { op: 'add', path: 'members', value: many.map((value) => ({ value })) })).status).toBe(204);
    expect(world.directory.calls.map((c) => c.method)).toEqual(['changeMembers']);
    // A lookup by displayName without members reads no member.
    world.directory.calls.length = 0;
    await world.call({ path: '/Groups?excludedAttributes=members&filter=displayName eq "g"' });
    expect(world.directory.calls.map((c) => c.method)).toEqual(['listGroups']);
  });
});

describe('the directory failing for now', () => {
  it('is a 503 with Retry-After in the SCIM error format, never a 500', async () => {
    const world = scimWorld();
    world.directory.failNext(new Failure('transient', 'ProvisionedThroughputExceededException', 'throttled'));
    const reply = await world.call({ path: '/Users' });
    expectError(reply, 503);
    expect(reply.headers['retry-after']).toBe('5');
    expect(reply.text).not.toContain('ProvisionedThroughput');
  });
});

describe('the directory refusing a value (DynamoDB ValidationException) or failing in our code', () => {
  it('answers a refused value 400 invalidValue, never a 503: asking again will not help', async () => {
    const world = scimWorld();
    world.directory.failNext(new Failure('permanent', 'invalid_value', 'createUser: DynamoDB refused an item (ValidationError)'), 'createUser');
    const reply = await world.call({ method: 'POST', path: '/Users', body: { userName: 'x@b.co' } });
    expectError(reply, 400, 'invalidValue');
    expect(reply.headers['retry-after']).toBeUndefined();
  });

  it('answers a fault of this code (internal) 500 with an error line, not a 503 outage', async () => {
    const world = scimWorld();
    world.directory.failNext(new Failure('permanent', 'internal', 'createUser failed in this code (RangeError)'), 'createUser');
    const reply = await world.call({ method: 'POST', path: '/Users', body: { userName: 'x@b.co' } });
    expect(reply.status).toBe(500);
    expect(world.logs.some((l) => l.includes('"level":"error"') && l.includes('internal'))).toBe(true);
  });
});

describe('configuration', () => {
  const env = { SCIM_TOKEN_SECRET_ID: 'scim/token', SCIM_TABLE_NAME: 'scim-directory', ONBOARDING_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/onboarding' };
  it('reads the three variables and the defaults', () => {
    expect(loadConfig(env)).toEqual({ tokenSecretId: 'scim/token', tableName: 'scim-directory', onboardingQueueUrl: env.ONBOARDING_QUEUE_URL, secretTtlMs: 300_000, logLevel: 'info' });
  });
  it('stops start-up naming the variable at fault', () => {
    for (const [variable, value] of [
      ['SCIM_TOKEN_SECRET_ID', undefined],
      ['SCIM_TOKEN_SECRET_ID', ' '],
      ['SCIM_TABLE_NAME', undefined],
      ['SCIM_TABLE_NAME', 'a b'],
      ['ONBOARDING_QUEUE_URL', 'not a url'],
      ['SECRET_TTL_SECONDS', '-1'],
      ['LOG_LEVEL', 'loud'],
    ] as const) {
      expect(() => loadConfig({ ...env, [variable]: value })).toThrow(ConfigError);
      try {
        loadConfig({ ...env, [variable]: value });
      } catch (err) {
        expect((err as ConfigError).variable).toBe(variable);
      }
    }
  });
});
