import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { directoryChangesOf, relayStreamBatch } from '../lambda/adapters/dynamodb-stream';
import { compareSequenceNumbers } from '../lambda/scim/changes';
import { sqsQueueActions } from '../lambda/aws/sqs';
import { queuedEvent } from '../lambda/core/requests';
import { Logger } from '../lambda/log';
import type { Directory, StoredUser } from '../lambda/scim/directory';
import { relayChanges, type OnboardingEventFor } from '../lambda/scim/relay';
import { startStreamPoller, type StreamPoller } from '../local/dynamodb-stream-poller';
import { startAwsEndpoints, type AwsEndpoints } from '../sandbox';
import { DYNAMODB_WAIT_MS, dynamoDbEndpoint, newDirectoryTable, scimUser, valueOf } from './scim-dynamodb';

/**
 * Directory changes become onboarding events (contract section 14): the real directory on DynamoDB Local, its stream
 * read by the local event source mapping, the relay sending to the SQS stand-in through the real SQS client.
 */

process.env.AWS_ACCESS_KEY_ID = 'AKIDLOCALTEST';
process.env.AWS_SECRET_ACCESS_KEY = 'local-test-secret-access-key';
process.env.AWS_REGION = 'us-east-1';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/onboarding';

/**
 * A stand-in for lambda/scim/events.ts (written elsewhere), just enough of contract section 14: the work e-mail or
 * userName, title, groups; `user.deactivated` when inactive or deleted, `user.created` for a new active user.
 */
const onboardingEventFor: OnboardingEventFor = (user, groups, context) => {
  const subject: StoredUser | undefined = user ?? context.previous;
  if (!subject) return undefined;
  const attributes = subject.attributes as { userName: string; active?: boolean; title?: string; emails?: { type?: string; value: string }[] };
  const type = !user || attributes.active === false ? 'user.deactivated' : context.created ? 'user.created' : 'user.updated';
  return {
    id: context.eventId,
    source: 'sso',
    type,
    ...(context.occurredAt && { occurredAt: context.occurredAt }),
    user: {
      email: attributes.emails?.find((e) => e.type === 'work')?.value ?? attributes.userName,
      ...(attributes.title !== undefined && { title: attributes.title }),
      groups: groups.map((group) => group.displayName),
    },
  };
};

let aws: AwsEndpoints;
let directory: Directory;
let poller: StreamPoller;
const retries: { attempt: number }[] = [];
const logs: string[] = [];
let counter = 0;
const unique = (name: string) => `${name}.${++counter}@example.com`;

beforeAll(async () => {
  aws = await startAwsEndpoints();
  const table = await newDirectoryTable('relay');
  directory = table.directory();
  const queue = sqsQueueActions({ AWS_ENDPOINT_URL_SQS: aws.url, AWS_REGION: 'us-east-1' });
  const log = new Logger('debug', (line) => logs.push(line));
  poller = startStreamPoller({
    endpoint: await dynamoDbEndpoint(),
    streamArn: table.streamArn,
    handler: (event) => relayStreamBatch(event, (changes) => relayChanges(changes, { directory, queue, onboardingQueueUrl: QUEUE_URL, onboardingEventFor, log })),
    retryBaseMs: 20,
    retryMaxMs: 200,
    onRetry: (info) => retries.push(info),
  });
}, DYNAMODB_WAIT_MS);

afterAll(async () => {
  await poller?.stop();
  await aws?.close();
});

beforeEach(async () => {
  // Whatever the last test's changes still had to relay goes first.
  await poller.idle();
  aws.reset();
  retries.length = 0;
});

/** The events on the queue once everything written so far has been relayed. */
async function eventsAfterRelay(): Promise<{ id: string; type: string; user: { email: string; title?: string; groups: string[] } }[]> {
  await poller.idle();
  return aws.sentMessages.map((message) => {
    expect(message.queueUrl).toBe(QUEUE_URL);
    return JSON.parse(message.body) as { id: string; type: string; user: { email: string; title?: string; groups: string[] } };
  });
}

describe('a change the directory accepted reaches the queue as one event per affected user', () => {
  it('a new user gives one user.created event, valid as the onboarder takes it', async () => {
    const userName = unique('ada');
    const user = valueOf(await directory.createUser(scimUser(userName, { title: 'Engineer' })));
    const events = await eventsAfterRelay();
    expect(events).toEqual([{ id: expect.stringMatching(new RegExp(`^scim-.+-${user.id}$`)), source: 'sso', type: 'user.created', occurredAt: expect.any(String), user: { email: userName, title: 'Engineer', groups: [] } }]);
    expect(queuedEvent.safeParse(events[0]).success).toBe(true);
  });

  it('a mapped attribute changed gives an event; an attribute the event does not carry (displayName) gives none', async () => {
    const user = valueOf(await directory.createUser(scimUser(unique('grace'))));
    await eventsAfterRelay();
    aws.reset();
    valueOf(await directory.replaceUser(user.id, { ...user.attributes, displayName: 'Amazing Grace' }));
    expect(await eventsAfterRelay()).toEqual([]);
    valueOf(await directory.replaceUser(user.id, { ...user.attributes, displayName: 'Amazing Grace', title: 'Rear Admiral' }));
    expect(await eventsAfterRelay()).toMatchObject([{ type: 'user.updated', user: { title: 'Rear Admiral' } }]);
  });

  it('a changed address gives the old address a leaving event, besides the new address\u2019s', async () => {
    const before = unique('maiden');
    const after = unique('married');
    const user = valueOf(await directory.createUser(scimUser(before, { title: 'Engineer' })));
    await eventsAfterRelay();
    aws.reset();
    valueOf(await directory.replaceUser(user.id, { ...user.attributes, userName: after, emails: [{ type: 'work', value: after, primary: true }] }));
    const events = await eventsAfterRelay();
    expect(events.map((e) => [e.type, e.user.email]).sort()).toEqual([
      ['user.deactivated', before],
      ['user.updated', after],
    ]);
    expect(events.find((e) => e.type === 'user.deactivated')!.id).toMatch(new RegExp(`^scim-.+-${user.id}-left$`));
  });

  it('deactivation and deletion give user.deactivated, the deleted user\u2019s from the stream\u2019s old image', async () => {
    const userName = unique('leaver');
    const user = valueOf(await directory.createUser(scimUser(userName)));
    valueOf(await directory.createGroup({ displayName: 'Leavers Club' }, [user.id]));
    await eventsAfterRelay();
    aws.reset();
    valueOf(await directory.replaceUser(user.id, { ...user.attributes, active: false }));
    expect(await eventsAfterRelay()).toMatchObject([{ type: 'user.deactivated', user: { email: userName, groups: ['Leavers Club'] } }]);
    aws.reset();
    valueOf(await directory.deleteUser(user.id));
    const events = await eventsAfterRelay();
    // The membership removal may be relayed before the user item goes (an update), the deletion always last.
    expect(events.at(-1)).toMatchObject({ type: 'user.deactivated', user: { email: userName, groups: [] } });
  });

  it('a group PATCH adding 200 members gives 200 events, each with the group', async () => {
    const users: string[] = [];
    for (let i = 0; i < 200; i += 25) {
      const batch = await Promise.all(Array.from({ length: 25 }, (_, j) => directory.createUser(scimUser(unique(`member${i + j}`)))));
      users.push(...batch.map((r) => valueOf(r).id));
    }
    const group = valueOf(await directory.createGroup({ displayName: 'Atlas Analytics Readers' }, []));
    await eventsAfterRelay();
    aws.reset();
    valueOf(await directory.changeMembers(group.id, { add: users }));
    const events = await eventsAfterRelay();
    expect(events).toHaveLength(200);
    expect(new Set(events.map((e) => e.id)).size).toBe(200);
    for (const event of events) expect(event).toMatchObject({ type: 'user.updated', user: { groups: ['Atlas Analytics Readers'] } });
    // By SendMessageBatch, ten at a time.
    expect(aws.calls.filter((call) => call.operation === 'SendMessageBatch')).toHaveLength(20);

    aws.reset();
    valueOf(await directory.replaceGroup(group.id, { displayName: 'Atlas Readers' }));
    const renamed = await eventsAfterRelay();
    expect(renamed).toHaveLength(200);
    for (const event of renamed) expect(event.user.groups).toEqual(['Atlas Readers']);
  });
});

describe('SQS failing at the moment of the change', () => {
  it('the event reaches the queue once SQS is back (the stream batch is retried from the failed record)', async () => {
    aws.failNext('SendMessage', { times: 3, type: 'InternalError', status: 500 });
    // The SDK retries each send twice itself: 3 failed calls are one failed relay, or two.
    const userName = unique('patient');
    const user = valueOf(await directory.createUser(scimUser(userName)));
    const events = await eventsAfterRelay();
    expect(events).toMatchObject([{ type: 'user.created', user: { email: userName } }]);
    expect(events[0]!.id).toMatch(new RegExp(`-${user.id}$`));
    expect(aws.calls.filter((call) => call.operation === 'SendMessage' && call.status === 500)).toHaveLength(3);
    expect(retries.length).toBeGreaterThanOrEqual(1);
  });

  it('a retried batch gives the same event ids (duplicates are harmless, and recognisable)', async () => {
    const user = valueOf(await directory.createUser(scimUser(unique('twice'))));
    await eventsAfterRelay();
    // The same stream record relayed twice, as Lambda does when a batch is retried.
    const record: DynamoDBRecord = {
      eventID: 'c81e728d9d4c2f636f067f89cc14862c',
      eventName: 'INSERT',
      dynamodb: { Keys: { pk: { S: `USER#${user.id}` }, sk: { S: 'GROUP#g-1' } }, SequenceNumber: '4000000000000000000001', ApproximateCreationDateTime: 1764500000 },
    };
    const queue = { bodies: [] as string[], enqueue: (_url: string, bodies: readonly string[]) => Promise.resolve(void queue.bodies.push(...bodies)), deadLetter: () => Promise.resolve() };
    const deps = { directory, queue, onboardingQueueUrl: QUEUE_URL, onboardingEventFor, log: new Logger('warn', () => {}) };
    expect(await relayStreamBatch({ Records: [record] }, (changes) => relayChanges(changes, deps))).toEqual({ batchItemFailures: [] });
    await relayStreamBatch({ Records: [record] }, (changes) => relayChanges(changes, deps));
    const [first, second] = queue.bodies.map((body) => JSON.parse(body) as { id: string; occurredAt: string });
    expect(first!.id).toBe(`scim-c81e728d9d4c2f636f067f89cc14862c-${user.id}`);
    expect(second).toEqual(first);
    expect(first!.occurredAt).toBe('2025-11-30T10:53:20.000Z');
  });

  it('leaves out, loudly, an event larger than SQS takes, and relays the rest of the batch', async () => {
    const users = await Promise.all([unique('huge'), unique('small')].map(async (n) => valueOf(await directory.createUser(scimUser(n)))));
    await eventsAfterRelay();
    const records: DynamoDBRecord[] = users.map((user, i) => ({
      eventID: `large-${i}`,
      eventName: 'INSERT',
      dynamodb: { Keys: { pk: { S: `USER#${user.id}` }, sk: { S: 'GROUP#g-1' } }, SequenceNumber: `60000000000000000000${i}` },
    }));
    // A user in hundreds of long-named groups: an event over SQS's 256 KiB.
    const padded: OnboardingEventFor = (user, groups, context) => {
      const event = onboardingEventFor(user, groups, context) as { user: { email: string; groups: string[] } } | undefined;
      if (event?.user.email.startsWith('huge')) event.user.groups = Array.from({ length: 300 }, (_, i) => `group-${i}-${'g'.repeat(1000)}`);
      return event;
    };
    const queue = { bodies: [] as string[], enqueue: (_url: string, bodies: readonly string[]) => Promise.resolve(void queue.bodies.push(...bodies)) };
    const errors: string[] = [];
    const deps = { directory, queue, onboardingQueueUrl: QUEUE_URL, onboardingEventFor: padded, log: new Logger('warn', (line) => errors.push(line)) };
    expect(await relayStreamBatch({ Records: records }, (changes) => relayChanges(changes, deps))).toEqual({ batchItemFailures: [] });
    expect(queue.bodies.map((body) => (JSON.parse(body) as { user: { email: string } }).user.email)).toEqual([users[1]!.attributes.userName]);
    expect(errors.map((line) => JSON.parse(line) as Record<string, unknown>)).toContainEqual(expect.objectContaining({ level: 'error', errorCode: 'EVENT_TOO_LARGE', userId: users[0]!.id }));
  });

  it('names the first record it could not relay, for Lambda to retry from', async () => {
    const users = await Promise.all([unique('p'), unique('q')].map(async (n) => valueOf(await directory.createUser(scimUser(n)))));
    await eventsAfterRelay();
    const records: DynamoDBRecord[] = users.map((user, i) => ({
      eventID: `event-${i}`,
      eventName: 'INSERT',
      dynamodb: { Keys: { pk: { S: `USER#${user.id}` }, sk: { S: 'GROUP#g-1' } }, SequenceNumber: `50000000000000000000${i}` },
    }));
    const refusing = { enqueue: () => Promise.reject(Object.assign(new Error('down'), { name: 'InternalError' })), deadLetter: () => Promise.resolve() };
    const deps = { directory, queue: refusing, onboardingQueueUrl: QUEUE_URL, onboardingEventFor, log: new Logger('warn', () => {}) };
    expect(await relayStreamBatch({ Records: records }, (changes) => relayChanges(changes, deps))).toEqual({ batchItemFailures: [{ itemIdentifier: '500000000000000000000' }] });
  });
});

describe('which stream records say something about a user (the adapter alone)', () => {
  const image = (id: string, doc: object, extra: Record<string, { S: string }> = {}) => ({
    pk: { S: `USER#${id}` },
    sk: { S: 'USER' },
    id: { S: id },
    version: { N: '2' },
    created: { S: '2026-11-30T00:00:00.000Z' },
    lastModified: { S: '2026-11-30T00:00:00.000Z' },
    doc: { S: JSON.stringify(doc) },
    ...extra,
  });
  const record = (eventName: 'INSERT' | 'MODIFY' | 'REMOVE', pk: string, sk: string, images: Pick<DynamoDBRecord['dynamodb'] & object, 'NewImage' | 'OldImage'> = {}, seq = '100'): DynamoDBRecord => ({
    eventID: `e-${seq}`,
    eventName,
    dynamodb: { Keys: { pk: { S: pk }, sk: { S: sk } }, SequenceNumber: seq, ...images },
  });

  it('keeps users, user-side memberships and group renames; ignores the rest', () => {
    const changes = directoryChangesOf([
      record('REMOVE', 'USER#u1', 'USER', { OldImage: image('u1', { userName: 'a@example.com' }) }, '1'),
      record('INSERT', 'USER#u2', 'GROUP#g1', {}, '2'),
      record('INSERT', 'GROUP#g1', 'MEMBER#u2', {}, '3'),
      record('MODIFY', 'USER#u2', 'GROUP#g1', {}, '4'),
      record('MODIFY', 'GROUP#g1', 'GROUP', { OldImage: { displayName: { S: 'Old' } }, NewImage: { displayName: { S: 'New' } } }, '5'),
      record('MODIFY', 'GROUP#g2', 'GROUP', { OldImage: { displayName: { S: 'Same' } }, NewImage: { displayName: { S: 'Same' } } }, '6'),
      record('INSERT', 'USERNAME#a@example.com', 'UNIQUE', {}, '7'),
      record('INSERT', 'USERS', 'u3', {}, '8'),
    ]);
    expect(changes).toEqual([
      { kind: 'user', userId: 'u1', before: expect.objectContaining({ id: 'u1', version: 2, attributes: { userName: 'a@example.com' } }), record: { eventId: 'e-1', sequenceNumber: '1' } },
      { kind: 'membership', userId: 'u2', groupId: 'g1', record: { eventId: 'e-2', sequenceNumber: '2' } },
      { kind: 'group-renamed', groupId: 'g1', record: { eventId: 'e-5', sequenceNumber: '5' } },
    ]);
  });

  it('orders sequence numbers as numbers, not as text', () => {
    expect(compareSequenceNumbers('99', '100')).toBeLessThan(0);
    expect(compareSequenceNumbers('300000000000000000001', '300000000000000000000')).toBeGreaterThan(0);
  });
});
