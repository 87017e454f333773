import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { headerMatches, standardWebhookVerified } from '../lambda/adapters/webhooks/signatures';
import { PartialEnqueueError, sqsQueueActions } from '../lambda/aws/sqs';
import { parseQueuedEvent } from '../lambda/core/requests';
import { createHandler, type WebhookIngressHandler } from '../lambda/functions/webhook-ingress/app';
import { ConfigError, loadConfig } from '../lambda/functions/webhook-ingress/config';
import { startAwsEndpoints, type AwsEndpoints } from '../sandbox';
import { DLQ_URL, httpApiEvent, lambdaContext, restEvent, SOURCE_QUEUE_URL } from './harness';

/**
 * The webhook ingress (contract section 11) against loopback Secrets Manager and SQS, through the real SDK clients and
 * the real handler: Okta event hooks and Standard Webhooks in, onboarding events on the queue.
 */

const OKTA_SECRET = 'Basic b2t0YS1ob29rOmNvcnJlY3QtaG9yc2UtYmF0dGVyeQ==';
const OKTA_NEXT_SECRET = 'Basic bmV4dC1ob29rLXNlY3JldC12YWx1ZQ==';
const HR_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const HR_NEXT_SECRET = 'whsec_c2Vjb25kLXNpZ25pbmcta2V5LWZvci1yb3RhdGlvbg==';
const CONNECTIONS = {
  connections: [
    { name: 'okta', kind: 'okta-event-hook', secretId: 'hooks/okta', oktaOrgUrl: 'https://acme.okta.com' },
    { name: 'okta-custom', kind: 'okta-event-hook', secretId: 'hooks/okta-custom', header: 'X-Hook-Secret' },
    { name: 'hr-bridge', kind: 'standard-webhooks', secretId: 'hooks/hr-bridge', source: 'hr' },
    { name: 'lost', kind: 'standard-webhooks', secretId: 'hooks/not-stored', source: 'hr' },
  ],
};
const SECRETS = {
  'hooks/okta': JSON.stringify({ values: [OKTA_SECRET] }),
  'hooks/okta-custom': JSON.stringify({ values: ['custom-header-secret-value'] }),
  'hooks/hr-bridge': JSON.stringify({ values: [HR_SECRET] }),
};

let aws: AwsEndpoints;
let handler: WebhookIngressHandler;
const logs: string[] = [];
const env = () => ({
  CONNECTIONS: JSON.stringify(CONNECTIONS),
  ONBOARDING_QUEUE_URL: SOURCE_QUEUE_URL,
  DEAD_LETTER_QUEUE_URL: DLQ_URL,
  AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
  AWS_ENDPOINT_URL_SQS: aws.url,
  AWS_REGION: 'us-east-1',
  LOG_LEVEL: 'debug',
});
/** A fresh container: nothing cached. */
const freshHandler = () => createHandler(env(), { logSink: (line) => logs.push(line) });

beforeAll(async () => {
  aws = await startAwsEndpoints({ secrets: SECRETS });
});
afterAll(async () => {
  await aws.close();
  // No line, in any test, carried a secret value or an offered credential.
  for (const secret of [OKTA_SECRET, OKTA_NEXT_SECRET, HR_SECRET, HR_NEXT_SECRET, 'custom-header-secret-value', 'b2t0YS1ob29r', 'Basic ']) {
    expect(logs.filter((line) => line.includes(secret))).toEqual([]);
  }
});
beforeEach(() => {
  aws.reset();
  handler = freshHandler();
});

async function send(event: unknown) {
  const answer = await handler(event, lambdaContext());
  return { status: answer.statusCode, headers: answer.headers, text: answer.body, body: answer.body ? (JSON.parse(answer.body) as Record<string, unknown>) : undefined };
}
const queued = () => aws.sentMessages.filter((m) => m.queueUrl === SOURCE_QUEUE_URL).map((m) => JSON.parse(m.body) as Record<string, unknown>);
const deadLetters = () => aws.sentMessages.filter((m) => m.queueUrl === DLQ_URL);

// ---------------------------------------------------------------------------------------------------------------
// Okta
// ---------------------------------------------------------------------------------------------------------------

const user = (id: string, login: string) => ({ id, type: 'User', alternateId: login, displayName: 'Ada Lovelace', detailEntry: null });
const oktaEvent = (eventType: string, target: unknown, uuid: string) => ({ uuid, published: '2026-11-30T09:00:00.000Z', eventType, version: '0', target });
const delivery = (events: unknown[]) => ({
  eventType: 'com.okta.event_hook',
  eventTypeVersion: '1.0',
  cloudEventsVersion: '0.1',
  source: 'https://acme.okta.com/api/v1/eventHooks/who76u07z3iS7dl2P5d7',
  eventId: '0d6c348d-a771-49dd-9eb7-655167f26501',
  data: { events },
});

describe('Okta event hook verification (GET /hooks/{name})', () => {
  it.each(['x-okta-verification-challenge', 'X-Okta-Verification-Challenge', 'X-OKTA-VERIFICATION-CHALLENGE'])('echoes the challenge sent as %s', async (name) => {
    const answer = await send(restEvent({ method: 'GET', path: '/hooks/okta', headers: { [name]: 'chal-123', Authorization: OKTA_SECRET } }));
    expect(answer).toMatchObject({ status: 200, body: { verification: 'chal-123' } });
  });

  it('works through an HTTP API event and a configured header name', async () => {
    const answer = await send(httpApiEvent({ method: 'GET', path: '/hooks/okta-custom', headers: { 'x-okta-verification-challenge': 'c2', 'x-hook-secret': 'custom-header-secret-value' } }));
    expect(answer).toMatchObject({ status: 200, body: { verification: 'c2' } });
  });

  it('answers 401 without a valid secret header, 400 without a challenge', async () => {
    expect((await send(restEvent({ method: 'GET', path: '/hooks/okta', headers: { 'x-okta-verification-challenge': 'c' } }))).status).toBe(401);
    expect((await send(restEvent({ method: 'GET', path: '/hooks/okta', headers: { 'x-okta-verification-challenge': 'c', authorization: `${OKTA_SECRET}x` } }))).status).toBe(401);
    const noChallenge = await send(restEvent({ method: 'GET', path: '/hooks/okta', headers: { authorization: OKTA_SECRET } }));
    expect(noChallenge).toMatchObject({ status: 400, body: { error: 'missing_challenge' } });
  });

  it('answers 404 to a connection that does not exist', async () => {
    const answer = await send(restEvent({ method: 'GET', path: '/hooks/nobody', headers: { authorization: OKTA_SECRET } }));
    expect(answer).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(aws.secretRequests).toHaveLength(0);
  });
});

describe('Okta event hook delivery (POST /hooks/{name})', () => {
  const mixed = delivery([
    oktaEvent('user.lifecycle.create', [user('00u1', 'ada@example.com')], 'e-1'),
    oktaEvent('group.user_membership.add', [{ id: '00g9', type: 'UserGroup', alternateId: 'unknown', displayName: 'atlas-analytics-readers' }, user('00u2', 'grace@example.com')], 'e-2'),
    oktaEvent('user.session.start', [user('00u3', 'skip@example.com')], 'e-3'),
    oktaEvent('user.lifecycle.deactivate', null, 'e-4'),
    oktaEvent('user.account.update_profile', [user('00u5', 'not-an-address')], 'e-5'),
  ]);

  it('queues one onboarding event per translatable event, skips the others and dead-letters one with no User target', async () => {
    const answer = await send(restEvent({ method: 'POST', path: '/hooks/okta', headers: { Authorization: OKTA_SECRET }, body: mixed }));
    expect(answer).toMatchObject({ status: 204, text: '' });
    expect(queued()).toEqual([
      { id: 'e-1', source: 'sso', type: 'user.created', occurredAt: '2026-11-30T09:00:00.000Z', origin: { connection: 'okta', userId: '00u1' }, user: { email: 'ada@example.com' } },
      {
        id: 'e-2',
        source: 'sso',
        type: 'group.member.added',
        occurredAt: '2026-11-30T09:00:00.000Z',
        group: 'atlas-analytics-readers',
        origin: { connection: 'okta', userId: '00u2' },
        user: { email: 'grace@example.com' },
      },
      // A login that is not an address: queued without one, for the onboarder to read the person by id.
      { id: 'e-5', source: 'sso', type: 'user.updated', occurredAt: '2026-11-30T09:00:00.000Z', origin: { connection: 'okta', userId: '00u5' }, user: {} },
    ]);
    for (const body of queued()) expect(parseQueuedEvent(body).ok).toBe(true);
    expect(deadLetters()).toHaveLength(1);
    expect(JSON.parse(deadLetters()[0]!.body)).toEqual(mixed.data.events[3]);
    expect(deadLetters()[0]!.attributes.errorCode?.StringValue).toBe('untranslatable_event');
    expect(aws.calls.map((c) => c.operation).filter((o) => o.startsWith('Send')).sort()).toEqual(['SendMessage', 'SendMessageBatch']);
    const line = logs.map((l) => JSON.parse(l) as Record<string, unknown>).findLast((l) => l.message === 'okta delivery queued');
    expect(line).toMatchObject({ events: 5, queued: 3, skipped: 1, deadLettered: 1, connection: 'okta' });
  });

  it('sends a large delivery in batches of ten', async () => {
    const events = Array.from({ length: 23 }, (_, i) => oktaEvent('user.lifecycle.activate', [user(`00u${i}`, `p${i}@example.com`)], `b-${i}`));
    const answer = await send(httpApiEvent({ method: 'POST', path: '/hooks/okta', headers: { authorization: OKTA_SECRET }, body: delivery(events) }));
    expect(answer.status).toBe(204);
    expect(queued().map((e) => e.id).sort()).toEqual(events.map((e) => e.uuid).sort());
    expect(aws.calls.filter((c) => c.operation === 'SendMessageBatch')).toHaveLength(3);
  });

  it.each([
    ['a wrong secret header', { authorization: 'Basic d3Jvbmc6c2VjcmV0' }],
    ['no secret header', {}],
    ['the secret in another header', { 'x-okta-secret': OKTA_SECRET }],
  ])('answers 401 with no detail to %s, queues nothing and logs no credential', async (_, headers) => {
    const before = logs.length;
    const answer = await send(restEvent({ method: 'POST', path: '/hooks/okta', headers, body: mixed }));
    expect(answer).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect(Object.keys(answer.body!)).toEqual(['error']);
    expect(aws.sentMessages).toHaveLength(0);
    expect(logs.slice(before).join('\n')).not.toContain('d3Jvbmc6c2VjcmV0');
  });

  it('accepts either value of a secret being rotated', async () => {
    aws.setSecret('hooks/okta', JSON.stringify({ values: [OKTA_SECRET, OKTA_NEXT_SECRET] }));
    for (const secret of [OKTA_SECRET, OKTA_NEXT_SECRET]) {
      const answer = await send(restEvent({ method: 'GET', path: '/hooks/okta', headers: { authorization: secret, 'x-okta-verification-challenge': 'r' } }));
      expect(answer.status).toBe(200);
    }
    expect(aws.secretRequests).toHaveLength(1);
  });

  it('answers 503 when SQS refuses, and a retry enqueues', async () => {
    const body = delivery([oktaEvent('user.lifecycle.create', [user('00u1', 'ada@example.com')], 'r-1'), oktaEvent('user.lifecycle.create', [user('00u2', 'bob@example.com')], 'r-2')]);
    // The SDK tries three times: SQS refuses every one.
    aws.failNext('SendMessageBatch', { times: 3, type: 'ServiceUnavailable', status: 503 });
    const refused = await send(restEvent({ method: 'POST', path: '/hooks/okta', headers: { authorization: OKTA_SECRET }, body }));
    expect(refused.status).toBe(503);
    expect(queued()).toHaveLength(0);
    const retried = await send(restEvent({ method: 'POST', path: '/hooks/okta', headers: { authorization: OKTA_SECRET }, body }));
    expect(retried.status).toBe(204);
    expect(queued().map((e) => e.id)).toEqual(['r-1', 'r-2']);
  });

  it('keeps each SendMessageBatch within SQS’s 256 KiB, so large events are not refused as a batch again and again', async () => {
    const bodies = Array.from({ length: 10 }, (_, i) => JSON.stringify({ n: i, pad: 'x'.repeat(60_000) }));
    await sqsQueueActions(env()).enqueue(SOURCE_QUEUE_URL, bodies, 2_000);
    expect(aws.sentMessages.map((m) => (JSON.parse(m.body) as { n: number }).n).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('treats a batch SQS took only part of as a failure', async () => {
    // SQS refuses a body with a character outside XML's: one such entry among valid ones, in the second batch of ten.
    const bodies = Array.from({ length: 12 }, (_, i) => (i === 11 ? 'bad \u0000 body' : JSON.stringify({ n: i })));
    const queue = sqsQueueActions(env());
    const sent = queue.enqueue(SOURCE_QUEUE_URL, bodies, 2_000);
    await expect(sent).rejects.toBeInstanceOf(PartialEnqueueError);
    await expect(sent).rejects.toMatchObject({ failed: 1, total: 12 });
    expect(aws.sentMessages).toHaveLength(11);
  });

  it('answers 400 to a body that is not an Okta delivery, queuing nothing', async () => {
    const answer = await send(restEvent({ method: 'POST', path: '/hooks/okta', headers: { authorization: OKTA_SECRET }, body: { eventType: 'something.else', data: {} } }));
    expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_event', issues: [{ path: 'eventType' }] } });
    expect(aws.sentMessages).toHaveLength(0);
  });
});

describe('a connection secret that cannot be read', () => {
  it('answers 503, never 401, and logs an error line', async () => {
    const before = logs.length;
    const answer = await send(restEvent({ method: 'POST', path: '/hooks/lost', headers: signedHeaders('{}', HR_SECRET), body: '{}' }));
    expect(answer).toMatchObject({ status: 503, body: { error: 'unavailable' } });
    expect(logs.slice(before).some((l) => (JSON.parse(l) as { level: string }).level === 'error')).toBe(true);
    aws.failNext('GetSecretValue', { type: 'AccessDeniedException', status: 400 });
    expect((await send(restEvent({ method: 'GET', path: '/hooks/okta', headers: { authorization: 'wrong', 'x-okta-verification-challenge': 'c' } }))).status).toBe(503);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Standard Webhooks
// ---------------------------------------------------------------------------------------------------------------

/** Headers signed by the spec's own library. */
function signedHeaders(body: string, secret: string, options: { id?: string; at?: number } = {}): Record<string, string> {
  const id = options.id ?? `msg_${Math.random().toString(36).slice(2)}`;
  const at = options.at ?? Math.floor(Date.now() / 1000);
  return { 'webhook-id': id, 'webhook-timestamp': String(at), 'webhook-signature': new Webhook(secret).sign(id, new Date(at * 1000), body) };
}
const hrEvent = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({ source: 'hr', type: 'employee.hired', user: { email: 'ada@example.com', department: 'Data Platform' }, ...fields });

describe('the signature checks', () => {
  // The test vector of shared/research/integrations.md section 4 (Python's hmac and standardwebhooks 1.1.1 agree).
  const vector = { id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp: '1614265330', body: Buffer.from('{"test": 2432232314}') };
  const signature = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

  it('accepts the specification library’s test vector, and nothing near it', () => {
    const at = 1614265330;
    expect(standardWebhookVerified({ ...vector, signature }, [HR_SECRET], at)).toBe(true);
    expect(standardWebhookVerified({ ...vector, signature }, [HR_NEXT_SECRET, HR_SECRET], at + 300)).toBe(true);
    expect(standardWebhookVerified({ ...vector, signature }, [HR_SECRET], at + 301)).toBe(false);
    expect(standardWebhookVerified({ ...vector, signature }, [HR_NEXT_SECRET], at)).toBe(false);
    expect(standardWebhookVerified({ ...vector, signature: signature.replace('v1,', 'v1a,') }, [HR_SECRET], at)).toBe(false);
    expect(standardWebhookVerified({ ...vector, timestamp: '1614265330abc', signature }, [HR_SECRET], at)).toBe(false);
    expect(standardWebhookVerified({ ...vector, body: Buffer.from('{"test":2432232314}'), signature }, [HR_SECRET], at)).toBe(false);
  });

  it('matches a header value only exactly', () => {
    expect(headerMatches(OKTA_SECRET, [OKTA_NEXT_SECRET, OKTA_SECRET])).toBe(true);
    for (const offered of [undefined, '', OKTA_SECRET.slice(0, -1), `${OKTA_SECRET} `, OKTA_SECRET.toLowerCase()]) expect(headerMatches(offered, [OKTA_SECRET])).toBe(false);
  });
});

describe('Standard Webhooks (POST /hooks/{name})', () => {
  it('queues a validly signed event with the webhook-id as its id and the connection as its origin: 202', async () => {
    const body = hrEvent();
    const answer = await send(restEvent({ method: 'POST', path: '/hooks/hr-bridge', headers: signedHeaders(body, HR_SECRET, { id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W' }), body }));
    expect(answer).toMatchObject({ status: 202, body: { eventId: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W' } });
    expect(queued()).toEqual([
      { id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', source: 'hr', type: 'employee.hired', origin: { connection: 'hr-bridge' }, user: { email: 'ada@example.com', department: 'Data Platform' } },
    ]);
    expect(aws.calls.filter((c) => c.operation === 'SendMessage')).toHaveLength(1);
  });

  it('keeps an id the sender gave', async () => {
    const body = hrEvent({ id: 'hr-42' });
    expect((await send(httpApiEvent({ method: 'POST', path: '/hooks/hr-bridge', headers: signedHeaders(body, HR_SECRET), body }))).body).toEqual({ eventId: 'hr-42' });
  });

  it('verifies a base64-encoded API Gateway body over its decoded bytes', async () => {
    const body = hrEvent({ id: 'b64-1', user: { email: 'zoë@example.com' } });
    const answer = await send(restEvent({ method: 'POST', path: '/hooks/hr-bridge', headers: signedHeaders(body, HR_SECRET), body, base64: true }));
    expect(answer.status).toBe(400); // the address is not ASCII: the signature held, the event did not
    const ascii = hrEvent({ id: 'b64-2', title: 'Ingénieure' });
    const ok = await send(restEvent({ method: 'POST', path: '/hooks/hr-bridge', headers: signedHeaders(ascii, HR_SECRET), body: ascii, base64: true }));
    expect(ok).toMatchObject({ status: 202, body: { eventId: 'b64-2' } });
  });

  it('accepts one valid v1 signature among several, and either value of a rotated secret', async () => {
    aws.setSecret('hooks/hr-bridge', JSON.stringify({ values: [HR_SECRET, HR_NEXT_SECRET] }));
    const body = hrEvent({ id: 'multi' });
    const good = signedHeaders(body, HR_NEXT_SECRET, { id: 'm-1' });
    const wrong = signedHeaders(body, 'whsec_d3JvbmctZnJvbS10aGUtc3RhcnQ=', { id: 'm-1' })['webhook-signature'];
    const headers = { ...good, 'webhook-signature': `${wrong} v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg== ${good['webhook-signature']}` };
    expect((await send(restEvent({ method: 'POST', path: '/hooks/hr-bridge', headers, body }))).status).toBe(202);
    const old = hrEvent({ id: 'old-key' });
    expect((await send(restEvent({ method: 'POST', path: '/hooks/hr-bridge', headers: signedHeaders(old, HR_SECRET), body: old }))).status).toBe(202);
  });

  it.each([
    ['a wrong signature', (body: string) => ({ ...signedHeaders(body, HR_SECRET), 'webhook-signature': signedHeaders(body, HR_NEXT_SECRET)['webhook-signature'] })],
    ['a body changed after signing', (body: string) => signedHeaders(`${body} `, HR_SECRET)],
    ['a timestamp 301 s old', (body: string) => signedHeaders(body, HR_SECRET, { at: Math.floor(Date.now() / 1000) - 301 })],
    ['a timestamp 301 s ahead', (body: string) => signedHeaders(body, HR_SECRET, { at: Math.floor(Date.now() / 1000) + 301 })],
    ['no signature', (body: string) => ({ ...signedHeaders(body, HR_SECRET), 'webhook-signature': '' })],
    ['no headers', () => ({})],
  ])('answers 401 to %s and queues nothing', async (_, headersFor) => {
    const body = hrEvent();
    const answer = await send(restEvent({ method: 'POST', path: '/hooks/hr-bridge', headers: headersFor(body), body }));
    expect(answer).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect(aws.sentMessages).toHaveLength(0);
  });

  it('accepts a timestamp within the 5-minute window either way', async () => {
    for (const offset of [-290, 290]) {
      const body = hrEvent();
      expect((await send(restEvent({ method: 'POST', path: '/hooks/hr-bridge', headers: signedHeaders(body, HR_SECRET, { at: Math.floor(Date.now() / 1000) + offset }), body }))).status).toBe(202);
    }
  });

  it('answers 400 naming source to an event claiming a source that is not the connection’s', async () => {
    const body = JSON.stringify({ source: 'sso', type: 'user.created', user: { email: 'ada@example.com' } });
    const answer = await send(restEvent({ method: 'POST', path: '/hooks/hr-bridge', headers: signedHeaders(body, HR_SECRET), body }));
    expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_event', issues: [{ path: 'source' }] } });
    expect(aws.sentMessages).toHaveLength(0);
  });

  it('answers 400 with issues to an invalid event or a direct invite, queuing nothing', async () => {
    for (const body of [hrEvent({ user: { department: 'x' } }), JSON.stringify({ groupId: '5f1e2d3c4b5a69788796a5b4', username: 'a@example.com', roles: ['GROUP_READ_ONLY'] }), 'not json']) {
      const answer = await send(restEvent({ method: 'POST', path: '/hooks/hr-bridge', headers: signedHeaders(body, HR_SECRET), body }));
      expect(answer.status).toBe(400);
      expect(answer.body).toHaveProperty('issues');
    }
    expect(aws.sentMessages).toHaveLength(0);
  });

  it('answers 503 when SQS refuses the event', async () => {
    aws.failNext('SendMessage', { times: 3, status: 500 });
    const body = hrEvent();
    expect((await send(restEvent({ method: 'POST', path: '/hooks/hr-bridge', headers: signedHeaders(body, HR_SECRET), body }))).status).toBe(503);
  });

  it('answers 413 to a body over 256 KiB, on either kind of hook', async () => {
    const body = hrEvent({ title: 'x'.repeat(256 * 1024) });
    expect((await send(restEvent({ method: 'POST', path: '/hooks/hr-bridge', headers: signedHeaders(body, HR_SECRET), body }))).status).toBe(413);
    expect((await send(restEvent({ method: 'POST', path: '/hooks/okta', headers: { authorization: OKTA_SECRET }, body, base64: true }))).status).toBe(413);
    expect(aws.sentMessages).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------------------------

describe('rejected signatures, as a metric (contract section 8)', () => {
  /** The EMF lines one request wrote, parsed. */
  async function emfOf(event: unknown): Promise<Record<string, unknown>[]> {
    const before = logs.length;
    await send(event);
    return logs
      .slice(before)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => '_aws' in entry);
  }
  const rejected = (timestamp: unknown) => ({
    _aws: { Timestamp: timestamp, CloudWatchMetrics: [{ Namespace: 'AtlasOnboarder', Dimensions: [['Function']], Metrics: [{ Name: 'RejectedSignatures', Unit: 'Count' }] }] },
    Function: 'webhook-ingress',
    RejectedSignatures: 1,
  });
  const stale = Math.floor(Date.now() / 1000) - 301;

  it.each([
    ['a wrong Okta secret header', () => restEvent({ method: 'POST', path: '/hooks/okta', headers: { authorization: 'Basic d3Jvbmc6c2VjcmV0' }, body: delivery([]) })],
    ['no Okta secret header on the verification GET', () => restEvent({ method: 'GET', path: '/hooks/okta', headers: { 'x-okta-verification-challenge': 'c' } })],
    ['a bad Standard Webhooks signature', () => restEvent({ method: 'POST', path: '/hooks/hr-bridge', headers: signedHeaders(hrEvent(), HR_NEXT_SECRET), body: hrEvent() })],
    ['a stale Standard Webhooks timestamp', () => restEvent({ method: 'POST', path: '/hooks/hr-bridge', headers: signedHeaders(hrEvent(), HR_SECRET, { at: stale }), body: hrEvent() })],
    ['no Standard Webhooks headers', () => httpApiEvent({ method: 'POST', path: '/hooks/hr-bridge', headers: {}, body: hrEvent() })],
  ])('counts one for %s, in one EMF line of namespace AtlasOnboarder under Function=webhook-ingress', async (_, event) => {
    const emf = await emfOf(event());
    expect(emf).toEqual([rejected(expect.any(Number))]);
    // The connection is named on the log line, not in a dimension; the offered credential on neither.
    const line = logs.map((l) => JSON.parse(l) as Record<string, unknown>).findLast((l) => l.message === 'request rejected');
    expect(line).toMatchObject({ status: 401, outcome: 'unauthorized' });
    expect(['okta', 'hr-bridge']).toContain(line!.connection);
  });

  it('counts nothing for a request that authenticated, an unknown hook, a body too large or a secret that cannot be read', async () => {
    const body = hrEvent();
    expect(await emfOf(restEvent({ method: 'POST', path: '/hooks/hr-bridge', headers: signedHeaders(body, HR_SECRET), body }))).toEqual([]);
    expect(await emfOf(restEvent({ method: 'GET', path: '/hooks/okta', headers: { authorization: OKTA_SECRET, 'x-okta-verification-challenge': 'c' } }))).toEqual([]);
    expect(await emfOf(restEvent({ method: 'POST', path: '/hooks/nobody', headers: {}, body: '{}' }))).toEqual([]);
    const large = hrEvent({ title: 'x'.repeat(256 * 1024) });
    expect(await emfOf(restEvent({ method: 'POST', path: '/hooks/hr-bridge', headers: {}, body: large }))).toEqual([]);
    expect(await emfOf(restEvent({ method: 'POST', path: '/hooks/lost', headers: signedHeaders('{}', HR_SECRET), body: '{}' }))).toEqual([]);
  });

  it('counts each rejection of a container once, flushed with its own invocation', async () => {
    const wrong = () => restEvent({ method: 'POST', path: '/hooks/okta', headers: { authorization: 'wrong' }, body: delivery([]) });
    expect((await emfOf(wrong())).map((e) => e.RejectedSignatures)).toEqual([1]);
    expect((await emfOf(wrong())).map((e) => e.RejectedSignatures)).toEqual([1]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Hostile input
// ---------------------------------------------------------------------------------------------------------------

describe('hostile input', () => {
  const RUN = { numRuns: 300, endOnFailure: true } as const;
  const bodyText = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.json({ maxDepth: 3 }),
    fc.jsonValue({ maxDepth: 3 }).map((data) => JSON.stringify({ eventType: 'com.okta.event_hook', data: { events: [data] } })),
    fc.jsonValue({ maxDepth: 3 }).map((target) => JSON.stringify(delivery([oktaEvent('group.user_membership.add', target, 'h')]))),
    fc.record({ source: fc.constantFrom('hr', 'sso', 7), type: fc.string(), user: fc.jsonValue(), origin: fc.jsonValue(), id: fc.jsonValue() }).map((v) => JSON.stringify(v)),
  );
  const headerValue = fc.oneof(fc.string({ maxLength: 80 }), fc.constant(OKTA_SECRET));

  it('never answers a 5xx, signed or not, to either kind of hook', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/hooks/okta', '/hooks/hr-bridge', '/hooks/', '/hooks/OKTA', '/hooks/okta/x', '/hooks/__proto__', '/hooks/constructor'),
        fc.constantFrom('GET', 'POST', 'PUT'),
        bodyText,
        fc.boolean(),
        fc.boolean(),
        fc.dictionary(fc.constantFrom('authorization', 'Authorization', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-okta-verification-challenge'), headerValue),
        async (path, method, body, sign, base64, extra) => {
          const headers = { ...extra, ...(sign && { ...signedHeaders(body, HR_SECRET), authorization: OKTA_SECRET }) };
          const answer = await handler((base64 ? httpApiEvent : restEvent)({ method, path, headers, body, base64 }), lambdaContext());
          expect(answer.statusCode).toBeLessThan(500);
        },
      ),
      RUN,
    );
    // What did reach the queue is a valid queued event.
    for (const body of queued()) expect(parseQueuedEvent(body).ok).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------------------------

describe('webhook-ingress configuration', () => {
  const valid = { CONNECTIONS: JSON.stringify(CONNECTIONS), ONBOARDING_QUEUE_URL: SOURCE_QUEUE_URL, DEAD_LETTER_QUEUE_URL: DLQ_URL };
  const errorOf = (vars: Record<string, string | undefined>) => {
    try {
      loadConfig(vars);
    } catch (err) {
      return err as ConfigError;
    }
    throw new Error('loadConfig accepted it');
  };

  it('reads the connections by name', () => {
    expect([...loadConfig(valid).connections.keys()]).toEqual(['okta', 'okta-custom', 'hr-bridge', 'lost']);
    expect(loadConfig({ ...valid, CONNECTIONS: undefined, CONNECTIONS_FILE: 'examples/connections.json' }).connections.get('okta')).toMatchObject({ header: 'authorization' });
  });

  it('names the connection at fault in a bad connections file', () => {
    const bad = { connections: [...CONNECTIONS.connections, { name: 'workday', kind: 'standard-webhooks', secretId: 'hooks/workday', source: 'payroll' }] };
    const err = errorOf({ ...valid, CONNECTIONS: JSON.stringify(bad) });
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.variable).toBe('CONNECTIONS');
    expect(err.message).toContain('connection "workday" at source');
    const duplicate = errorOf({ ...valid, CONNECTIONS: JSON.stringify({ connections: [CONNECTIONS.connections[0], CONNECTIONS.connections[0]] }) });
    expect(duplicate.message).toContain('connection "okta" at name: duplicate connection name "okta"');
  });

  it.each([
    ['ONBOARDING_QUEUE_URL', { ONBOARDING_QUEUE_URL: undefined }],
    ['DEAD_LETTER_QUEUE_URL', { DEAD_LETTER_QUEUE_URL: 'not a url' }],
    ['CONNECTIONS_FILE', { CONNECTIONS: undefined }],
    ['CONNECTIONS_FILE', { CONNECTIONS: undefined, CONNECTIONS_FILE: '/nonexistent/connections.json' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
  ])('names %s when it is wrong', (variable, change) => {
    expect(errorOf({ ...valid, ...change }).variable).toBe(variable);
  });
});
