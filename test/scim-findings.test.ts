import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { failureOf } from '../lambda/aws/directory';
import { startBuiltScim, type BuiltScim } from './scim-built';
import { DYNAMODB_WAIT_MS } from './scim-dynamodb';

/**
 * A reviewer's findings, each as the request that broke it, sent to the built bundle on DynamoDB Local: what a
 * reply says, what the table holds (a Scan) and what the bundle logged.
 */

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

let world: BuiltScim;
beforeAll(async () => {
  world = await startBuiltScim('findings');
}, DYNAMODB_WAIT_MS + 30_000);
afterAll(() => world?.close());
beforeEach(() => world.clear());

async function createUser(body: Record<string, unknown>): Promise<string> {
  const reply = await world.call({ method: 'POST', path: '/Users', body });
  expect(reply.status).toBe(201);
  return reply.json!.id as string;
}
const patch = (path: string, ...Operations: Record<string, unknown>[]) => world.call({ method: 'PATCH', path, body: { schemas: [PATCH_OP], Operations } });

async function expectNowhere(secret: string): Promise<void> {
  expect(JSON.stringify(await world.scan())).not.toContain(secret);
  expect(world.logs.join('\n')).not.toContain(secret);
}

describe('H1: attribute names are case-insensitive for what is dropped or read-only', () => {
  it('never stores, echoes or logs a password spelled Password or PASSWORD (POST, PUT, PATCH)', async () => {
    const created = await world.call({ method: 'POST', path: '/Users', body: { userName: 'a@b.co', Password: 'hunter2-post' } });
    expect(created.status).toBe(201);
    expect(created.text).not.toContain('hunter2-post');
    expect(Object.keys(created.json!).map((k) => k.toLowerCase())).not.toContain('password');
    const id = created.json!.id as string;

    const put = await world.call({ method: 'PUT', path: `/Users/${id}`, body: { userName: 'a@b.co', PASSWORD: 'hunter2-put' } });
    expect(put.status).toBe(200);
    expect(put.text).not.toContain('hunter2-put');

    for (const [path, value] of [
      [`${USER_SCHEMA}:PASSWORD`, 'hunter2-urn'],
      ['Password', 'hunter2-path'],
    ] as const) {
      const reply = await patch(`/Users/${id}`, { op: 'replace', path, value });
      expect(reply.status).toBe(200);
      expect(reply.text).not.toContain(value);
    }
    const noPath = await patch(`/Users/${id}`, { op: 'replace', value: { PassWord: 'hunter2-nopath', title: 'x' } });
    expect(noPath.status).toBe(200);
    expect(noPath.text).not.toContain('hunter2-nopath');
    for (const secret of ['hunter2-post', 'hunter2-put', 'hunter2-urn', 'hunter2-path', 'hunter2-nopath']) await expectNowhere(secret);
  });

  it('takes Members (any case) on POST and PUT /Groups as the member list, never as an attribute', async () => {
    const uid = await createUser({ userName: 'member@b.co' });
    const created = await world.call({ method: 'POST', path: '/Groups', body: { displayName: 'g1', Members: [{ value: uid }] } });
    expect(created.status).toBe(201);
    expect(created.json!.members).toEqual([expect.objectContaining({ value: uid })]);
    expect(Object.keys(created.json!)).not.toContain('Members');
    const id = created.json!.id as string;
    const emptied = await world.call({ method: 'PUT', path: `/Groups/${id}`, body: { displayName: 'g1', MEMBERS: [] } });
    expect(emptied.status).toBe(200);
    expect(emptied.json!.members).toEqual([]);
    const refilled = await world.call({ method: 'PUT', path: `/Groups/${id}`, body: { displayName: 'g1', Members: [{ value: uid }] } });
    expect(refilled.json!.members).toEqual([expect.objectContaining({ value: uid })]);
    expect(JSON.stringify(await world.scan())).not.toContain('"Members"');
  });
});

describe('M1, M2: PATCH on multi-valued attributes', () => {
  it('removes only the addresses equal to the ones given, not all of them when the given one has no value', async () => {
    const home = { type: 'home', locality: 'Lyon' };
    const work = { type: 'work', locality: 'Paris' };
    const id = await createUser({ userName: 'addr@b.co', addresses: [home, work] });
    const reply = await patch(`/Users/${id}`, { op: 'remove', path: 'addresses', value: [{ type: 'home' }] });
    expect(reply.status).toBe(200);
    expect(reply.json!.addresses).toEqual([work]);
    const none = await patch(`/Users/${id}`, { op: 'remove', path: 'addresses', value: [{ type: 'other' }] });
    expect(none.json!.addresses).toEqual([work]);
  });

  it('replaces the element a filter matches whole, keeping what the filter says of it', async () => {
    const id = await createUser({ userName: 'mail@b.co', emails: [{ type: 'work', value: 'old@b.co', display: 'Old', primary: true }, { type: 'home', value: 'h@b.co' }] });
    const reply = await patch(`/Users/${id}`, { op: 'replace', path: 'emails[type eq "work"]', value: { value: 'new@b.co' } });
    expect(reply.status).toBe(200);
    expect(reply.json!.emails).toEqual([{ type: 'work', value: 'new@b.co' }, { type: 'home', value: 'h@b.co' }]);
    // A sub-attribute through a filter is replaced alone, as before.
    const sub = await patch(`/Users/${id}`, { op: 'replace', path: 'emails[type eq "home"].value', value: 'h2@b.co' });
    expect(sub.json!.emails).toEqual([{ type: 'work', value: 'new@b.co' }, { type: 'home', value: 'h2@b.co' }]);
  });
});

describe('M5: enterprise attributes sent at the top level', () => {
  it('moves department, costCenter, employeeNumber, division, organization and manager into the extension on POST and PUT', async () => {
    const manager = await createUser({ userName: 'boss@b.co' });
    const top = { department: 'Data', costCenter: 'CC-1', employeeNumber: '42', division: 'R&D', organization: 'Contoso', manager: { value: manager } };
    const created = await world.call({ method: 'POST', path: '/Users', body: { userName: 'dept@b.co', ...top } });
    expect(created.status).toBe(201);
    expect(created.json![ENTERPRISE]).toEqual(top);
    expect(Object.keys(created.json!)).not.toContain('department');
    const id = created.json!.id as string;
    const put = await world.call({ method: 'PUT', path: `/Users/${id}`, body: { userName: 'dept@b.co', Department: 'Finance', [ENTERPRISE]: { costCenter: 'CC-2' } } });
    expect(put.status).toBe(200);
    expect(put.json![ENTERPRISE]).toEqual({ department: 'Finance', costCenter: 'CC-2' });
    expect(Object.keys(put.json!).map((k) => k.toLowerCase())).not.toContain('department');
  });
});

describe('H2: caller input never makes a 5xx', () => {
  const long = 'é'.repeat(1_100); // 2,200 bytes: over a DynamoDB key's 2,048
  it.each([
    ['userName', { userName: long }],
    ['externalId', { userName: 'x@b.co', externalId: long }],
    ['emails[0].value', { userName: 'x@b.co', emails: [{ type: 'work', value: `${long}@b.co` }] }],
  ])('refuses a %s over 512 bytes with 400 invalidValue naming it', async (name, body) => {
    const reply = await world.call({ method: 'POST', path: '/Users', body });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ scimType: 'invalidValue', detail: expect.stringContaining(name) });
  });

  it('refuses a long displayName, a long filter value, 120 work e-mails and deep nesting with a 400', async () => {
    const group = await world.call({ method: 'POST', path: '/Groups', body: { displayName: long } });
    expect(group.status).toBe(400);
    expect(group.json).toMatchObject({ scimType: 'invalidValue', detail: expect.stringContaining('displayName') });
    const filtered = await world.call({ path: `/Users?filter=${encodeURIComponent(`userName eq "${long}"`)}` });
    expect(filtered.status).toBe(400);
    expect(filtered.json).toMatchObject({ scimType: 'invalidFilter' });
    const emails = Array.from({ length: 120 }, (_, i) => ({ type: 'work', value: `u${i}@b.co` }));
    const many = await world.call({ method: 'POST', path: '/Users', body: { userName: 'many@b.co', emails } });
    expect(many.status).toBe(400);
    expect(many.json).toMatchObject({ scimType: 'invalidValue', detail: expect.stringContaining('emails') });

    const id = await createUser({ userName: 'deep@b.co' });
    const deep = `${'['.repeat(110_000)}${']'.repeat(110_000)}`;
    const patched = await world.call({ method: 'PATCH', path: `/Users/${id}`, body: `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"replace","path":"title","value":${deep}}]}` });
    expect(patched.status).toBe(400);
    expect(patched.json).toMatchObject({ scimType: 'invalidSyntax' });
    const posted = await world.call({ method: 'POST', path: '/Users', body: `{"userName":"deeper@b.co","title":${deep}}` });
    expect(posted.status).toBe(400);
    expect(posted.json).toMatchObject({ scimType: 'invalidSyntax' });
  });
});

describe('H2: what the directory port makes of errors', () => {
  it('files a TypeError or RangeError of this code as internal, and a ValidationException as invalid_value', () => {
    expect(failureOf('createUser', new RangeError('Maximum call stack size exceeded'))).toMatchObject({ kind: 'permanent', code: 'internal' });
    expect(failureOf('createUser', new TypeError('x is undefined'))).toMatchObject({ kind: 'permanent', code: 'internal' });
    expect(failureOf('createUser', Object.assign(new Error('too large'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } }))).toMatchObject({ kind: 'permanent', code: 'invalid_value' });
    expect(failureOf('createUser', Object.assign(new Error('slow'), { name: 'ProvisionedThroughputExceededException', $metadata: {} }))).toMatchObject({ kind: 'transient' });
  });
});

describe('L1: a name in NFC and in NFD is one name', () => {
  it('answers 409 for a userName or displayName that differs from one taken only in its Unicode normal form', async () => {
    const nfc = 'ren\u00e9@b.co';
    const nfd = 'rene\u0301@b.co';
    await createUser({ userName: nfc, emails: [{ type: 'work', value: nfc }] });
    const second = await world.call({ method: 'POST', path: '/Users', body: { userName: nfd } });
    expect(second.status).toBe(409);
    expect(second.json).toMatchObject({ scimType: 'uniqueness' });
    const found = await world.call({ path: `/Users?filter=${encodeURIComponent(`emails[type eq "work"].value eq "${nfd}"`)}` });
    expect(found.json!.totalResults).toBe(1);
    expect((await world.call({ method: 'POST', path: '/Groups', body: { displayName: 'caf\u00e9' } })).status).toBe(201);
    const group = await world.call({ method: 'POST', path: '/Groups', body: { displayName: 'cafe\u0301' } });
    expect(group.status).toBe(409);
  });
});
