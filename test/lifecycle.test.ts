import { describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../sandbox';
import { batch, call, lambdaContext, PROJECT_A, PROJECT_B, restEvent, sqsEvent, useWorld, type World } from './harness';

/**
 * Movers and leavers (contract section 13): the rule file's `lifecycle` against the Atlas sandbox over loopback, with
 * the real handler. Project A and B are managed; UNMANAGED is a project the person is in that no rule names.
 */

let world: World;
useWorld((started) => (world = started));

const UNMANAGED = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const SYNC_RULES = {
  rules: [
    {
      name: 'data-platform',
      when: { source: 'hr', department: 'Data Platform' },
      invite: [
        { groupId: PROJECT_A, roles: ['GROUP_DATA_ACCESS_READ_WRITE'] },
        { groupId: PROJECT_B, roles: ['GROUP_READ_ONLY'] },
      ],
    },
    { name: 'finance', when: { source: 'hr', department: 'Finance' }, invite: [{ groupId: PROJECT_B, roles: ['GROUP_DATA_ACCESS_READ_ONLY'] }] },
    { name: 'analytics-readers', when: { source: 'sso', type: 'group.member.added', group: 'atlas-analytics-readers' }, invite: [{ groupId: PROJECT_A, roles: ['GROUP_READ_ONLY'] }] },
  ],
  directInvites: [{ groupId: UNMANAGED, roles: ['GROUP_READ_ONLY'] }],
  lifecycle: { movers: 'sync', leavers: 'remove' },
};

let n = 0;
const person = () => `mover${++n}.${Date.now()}@example.com`;
const hr = (type: string, email: string, department: string) => ({ id: `evt-lifecycle-${++n}`, source: 'hr', type, user: { email, department } });
const syncHandler = (env: Record<string, string> = {}) => world.handler({ ROLE_MAPPING: JSON.stringify(SYNC_RULES), ...env });
const send = (handler: ReturnType<typeof syncHandler>, event: unknown, query?: Record<string, string>) =>
  call(handler, restEvent({ path: '/events', body: event, ...(query && { query }) }), lambdaContext(10_000));
/** The Atlas calls that changed something (every method but GET and the token). */
const writes = (requests: readonly RecordedRequest[] = world.atlas.requests) => requests.filter((r) => r.method !== 'GET' && r.endpoint !== 'token').map((r) => `${r.method} ${r.path}`);
const held = (email: string, groupId: string) => world.atlas.members({ username: email, groupId }).map((m) => ({ roles: [...m.roles].sort(), status: m.status, via: m.via }));

describe('movers (movers: sync)', () => {
  it('gain and lose roles in one project: added before removed', async () => {
    const email = person();
    const member = world.atlas.seed({ groupId: PROJECT_B, username: email, roles: ['GROUP_READ_ONLY'], status: 'ACTIVE', via: 'users' });
    const { status, body } = await send(syncHandler(), hr('employee.updated', email, 'Finance'));
    expect(status).toBe(200);
    expect(body.results).toEqual([
      expect.objectContaining({ groupId: PROJECT_B, status: 'updated', roles: ['GROUP_DATA_ACCESS_READ_ONLY'], added: ['GROUP_DATA_ACCESS_READ_ONLY'], removed: ['GROUP_READ_ONLY'] }),
    ]);
    expect(writes()).toEqual([
      `POST /api/atlas/v2/groups/${PROJECT_B}/users/${member.id}:addRole`,
      `POST /api/atlas/v2/groups/${PROJECT_B}/users/${member.id}:removeRole`,
    ]);
    expect(held(email, PROJECT_B)).toEqual([{ roles: ['GROUP_DATA_ACCESS_READ_ONLY'], status: 'ACTIVE', via: 'users' }]);
  });

  it('leave a managed project the rules no longer grant, and change the other', async () => {
    const email = person();
    world.atlas.seed({ groupId: PROJECT_A, username: email, roles: ['GROUP_DATA_ACCESS_READ_WRITE'], status: 'ACTIVE', via: 'users' });
    world.atlas.seed({ groupId: PROJECT_B, username: email, roles: ['GROUP_READ_ONLY'], status: 'ACTIVE', via: 'users' });
    const { body } = await send(syncHandler(), hr('employee.updated', email, 'Finance'));
    expect(body.results?.map((r) => [r.groupId, r.status, r.removed])).toEqual([
      [PROJECT_A, 'removed', ['GROUP_DATA_ACCESS_READ_WRITE']],
      [PROJECT_B, 'updated', ['GROUP_READ_ONLY']],
    ]);
    expect(held(email, PROJECT_A)).toEqual([]);
  });

  it("change a pending invitation's roles (invitations API) with one PATCH, and never invite a second time", async () => {
    const email = person();
    const invitation = world.atlas.seed({ groupId: PROJECT_B, username: email, roles: ['GROUP_READ_ONLY'], via: 'invites' });
    const { body } = await send(syncHandler({ ATLAS_INVITE_API: 'users' }), hr('employee.updated', email, 'Finance'));
    expect(body.results).toEqual([expect.objectContaining({ groupId: PROJECT_B, status: 'updated', roles: ['GROUP_DATA_ACCESS_READ_ONLY'] })]);
    expect(writes()).toEqual([`PATCH /api/atlas/v2/groups/${PROJECT_B}/invites/${invitation.id}`]);
    expect(held(email, PROJECT_B)).toEqual([{ roles: ['GROUP_DATA_ACCESS_READ_ONLY'], status: 'PENDING', via: 'invites' }]);
  });

  it('keep GROUP_OWNER: sync never takes it away', async () => {
    const email = person();
    world.atlas.seed({ groupId: PROJECT_A, username: email, roles: ['GROUP_OWNER', 'GROUP_DATA_ACCESS_READ_WRITE'], status: 'ACTIVE', via: 'users' });
    const { body } = await send(syncHandler(), hr('employee.updated', email, 'Finance'));
    expect(body.results?.find((r) => r.groupId === PROJECT_A)).toMatchObject({ status: 'updated', roles: ['GROUP_OWNER'], removed: ['GROUP_DATA_ACCESS_READ_WRITE'] });
    expect(held(email, PROJECT_A)).toEqual([{ roles: ['GROUP_OWNER'], status: 'ACTIVE', via: 'users' }]);
  });

  it('answer already_invited where the person holds exactly the granted roles, and invite where they hold nothing', async () => {
    const email = person();
    world.atlas.seed({ groupId: PROJECT_A, username: email, roles: ['GROUP_DATA_ACCESS_READ_WRITE'], status: 'ACTIVE', via: 'users' });
    const { body } = await send(syncHandler(), hr('employee.hired', email, 'Data Platform'));
    expect(body.results?.map((r) => [r.groupId, r.status])).toEqual([
      [PROJECT_A, 'already_invited'],
      [PROJECT_B, 'invited'],
    ]);
    expect(writes()).toEqual([`POST /api/atlas/v2/groups/${PROJECT_B}/invites`]);
  });

  it('finish a half-done change on redelivery: a transient failure after the role was added, then the same message again', async () => {
    const email = person();
    world.atlas.seed({ groupId: PROJECT_B, username: email, roles: ['GROUP_READ_ONLY'], status: 'ACTIVE', via: 'users' });
    world.atlas.injectFault({ kind: 'status', status: 503, errorCode: 'SERVICE_UNAVAILABLE' }, { on: 'users:removeRole', times: 1000 });
    const handler = syncHandler({ ATLAS_MAX_ATTEMPTS: '2' });
    const delivery = sqsEvent([hr('employee.updated', email, 'Finance')]);
    expect((await batch(handler, delivery, lambdaContext(10_000))).batchItemFailures).toHaveLength(1);
    expect(held(email, PROJECT_B)).toEqual([{ roles: ['GROUP_DATA_ACCESS_READ_ONLY', 'GROUP_READ_ONLY'], status: 'ACTIVE', via: 'users' }]);

    world.atlas.clearFaults();
    const before = world.atlas.requests.length;
    const again = { Records: [{ ...delivery.Records[0]!, attributes: { ...delivery.Records[0]!.attributes, ApproximateReceiveCount: '2' } }] };
    expect((await batch(handler, again, lambdaContext(10_000))).batchItemFailures).toEqual([]);
    // Read again, planned again: only the removal was left to do.
    expect(writes(world.atlas.requests.slice(before))).toEqual([expect.stringMatching(/:removeRole$/)]);
    expect(held(email, PROJECT_B)).toEqual([{ roles: ['GROUP_DATA_ACCESS_READ_ONLY'], status: 'ACTIVE', via: 'users' }]);
    expect(world.aws.sentMessages).toEqual([]);
  });
});

describe('events about one person (contract section 13)', () => {
  it('are applied one at a time within a container: a hire and a move in one batch end as the move says', async () => {
    const email = person();
    const handler = syncHandler({ BATCH_CONCURRENCY: '10' });
    // Answers slow enough that two events run side by side would both read before either writes.
    world.atlas.configure({ latencyMs: 50 });
    const answer = await batch(handler, sqsEvent([hr('employee.hired', email, 'Data Platform'), hr('employee.updated', email, 'Finance')]), lambdaContext(10_000));
    expect(answer.batchItemFailures).toEqual([]);
    // Run side by side, both would have read "nothing held" and invited; one after the other, the move finds the hire's
    // invitations and changes them.
    expect(held(email, PROJECT_A)).toEqual([]);
    expect(held(email, PROJECT_B)).toEqual([{ roles: ['GROUP_DATA_ACCESS_READ_ONLY'], status: 'PENDING', via: 'invites' }]);
  });
});

describe('group.member.removed (contract section 3, v2: a change of groups)', () => {
  const removed = (email: string) => ({
    id: `okta-${++n}`,
    source: 'sso',
    type: 'group.member.removed',
    group: 'atlas-analytics-readers',
    user: { email, groups: ['atlas-analytics-readers', 'engineering'] },
  });

  it('under movers: sync, takes away what the group gave, though the event lists the group (rules matched on state)', async () => {
    const email = person();
    world.atlas.seed({ groupId: PROJECT_A, username: email, roles: ['GROUP_READ_ONLY'], status: 'ACTIVE', via: 'users' });
    const { body } = await send(syncHandler(), removed(email));
    expect(body.results).toEqual([expect.objectContaining({ groupId: PROJECT_A, status: 'removed', removed: ['GROUP_READ_ONLY'] })]);
    expect(held(email, PROJECT_A)).toEqual([]);
  });

  it('under movers: add, invites nobody and reports what the remaining groups map to as ignored', async () => {
    const rules = { ...SYNC_RULES, lifecycle: undefined };
    const handler = world.handler({ ROLE_MAPPING: JSON.stringify(rules) });
    const stillMember = { ...removed(person()), group: 'engineering' };
    const { body } = await send(handler, stillMember);
    expect(body.results).toEqual([expect.objectContaining({ groupId: PROJECT_A, status: 'ignored' })]);
    const { body: gone } = await send(handler, removed(person()));
    expect(gone.results).toEqual([]);
    expect(writes()).toEqual([]);
  });
});

describe('leavers (leavers: remove)', () => {
  it('revoke a pending invitation in one project and remove an active membership in another', async () => {
    const email = person();
    const member = world.atlas.seed({ groupId: PROJECT_A, username: email, roles: ['GROUP_DATA_ACCESS_READ_WRITE'], status: 'ACTIVE', via: 'users' });
    const invitation = world.atlas.seed({ groupId: PROJECT_B, username: email, roles: ['GROUP_READ_ONLY'], via: 'invites' });
    const { status, body } = await send(syncHandler(), hr('employee.terminated', email, 'Data Platform'));
    expect(status).toBe(200);
    expect(body.results?.map((r) => [r.groupId, r.status])).toEqual([
      [PROJECT_A, 'removed'],
      [PROJECT_B, 'removed'],
    ]);
    expect(writes().sort()).toEqual([`DELETE /api/atlas/v2/groups/${PROJECT_A}/users/${member.id}`, `DELETE /api/atlas/v2/groups/${PROJECT_B}/invites/${invitation.id}`].sort());
    expect(world.atlas.members({ username: email })).toEqual([]);
  });

  it('leave a project the rule file does not name untouched, though the person is in it', async () => {
    const email = person();
    world.atlas.seed({ groupId: UNMANAGED, username: email, roles: ['GROUP_READ_ONLY'], status: 'ACTIVE', via: 'users' });
    world.atlas.seed({ groupId: PROJECT_A, username: email, roles: ['GROUP_READ_ONLY'], status: 'ACTIVE', via: 'users' });
    const { body } = await send(syncHandler(), hr('employee.terminated', email, 'Data Platform'));
    expect(body.results?.map((r) => r.groupId)).toEqual([PROJECT_A]);
    expect(world.atlas.requests.filter((r) => r.path.includes(UNMANAGED))).toEqual([]);
    expect(held(email, UNMANAGED)).toHaveLength(1);
  });

  it('list nothing for a leaver who holds nothing', async () => {
    const { status, body } = await send(syncHandler(), hr('employee.terminated', person(), 'Data Platform'));
    expect([status, body.results]).toEqual([200, []]);
    expect(writes()).toEqual([]);
  });
});

describe('the 410 switch with a pending invitation of the old API', () => {
  it('after Atlas retires the invitations API, reads and writes only the users API', async () => {
    const email = person();
    world.atlas.configure({ invitesGone: true });
    const { body } = await send(syncHandler(), hr('employee.hired', email, 'Finance'));
    expect(body.results).toEqual([expect.objectContaining({ groupId: PROJECT_B, status: 'invited' })]);
    const calls = world.atlas.requests.filter((r) => r.endpoint !== 'token').map((r) => [r.endpoint, r.status]);
    expect(calls).toContainEqual(['invites:list', 410]);
    expect(writes()).toEqual([`POST /api/atlas/v2/groups/${PROJECT_B}/users`]);
  });

  it('with ATLAS_INVITE_API=users, a pending invitation of the old API is found and kept, not invited again', async () => {
    const email = person();
    world.atlas.seed({ groupId: PROJECT_B, username: email, roles: ['GROUP_DATA_ACCESS_READ_ONLY'], via: 'invites' });
    const { body } = await send(syncHandler({ ATLAS_INVITE_API: 'users' }), hr('employee.hired', email, 'Finance'));
    expect(body.results).toEqual([expect.objectContaining({ groupId: PROJECT_B, status: 'already_invited' })]);
    expect(writes()).toEqual([]);
  });
});

describe('dry run', () => {
  it('reads, writes nothing, and reports each project’s action with the roles added and removed', async () => {
    const email = person();
    world.atlas.seed({ groupId: PROJECT_A, username: email, roles: ['GROUP_DATA_ACCESS_READ_WRITE'], status: 'ACTIVE', via: 'users' });
    world.atlas.seed({ groupId: PROJECT_B, username: email, roles: ['GROUP_READ_ONLY'], status: 'ACTIVE', via: 'users' });
    const { body } = await send(syncHandler(), hr('employee.updated', email, 'Finance'), { dryRun: 'true' });
    expect(body.results?.map((r) => [r.groupId, r.status, r.action, r.added, r.removed])).toEqual([
      [PROJECT_A, 'dry_run', 'remove', undefined, ['GROUP_DATA_ACCESS_READ_WRITE']],
      [PROJECT_B, 'dry_run', 'update', ['GROUP_DATA_ACCESS_READ_ONLY'], ['GROUP_READ_ONLY']],
    ]);
    expect(writes()).toEqual([]);
    expect(world.atlas.requests.filter((r) => r.endpoint !== 'token').every((r) => r.method === 'GET')).toBe(true);
  });
});

describe('the defaults (movers: add, leavers: ignore)', () => {
  it('a joiner costs exactly one call, with no reads; a leaver is ignored with none', async () => {
    const handler = world.handler();
    const joiner = await call(handler, restEvent({ path: '/events', body: hr('employee.hired', person(), 'Finance') }));
    expect(joiner.body.results).toEqual([expect.objectContaining({ groupId: PROJECT_B, status: 'invited' })]);
    expect(world.atlas.requests.filter((r) => r.endpoint !== 'token').map((r) => `${r.method} ${r.endpoint}`)).toEqual(['POST invites']);

    const before = world.atlas.requests.length;
    const leaver = await call(handler, restEvent({ path: '/events', body: hr('employee.terminated', person(), 'Finance') }));
    expect(leaver.body.results).toEqual([expect.objectContaining({ groupId: PROJECT_B, status: 'ignored' })]);
    expect(world.atlas.requests.slice(before)).toEqual([]);
  });

  it('a lifecycle key or value that does not exist is refused at start-up, naming it', () => {
    expect(() => world.handler({ ROLE_MAPPING: JSON.stringify({ ...SYNC_RULES, lifecycle: { movers: 'mirror' } }) })).toThrow(/movers must be "add" or "sync"/);
    expect(() => world.handler({ ROLE_MAPPING: JSON.stringify({ ...SYNC_RULES, lifecycle: { leaver: 'remove' } }) })).toThrow(/unknown key "leaver"/);
  });
});
