import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../lambda/functions/onboarder/config';
import { createHandler as createIngress } from '../lambda/functions/webhook-ingress/app';
import { startOktaSandbox, type OktaSandbox } from '../sandbox';
import {
  batch,
  call,
  DLQ_URL,
  lambdaContext,
  OKTA_API_SECRET_ID,
  OKTA_API_TOKEN,
  PROJECT_A,
  PROJECT_B,
  restEvent,
  RULES,
  SOURCE_QUEUE_URL,
  sqsEvent,
  useWorld,
  type World,
} from './harness';

/**
 * Reading the person from Okta (contract section 12): events as the webhook ingress queues them (an Okta id, often no
 * address), through the real onboarder, against the Okta stand-in, the Atlas sandbox and the AWS endpoints on
 * loopback, with the real SDK clients. The world's teardown fails the file if a log line carries the Okta token.
 */

let world: World;
useWorld((started) => (world = started));

const FORBIDDEN_TOKEN = '00okta_forbidden_T0ken-Whose-Admin-May-Not-Read';
let okta: OktaSandbox;
beforeAll(async () => {
  okta = await startOktaSandbox({ tokens: [OKTA_API_TOKEN], forbiddenTokens: [FORBIDDEN_TOKEN], groupsPageSize: 2 });
});
afterAll(() => okta.close());
beforeEach(() => {
  okta.reset();
  world.logs.length = 0;
});

const connections = (oktaOrgUrl = okta.url) => ({
  connections: [
    { name: 'okta', kind: 'okta-event-hook', secretId: 'hooks/okta', oktaOrgUrl, oktaApiSecretId: OKTA_API_SECRET_ID },
    { name: 'okta-ids-only', kind: 'okta-event-hook', secretId: 'hooks/okta-2' },
    { name: 'hr-bridge', kind: 'standard-webhooks', secretId: 'hooks/hr', source: 'hr' },
  ],
});
const LEAVER_RULES = (leavers: 'remove' | 'ignore') => ({ ...RULES, lifecycle: { movers: 'add', leavers } });
const reading = (env: Record<string, string> = {}, oktaOrgUrl?: string) => world.handler({ CONNECTIONS: JSON.stringify(connections(oktaOrgUrl)), ...env });

let n = 0;
/** An event as the webhook ingress queues an Okta delivery: an id, the Okta user id, no address unless given. */
const queued = (userId: string, fields: { type?: string; email?: string; group?: string; connection?: string } = {}) => ({
  id: `evt-okta-${++n}`,
  source: 'sso',
  type: fields.type ?? 'user.created',
  ...(fields.group && { group: fields.group }),
  origin: { connection: fields.connection ?? 'okta', userId },
  user: { ...(fields.email && { email: fields.email }) },
});

/** A person in the stand-in who signs in with a login that is not an address, in `atlas-analytics-readers`. */
function grace(status: 'ACTIVE' | 'SUSPENDED' | 'DEPROVISIONED' = 'ACTIVE') {
  const email = `grace.${++n}.${Date.now()}@example.com`;
  const user = okta.addUser({
    status,
    profile: { login: `ghopper${n}`, email, firstName: 'Grace', lastName: 'Hopper', department: 'Data Platform', title: 'Analyst', city: 'Arlington', costCenter: 'CC-100' },
  });
  const readers = okta.addGroup({ name: 'atlas-analytics-readers' });
  okta.addToGroup(user.id, readers.id);
  return { id: user.id, email };
}

const deadLetters = () => world.aws.sentMessages.filter((m) => m.queueUrl === DLQ_URL);
const deploymentFaultsCounted = () => world.logs.filter((line) => line.includes('"_aws"')).reduce((sum, line) => sum + (Number((JSON.parse(line) as { DeploymentFaults?: number }).DeploymentFaults) || 0), 0);
const lines = (message: string) => world.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l.message === message);
const oktaCalls = () => okta.requests.map((r) => `${r.endpoint} ${r.status ?? '-'}`);

describe('an Okta event without an address: the person read from Okta', () => {
  it('from the queue: the invitation goes to Okta’s address with the roles Okta’s groups grant', async () => {
    const person = grace();
    const event = sqsEvent([queued(person.id)]);
    expect(await batch(reading(), event)).toEqual({ batchItemFailures: [] });
    expect(world.atlas.invitations()).toEqual([expect.objectContaining({ groupId: PROJECT_A, username: person.email, roles: ['GROUP_READ_ONLY'] })]);
    expect(deadLetters()).toEqual([]);
    // One read of the user, one of their groups, each with the token as SSWS and JSON asked for; the id in the path.
    expect(okta.requests.map((r) => ({ path: r.path, accept: r.accept, authScheme: r.authScheme, status: r.status }))).toEqual([
      { path: `/api/v1/users/${person.id}`, accept: 'application/json', authScheme: 'SSWS', status: 200 },
      { path: `/api/v1/users/${person.id}/groups`, accept: 'application/json', authScheme: 'SSWS', status: 200 },
    ]);
    expect(lines('person read from the identity provider')).toEqual([expect.objectContaining({ connection: 'okta', type: 'user.created', eventId: expect.stringMatching(/^evt-okta-/) })]);
    expect(world.logs.some((line) => line.includes(OKTA_API_TOKEN))).toBe(false);
  });

  it('through the API: the same event answers 200 with the invitation to Okta’s address', async () => {
    const person = grace();
    const { status, body } = await call(reading(), restEvent({ path: '/events', body: queued(person.id) }));
    expect(status).toBe(200);
    expect(body.results).toEqual([expect.objectContaining({ groupId: PROJECT_A, username: person.email, roles: ['GROUP_READ_ONLY'], status: 'invited' })]);
  });

  it('matches on Okta’s department, title, city (as location) and costCenter, replacing what the event said', async () => {
    const person = grace();
    const rules = {
      rules: [{ name: 'by-profile', when: { source: 'sso', department: 'Data Platform', title: 'Analyst', location: 'Arlington', costCenter: 'CC-100' }, invite: [{ groupId: PROJECT_B, roles: ['GROUP_READ_ONLY'] }] }],
    };
    const event = { ...queued(person.id, { email: 'old.address@example.com' }), user: { email: 'old.address@example.com', department: 'Finance', location: 'Paris' } };
    const { body } = await call(reading({ ROLE_MAPPING: JSON.stringify(rules) }), restEvent({ path: '/events', body: event }));
    expect(body.results).toEqual([expect.objectContaining({ groupId: PROJECT_B, username: person.email, status: 'invited' })]);
  });

  it('reads every page of the person’s groups, following Link rel="next"', async () => {
    const person = grace();
    // The group the rules grant on ends up last: five more groups before it, two to a page (Everyone first).
    okta.removeFromGroup(person.id, okta.groupsOf(person.id).find((g) => g.profile.name === 'atlas-analytics-readers')!.id);
    for (let i = 0; i < 5; i++) okta.addToGroup(person.id, okta.addGroup({ name: `team-${i}` }).id);
    okta.addToGroup(person.id, okta.groups().find((g) => g.profile.name === 'atlas-analytics-readers')!.id);
    expect(okta.groupsOf(person.id)).toHaveLength(7);
    expect(await batch(reading(), sqsEvent([queued(person.id)]))).toEqual({ batchItemFailures: [] });
    expect(okta.count('users:groups')).toBe(4);
    expect(okta.requests.filter((r) => r.endpoint === 'users:groups').map((r) => r.path.includes('after='))).toEqual([false, true, true, true]);
    expect(world.atlas.invitations()).toEqual([expect.objectContaining({ groupId: PROJECT_A, username: person.email })]);
  });

  it('acts on the person as Okta holds them now: a stale group.member.added for a group they have left grants nothing', async () => {
    const person = grace();
    okta.removeFromGroup(person.id, okta.groups().find((g) => g.profile.name === 'atlas-analytics-readers')!.id);
    const { status, body } = await call(reading(), restEvent({ path: '/events', body: queued(person.id, { type: 'group.member.added', group: 'atlas-analytics-readers' }) }));
    expect([status, body.results]).toEqual([200, []]);
    expect(world.atlas.invitations()).toEqual([]);
  });

  it('an active person makes a joining event, even from a stale suspension event', async () => {
    const person = grace('ACTIVE');
    const { body } = await call(reading(), restEvent({ path: '/events', body: queued(person.id, { type: 'user.deactivated' }) }));
    expect(body.results).toEqual([expect.objectContaining({ username: person.email, status: 'invited' })]);
  });

  it('encodes the id as one path segment', async () => {
    const { status, body } = await call(reading(), restEvent({ path: '/events', body: queued('00u/../../groups?x=1', { email: 'someone@example.com' }) }));
    expect(status).toBe(200);
    expect(okta.requests.map((r) => r.path)).toEqual(['/api/v1/users/00u%2F..%2F..%2Fgroups%3Fx%3D1']);
    // Okta has no such user: a leaver, whom the default rule file ignores.
    expect(body.results).toEqual([]);
  });
});

describe('from Okta to an invitation: a delivery through the webhook ingress, the queue, the onboarder', () => {
  const HOOK_SECRET = 'Basic b2t0YS1ob29rLXRlc3Q6aG9vay1zZWNyZXQ=';

  it('a user whose login is not an address: the ingress queues the id, the onboarder reads Okta and invites Okta’s address', async () => {
    world.addSecret(HOOK_SECRET);
    world.aws.setSecret('hooks/okta', JSON.stringify({ values: [HOOK_SECRET] }));
    const person = grace();
    const env = { ...world.env, CONNECTIONS: JSON.stringify(connections()), ONBOARDING_QUEUE_URL: SOURCE_QUEUE_URL };
    const ingress = createIngress(env, { logSink: (line) => world.logSink(line) });
    const delivery = {
      eventType: 'com.okta.event_hook',
      eventTypeVersion: '1.0',
      eventId: 'a6a4bd7c-0000-4000-8000-000000000001',
      data: {
        events: [
          {
            uuid: '9f1c0a2e-0000-4000-8000-000000000002',
            published: '2026-11-30T09:00:00.000Z',
            eventType: 'user.lifecycle.activate',
            version: '0',
            target: [{ id: person.id, type: 'User', alternateId: `ghopper${n}`, displayName: 'Grace Hopper', detailEntry: null }],
          },
        ],
      },
    };
    const answer = await ingress(restEvent({ path: '/hooks/okta', headers: { authorization: HOOK_SECRET }, body: delivery }), lambdaContext());
    expect(answer.statusCode).toBe(204);
    const bodies = world.aws.sentMessages.filter((m) => m.queueUrl === SOURCE_QUEUE_URL).map((m) => JSON.parse(m.body) as { user: Record<string, unknown> });
    expect(bodies).toEqual([expect.objectContaining({ type: 'user.created', origin: { connection: 'okta', userId: person.id }, user: {} })]);
    expect(await batch(reading(), sqsEvent(bodies))).toEqual({ batchItemFailures: [] });
    expect(world.atlas.invitations()).toEqual([expect.objectContaining({ groupId: PROJECT_A, username: person.email, roles: ['GROUP_READ_ONLY'] })]);
    expect(deadLetters()).toEqual([]);
  });
});

describe('leavers from Okta’s status: SUSPENDED, DEPROVISIONED, or gone (404)', () => {
  for (const status of ['SUSPENDED', 'DEPROVISIONED'] as const) {
    it(`${status}, with leavers: remove, is removed from the managed projects (through the queue)`, async () => {
      const person = grace('ACTIVE');
      const handler = reading({ ROLE_MAPPING: JSON.stringify(LEAVER_RULES('remove')) });
      expect(await batch(handler, sqsEvent([queued(person.id)]))).toEqual({ batchItemFailures: [] });
      expect(world.atlas.invitations()).toHaveLength(1);
      okta.setStatus(person.id, status);
      // The ingress queues a profile update as user.updated: Okta's status makes it a leaver.
      const { body } = await call(handler, restEvent({ path: '/events', body: queued(person.id, { type: 'user.updated' }) }));
      expect(body.results).toEqual([expect.objectContaining({ groupId: PROJECT_A, username: person.email, status: 'removed' })]);
      expect(world.atlas.members({ username: person.email })).toEqual([]);
    });
  }

  it('SUSPENDED, with leavers: ignore, is ignored', async () => {
    const person = grace('SUSPENDED');
    const { body } = await call(reading({ ROLE_MAPPING: JSON.stringify(LEAVER_RULES('ignore')) }), restEvent({ path: '/events', body: queued(person.id) }));
    expect(body.results).toEqual([expect.objectContaining({ groupId: PROJECT_A, username: person.email, status: 'ignored' })]);
    expect(world.atlas.invitations()).toEqual([]);
  });

  it('a person Okta answers 404 for is a leaver: removed by the address the event carries', async () => {
    const person = grace('ACTIVE');
    const handler = reading({ ROLE_MAPPING: JSON.stringify(LEAVER_RULES('remove')) });
    await call(handler, restEvent({ path: '/events', body: queued(person.id) }));
    okta.deleteUser(person.id);
    const { body } = await call(handler, restEvent({ path: '/events', body: queued(person.id, { type: 'user.deactivated', email: person.email }) }));
    expect(body.results).toEqual([expect.objectContaining({ groupId: PROJECT_A, username: person.email, status: 'removed' })]);
    expect(oktaCalls().slice(-1)).toEqual(['users:get 404']);
  });

  it('a 404 that is not Okta’s (oktaOrgUrl names another server) is a deployment fault: the message waits, nobody is removed', async () => {
    const person = grace('ACTIVE');
    const rules = { ROLE_MAPPING: JSON.stringify(LEAVER_RULES('remove')) };
    await call(reading(rules), restEvent({ path: '/events', body: queued(person.id) }));
    expect(world.atlas.invitations()).toHaveLength(1);
    // A wrong org or custom domain, or a proxy: it answers 404 to everything, without Okta's E0000007.
    const notOkta = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<html>Not Found</html>'));
    await new Promise<void>((done) => notOkta.listen(0, '127.0.0.1', done));
    try {
      const event = sqsEvent([queued(person.id)]);
      const url = `http://127.0.0.1:${(notOkta.address() as AddressInfo).port}`;
      expect(await batch(reading(rules, url), event)).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] });
      expect(deadLetters()).toEqual([]);
      expect(deploymentFaultsCounted()).toBe(1);
      expect(world.atlas.invitations()).toHaveLength(1);
    } finally {
      await new Promise<void>((done) => notOkta.close(() => done()));
    }
  });

  it('a person Okta answers 404 for, with no address in the event, is dead-lettered PERSON_NOT_FOUND (nobody to act on)', async () => {
    const event = sqsEvent([queued('00unobodyhere0000001')]);
    expect(await batch(reading(), event)).toEqual({ batchItemFailures: [] });
    expect(deadLetters()).toEqual([expect.objectContaining({ body: event.Records[0]!.body, attributes: expect.objectContaining({ errorCode: { DataType: 'String', StringValue: 'PERSON_NOT_FOUND' } }) })]);
  });
});

describe('Okta’s errors', () => {
  const resetIn = (seconds: number) => String(Math.ceil(Date.now() / 1000) + seconds);

  it('429 waits until X-Rate-Limit-Reset: within the invocation when it fits, then reads', async () => {
    const person = grace();
    okta.injectFault({ kind: 'status', status: 429, headers: { 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': resetIn(1) } }, { on: 'users:get' });
    const started = Date.now();
    expect(await batch(reading(), sqsEvent([queued(person.id)]))).toEqual({ batchItemFailures: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(oktaCalls()).toEqual(['users:get 429', 'users:get 200', 'users:groups 200']);
    expect(lines('retrying Okta call')).toEqual([expect.objectContaining({ errorCode: 'E0000047', kind: 'transient', attempt: 1 })]);
    expect(world.atlas.invitations()).toHaveLength(1);
  });

  it('429 with a reset past the invocation: the message waits on the queue that long (never dead-lettered)', async () => {
    const person = grace();
    okta.injectFault({ kind: 'status', status: 429, headers: { 'x-rate-limit-reset': resetIn(600) } }, { on: 'users:get' });
    const event = sqsEvent([queued(person.id)]);
    expect(await batch(reading(), event, lambdaContext(5_000))).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] });
    expect(oktaCalls()).toEqual(['users:get 429']);
    expect(deadLetters()).toEqual([]);
    const [change] = world.aws.visibilityChanges;
    expect(change!.visibilityTimeout).toBeGreaterThanOrEqual(595);
    expect(change!.visibilityTimeout).toBeLessThanOrEqual(601);
    expect(lines('message delayed as the identity provider asked')).toHaveLength(1);
  });

  it('429 through the API: 503 with Retry-After until the reset', async () => {
    const person = grace();
    okta.injectFault({ kind: 'status', status: 429, headers: { 'x-rate-limit-reset': resetIn(600) } }, { on: 'users:get' });
    const { status, headers, body } = await call(reading(), restEvent({ path: '/events', body: queued(person.id) }), lambdaContext(5_000));
    expect(status).toBe(503);
    expect(Number(headers['retry-after'])).toBeGreaterThanOrEqual(595);
    expect(body).toEqual({ eventId: expect.any(String), results: [], error: { code: 'E0000047', message: expect.any(String), retryable: true } });
  });

  it('5xx is transient: retried with backoff, and when it persists the message is left for redelivery, backed off', async () => {
    const person = grace();
    okta.injectFault({ kind: 'status', status: 500 }, { on: 'users:groups', times: 1 });
    expect(await batch(reading(), sqsEvent([queued(person.id)]))).toEqual({ batchItemFailures: [] });
    expect(oktaCalls()).toEqual(['users:get 200', 'users:groups 500', 'users:groups 200']);

    okta.injectFault({ kind: 'status', status: 503 }, { on: 'users:get', times: 100 });
    const event = sqsEvent([queued(person.id)], { receiveCount: 3 });
    expect(await batch(reading(), event)).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] });
    expect(okta.requests.filter((r) => r.status === 503)).toHaveLength(5);
    expect(deadLetters()).toEqual([]);
    expect(world.aws.visibilityChanges).toEqual([expect.objectContaining({ visibilityTimeout: expect.any(Number) })]);
  });

  it('a connection that is reset is transient too', async () => {
    const person = grace();
    okta.injectFault({ kind: 'reset' }, { on: 'users:get' });
    expect(await batch(reading(), sqsEvent([queued(person.id)]))).toEqual({ batchItemFailures: [] });
    expect(lines('retrying Okta call')).toEqual([expect.objectContaining({ errorCode: 'OKTA_CONNECTION_ERROR' })]);
  });

  it('401 (a token Okta refuses) is a deployment fault: the message waits, an error line, DeploymentFaults; never a dead letter', async () => {
    const person = grace();
    const wrong = '00okta_wrong_T0ken-Nobody-Issued';
    world.addSecret(wrong);
    world.aws.setSecret(OKTA_API_SECRET_ID, JSON.stringify({ token: wrong }));
    const event = sqsEvent([queued(person.id)]);
    expect(await batch(reading(), event)).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] });
    expect(deadLetters()).toEqual([]);
    // Refused once, the secret is read again (it may have been rotated); the same token is not sent twice.
    expect(oktaCalls()).toEqual(['users:get 401']);
    expect(world.aws.secretRequests.filter((r) => r.secretId === OKTA_API_SECRET_ID)).toHaveLength(2);
    expect(lines('deployment fault: the person cannot be read from the identity provider; events wait until it is fixed')).toEqual([
      expect.objectContaining({ level: 'error', errorCode: 'E0000011', deploymentFault: true, connection: 'okta' }),
    ]);
    expect(deploymentFaultsCounted()).toBe(1);
    expect(world.aws.visibilityChanges).toHaveLength(1);
  });

  it('401, then the secret rotated to a token Okta knows: read with the new token at once', async () => {
    const person = grace();
    const handler = reading();
    world.aws.setSecret(OKTA_API_SECRET_ID, JSON.stringify({ token: 'old-token-revoked-in-okta' }));
    world.addSecret('old-token-revoked-in-okta');
    expect((await batch(handler, sqsEvent([queued(person.id)]))).batchItemFailures).toHaveLength(1);
    world.aws.setSecret(OKTA_API_SECRET_ID, JSON.stringify({ token: OKTA_API_TOKEN }));
    expect(await batch(handler, sqsEvent([queued(person.id)]))).toEqual({ batchItemFailures: [] });
    expect(world.atlas.invitations()).toHaveLength(1);
  });

  it('403 (a token whose admin may not read users) is a deployment fault too, through the API a 503', async () => {
    const person = grace();
    world.addSecret(FORBIDDEN_TOKEN);
    world.aws.setSecret(OKTA_API_SECRET_ID, JSON.stringify({ token: FORBIDDEN_TOKEN }));
    const event = sqsEvent([queued(person.id)]);
    expect(await batch(reading(), event)).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] });
    expect(deadLetters()).toEqual([]);
    expect(oktaCalls()).toEqual(['users:get 403']);
    const { status, body } = await call(reading(), restEvent({ path: '/events', body: queued(person.id) }));
    expect([status, body.error]).toEqual([503, { code: 'E0000006', message: expect.stringContaining('403'), retryable: true }]);
    expect(deploymentFaultsCounted()).toBe(2);
  });

  it('an API token secret that is not {"token": "..."} is a deployment fault: the message waits', async () => {
    const person = grace();
    world.aws.setSecret(OKTA_API_SECRET_ID, JSON.stringify({ apiToken: 'x' }));
    const event = sqsEvent([queued(person.id)]);
    expect(await batch(reading(), event)).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] });
    expect(okta.requests).toEqual([]);
    expect(deadLetters()).toEqual([]);
    expect(deploymentFaultsCounted()).toBe(1);
  });

  it('a next page on another host is not followed: a deployment fault naming it, and the message waits', async () => {
    // Okta builds its links from the org's own origin; an oktaOrgUrl of another name for the same server gets links
    // elsewhere, as a proxy in front of Okta would. Only oktaOrgUrl is ever called.
    const person = grace();
    for (let i = 0; i < 3; i++) okta.addToGroup(person.id, okta.addGroup({ name: `team-${i}` }).id);
    const otherName = okta.url.replace('127.0.0.1', 'localhost');
    const event = sqsEvent([queued(person.id)]);
    expect(await batch(reading({}, otherName), event)).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] });
    expect(oktaCalls()).toEqual(['users:get 200', 'users:groups 200']);
    expect(lines('Okta’s next page is on another host; not followed')).toEqual([expect.objectContaining({ errorCode: 'OKTA_FOREIGN_LINK', linkOrigin: okta.url })]);
    expect(deadLetters()).toEqual([]);
    expect(world.atlas.invitations()).toEqual([]);
  });
});

describe('events that are not read from Okta', () => {
  it('an event without an Okta origin is used as it comes: no Okta call', async () => {
    const hire = { id: 'evt-hr-1', source: 'hr', type: 'employee.hired', origin: { connection: 'hr-bridge' }, user: { email: 'ada.hr@example.com', department: 'Data Platform' } };
    const plain = { id: 'evt-hr-2', source: 'hr', type: 'employee.hired', user: { email: 'ada.plain@example.com', department: 'Data Platform' } };
    expect(await batch(reading(), sqsEvent([hire, plain]))).toEqual({ batchItemFailures: [] });
    expect(okta.requests).toEqual([]);
    expect(world.atlas.invitations().map((i) => i.username).sort()).toEqual(['ada.hr@example.com', 'ada.hr@example.com', 'ada.plain@example.com', 'ada.plain@example.com']);
  });

  it('an Okta connection without oktaOrgUrl and oktaApiSecretId: as it comes, and without an address a dead letter that says why', async () => {
    const withAddress = queued('00u1', { connection: 'okta-ids-only', type: 'group.member.added', group: 'atlas-analytics-readers', email: 'ids.only@example.com' });
    const without = queued('00u2', { connection: 'okta-ids-only' });
    const event = sqsEvent([withAddress, without]);
    expect(await batch(reading(), event)).toEqual({ batchItemFailures: [] });
    expect(okta.requests).toEqual([]);
    expect(world.atlas.invitations()).toEqual([expect.objectContaining({ username: 'ids.only@example.com', groupId: PROJECT_A })]);
    expect(deadLetters()).toEqual([
      expect.objectContaining({
        body: event.Records[1]!.body,
        attributes: expect.objectContaining({ errorCode: { DataType: 'String', StringValue: 'invalid_event' }, errorMessage: { DataType: 'String', StringValue: expect.stringContaining('user.email: is required: its connection does not read people') } }),
      }),
    ]);
  });

  it('without a connections file (v1): as it comes; an event with no address is invalid as before', async () => {
    const event = sqsEvent([queued('00u1', { email: 'v1.person@example.com', type: 'group.member.added', group: 'atlas-analytics-readers' }), queued('00u2')]);
    expect(await batch(world.handler(), event)).toEqual({ batchItemFailures: [] });
    expect(okta.requests).toEqual([]);
    expect(world.atlas.invitations()).toEqual([expect.objectContaining({ username: 'v1.person@example.com' })]);
    expect(deadLetters()).toEqual([
      expect.objectContaining({
        body: event.Records[1]!.body,
        attributes: expect.objectContaining({ errorCode: { DataType: 'String', StringValue: 'invalid_event' }, errorMessage: { DataType: 'String', StringValue: expect.stringContaining('user.email: is required: the onboarder has no connections file') } }),
      }),
    ]);
  });

  it('an origin naming a connection the file does not hold is refused: a dead letter, a 400 through the API', async () => {
    const event = sqsEvent([queued('00u1', { connection: 'okta-typo', email: 'typo@example.com' })]);
    expect(await batch(reading(), event)).toEqual({ batchItemFailures: [] });
    expect(deadLetters()).toEqual([
      expect.objectContaining({ attributes: expect.objectContaining({ errorCode: { DataType: 'String', StringValue: 'invalid_event' }, errorMessage: { DataType: 'String', StringValue: expect.stringContaining('origin.connection: names no connection') } }) }),
    ]);
    const { status, body } = await call(reading(), restEvent({ path: '/events', body: queued('00u1', { connection: 'okta-typo', email: 'typo@example.com' }) }));
    expect([status, body.error, body.issues]).toEqual([400, 'invalid_event', [{ path: 'origin.connection', message: expect.stringContaining('names no connection') }]]);
    expect(okta.requests).toEqual([]);
    expect(world.atlas.invitations()).toEqual([]);
  });
});

describe('dry runs read Okta and write nothing', () => {
  it('?dryRun=true: Okta read, Atlas untouched, the result names Okta’s address', async () => {
    const person = grace();
    const { status, body } = await call(reading(), restEvent({ path: '/events', body: queued(person.id), query: { dryRun: 'true' } }));
    expect(status).toBe(200);
    expect(body.results).toEqual([expect.objectContaining({ groupId: PROJECT_A, username: person.email, status: 'dry_run' })]);
    expect(oktaCalls()).toEqual(['users:get 200', 'users:groups 200']);
    expect(world.atlas.requests.filter((r) => r.method !== 'GET' && r.endpoint !== 'token')).toEqual([]);
  });

  it('DRY_RUN without Atlas credentials still reads Okta', async () => {
    const person = grace();
    const handler = reading({ DRY_RUN: 'true', ATLAS_SECRET_ID: '' });
    const { body } = await call(handler, restEvent({ path: '/events', body: queued(person.id) }));
    expect(body.results).toEqual([expect.objectContaining({ username: person.email, status: 'dry_run' })]);
    expect(world.atlas.requests).toEqual([]);
  });
});

describe('configuration: the connections file in the onboarder', () => {
  const base = { ROLE_MAPPING: JSON.stringify(RULES), DRY_RUN: 'true' };
  const file = (oktaOrgUrl: string, extra: Record<string, string> = { oktaApiSecretId: 'okta-api' }) =>
    JSON.stringify({ connections: [{ name: 'okta', kind: 'okta-event-hook', secretId: 'hooks/okta', oktaOrgUrl, ...extra }] });
  const problem = (env: Record<string, string>) => {
    try {
      loadConfig({ ...base, ...env });
    } catch (err) {
      if (err instanceof ConfigError) return err.message;
      throw err;
    }
    return undefined;
  };

  it('is optional, and read from CONNECTIONS or CONNECTIONS_FILE', () => {
    expect(loadConfig(base).connections).toBeUndefined();
    expect(loadConfig({ ...base, CONNECTIONS_FILE: 'examples/connections.json' }).connections?.map((c) => c.name)).toEqual(['okta', 'hr-bridge']);
  });

  it('names the variable and the connection when it is wrong', () => {
    expect(problem({ CONNECTIONS: file('http://acme.okta.com') })).toMatch(/^configuration error: CONNECTIONS holds .*connection "okta" at oktaOrgUrl: must be an https: origin/s);
    expect(problem({ CONNECTIONS: file('https://acme.okta.com', {}) })).toBe(
      'configuration error: CONNECTIONS holds connection "okta" with oktaOrgUrl but no oktaApiSecretId: set both to read people from Okta (contract section 12), or neither',
    );
    expect(problem({ CONNECTIONS: file('https://acme.okta.com'), CONNECTIONS_FILE: 'examples/connections.json' })).toBe('configuration error: CONNECTIONS and CONNECTIONS_FILE are both set; set one');
  });

  it('takes an http: loopback oktaOrgUrl (a local stand-in) outside Lambda only, as ATLAS_BASE_URL', () => {
    expect(loadConfig({ ...base, CONNECTIONS: file('http://127.0.0.1:8443') }).connections?.[0]).toEqual(expect.objectContaining({ oktaOrgUrl: 'http://127.0.0.1:8443' }));
    expect(problem({ CONNECTIONS: file('http://127.0.0.1:8443'), AWS_LAMBDA_FUNCTION_NAME: 'onboarder', ATLAS_SECRET_ID: 'x' })).toMatch(
      /CONNECTIONS holds .*connection "okta" at oktaOrgUrl: must be an https: origin .*\(http: only for a local stand-in, outside Lambda\)/s,
    );
    expect(problem({ CONNECTIONS: file('http://10.0.0.8:8443') })).toMatch(/connection "okta" at oktaOrgUrl: must be an https: origin/);
  });
});
