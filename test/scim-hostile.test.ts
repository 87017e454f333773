import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBuiltScim } from './scim-built';
import { DYNAMODB_WAIT_MS } from './scim-dynamodb';
import { scimWorld, TOKEN, type ScimCall, type ScimReply } from './scim-world';

/**
 * Hostile input, property-based: whatever a caller sends, the scim function answers below 500 (contract section 10),
 * every refusal is a SCIM error body, no prototype is changed, and no log line holds the token. Twice: the app on the
 * in-memory directory (many runs, fast), and the built bundle on DynamoDB Local (fewer runs), which is what ships.
 */

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

interface Target {
  call(request: ScimCall): Promise<ScimReply>;
  logs: string[];
  close?(): Promise<void>;
}
const TARGETS: [string, number, () => Promise<Target>][] = [
  ['the app on the in-memory directory', 300, () => Promise.resolve(scimWorld())],
  ['the built bundle on DynamoDB Local', 100, () => startBuiltScim('hostile')],
];

function expectSafe(reply: ScimReply): void {
  expect(reply.status).toBeLessThan(500);
  if (reply.status >= 400) {
    expect(reply.headers['content-type']).toBe('application/scim+json');
    expect(reply.json).toMatchObject({ schemas: [ERROR], status: String(reply.status), detail: expect.any(String) });
  }
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.getPrototypeOf({})).toBe(Object.prototype);
}

const ATTRIBUTE_NAMES = ['userName', 'USERNAME', 'active', 'title', 'emails', 'name', 'name.givenName', 'displayName', 'members', 'groups', 'id', 'meta', 'manager', 'department',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager', '__proto__', 'constructor', 'prototype',
  '__proto__.polluted', 'emails[type eq "work"].value', 'emails[type eq "work"]', 'members[value eq "x"]', 'members[value eq x]', 'addresses[type eq "work"].locality', 'a[b', 'x]', '', ' '];
/** Strings over a DynamoDB key's 2,048 bytes in few characters (multibyte), as a reviewer found. */
const longMultibyte = fc.integer({ min: 600, max: 1_500 }).chain((n) => fc.constantFrom('é', '€', '😀', 'e\u0301').map((c) => c.repeat(n)));
const scalar = fc.oneof(fc.string(), fc.constantFrom('True', 'False', 'true', 'false', ''), fc.boolean(), fc.integer(), fc.double(), fc.constant(null), longMultibyte);
/** JSON nested far deeper than any SCIM body: JSON.stringify of it would overflow the stack. */
const deeplyNested = fc.integer({ min: 33, max: 110_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`);
/** Bodies a reviewer found a 5xx with: long multibyte names, more work e-mails than a transaction holds, deep nesting. */
const heavyBody = fc.oneof(
  longMultibyte.map((long) => JSON.stringify({ userName: long, displayName: long })),
  fc.tuple(fc.string(), longMultibyte).map(([name, long]) => JSON.stringify({ userName: `${name}x@b.co`, externalId: long, emails: [{ type: 'work', value: long }] })),
  fc.integer({ min: 21, max: 150 }).map((n) => JSON.stringify({ userName: `many${n}@b.co`, emails: Array.from({ length: n }, (_, i) => ({ type: 'work', value: `u${i}@b.co` })) })),
  deeplyNested.map((deep) => `{"userName":"deep@b.co","displayName":"deep","title":${deep}}`),
  deeplyNested.map((deep) => `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":${deep}}]}`),
);
const value = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.oneof(fc.constantFrom(...ATTRIBUTE_NAMES), fc.string()), tie('value'), { maxKeys: 4 })),
})).value;
const operation = fc.record(
  { op: fc.oneof(fc.constantFrom('add', 'Add', 'REPLACE', 'replace', 'Remove', 'remove', 'move'), scalar), path: fc.oneof(fc.constantFrom(...ATTRIBUTE_NAMES), fc.string(), scalar), value },
  { requiredKeys: [] },
);
/** Operations close to valid ones, so the generator reaches the code that applies them. */
const nearlyValid = fc.oneof(
  fc.record({ op: fc.constantFrom('add', 'Remove', 'replace'), path: fc.constantFrom('members', 'members[value eq "x"]'), value: fc.array(fc.record({ value: fc.oneof(fc.string(), scalar) }), { maxLength: 3 }) }),
  fc.record({ op: fc.constantFrom('Replace', 'add'), path: fc.constantFrom('displayName', 'title', 'active', 'name.givenName', 'emails[type eq "work"].value', 'manager'), value: scalar }),
  fc.record({ op: fc.constantFrom('replace', 'Add'), value: fc.dictionary(fc.constantFrom(...ATTRIBUTE_NAMES), scalar, { maxKeys: 3 }) }),
);
const patchBody = fc.oneof(
  fc.record({ schemas: fc.constant(['urn:ietf:params:scim:api:messages:2.0:PatchOp']), Operations: fc.array(operation, { maxLength: 5 }) }),
  fc.record({ schemas: fc.constant(['urn:ietf:params:scim:api:messages:2.0:PatchOp']), Operations: fc.array(nearlyValid, { minLength: 1, maxLength: 3 }) }),
  fc.record({ schemas: value, Operations: value }, { requiredKeys: [] }),
  value,
);

describe.each(TARGETS)('hostile requests to %s', (_, numRuns, start) => {
  // A fixed seed: the same inputs every run (the PATCH property also asks that they reach a 204, which a random draw
  // of 100 may miss); a new failure is found by changing the seed, never by chance in CI.
  const RUN = { endOnFailure: true, numRuns, seed: 20261130 } as const;
  let world: Target;
  let userId: string;
  let groupId: string;
  beforeAll(async () => {
    world = await start();
    userId = (await world.call({ method: 'POST', path: '/Users', body: { userName: 'ada@contoso.com', emails: [{ type: 'work', value: 'ada@contoso.com' }], name: { givenName: 'Ada' } } })).json!.id as string;
    groupId = (await world.call({ method: 'POST', path: '/Groups', body: { displayName: 'readers', members: [{ value: userId }] } })).json!.id as string;
  }, DYNAMODB_WAIT_MS + 30_000);
  afterAll(() => world?.close?.());

  it('filters, paging and projections never make a 5xx', async () => {
    const filter = fc.oneof(
      fc.string(),
      fc.tuple(fc.constantFrom(...ATTRIBUTE_NAMES), fc.constantFrom('eq', 'EQ', 'co', 'sw', 'pr', 'gt', ''), fc.oneof(fc.string().map((s) => JSON.stringify(s)), fc.string())).map((parts) => parts.join(' ')),
      fc.array(fc.constantFrom('userName eq "a"', 'and', 'or', '(', ')', '[', ']', '"', 'not', 'externalId eq x'), { maxLength: 8 }).map((p) => p.join(' ')),
      fc.tuple(fc.constantFrom('userName', 'externalId', 'displayName', 'emails[type eq "work"].value'), longMultibyte).map(([name, long]) => `${name} eq ${JSON.stringify(long)}`),
    );
    const query = fc.record({ filter, startIndex: fc.oneof(fc.integer().map(String), fc.string()), count: fc.oneof(fc.integer().map(String), fc.string()), attributes: fc.string(), excludedAttributes: fc.string() }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/Users', '/Groups'), query, async (path, q) => {
        expectSafe(await world.call({ path: `${path}?${new URLSearchParams(q as Record<string, string>).toString()}` }));
      }),
      RUN,
    );
  });

  it('PATCH bodies of any shape never make a 5xx or change a prototype', async () => {
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('user', 'group'), patchBody, async (kind, body) => {
        const path = kind === 'user' ? `/Users/${userId}` : `/Groups/${groupId}`;
        const reply = await world.call({ method: 'PATCH', path, body: JSON.stringify(body) });
        expectSafe(reply);
        statuses.add(reply.status);
        // The resource is still readable and still what a resource must be.
        const after = await world.call({ path });
        expect(after.status).toBe(200);
        if (kind === 'user') expect(typeof after.json!.userName).toBe('string');
        else expect(typeof after.json!.displayName).toBe('string');
      }),
      RUN,
    );
    // The generator reaches the code that applies operations, not only the refusals.
    expect([...statuses].sort()).toEqual(expect.arrayContaining([200, 204, 400]));
  });

  it('POST and PUT bodies, methods, paths and content types of any kind never make a 5xx', async () => {
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'get'),
      path: fc.oneof(fc.constantFrom('/Users', '/Groups', '/Users/{user}', '/Groups/{group}', '/Schemas', '/ResourceTypes/User', '/Users/.search'), fc.string().map((s) => `/${s}`)),
      body: fc.oneof(value.map((v) => JSON.stringify(v)), fc.string(), fc.constant(undefined), heavyBody),
      contentType: fc.constantFrom('application/scim+json', 'application/json; charset=utf-8', 'text/plain', 'application/scim+json;;', ''),
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ method, path, body, contentType }) => {
        if (method === 'DELETE') return; // keep the fixtures the other properties patch
        const resolved = path.replace('{user}', userId).replace('{group}', groupId);
        if (/[?#%]/.test(resolved)) return;
        expectSafe(await world.call({ method, path: resolved, body, headers: { 'content-type': contentType } }));
      }),
      RUN,
    );
    expect(world.logs.join('\n')).not.toContain(TOKEN);
  });
});
