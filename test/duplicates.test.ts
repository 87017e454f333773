import { describe, expect, it } from 'vitest';
import { batch, call, DIRECT_PROJECT, hireEvent, restEvent, sqsEvent, useWorld, type World } from './harness';

let world: World;
useWorld((started) => (world = started));

const inviteCalls = () => world.atlas.count('invites') + world.atlas.count('users');

describe('duplicates in one warm container', () => {
  it('the same message delivered twice causes one invitation call', async () => {
    const handler = world.handler();
    const event = sqsEvent([hireEvent({ department: 'Finance' })]);
    expect((await batch(handler, event)).batchItemFailures).toEqual([]);
    expect((await batch(handler, event)).batchItemFailures).toEqual([]);
    expect(inviteCalls()).toBe(1);
    expect(world.atlas.invitations()).toHaveLength(1);
  });

  it('the same event twice in one batch causes one invitation call', async () => {
    const event = hireEvent({ department: 'Finance' });
    const answer = await batch(world.handler(), sqsEvent([event, event]));
    expect(answer.batchItemFailures).toEqual([]);
    expect(inviteCalls()).toBe(1);
  });

  it('the same event by API and by SQS causes one invitation call; the repeat answers already_invited', async () => {
    const handler = world.handler();
    const event = hireEvent({ department: 'Finance' });
    const first = await call(handler, restEvent({ path: '/events', body: event }));
    expect(first.body.results?.[0]?.status).toBe('invited');
    expect((await batch(handler, sqsEvent([event]))).batchItemFailures).toEqual([]);
    const again = await call(handler, restEvent({ path: '/events', body: event }));
    expect(again.body.results?.[0]).toMatchObject({ status: 'already_invited', invitationId: first.body.results?.[0]?.invitationId });
    expect(inviteCalls()).toBe(1);
  });

  it('a failure is not remembered: the redelivery calls Atlas again', async () => {
    const handler = world.handler({ ATLAS_MAX_ATTEMPTS: '1' });
    const event = sqsEvent([hireEvent({ department: 'Finance' })]);
    world.atlas.injectFault({ kind: 'status', status: 503 }, { on: 'invites' });
    expect((await batch(handler, event)).batchItemFailures).toHaveLength(1);
    expect((await batch(handler, event)).batchItemFailures).toEqual([]);
    expect(inviteCalls()).toBe(2);
  });

  it('a new container calls Atlas, which answers already_invited rather than inviting twice', async () => {
    const event = hireEvent({ department: 'Finance' });
    world.atlas.configure({ duplicateInvite: 'conflict' });
    await call(world.handler(), restEvent({ path: '/events', body: event }));
    const { body } = await call(world.handler(), restEvent({ path: '/events', body: event }));
    expect(body.results?.[0]?.status).toBe('already_invited');
    expect(inviteCalls()).toBe(2);
    expect(world.atlas.invitations()).toHaveLength(1);
  });

  it('different roles are not duplicates; the same address in another case is', async () => {
    const handler = world.handler();
    const invite = { groupId: DIRECT_PROJECT, username: 'lin@example.com', roles: ['GROUP_READ_ONLY'] };
    await call(handler, restEvent({ path: '/invites', body: invite }));
    await call(handler, restEvent({ path: '/invites', body: { ...invite, roles: ['GROUP_READ_ONLY', 'GROUP_DATA_ACCESS_READ_ONLY'] } }));
    await call(handler, restEvent({ path: '/invites', body: { ...invite, username: 'LIN@example.com' } }));
    expect(inviteCalls()).toBe(2);
  });
});
