import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamPoller } from '../local/dynamodb-stream-poller';
import { batch, PROJECT_A, RULES, sqsEvent, startWorld, type World } from './harness';
import { ONBOARDING_QUEUE_URL, startBuiltScim, type BuiltScim } from './scim-built';
import { DYNAMODB_WAIT_MS } from './scim-dynamodb';

/**
 * The SCIM path end to end (contract section 14), everything as it ships: a provider's requests to the built scim
 * bundle on DynamoDB Local; the table's stream read by the event source mapping's emulation (local/dynamodb-stream-
 * poller.ts), which invokes the same built handler; the onboarding events it puts on the SQS stand-in handed to the
 * onboarder as Lambda would (test/harness.ts); the invitation in the Atlas sandbox.
 */

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

interface QueuedEvent {
  id: string;
  source: string;
  type: string;
  user: { email: string; department?: string; title?: string; groups?: string[] };
}

let n = 0;
const person = (label: string) => `${label}.${++n}.${Date.now()}@contoso.com`;

let scim: BuiltScim;
let world: World;
let poller: StreamPoller;
const retries: { shardId: string; attempt: number }[] = [];
/** The 200 users of the bulk PATCH, created before the stream is read (their creations are not what it checks). */
const bulk: { email: string; id: string }[] = [];
beforeAll(async () => {
  [scim, world] = await Promise.all([startBuiltScim('relay'), startWorld()]);
  const emails = Array.from({ length: 200 }, () => person('member'));
  for (let i = 0; i < emails.length; i += 20) bulk.push(...(await Promise.all(emails.slice(i, i + 20).map(async (email) => ({ email, id: await createUser(email) })))));
  poller = scim.poller({ startingPosition: 'LATEST', onRetry: ({ shardId, attempt }) => retries.push({ shardId, attempt }) });
  // Positioned at the stream's end before any test writes.
  await poller.idle();
}, DYNAMODB_WAIT_MS + 60_000);
afterAll(async () => {
  await scim?.close();
  await world?.close();
});

const eventsFor = (email: string, from = 0) => (scim.events().slice(from) as unknown as QueuedEvent[]).filter((e) => e.user.email === email);
const patch = (path: string, ...Operations: unknown[]) => scim.call({ method: 'PATCH', path, body: { schemas: [PATCH_OP], Operations } });

async function createUser(email: string, extra: Record<string, unknown> = {}): Promise<string> {
  const reply = await scim.call({ method: 'POST', path: '/Users', body: { schemas: [CORE, ENTERPRISE], userName: email, active: true, emails: [{ type: 'work', value: email, primary: true }], ...extra } });
  expect(reply.status).toBe(201);
  return reply.json!.id as string;
}

describe('a provider’s change, through the stream and the queue, to Atlas', () => {
  it('invites a user added to the rule’s group with the rule’s roles, and removes them once deactivated (leavers: remove)', async () => {
    const email = person('ada');
    const user = await createUser(email, { title: 'Data Engineer', [ENTERPRISE]: { department: 'Data Platform' } });
    const group = await scim.call({ method: 'POST', path: '/Groups', body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'atlas-analytics-readers', members: [] } });
    expect(group.status).toBe(201);
    // Entra's add-members form.
    expect((await patch(`/Groups/${group.json!.id as string}`, { op: 'Add', path: 'members', value: [{ value: user }] })).status).toBe(204);
    await poller.idle();

    const joined = eventsFor(email);
    expect(joined.length).toBeGreaterThanOrEqual(1);
    expect(joined[0]!.type).toBe('user.created');
    expect(joined.at(-1)).toMatchObject({ source: 'sso', user: { email, department: 'Data Platform', title: 'Data Engineer', groups: ['atlas-analytics-readers'] } });
    expect(joined.at(-1)!.type).toMatch(/^user\.(created|updated)$/);

    const onboarder = world.handler();
    expect(await batch(onboarder, sqsEvent(joined))).toEqual({ batchItemFailures: [] });
    expect(world.atlas.members({ username: email, groupId: PROJECT_A }).map((m) => [...m.roles])).toEqual([['GROUP_READ_ONLY']]);
    expect(world.atlas.members({ username: email }).map((m) => m.groupId)).toEqual([PROJECT_A]);

    // Entra disables with the string "False".
    const mark = scim.events().length;
    expect((await patch(`/Users/${user}`, { op: 'Replace', path: 'active', value: 'False' })).json!.active).toBe(false);
    await poller.idle();
    const left = eventsFor(email, mark);
    expect(left).toEqual([expect.objectContaining({ source: 'sso', type: 'user.deactivated', user: expect.objectContaining({ email, groups: ['atlas-analytics-readers'] }) })]);
    const leavers = world.handler({ ROLE_MAPPING: JSON.stringify({ ...RULES, lifecycle: { movers: 'add', leavers: 'remove' } }) });
    expect(await batch(leavers, sqsEvent(left))).toEqual({ batchItemFailures: [] });
    expect(world.atlas.members({ username: email })).toEqual([]);
  });

  it('puts one event per user on the queue for a PATCH adding 200 members, answered 204', async () => {
    const name = `atlas-bulk-${Date.now()}`;
    const group = (await scim.call({ method: 'POST', path: '/Groups', body: { displayName: name } })).json!.id as string;
    await poller.idle();
    const mark = scim.events().length;

    const reply = await patch(`/Groups/${group}`, { op: 'add', path: 'members', value: bulk.map(({ id }) => ({ value: id })) });
    expect(reply.status).toBe(204);
    expect(reply.text).toBe('');
    await poller.idle(60_000);

    const events = scim.events().slice(mark) as unknown as QueuedEvent[];
    expect(events).toHaveLength(200);
    expect(new Set(events.map((e) => e.user.email))).toEqual(new Set(bulk.map(({ email }) => email)));
    expect(new Set(events.map((e) => e.id)).size).toBe(200);
    for (const event of events) expect(event).toMatchObject({ source: 'sso', type: 'user.updated', user: { groups: [name] } });
  }, 90_000);
});

describe('SQS down at the moment of the change', () => {
  it('answers the change, retries the stream batch while SQS refuses, and queues the user’s current state once it is back', async () => {
    const email = person('grace');
    const failedBefore = retries.length;
    const since = Date.now();
    const sends = (status: number) => scim.aws.calls.filter((c) => c.at >= since && c.operation.startsWith('SendMessage') && c.status === status);
    // Refused until further notice: one event goes with SendMessage, several with SendMessageBatch.
    for (const operation of ['SendMessage', 'SendMessageBatch']) scim.aws.failNext(operation, { times: 1_000_000, type: 'InternalFailure', status: 500 });
    const user = await createUser(email, { title: 'Engineer' });
    expect((await patch(`/Users/${user}`, { op: 'replace', path: 'title', value: 'Staff Engineer' })).status).toBe(200);

    // The event source mapping is told to retry (batchItemFailures), more than once, and nothing reaches the queue.
    const deadline = Date.now() + 20_000;
    while (retries.length < failedBefore + 2) {
      if (Date.now() > deadline) throw new Error('the stream batch was not retried');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(retries.slice(failedBefore).every((r) => r.shardId !== '')).toBe(true);
    expect(sends(500).length).toBeGreaterThanOrEqual(2);
    expect(sends(200)).toEqual([]);
    expect(eventsFor(email)).toEqual([]);

    // SQS is back (reset drops the pending failures; the token secret is one of the secrets given at start).
    scim.aws.reset();
    await poller.idle(30_000);
    const queued = eventsFor(email);
    expect(queued.length).toBeGreaterThanOrEqual(1);
    const current = (await scim.call({ path: `/Users/${user}` })).json!;
    expect(current.title).toBe('Staff Engineer');
    // What is queued is the user as stored now, not as they were at the first write.
    expect(queued.at(-1)).toEqual({ id: expect.any(String), source: 'sso', type: 'user.created', occurredAt: expect.any(String), user: { email, title: 'Staff Engineer', groups: [] } });
    expect(queued.every((e) => e.user.title === 'Staff Engineer')).toBe(true);
    expect(scim.aws.sentMessages.every((m) => m.queueUrl === ONBOARDING_QUEUE_URL)).toBe(true);
  }, 60_000);
});
