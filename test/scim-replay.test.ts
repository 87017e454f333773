import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBuiltScim, type BuiltScim } from './scim-built';
import { DYNAMODB_WAIT_MS, valueOf } from './scim-dynamodb';
import { NEXT_TOKEN, TOKEN, type ScimReply } from './scim-world';

/**
 * The identity providers' own requests, replayed in the order they send them (shared/research/integrations.md
 * sections 2.1 and 3; the requests are stored verbatim under test/fixtures/scim/). The documents' ids are mapped to
 * the ids this service gave, and nothing else of a request is changed.
 *
 * They run against the scim function as it ships (`npm run build`'s bundle, configured through its environment) on a
 * table of DynamoDB Local, with the token secret in the Secrets Manager stand-in; what a test checks beyond the
 * replies it reads through the DynamoDB directory port, a Scan of the table, or the bundle's own log lines.
 */

interface Fixture {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}
const load = (name: string) => (JSON.parse(readFileSync(new URL(`fixtures/scim/${name}.json`, import.meta.url), 'utf8')) as { requests: Record<string, Fixture> }).requests;
const ENTRA = load('entra');
const OKTA = load('okta');

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

type ScimWorld = Pick<BuiltScim, 'call'>;
let world: BuiltScim;
beforeAll(async () => {
  world = await startBuiltScim('replay');
}, DYNAMODB_WAIT_MS + 30_000);
afterAll(() => world?.close());
// One table for the file: each test starts from an empty directory.
beforeEach(() => world.clear());

/** Sends a fixture with the documents' ids replaced by ours. */
function replay(world: ScimWorld, fixture: Fixture, ids: Record<string, string> = {}): Promise<ScimReply> {
  const swap = (text: string) => Object.entries(ids).reduce((t, [theirs, ours]) => t.split(theirs).join(ours), text);
  return world.call({
    method: fixture.method,
    path: swap(fixture.path),
    ...(fixture.body !== undefined && { body: swap(JSON.stringify(fixture.body)) }),
    ...(fixture.headers && { headers: fixture.headers }),
  });
}

function expectListResponse(reply: ScimReply, totalResults: number): Record<string, unknown>[] {
  expect(reply.status).toBe(200);
  expect(reply.headers['content-type']).toBe('application/scim+json');
  expect(reply.json).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults, startIndex: 1 });
  const resources = reply.json!.Resources as Record<string, unknown>[];
  expect(reply.json!.itemsPerPage).toBe(resources.length);
  return resources;
}

async function createUser(world: ScimWorld, userName: string): Promise<string> {
  const reply = await world.call({ method: 'POST', path: '/Users', body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, active: true } });
  expect(reply.status).toBe(201);
  return reply.json!.id as string;
}

describe('Microsoft Entra ID: a provisioning cycle, both aadOptscim062020 states', () => {
  it('answers Test Connection (a random GUID, users and groups) with 200 and an empty ListResponse', async () => {
    expectListResponse(await world.call({ path: `/Users?filter=userName eq "${randomUUID()}"` }), 0);
    expectListResponse(await world.call({ path: `/Groups?excludedAttributes=members&filter=displayName eq "${randomUUID()}"` }), 0);
    expectListResponse(await replay(world, ENTRA.getUserByQueryZeroResults!), 0);
  });

  it('creates, finds, updates, disables and deletes a user', async () => {
    const created = await replay(world, ENTRA.createUser!);
    expect(created.status).toBe(201);
    const id = created.json!.id as string;
    expect(created.headers.location).toBe(`https://127.0.0.1/prod/scim/v2/Users/${id}`);
    expect(created.json).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee',
      active: true,
      groups: [],
      meta: { resourceType: 'User', location: created.headers.location, version: 'W/"1"' },
    });
    expect(Date.parse((created.json!.meta as { created: string }).created)).not.toBeNaN();

    // Entra queries by userName, externalId (also unquoted, its tutorial's example 1) and the work e-mail.
    const byUserName = expectListResponse(await world.call({ path: '/Users?filter=userName eq "test_user_00AA00AA-bb11-cc22-dd33-44ee44ee44ee"' }), 1);
    expect(byUserName[0]!.id).toBe(id);
    expectListResponse(await world.call({ path: '/Users?filter=externalId eq 0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef' }), 1);
    expectListResponse(await replay(world, ENTRA.getUserByExternalIdUnquoted!), 0);
    expectListResponse(await world.call({ path: '/Users?filter=emails[type eq "work"].value eq "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"' }), 1);

    const updated = await replay(world, ENTRA.updateUserMultiValued!, { '6764549bef60420686bc': id });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ emails: [{ primary: true, type: 'work', value: 'updatedEmail@microsoft.com' }], name: { familyName: 'updatedFamilyName', givenName: 'givenName' } });

    const flagged = await replay(world, ENTRA.replaceMultipleAttributesWithFlag!, { '6764549bef60420686bc': id });
    expect(flagged.status).toBe(200);
    expect(flagged.json).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
      displayName: 'Bjfe',
      name: { givenName: 'Kkom', familyName: 'Unua', formatted: 'givenName familyName' },
      emails: [{ type: 'work', value: 'TestMhvaes@test.microsoft.com' }],
      [ENTERPRISE]: { employeeNumber: 'Aklq' },
    });
    expect(Object.keys(flagged.json!)).not.toContain('name.givenName');

    // Disabled without the flag ("False", a string) and with it (false): a boolean either way, the user still there.
    const disabled = await replay(world, ENTRA.disableUserDefault!, { '6764549bef60420686bc': id });
    expect(disabled.status).toBe(200);
    expect(disabled.json!.active).toBe(false);
    const fetched = await world.call({ path: `/Users/${id}` });
    expect(fetched.status).toBe(200);
    expect(fetched.json!.active).toBe(false);
    const enabled = await world.call({ method: 'PATCH', path: `/Users/${id}`, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: 'True' }] } });
    expect(enabled.json!.active).toBe(true);
    const flagDisabled = await replay(world, ENTRA.disableUserWithFlag!, { '6764549bef60420686bc': id });
    expect(flagDisabled.status).toBe(200);
    expect(flagDisabled.json!.active).toBe(false);
    expect(valueOf(await world.directory.getUser(id))!.attributes.active).toBe(false);

    const deleted = await world.call({ method: 'DELETE', path: `/Users/${id}` });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    const gone = await world.call({ path: `/Users/${id}` });
    expect(gone.status).toBe(404);
    expect(gone.json).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404' });
    expect((await world.call({ method: 'DELETE', path: `/Users/${id}` })).status).toBe(404);
  });

  it('links a manager sent as a one-element list under the bare path "manager"', async () => {
    const manager = await createUser(world, 'manager@contoso.com');
    const report = await createUser(world, 'report@contoso.com');
    const reply = await replay(world, ENTRA.changeManager!, { 'a0a0a0a0-bbbb-cccc-dddd-e1e1e1e1e1e1': report, '00aa00aa-bb11-cc22-dd33-44ee44ee44ee': manager });
    expect(reply.status).toBe(200);
    expect(reply.json![ENTERPRISE]).toEqual({ manager: { value: manager } });
    expect(reply.json).not.toHaveProperty('manager');
    // The other forms Entra and the RFC use: an object with the URN path, and a bare id.
    for (const value of [{ value: manager }, manager]) {
      const again = await world.call({ method: 'PATCH', path: `/Users/${report}`, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: `${ENTERPRISE}:manager`, value }] } });
      expect(again.json![ENTERPRISE]).toEqual({ manager: { value: manager } });
    }
    const removed = await world.call({ method: 'PATCH', path: `/Users/${report}`, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Remove', path: 'manager' }] } });
    expect(removed.json![ENTERPRISE]).toBeUndefined();
  });

  it('creates a group, finds it without members, adds and removes members (both flag states) and renames it', async () => {
    const created = await replay(world, ENTRA.createGroup!);
    expect(created.status).toBe(201);
    const group = created.json!.id as string;
    expect(created.json).toMatchObject({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'displayName', members: [], meta: { resourceType: 'Group' } });
    const found = expectListResponse(await replay(world, ENTRA.getGroupByDisplayName!), 1);
    expect(found[0]!.id).toBe(group);
    expect(found[0]).not.toHaveProperty('members');

    const [u1, u2, u3] = [await createUser(world, 'one@contoso.com'), await createUser(world, 'two@contoso.com'), await createUser(world, 'three@contoso.com')];
    for (const user of [u1, u2, u3]) {
      const added = await replay(world, ENTRA.addMembers!, { a99962b9f99d4c4fac67: group, f648f8d5ea4e4cd38e9c: user });
      expect(added.status).toBe(204);
    }
    // Adding again appends nothing.
    await replay(world, ENTRA.addMembers!, { a99962b9f99d4c4fac67: group, f648f8d5ea4e4cd38e9c: u1 });
    const members = async () => ((await world.call({ path: `/Groups/${group}` })).json!.members as { value: string }[]).map((m) => m.value).sort();
    expect(await members()).toEqual([u1, u2, u3].sort());
    const userGroups = (await world.call({ path: `/Users/${u1}` })).json!.groups;
    expect(userGroups).toEqual([{ value: group, display: 'displayName', $ref: `https://127.0.0.1/prod/scim/v2/Groups/${group}`, type: 'direct' }]);

    expect((await replay(world, ENTRA.removeMemberDefault!, { a99962b9f99d4c4fac67: group, u1091: u1 })).status).toBe(204);
    expect(await members()).toEqual([u2, u3].sort());
    // The flag's filtered path removes that one member only.
    expect((await replay(world, ENTRA.removeMemberWithFlag!, { a99962b9f99d4c4fac67: group, '7f4bc1a3-285e-48ae-8202-5accb43efb0e': u2 })).status).toBe(204);
    expect(await members()).toEqual([u3]);

    for (const operation of [{ op: 'Replace', path: 'displayName', value: 'renamed' }, { op: 'Replace', value: { displayName: 'renamed again' } }]) {
      const renamed = await world.call({ method: 'PATCH', path: `/Groups/${group}`, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [operation] } });
      expect(renamed.status).toBe(204);
    }
    expect((await world.call({ path: `/Groups/${group}` })).json).toMatchObject({ displayName: 'renamed again', members: [{ value: u3, display: 'three@contoso.com' }] });
  });
});

describe('Okta: assignment, update, deactivation and Group Push', () => {
  it('looks the user up, creates it with a password that is never stored, replaces it with PUT and deactivates it', async () => {
    expectListResponse(await replay(world, OKTA.lookupUser!), 0);
    const created = await replay(world, OKTA.createUser!);
    expect(created.status).toBe(201);
    const id = created.json!.id as string;
    expect(created.json).toMatchObject({ userName: 'test.user@okta.local', active: true, externalId: '00ujl29u0le5T6Aj10h7', groups: [] });
    expect(created.text).not.toContain('1mz050nq');
    // Nowhere in the table (every item, every attribute) and in no log line.
    const items = JSON.stringify(await world.scan());
    expect(items).toContain('test.user@okta.local');
    expect(items).not.toContain('1mz050nq');
    expect(world.logs.length).toBeGreaterThan(0);
    expect(world.logs.join('\n')).not.toContain('1mz050nq');
    expect(world.logs.join('\n')).not.toContain(TOKEN);

    const found = expectListResponse(await replay(world, OKTA.lookupUser!), 1);
    expect(found[0]!.id).toBe(id);

    // An AIW app: GET, then the whole user back with PUT.
    const current = (await world.call({ path: `/Users/${id}` })).json!;
    const put = await world.call({ method: 'PUT', path: `/Users/${id}`, body: { ...current, title: 'Data Engineer', password: 'n3wpassw0rd' } });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ id, title: 'Data Engineer', meta: { version: 'W/"2"' } });
    expect(JSON.stringify(await world.scan())).not.toContain('n3wpassw0rd');
    expect(world.logs.join('\n')).not.toContain('n3wpassw0rd');

    const deactivated = await replay(world, OKTA.deactivateUser!, { '23a35c27-23d3-4c03-b4c5-6443c09e7173': id });
    expect(deactivated.status).toBe(200);
    expect(deactivated.json!.active).toBe(false);
    // And an AIW app deactivates with PUT active false; then reactivates.
    const putInactive = await world.call({ method: 'PUT', path: `/Users/${id}`, body: { ...current, active: false } });
    expect(putInactive.json!.active).toBe(false);
    const putActive = await world.call({ method: 'PUT', path: `/Users/${id}`, body: { ...current, active: true } });
    expect(putActive.json!.active).toBe(true);
  });

  it('refuses a second user with the same userName in another case: 409 uniqueness', async () => {
    expect((await replay(world, OKTA.createUser!)).status).toBe(201);
    const again = await world.call({ method: 'POST', path: '/Users', body: { ...(OKTA.createUser!.body as object), userName: 'Test.User@OKTA.local' } });
    expect(again.status).toBe(409);
    expect(again.json).toEqual({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '409', scimType: 'uniqueness', detail: expect.any(String) });
  });

  it('pushes a group: create, look up, change members, empty it, rename it, delete it', async () => {
    const user = (await replay(world, OKTA.createUser!)).json!.id as string;
    const other = await createUser(world, 'other.user@okta.local');
    const pushed = await replay(world, OKTA.pushGroup!);
    expect(pushed.status).toBe(201);
    const group = pushed.json!.id as string;
    expect(expectListResponse(await replay(world, OKTA.lookupGroup!), 1)[0]!.id).toBe(group);
    const ids = { 'abf4dd94-a4c0-4f67-89c9-76b03340cb9b': group, '89bb1940-b905-4575-9e7f-6f887cfb368e': other, '23a35c27-23d3-4c03-b4c5-6443c09e7173': user };

    await world.call({ method: 'PATCH', path: `/Groups/${group}`, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: [{ value: other }] }] } });
    const version = (await world.call({ path: `/Groups/${group}` })).json!.meta as { version: string };
    expect((await replay(world, OKTA.changeMembers!, ids)).status).toBe(204);
    // Both operations in one change: the group's version moves by one (a member change per operation would be two).
    expect(valueOf(await world.directory.membersOf(group)).map((m) => m.id)).toEqual([user]);
    expect(((await world.call({ path: `/Groups/${group}` })).json!.meta as { version: string }).version).toBe(`W/"${Number(/\d+/.exec(version.version)![0]) + 1}"`);
    expect((await world.call({ path: `/Users/${other}` })).json!.groups).toEqual([]);

    expect((await replay(world, OKTA.replaceMembersEmpty!, ids)).status).toBe(204);
    expect(valueOf(await world.directory.membersOf(group))).toEqual([]);

    expect((await replay(world, OKTA.renameGroup!, ids)).status).toBe(204);
    expect((await world.call({ path: `/Groups/${group}` })).json).toMatchObject({ id: group, displayName: 'Test Group Renamed', members: [] });

    // An AIW app's PUT carries the whole member list.
    const put = await world.call({ method: 'PUT', path: `/Groups/${group}`, body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Test Group Renamed', members: [{ value: user }, { value: other }] } });
    expect(put.status).toBe(200);
    expect((put.json!.members as { value: string }[]).map((m) => m.value).sort()).toEqual([user, other].sort());

    expect((await replay(world, OKTA.deleteGroup!, ids)).status).toBe(204);
    expect((await world.call({ path: `/Groups/${group}` })).status).toBe(404);
    expect((await world.call({ path: `/Users/${user}` })).json!.groups).toEqual([]);
  });
});

describe('the token secret, as the function reads it from Secrets Manager', () => {
  it('takes both values of a rotating secret and refuses anything else with 401', async () => {
    expectListResponse(await world.call({ path: '/Users', authorization: `Bearer ${NEXT_TOKEN}` }), 0);
    const refused = await world.call({ path: '/Users', authorization: 'Bearer not-the-token' });
    expect(refused.status).toBe(401);
    expect(refused.json).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401' });
    expect(world.aws.calls.filter((c) => c.operation === 'GetSecretValue').length).toBeGreaterThan(0);
  });
});

describe('uniqueness under concurrent requests', () => {
  const PARALLEL = 8;
  const expectOneCreated = (replies: ScimReply[]) => {
    expect(replies.map((r) => r.status).sort()).toEqual([201, ...Array<number>(PARALLEL - 1).fill(409)]);
    for (const reply of replies.filter((r) => r.status === 409)) {
      expect(reply.json).toEqual({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '409', scimType: 'uniqueness', detail: expect.any(String) });
    }
  };

  it('creates one user of many sent at once with one userName in different cases', async () => {
    const names = Array.from({ length: PARALLEL }, (_, i) => [...'race.user@contoso.com'].map((c, j) => ((i >> j % 3) & 1 ? c.toUpperCase() : c)).join(''));
    const replies = await Promise.all(names.map((userName) => world.call({ method: 'POST', path: '/Users', body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, active: true } })));
    expectOneCreated(replies);
    const listed = expectListResponse(await world.call({ path: '/Users?filter=userName eq "RACE.USER@contoso.com"' }), 1);
    expect(listed[0]!.id).toBe(replies.find((r) => r.status === 201)!.json!.id);
    expect(valueOf(await world.directory.listUsers({}, { startIndex: 1, count: 100 })).totalResults).toBe(1);
  });

  it('creates one group of many sent at once with one displayName', async () => {
    const replies = await Promise.all(
      Array.from({ length: PARALLEL }, () => world.call({ method: 'POST', path: '/Groups', body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'atlas-race-group', members: [] } })),
    );
    expectOneCreated(replies);
    expect(valueOf(await world.directory.listGroups({}, { startIndex: 1, count: 100 })).totalResults).toBe(1);
  });

  it('lets one of two users renamed at once to one userName have it', async () => {
    const [a, b] = [await createUser(world, 'first@contoso.com'), await createUser(world, 'second@contoso.com')];
    const replies = await Promise.all(
      [a, b].map((id, i) => world.call({ method: 'PATCH', path: `/Users/${id}`, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'userName', value: i ? 'Taken@contoso.com' : 'taken@CONTOSO.com' }] } })),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(replies.find((r) => r.status === 409)!.json).toMatchObject({ scimType: 'uniqueness' });
    expectListResponse(await world.call({ path: '/Users?filter=userName eq "taken@contoso.com"' }), 1);
  });
});
