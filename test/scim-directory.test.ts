import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbDirectory } from '../lambda/aws/directory';
import type { Directory } from '../lambda/scim/directory';
import { DYNAMODB_WAIT_MS, dynamoDbEndpoint, newDirectoryTable, scimUser, valueOf, type DirectoryTable } from './scim-dynamodb';

/** The SCIM directory on a real DynamoDB (DynamoDB Local), through the port the service uses. */

let table: DirectoryTable;
let directory: Directory;
let counter = 0;
const unique = (name: string) => `${name}.${++counter}@example.com`;

beforeAll(async () => {
  table = await newDirectoryTable('directory');
  directory = table.directory();
}, DYNAMODB_WAIT_MS);

describe('users: create and read back', () => {
  it('stores the attributes as given, with id, version 1 and timestamps of its own', async () => {
    const attributes = scimUser(unique('ada'), {
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Data Platform', costCenter: 'CC-1' },
      ratio: 0.125,
    });
    const created = valueOf(await directory.createUser(attributes));
    expect(created).toMatchObject({ version: 1, attributes });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.created).toBe(created.lastModified);
    expect(valueOf(await directory.getUser(created.id))).toEqual(created);
  });

  it('answers undefined for an unknown id', async () => {
    expect(valueOf(await directory.getUser('no-such-user'))).toBeUndefined();
  });

  it('refuses for good a user over DynamoDB\u2019s 400 KB item limit (a retry would not help)', async () => {
    const result = await directory.createUser(scimUser(unique('huge'), { notes: 'x'.repeat(420_000) }));
    expect(result).toMatchObject({ ok: false, error: { kind: 'permanent', code: 'invalid_value' } });
  });

  it('refuses a user without a userName', async () => {
    const result = await directory.createUser({ active: true });
    expect(result).toMatchObject({ ok: false, error: { kind: 'permanent', code: 'invalid_value' } });
  });
});

describe('users: lookups the identity providers make', () => {
  it('finds a user by userName case-insensitively, right after the create', async () => {
    const userName = unique('Grace.Hopper');
    const created = valueOf(await directory.createUser(scimUser(userName)));
    const found = valueOf(await directory.listUsers({ userName: userName.toUpperCase() }, { startIndex: 1, count: 100 }));
    expect(found).toEqual({ totalResults: 1, resources: [created] });
  });

  it('finds users by externalId (exactly) and by work e-mail (case-insensitively)', async () => {
    const email = unique('Linus');
    const a = valueOf(await directory.createUser(scimUser(unique('a'), { externalId: 'ext-42', emails: [{ type: 'work', value: email }] })));
    const b = valueOf(await directory.createUser(scimUser(unique('b'), { externalId: 'ext-42' })));
    valueOf(await directory.createUser(scimUser(unique('c'), { externalId: 'EXT-42', emails: [{ type: 'home', value: email }] })));
    const byExternalId = valueOf(await directory.listUsers({ externalId: 'ext-42' }, { startIndex: 1, count: 10 }));
    expect(byExternalId.totalResults).toBe(2);
    expect(byExternalId.resources.map((u) => u.id).sort()).toEqual([a.id, b.id].sort());
    const byEmail = valueOf(await directory.listUsers({ workEmail: email.toUpperCase() }, { startIndex: 1, count: 10 }));
    expect(byEmail.resources.map((u) => u.id)).toEqual([a.id]);
  });

  it('applies every filter given (and), and answers an empty list when nothing matches', async () => {
    const userName = unique('joined');
    const user = valueOf(await directory.createUser(scimUser(userName, { externalId: 'ext-joined' })));
    expect(valueOf(await directory.listUsers({ userName, externalId: 'ext-joined' }, { startIndex: 1, count: 10 })).resources).toEqual([user]);
    expect(valueOf(await directory.listUsers({ userName, externalId: 'other' }, { startIndex: 1, count: 10 }))).toEqual({ totalResults: 0, resources: [] });
    expect(valueOf(await directory.listUsers({ userName: 'nobody@example.com' }, { startIndex: 1, count: 10 }))).toEqual({ totalResults: 0, resources: [] });
  });
});

describe('users and groups: listing all, paged', () => {
  it('pages with startIndex and count and always tells totalResults', async () => {
    const own = await newDirectoryTable('paging');
    const paged = own.directory();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(valueOf(await paged.createUser(scimUser(`p${i}@example.com`))).id);
    ids.sort();
    const first = valueOf(await paged.listUsers({}, { startIndex: 1, count: 3 }));
    expect(first.totalResults).toBe(7);
    expect(first.resources.map((u) => u.id)).toEqual(ids.slice(0, 3));
    expect(valueOf(await paged.listUsers({}, { startIndex: 4, count: 3 })).resources.map((u) => u.id)).toEqual(ids.slice(3, 6));
    expect(valueOf(await paged.listUsers({}, { startIndex: 7, count: 3 })).resources.map((u) => u.id)).toEqual(ids.slice(6));
    expect(valueOf(await paged.listUsers({}, { startIndex: 8, count: 3 }))).toEqual({ totalResults: 7, resources: [] });
    expect(valueOf(await paged.listUsers({}, { startIndex: 1, count: 0 }))).toEqual({ totalResults: 7, resources: [] });
    for (let i = 0; i < 3; i++) valueOf(await paged.createGroup({ displayName: `g${i}` }, []));
    const groups = valueOf(await paged.listGroups({}, { startIndex: 2, count: 5 }));
    expect(groups.totalResults).toBe(3);
    expect(groups.resources).toHaveLength(2);
  });
});

describe('users: userName is unique, case-insensitively, under concurrency', () => {
  it('refuses a second user with the same userName in another case', async () => {
    const userName = unique('Unique');
    valueOf(await directory.createUser(scimUser(userName)));
    const again = await directory.createUser(scimUser(userName.toLowerCase()));
    expect(again).toMatchObject({ ok: false, error: { kind: 'conflict', code: 'uniqueness' } });
  });

  it('gives exactly one success to 10 concurrent creates of one userName', async () => {
    const userName = unique('race');
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => directory.createUser(scimUser(i % 2 ? userName.toUpperCase() : userName))));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    for (const failed of results.filter((r) => !r.ok)) expect(failed).toMatchObject({ ok: false, error: { kind: 'conflict', code: 'uniqueness' } });
    expect(valueOf(await directory.listUsers({ userName }, { startIndex: 1, count: 10 })).totalResults).toBe(1);
  });
});

describe('users: replace, versions and renames', () => {
  it('bumps the version on every change and honours ifVersion', async () => {
    const user = valueOf(await directory.createUser(scimUser(unique('versioned'))));
    const second = valueOf(await directory.replaceUser(user.id, { ...user.attributes, title: 'Engineer' }, 1));
    expect(second).toMatchObject({ id: user.id, version: 2, created: user.created, attributes: { title: 'Engineer' } });
    const stale = await directory.replaceUser(user.id, { ...user.attributes, title: 'Stale' }, 1);
    expect(stale).toMatchObject({ ok: false, error: { kind: 'permanent', code: 'version_mismatch' } });
    expect(valueOf(await directory.getUser(user.id))).toEqual(second);
    expect(valueOf(await directory.replaceUser(user.id, user.attributes)).version).toBe(3);
  });

  it('answers not_found for an unknown user', async () => {
    expect(await directory.replaceUser('no-such-user', scimUser(unique('x')))).toMatchObject({ ok: false, error: { kind: 'permanent', code: 'not_found' } });
  });

  it('applies concurrent replaces one after the other (no change lost to a version)', async () => {
    const user = valueOf(await directory.createUser(scimUser(unique('busy'))));
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => directory.replaceUser(user.id, { ...user.attributes, title: `t${i}` })));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(valueOf(await directory.getUser(user.id))?.version).toBe(6);
  });

  it('moves the userName uniqueness with a rename, in one transaction', async () => {
    const [oldName, newName, takenName] = [unique('before'), unique('after'), unique('taken')];
    const user = valueOf(await directory.createUser(scimUser(oldName, { externalId: 'rename-ext' })));
    valueOf(await directory.createUser(scimUser(takenName)));
    const refused = await directory.replaceUser(user.id, scimUser(takenName.toUpperCase()));
    expect(refused).toMatchObject({ ok: false, error: { kind: 'conflict', code: 'uniqueness' } });
    expect(valueOf(await directory.getUser(user.id))?.version).toBe(1);

    valueOf(await directory.replaceUser(user.id, scimUser(newName, { externalId: 'renamed-ext' })));
    expect(valueOf(await directory.listUsers({ userName: oldName }, { startIndex: 1, count: 10 })).totalResults).toBe(0);
    expect(valueOf(await directory.listUsers({ userName: newName }, { startIndex: 1, count: 10 })).resources[0]?.id).toBe(user.id);
    expect(valueOf(await directory.listUsers({ externalId: 'rename-ext' }, { startIndex: 1, count: 10 })).totalResults).toBe(0);
    expect(valueOf(await directory.listUsers({ externalId: 'renamed-ext' }, { startIndex: 1, count: 10 })).totalResults).toBe(1);
    expect(valueOf(await directory.listUsers({ workEmail: oldName }, { startIndex: 1, count: 10 })).totalResults).toBe(0);
    // The old name is free again; the new one is taken.
    valueOf(await directory.createUser(scimUser(oldName)));
    expect(await directory.createUser(scimUser(newName))).toMatchObject({ ok: false, error: { code: 'uniqueness' } });
  });

  it('keeps a rename that only changes case (same uniqueness item)', async () => {
    const userName = unique('CaseOnly');
    const user = valueOf(await directory.createUser(scimUser(userName)));
    const renamed = valueOf(await directory.replaceUser(user.id, scimUser(userName.toLowerCase())));
    expect(renamed.attributes.userName).toBe(userName.toLowerCase());
  });
});

describe('groups: create, members and lookups', () => {
  it('creates a group with its members, skipping unknown ids, and reads both directions', async () => {
    const ada = valueOf(await directory.createUser(scimUser(unique('ada'))));
    const bob = valueOf(await directory.createUser(scimUser(unique('bob'))));
    const group = valueOf(await directory.createGroup({ displayName: 'Analytics Readers', externalId: 'entra-obj-1' }, [ada.id, bob.id, 'no-such-user', ada.id]));
    expect(group).toMatchObject({ version: 1, attributes: { displayName: 'Analytics Readers' } });
    expect(valueOf(await directory.getGroup(group.id))).toEqual(group);
    const members = valueOf(await directory.membersOf(group.id));
    expect(members).toEqual(
      [
        { id: ada.id, userName: ada.attributes.userName },
        { id: bob.id, userName: bob.attributes.userName },
      ].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
    expect(valueOf(await directory.groupsOf(ada.id))).toEqual([{ id: group.id, displayName: 'Analytics Readers' }]);
    expect(valueOf(await directory.listGroups({ displayName: 'analytics READERS' }, { startIndex: 1, count: 10 })).resources).toEqual([group]);
    expect(valueOf(await directory.listGroups({ externalId: 'entra-obj-1' }, { startIndex: 1, count: 10 })).resources).toEqual([group]);
    expect(valueOf(await directory.getGroup('no-such-group'))).toBeUndefined();
  });

  it('gives exactly one success to 10 concurrent creates of one displayName (case-insensitive)', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => directory.createGroup({ displayName: i % 2 ? 'RACE GROUP' : 'race group' }, [])));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    for (const failed of results.filter((r) => !r.ok)) expect(failed).toMatchObject({ ok: false, error: { kind: 'conflict', code: 'uniqueness' } });
  });

  it('renames a group (uniqueness moves), honours ifVersion, and shows the new name in its members\u2019 groups', async () => {
    const user = valueOf(await directory.createUser(scimUser(unique('member'))));
    const group = valueOf(await directory.createGroup({ displayName: 'Old Name' }, [user.id]));
    valueOf(await directory.createGroup({ displayName: 'Taken Name' }, []));
    expect(await directory.replaceGroup(group.id, { displayName: 'taken name' })).toMatchObject({ ok: false, error: { code: 'uniqueness' } });
    expect(await directory.replaceGroup(group.id, { displayName: 'New Name' }, 7)).toMatchObject({ ok: false, error: { code: 'version_mismatch' } });
    const renamed = valueOf(await directory.replaceGroup(group.id, { displayName: 'New Name' }, 1));
    expect(renamed.version).toBe(2);
    expect(valueOf(await directory.groupsOf(user.id))).toEqual([{ id: group.id, displayName: 'New Name' }]);
    expect(valueOf(await directory.listGroups({ displayName: 'Old Name' }, { startIndex: 1, count: 10 })).totalResults).toBe(0);
    valueOf(await directory.createGroup({ displayName: 'old name' }, []));
    expect(await directory.replaceGroup('no-such-group', { displayName: 'x' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});

describe('groups: changing members', () => {
  it('adds, removes and replaces all, skipping unknown ids and bumping the version once per change', async () => {
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map(async (n) => valueOf(await directory.createUser(scimUser(unique(n))))));
    const group = valueOf(await directory.createGroup({ displayName: 'Changing' }, [a!.id]));
    const added = valueOf(await directory.changeMembers(group.id, { add: [b!.id, 'ghost'] }));
    expect(added.version).toBe(2);
    expect(valueOf(await directory.membersOf(group.id)).map((m) => m.id).sort()).toEqual([a!.id, b!.id].sort());
    const removed = valueOf(await directory.changeMembers(group.id, { remove: [a!.id] }));
    expect(removed.version).toBe(3);
    expect(valueOf(await directory.groupsOf(a!.id))).toEqual([]);
    valueOf(await directory.changeMembers(group.id, { replaceAll: [c!.id], add: [a!.id], remove: [c!.id] }));
    expect(valueOf(await directory.membersOf(group.id)).map((m) => m.id)).toEqual([a!.id]);
    const unchanged = valueOf(await directory.changeMembers(group.id, { add: [a!.id] }));
    expect(unchanged.version).toBe(4);
    valueOf(await directory.changeMembers(group.id, { replaceAll: [] }));
    expect(valueOf(await directory.membersOf(group.id))).toEqual([]);
    expect(valueOf(await directory.getGroup(group.id))?.version).toBe(5);
  });

  it('answers not_found for an unknown group', async () => {
    expect(await directory.changeMembers('no-such-group', { add: [] })).toMatchObject({ ok: false, error: { kind: 'permanent', code: 'not_found' } });
  });

  it('adds 200+ members in one call (chunked transactions), then removes them all', async () => {
    const users = await createUsers(directory, 230, 'bulk');
    const group = valueOf(await directory.createGroup({ displayName: 'Bulk' }, []));
    const changed = valueOf(await directory.changeMembers(group.id, { add: users }));
    expect(changed.version).toBe(2);
    const members = valueOf(await directory.membersOf(group.id));
    expect(members).toHaveLength(230);
    expect(valueOf(await directory.groupsOf(users[229]!))).toEqual([{ id: group.id, displayName: 'Bulk' }]);
    valueOf(await directory.changeMembers(group.id, { replaceAll: users.slice(0, 10) }));
    expect(valueOf(await directory.membersOf(group.id))).toHaveLength(10);
    expect(valueOf(await directory.groupsOf(users[200]!))).toEqual([]);
  });
});

describe('deletes take the memberships with them', () => {
  it('deleteUser removes the user, its memberships, its lookups and frees its userName', async () => {
    const userName = unique('leaver');
    const user = valueOf(await directory.createUser(scimUser(userName, { externalId: 'leaver-ext' })));
    const other = valueOf(await directory.createUser(scimUser(unique('stayer'))));
    const g1 = valueOf(await directory.createGroup({ displayName: 'Leaver One' }, [user.id, other.id]));
    const g2 = valueOf(await directory.createGroup({ displayName: 'Leaver Two' }, [user.id]));
    expect(valueOf(await directory.deleteUser(user.id))).toBe(true);
    expect(valueOf(await directory.getUser(user.id))).toBeUndefined();
    expect(valueOf(await directory.groupsOf(user.id))).toEqual([]);
    expect(valueOf(await directory.membersOf(g1.id))).toEqual([{ id: other.id, userName: other.attributes.userName }]);
    expect(valueOf(await directory.membersOf(g2.id))).toEqual([]);
    expect(valueOf(await directory.listUsers({ externalId: 'leaver-ext' }, { startIndex: 1, count: 10 })).totalResults).toBe(0);
    expect(valueOf(await directory.deleteUser(user.id))).toBe(false);
    valueOf(await directory.createUser(scimUser(userName)));
  });

  it('deleteGroup removes the group and its 120 memberships (beyond one transaction) and frees its displayName', async () => {
    const users = await createUsers(directory, 120, 'grouped');
    const group = valueOf(await directory.createGroup({ displayName: 'Doomed', externalId: 'doomed-ext' }, users));
    expect(valueOf(await directory.membersOf(group.id))).toHaveLength(120);
    expect(valueOf(await directory.deleteGroup(group.id))).toBe(true);
    expect(valueOf(await directory.getGroup(group.id))).toBeUndefined();
    expect(valueOf(await directory.membersOf(group.id))).toEqual([]);
    expect(valueOf(await directory.groupsOf(users[119]!))).toEqual([]);
    expect(valueOf(await directory.listGroups({ externalId: 'doomed-ext' }, { startIndex: 1, count: 10 })).totalResults).toBe(0);
    expect(valueOf(await directory.deleteGroup(group.id))).toBe(false);
    valueOf(await directory.createGroup({ displayName: 'DOOMED' }, []));
  });
});

describe('DynamoDB failing: transient, and no user data in the message', () => {
  let throttling: Server;
  beforeAll(async () => {
    // Answers every call as DynamoDB does when throttling.
    throttling = createServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'Rate exceeded' }));
    });
    await new Promise<void>((resolve) => throttling.listen(0, '127.0.0.1', resolve));
    return () => new Promise<void>((resolve) => throttling.close(() => resolve()));
  });

  const at = (endpoint: string, tableName = table.tableName) => {
    const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 2 });
    return new DynamoDbDirectory({ client: DynamoDBDocumentClient.from(client), tableName, timeoutMs: 2_000 });
  };

  it('throttling is transient', async () => {
    const result = await at(`http://127.0.0.1:${(throttling.address() as AddressInfo).port}`).createUser(scimUser('secret.person@example.com'));
    expect(result).toMatchObject({ ok: false, error: { kind: 'transient', code: 'DYNAMODB_UNAVAILABLE' } });
    expect(!result.ok && result.error.message).toBe('DynamoDB failed during createUser (ProvisionedThroughputExceededException)');
  });

  it('an unreachable endpoint is transient', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await at(`http://127.0.0.1:${port}`).listUsers({ userName: 'secret.person@example.com' }, { startIndex: 1, count: 1 });
    expect(result).toMatchObject({ ok: false, error: { kind: 'transient' } });
    expect(!result.ok && result.error.message).not.toContain('secret.person');
  });

  it('a missing table is a transient fault of the deployment', async () => {
    const result = await at(await dynamoDbEndpoint(), 'no-such-table').getUser('x');
    expect(result).toMatchObject({ ok: false, error: { kind: 'transient', details: { deploymentFault: true } } });
  });
});

async function createUsers(target: Directory, n: number, label: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 20) {
    const batch = await Promise.all(Array.from({ length: Math.min(20, n - i) }, (_, j) => target.createUser(scimUser(unique(`${label}${i + j}`)))));
    ids.push(...batch.map((r) => valueOf(r).id));
  }
  return ids;
}

describe('what each operation costs', () => {
  it('stays within the reads and writes the design at the top of lambda/aws/directory.ts promises', async () => {
    const own = await newDirectoryTable('capacity');
    // Reads as DynamoDB Local reports them (1 unit per strongly consistent item read up to 4 KB, as AWS counts);
    // transactional writes counted by item, as AWS bills them (2 units an item up to 1 KB): DynamoDB Local reports a
    // flat 2 units for a TransactWriteItems of any size.
    let reads = 0;
    let transactItems = 0;
    const documents = DynamoDBDocumentClient.from(own.client);
    documents.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { TransactItems?: unknown[] };
        if (input.TransactItems) transactItems += input.TransactItems.length;
        const result = await next(args);
        const consumed = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] }).ConsumedCapacity;
        if (context.commandName !== 'TransactWriteItemsCommand') for (const c of [consumed ?? []].flat()) reads += c.CapacityUnits ?? 0;
        return result;
      },
      { step: 'initialize', name: 'countCapacity' },
    );
    const measured = own.directory({ client: documents, onConsumedCapacity: () => {} });
    const costs: Record<string, string> = {};
    const cost = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
      reads = 0;
      transactItems = 0;
      const value = await work();
      costs[name] = `${reads} RCU read, ${transactItems} items written transactionally (${transactItems * 2} WCU)`;
      return value;
    };
    const id = valueOf(await cost('createUser', () => measured.createUser(scimUser('cost@example.com', { externalId: 'cost-ext' })))).id;
    await cost('getUser', () => measured.getUser(id));
    await cost('listUsers userName eq', () => measured.listUsers({ userName: 'COST@example.com' }, { startIndex: 1, count: 10 }));
    await cost('listUsers externalId eq', () => measured.listUsers({ externalId: 'cost-ext' }, { startIndex: 1, count: 10 }));
    await cost('replaceUser (title)', () => measured.replaceUser(id, scimUser('cost@example.com', { externalId: 'cost-ext', title: 'x' })));
    await cost('replaceUser (rename, new e-mail)', () => measured.replaceUser(id, scimUser('renamed@example.com', { externalId: 'cost-ext' })));
    const others = await createUsers(measured, 20, 'cost');
    const groupId = valueOf(await cost('createGroup (no members)', () => measured.createGroup({ displayName: 'Cost' }, []))).id;
    await cost('changeMembers add 1', () => measured.changeMembers(groupId, { add: [id] }));
    await cost('changeMembers add 20', () => measured.changeMembers(groupId, { add: others }));
    await cost('groupsOf (1 group)', () => measured.groupsOf(id));
    await cost('membersOf (21 members)', () => measured.membersOf(groupId));
    await cost('listUsers all (21), page of 10', () => measured.listUsers({}, { startIndex: 1, count: 10 }));
    await cost('deleteUser (in 1 group)', () => measured.deleteUser(id));
    await cost('deleteGroup (20 members)', () => measured.deleteGroup(groupId));
    console.log(`cost per operation:\n${Object.entries(costs).map(([name, text]) => `  ${name.padEnd(34)} ${text}`).join('\n')}`);
    expect(costs.createUser).toBe('0 RCU read, 5 items written transactionally (10 WCU)');
    expect(costs.getUser).toBe('1 RCU read, 0 items written transactionally (0 WCU)');
    expect(costs['listUsers userName eq']).toBe('2 RCU read, 0 items written transactionally (0 WCU)');
    // The group's version bump and both sides of each of the 20 memberships.
    expect(costs['changeMembers add 20']).toMatch(/, 41 items written/);
    // Both sides of the 20 memberships, then the group, its displayName and its list item.
    expect(costs['deleteGroup (20 members)']).toMatch(/, 43 items written/);
  });
});
