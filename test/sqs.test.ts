import { describe, expect, it } from 'vitest';
import type { OnboarderHandler } from '../lambda/functions/onboarder/app';
import { sqsRecord } from '../local/events';
import { batch, DIRECT_PROJECT, DLQ_URL, eventBridgeEvent, hireEvent, lambdaContext, PROJECT_A, PROJECT_B, snsNotification, SOURCE_QUEUE_URL, sqsEvent, useWorld, type World } from './harness';

let world: World;
let handler: OnboarderHandler;
useWorld((started) => {
  world = started;
  handler = world.handler();
});

/** The log lines with `message` about one SQS message. */
const linesOf = (message: string, messageId: string) =>
  world.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.message === message && line.messageId === messageId);
const attributesOf = (i: number) => {
  const m = world.aws.sentMessages[i]!;
  return { queueUrl: m.queueUrl, errorCode: m.attributes.errorCode?.StringValue, errorMessage: m.attributes.errorMessage?.StringValue };
};

describe('SQS batches', () => {
  it('acknowledge every message that succeeded: no batch item failures, nothing dead-lettered', async () => {
    const events = [hireEvent(), hireEvent(), hireEvent({ department: 'Legal' })];
    const answer = await batch(handler, sqsEvent(events));
    expect(answer).toEqual({ batchItemFailures: [] });
    expect(world.atlas.invitations()).toHaveLength(4);
    expect(world.aws.sentMessages).toHaveLength(0);
  });

  it('take SNS- and EventBridge-wrapped events', async () => {
    const sns = snsNotification(JSON.stringify(hireEvent({ department: 'Finance' })));
    const bridge = eventBridgeEvent(hireEvent({ department: 'Finance' }));
    const answer = await batch(handler, sqsEvent([sns, bridge]));
    expect(answer.batchItemFailures).toEqual([]);
    expect(world.atlas.invitations().map((i) => i.groupId)).toEqual([PROJECT_B, PROJECT_B]);
  });

  it('take a direct invite the rule file allows', async () => {
    const answer = await batch(handler, sqsEvent([{ groupId: DIRECT_PROJECT, username: 'grace@example.com', roles: ['GROUP_READ_ONLY'] }]));
    expect(answer.batchItemFailures).toEqual([]);
    expect(world.atlas.invitations()).toEqual([expect.objectContaining({ groupId: DIRECT_PROJECT, username: 'grace@example.com' })]);
  });

  it('name a message that failed for now among the batch item failures, and nothing else', async () => {
    world.atlas.injectFault({ kind: 'status', status: 503, errorCode: 'SERVICE_UNAVAILABLE' }, { on: 'invites', times: 1000 });
    const event = sqsEvent([hireEvent({ department: 'Finance' })]);
    const answer = await batch(handler, event);
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]!.messageId }]);
    expect(world.aws.sentMessages).toHaveLength(0);
  });

  it('dead-letter a permanent Atlas failure with its body unchanged and the reason, then acknowledge it', async () => {
    world.atlas.injectFault({ kind: 'status', status: 400, errorCode: 'INVALID_EMAIL_ADDRESS', detail: 'The address is not accepted.' }, { on: 'invites' });
    const event = sqsEvent([hireEvent({ department: 'Finance' })]);
    const answer = await batch(handler, event);
    expect(answer.batchItemFailures).toEqual([]);
    expect(world.aws.sentMessages).toHaveLength(1);
    expect(world.aws.sentMessages[0]!.body).toBe(event.Records[0]!.body);
    expect(attributesOf(0)).toEqual({ queueUrl: DLQ_URL, errorCode: 'INVALID_EMAIL_ADDRESS', errorMessage: `${PROJECT_B}: INVALID_EMAIL_ADDRESS: The address is not accepted.` });
  });

  it('dead-letter a body that is not JSON, as invalid_json', async () => {
    const event = sqsEvent(['hire ada please']);
    expect((await batch(handler, event)).batchItemFailures).toEqual([]);
    expect(world.aws.sentMessages[0]!.body).toBe('hire ada please');
    expect(attributesOf(0).errorCode).toBe('invalid_json');
  });

  it('dead-letter an invalid event, naming the field', async () => {
    const event = sqsEvent([{ source: 'hr', type: 'employee.hired', user: { email: 'ada\u202e@example.com' } }]);
    expect((await batch(handler, event)).batchItemFailures).toEqual([]);
    expect(attributesOf(0)).toMatchObject({ errorCode: 'invalid_event', errorMessage: 'user.email: must not contain control or bidirectional-override characters' });
    expect(world.atlas.requests).toHaveLength(0);
  });

  it('dead-letter a direct invite the rule file does not allow, saying so in a line with the event and message ids', async () => {
    const event = sqsEvent([{ id: 'direct-7', groupId: DIRECT_PROJECT, username: 'grace@example.com', roles: ['GROUP_OWNER'] }]);
    await batch(handler, event);
    expect(attributesOf(0).errorCode).toBe('direct_invite_not_allowed');
    expect(world.atlas.requests).toHaveLength(0);
    expect(linesOf('message dead-lettered', event.Records[0]!.messageId)).toEqual([
      expect.objectContaining({ eventId: 'direct-7', outcome: 'dead_lettered', errorCode: 'direct_invite_not_allowed' }),
    ]);
  });

  it('leave a message for redelivery when its dead-letter send fails', async () => {
    world.aws.failNext('SendMessage', { times: 10 });
    const event = sqsEvent(['not json']);
    const answer = await batch(handler, event);
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]!.messageId }]);
  });

  it('leave a message for redelivery, within the invocation, when SQS does not answer the dead-letter send', async () => {
    world.aws.failNext('SendMessage', { hang: true, times: 100 }); // reads every request, answers none
    const event = sqsEvent(['not json']);
    const started = Date.now();
    const answer = await batch(world.handler(), event, lambdaContext(1500));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]!.messageId }]);
    expect(world.aws.sentMessages).toHaveLength(0);
  });

  it('leave a message with several projects for redelivery if any failed for now, even if another failed for good', async () => {
    world.atlas.injectFault({ kind: 'status', status: 404, errorCode: 'GROUP_NOT_FOUND' }, { on: 'invites' });
    world.atlas.injectFault({ kind: 'status', status: 500, errorCode: 'UNEXPECTED_ERROR' }, { on: 'invites', times: 1000 });
    const event = sqsEvent([hireEvent()]);
    const answer = await batch(handler, event);
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]!.messageId }]);
    expect(world.aws.sentMessages).toHaveLength(0);
  });

  it('on redelivery, count the project already invited as done and dead-letter only what failed for good', async () => {
    const event = hireEvent();
    // An earlier delivery invited the person to project A; project B does not exist.
    world.atlas.seed({ groupId: PROJECT_A, username: event.user.email, roles: ['GROUP_DATA_ACCESS_READ_WRITE'] });
    world.atlas.configure({ duplicateInvite: 'conflict', projects: [PROJECT_A] });
    const answer = await batch(handler, sqsEvent([event]));
    expect(answer.batchItemFailures).toEqual([]);
    expect(world.aws.sentMessages).toHaveLength(1);
    expect(attributesOf(0).errorCode).toBe('GROUP_NOT_FOUND');
    expect(attributesOf(0).errorMessage).toMatch(new RegExp(`^${PROJECT_B}: GROUP_NOT_FOUND`));
    expect(attributesOf(0).errorMessage).not.toContain(PROJECT_A);
  });

  it('decide each message of a mixed batch on its own', async () => {
    world.atlas.injectFault({ kind: 'status', status: 400, errorCode: 'INVALID_EMAIL_ADDRESS' }, { on: 'invites' });
    const event = sqsEvent([
      hireEvent({ department: 'Finance', email: 'permanent@example.com' }),
      'garbage',
      hireEvent({ department: 'Legal' }),
      { groupId: DIRECT_PROJECT, username: 'grace@example.com', roles: ['GROUP_READ_ONLY'] },
    ]);
    const answer = await batch(handler, event, lambdaContext());
    expect(answer.batchItemFailures).toEqual([]);
    expect(world.aws.sentMessages.map((m) => m.attributes.errorCode?.StringValue).sort()).toEqual(['INVALID_EMAIL_ADDRESS', 'invalid_json']);

    world.atlas.injectFault({ kind: 'status', status: 503 }, { on: 'invites', times: 1000 });
    const transient = sqsEvent([hireEvent({ department: 'Finance' }), 'garbage again', hireEvent({ department: 'Legal' })]);
    const second = await batch(handler, transient);
    expect(second.batchItemFailures).toEqual([{ itemIdentifier: transient.Records[0]!.messageId }]);
  });

  it('hide a message until the wait Atlas asked for, when it is longer than the invocation has left', async () => {
    world.atlas.injectFault({ kind: 'status', status: 429, errorCode: 'RATE_LIMITED', retryAfter: '120' }, { on: 'invites' });
    const event = sqsEvent([hireEvent({ department: 'Finance' })]);
    const answer = await batch(handler, event, lambdaContext(10_000));
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]!.messageId }]);
    expect(world.atlas.count('invites')).toBe(1);
    expect(world.aws.visibilityChanges).toEqual([
      expect.objectContaining({ queueUrl: SOURCE_QUEUE_URL, receiptHandle: event.Records[0]!.receiptHandle, visibilityTimeout: 120 }),
    ]);
    const eventId = (JSON.parse(event.Records[0]!.body) as { id: string }).id;
    expect(linesOf('message delayed as Atlas asked', event.Records[0]!.messageId)).toEqual([
      expect.objectContaining({ eventId, outcome: 'redeliver', visibilityTimeoutSeconds: 120 }),
    ]);
  });

  it('wait within the invocation when the wait fits, and make no visibility change', async () => {
    world.atlas.injectFault({ kind: 'status', status: 429, errorCode: 'RATE_LIMITED', retryAfter: '1' }, { on: 'invites' });
    // A container of its own: the shared one was told to wait 120 s by the test before, and holds its calls (pacing).
    const answer = await batch(world.handler(), sqsEvent([hireEvent({ department: 'Finance' })]), lambdaContext(10_000));
    expect(answer.batchItemFailures).toEqual([]);
    expect(world.atlas.count('invites')).toBe(2);
    expect(world.aws.visibilityChanges).toEqual([]);
  });

  it('refuse to run without DEAD_LETTER_QUEUE_URL, failing the batch whole so nothing is lost', async () => {
    const noDlq = world.handler({ DEAD_LETTER_QUEUE_URL: undefined });
    await expect(noDlq(sqsEvent(['garbage']), lambdaContext())).rejects.toThrow(/DEAD_LETTER_QUEUE_URL/);
    expect(world.aws.sentMessages).toHaveLength(0);
  });

  it('run records concurrently, at most BATCH_CONCURRENCY at a time', async () => {
    const limited = world.handler({ BATCH_CONCURRENCY: '3' });
    world.atlas.configure({ latencyMs: 300 });
    const answer = await batch(limited, sqsEvent(Array.from({ length: 9 }, () => hireEvent({ department: 'Finance' }))));
    expect(answer.batchItemFailures).toEqual([]);
    // Requests arrive in waves of three, one wave per 300 ms answer.
    const arrivals = world.atlas.requests.filter((r) => r.endpoint === 'invites').map((r) => r.at);
    const waves: number[][] = [];
    for (const at of arrivals) {
      const wave = waves.at(-1);
      if (wave && at - wave[0]! < 150) wave.push(at);
      else waves.push([at]);
    }
    expect(waves.map((w) => w.length)).toEqual([3, 3, 3]);
  });
});

// Contract section 7, v2.
describe('FIFO queues and redeliveries', () => {
  const FIFO_ARN = 'arn:aws:sqs:us-east-1:123456789012:onboarding.fifo';

  it('on a FIFO queue, after a message of a group fails for now, leave the rest of that group unprocessed and failed too', async () => {
    const handler = world.handler({ BATCH_CONCURRENCY: '1', ATLAS_MAX_ATTEMPTS: '2' });
    world.atlas.injectFault({ kind: 'status', status: 503, errorCode: 'SERVICE_UNAVAILABLE' }, { on: 'invites', times: 2 });
    const [a1, a2, b1] = [hireEvent({ department: 'Finance' }), hireEvent({ department: 'Finance' }), hireEvent({ department: 'Finance' })];
    const records = [
      sqsRecord(a1, { queueArn: FIFO_ARN, messageGroupId: 'person-a' }),
      sqsRecord(a2, { queueArn: FIFO_ARN, messageGroupId: 'person-a' }),
      sqsRecord(b1, { queueArn: FIFO_ARN, messageGroupId: 'person-b' }),
    ];
    const answer = await batch(handler, { Records: records });
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: records[0]!.messageId }, { itemIdentifier: records[1]!.messageId }]);
    const asked = world.atlas.requests.filter((r) => r.endpoint === 'invites').map((r) => (r.body as { username: string }).username);
    expect(asked).not.toContain(a2.user.email);
    expect(world.atlas.invitations().map((i) => i.username)).toEqual([b1.user.email]);
  });

  it('on a standard queue, the messages of a batch are decided each on its own', async () => {
    const handler = world.handler({ BATCH_CONCURRENCY: '1', ATLAS_MAX_ATTEMPTS: '2' });
    world.atlas.injectFault({ kind: 'status', status: 503, errorCode: 'SERVICE_UNAVAILABLE' }, { on: 'invites', times: 2 });
    const event = sqsEvent([hireEvent({ department: 'Finance' }), hireEvent({ department: 'Finance' })]);
    const answer = await batch(handler, event);
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]!.messageId }]);
    expect(world.atlas.invitations()).toHaveLength(1);
  });

  it('a redelivery of a message this container dead-lettered (a crash before the acknowledgement) is not dead-lettered twice', async () => {
    const handler = world.handler();
    const delivery = sqsEvent(['not json']);
    expect((await batch(handler, delivery)).batchItemFailures).toEqual([]);
    const again = { Records: [{ ...delivery.Records[0]!, receiptHandle: 'second-receipt', attributes: { ...delivery.Records[0]!.attributes, ApproximateReceiveCount: '2' } }] };
    expect((await batch(handler, again)).batchItemFailures).toEqual([]);
    expect(world.aws.sentMessages).toHaveLength(1);
    // Should a crash ever make it two, both name the one original message.
    expect(world.aws.sentMessages[0]!.attributes.originalMessageId?.StringValue).toBe(delivery.Records[0]!.messageId);
  });
});
