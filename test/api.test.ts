import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { OnboarderHandler } from '../lambda/functions/onboarder/app';
import { call, DIRECT_PROJECT, hireEvent, httpApiEvent, lambdaContext, PROJECT_A, PROJECT_B, restEvent, useWorld, type World } from './harness';

let world: World;
let handler: OnboarderHandler;
useWorld(
  (started) => {
    world = started;
    handler = world.handler();
  },
  { reset: 'atlas' },
);

describe.each([
  ['REST API (payload 1.0)', restEvent],
  ['HTTP API (payload 2.0)', httpApiEvent],
])('API Gateway, %s', (_, apiEvent) => {
  describe('POST /events', () => {
    it('invites the person to every mapped project and answers 200 with one result per project', async () => {
      const event = hireEvent();
      const { status, body, headers } = await call(handler, apiEvent({ path: '/events', body: event }));
      expect(status).toBe(200);
      expect(headers['content-type']).toMatch(/^application\/json/);
      expect(body.eventId).toBe(event.id);
      expect(body.results).toEqual([
        { groupId: PROJECT_A, username: event.user.email, roles: ['GROUP_DATA_ACCESS_READ_WRITE'], status: 'invited', invitationId: expect.stringMatching(/^[a-f0-9]{24}$/) },
        { groupId: PROJECT_B, username: event.user.email, roles: ['GROUP_READ_ONLY'], status: 'invited', invitationId: expect.stringMatching(/^[a-f0-9]{24}$/) },
      ]);
      expect(world.atlas.invitations().map((i) => [i.groupId, i.username])).toEqual([
        [PROJECT_A, event.user.email],
        [PROJECT_B, event.user.email],
      ]);
    });

    it('answers 200 with no results when no rule matches, and calls Atlas never', async () => {
      const { status, body } = await call(handler, apiEvent({ path: '/events', body: hireEvent({ department: 'Legal' }) }));
      expect([status, body.results]).toEqual([200, []]);
      expect(world.atlas.requests).toHaveLength(0);
    });

    it('maps without calling Atlas with ?dryRun=true', async () => {
      const { status, body } = await call(handler, apiEvent({ path: '/events', body: hireEvent(), query: { dryRun: 'true' } }));
      expect(status).toBe(200);
      expect(body.results?.map((r) => r.status)).toEqual(['dry_run', 'dry_run']);
      expect(world.atlas.requests).toHaveLength(0);
    });

    it('never invites for a leaving event: results are ignored', async () => {
      const { status, body } = await call(handler, apiEvent({ path: '/events', body: hireEvent({ type: 'employee.terminated' }) }));
      expect(status).toBe(200);
      expect(body.results?.map((r) => r.status)).toEqual(['ignored', 'ignored']);
      expect(world.atlas.requests).toHaveLength(0);
    });

    it('uses the request id as the event id when the event has none', async () => {
      const { id: _, ...event } = hireEvent({ department: 'Legal' });
      const request = apiEvent({ path: '/events', body: event });
      const { body } = await call(handler, request);
      expect(body.eventId).toBe(request.requestContext.requestId);
    });

    it('decodes a base64 body', async () => {
      const { status, body } = await call(handler, apiEvent({ path: '/events', body: hireEvent(), base64: true }));
      expect(status).toBe(200);
      expect(body.results).toHaveLength(2);
    });

    it('answers 400 invalid_json for a body that is not JSON', async () => {
      const { status, body } = await call(handler, apiEvent({ path: '/events', body: '{"source": "hr",' }));
      expect(status).toBe(400);
      expect(body.error).toBe('invalid_json');
      expect(body.issues).toEqual([{ path: '', message: expect.any(String) }]);
    });

    it('answers 400 invalid_event naming each field', async () => {
      const { status, body } = await call(handler, apiEvent({ path: '/events', body: { source: 'hr', type: 'employee.hired', user: { email: 'not-an-address' } } }));
      expect(status).toBe(400);
      expect(body).toEqual({ error: 'invalid_event', issues: [{ path: 'user.email', message: 'must be a valid e-mail address' }] });
      expect(world.atlas.requests).toHaveLength(0);
    });

    it('answers 400 invalid_event naming an id with a bidirectional override, and calls Atlas never', async () => {
      const { status, body } = await call(handler, apiEvent({ path: '/events', body: hireEvent({ id: 'evt-\u202e1-tve' }) }));
      expect([status, body]).toEqual([400, { error: 'invalid_event', issues: [{ path: 'id', message: 'must not contain control or bidirectional-override characters' }] }]);
      expect(world.atlas.requests).toHaveLength(0);
    });

    it('answers 400 for an empty body', async () => {
      const { status, body } = await call(handler, apiEvent({ path: '/events' }));
      expect([status, body.error]).toEqual([400, 'invalid_json']);
    });

    it('answers 413 for a body over 256 KiB, plain or base64', async () => {
      const big = { ...hireEvent(), padding: 'x'.repeat(256 * 1024) };
      for (const base64 of [false, true]) {
        const { status, body } = await call(handler, apiEvent({ path: '/events', body: big, base64 }));
        expect([status, body.error]).toEqual([413, 'payload_too_large']);
      }
      expect(world.atlas.requests).toHaveLength(0);
    });

    it('accepts a body of exactly 256 KiB', async () => {
      const event = { ...hireEvent({ department: 'Legal' }), padding: '' };
      const size = Buffer.byteLength(JSON.stringify(event));
      event.padding = 'x'.repeat(256 * 1024 - size);
      const { status } = await call(handler, apiEvent({ path: '/events', body: event }));
      expect(status).toBe(200);
    });

    it('answers 400 for a dryRun that is neither true nor false', async () => {
      const { status, body } = await call(handler, apiEvent({ path: '/events', body: hireEvent(), query: { dryRun: 'perhaps' } }));
      expect([status, body.error]).toEqual([400, 'invalid_event']);
      expect(world.atlas.requests).toHaveLength(0);
    });
  });

  describe('POST /invites', () => {
    it('invites when the rule file allows the project and every role', async () => {
      const invite = { groupId: DIRECT_PROJECT, username: `grace.${apiEvent.name}@example.com`, roles: ['GROUP_READ_ONLY', 'GROUP_DATA_ACCESS_READ_ONLY'] };
      const { status, body } = await call(handler, apiEvent({ path: '/invites', body: invite }));
      expect(status).toBe(200);
      expect(body.results).toEqual([{ ...invite, status: 'invited', invitationId: expect.any(String) }]);
    });

    it('answers 403 direct_invite_not_allowed for a role the rule file does not allow, and calls Atlas never', async () => {
      const invite = { groupId: DIRECT_PROJECT, username: 'grace@example.com', roles: ['GROUP_OWNER'] };
      const { status, body } = await call(handler, apiEvent({ path: '/invites', body: invite }));
      expect(status).toBe(403);
      expect(body.error).toBe('direct_invite_not_allowed');
      expect(body.message).toMatch(/GROUP_OWNER/);
      expect(world.atlas.requests).toHaveLength(0);
    });

    it('answers 403 for a project the rule file does not list', async () => {
      const { status } = await call(handler, apiEvent({ path: '/invites', body: { groupId: PROJECT_A, username: 'grace@example.com', roles: ['GROUP_READ_ONLY'] } }));
      expect(status).toBe(403);
    });

    it('answers 400 naming a groupId that is not an Atlas project id', async () => {
      const { status, body } = await call(handler, apiEvent({ path: '/invites', body: { groupId: '../../orgs/x', username: 'grace@example.com', roles: ['GROUP_READ_ONLY'] } }));
      expect(status).toBe(400);
      expect(body.issues).toEqual([{ path: 'groupId', message: expect.stringMatching(/24-character/) }]);
    });

    it('answers 400 for an onboarding event sent to /invites', async () => {
      const { status, body } = await call(handler, apiEvent({ path: '/invites', body: hireEvent() }));
      expect([status, body.error]).toEqual([400, 'invalid_event']);
    });
  });

  describe('routing', () => {
    it('answers 404 for an unknown route', async () => {
      const { status, body } = await call(handler, apiEvent({ path: '/users', body: {} }));
      expect([status, body.error]).toEqual([404, 'not_found']);
    });

    it('answers 405 with Allow for a wrong method', async () => {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const { status, body, headers } = await call(handler, apiEvent({ method, path: '/events' }));
        expect([status, body.error, headers.allow]).toEqual([405, 'method_not_allowed', 'POST']);
      }
    });

    it('matches a path only exactly: a trailing slash, a doubled prefix or another case is 404', async () => {
      for (const path of ['/events/', '/invites/', '/v1/v1/invites', '/v1/events', '/EVENTS', '//events', '/events/x']) {
        const body = path.includes('invites') ? { groupId: DIRECT_PROJECT, username: 'grace@example.com', roles: ['GROUP_READ_ONLY'] } : hireEvent();
        const answer = await call(handler, apiEvent({ path, body }));
        expect([path, answer.status, answer.body.error]).toEqual([path, 404, 'not_found']);
      }
      expect(world.atlas.requests).toHaveLength(0);
    });
  });

  describe('Atlas failures', () => {
    it('answers 503 with Retry-After when a project failed for now', async () => {
      world.atlas.injectFault({ kind: 'status', status: 503, errorCode: 'SERVICE_UNAVAILABLE' }, { on: 'invites', times: 100 });
      const { status, body, headers } = await call(handler, apiEvent({ path: '/events', body: hireEvent({ department: 'Finance' }) }));
      expect(status).toBe(503);
      expect(Number(headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(body.results).toEqual([
        expect.objectContaining({ groupId: PROJECT_B, status: 'failed', error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String), retryable: true } }),
      ]);
    });

    it("passes Atlas's Retry-After on when it is longer than the request can wait", async () => {
      // A container of its own: the one this suite shares would hold that project's calls for the 90 s (pacing).
      const own = world.handler();
      world.atlas.injectFault({ kind: 'status', status: 429, errorCode: 'RATE_LIMITED', retryAfter: '90' }, { on: 'invites' });
      const { status, headers } = await call(own, apiEvent({ path: '/events', body: hireEvent({ department: 'Finance' }) }));
      expect([status, headers['retry-after']]).toEqual([503, '90']);
      expect(world.atlas.count('invites')).toBe(1);
    });

    // Contract section 6, v2: calls to a rate-limited scope wait for the same moment; none is spent on a certain 429.
    it('holds the next calls of the container to a rate-limited project without calling Atlas; other projects go on', async () => {
      const own = world.handler();
      world.atlas.injectFault({ kind: 'status', status: 429, errorCode: 'RATE_LIMITED', retryAfter: '90' }, { on: 'invites' });
      await call(own, apiEvent({ path: '/events', body: hireEvent({ department: 'Finance' }) }));
      const second = await call(own, apiEvent({ path: '/events', body: hireEvent({ department: 'Finance' }) }));
      expect(second.status).toBe(503);
      expect(Number(second.headers['retry-after'])).toBeGreaterThan(80);
      expect(second.body.results?.[0]).toMatchObject({ groupId: PROJECT_B, error: { code: 'RATE_LIMITED', retryable: true } });
      expect(world.atlas.count('invites')).toBe(1);
      // A Data Platform hire maps to A as well as B: A is called, B waits.
      const both = await call(own, apiEvent({ path: '/events', body: hireEvent() }));
      expect(both.body.results?.map((r) => [r.groupId, r.status])).toEqual([
        [PROJECT_A, 'invited'],
        [PROJECT_B, 'failed'],
      ]);
      expect(world.atlas.requests.filter((r) => r.endpoint === 'invites').map((r) => r.path)).toEqual([
        `/api/atlas/v2/groups/${PROJECT_B}/invites`,
        `/api/atlas/v2/groups/${PROJECT_A}/invites`,
      ]);
    });

    it('answers 502 when a project failed for good upstream, and 503 wins over 502', async () => {
      world.atlas.injectFault({ kind: 'status', status: 400, errorCode: 'INVALID_EMAIL_ADDRESS' }, { on: 'invites' });
      const permanent = await call(handler, apiEvent({ path: '/events', body: hireEvent({ department: 'Finance' }) }));
      expect(permanent.status).toBe(502);
      expect(permanent.body.results?.[0]).toMatchObject({ status: 'failed', error: { code: 'INVALID_EMAIL_ADDRESS', retryable: false } });

      world.atlas.injectFault({ kind: 'status', status: 404, errorCode: 'GROUP_NOT_FOUND' }, { on: 'invites' });
      world.atlas.injectFault({ kind: 'status', status: 500, errorCode: 'UNEXPECTED_ERROR' }, { on: 'invites', times: 100 });
      const mixed = await call(handler, apiEvent({ path: '/events', body: hireEvent() }));
      expect(mixed.status).toBe(503);
      expect(mixed.body.results?.map((r) => r.status)).toEqual(['failed', 'failed']);
    });
  });
});

describe('unexpected failures', () => {
  it('answer 500 with the request id and no stack', async () => {
    const broken = world.handler({}, { queue: undefined });
    const event = restEvent({ path: '/events', body: hireEvent() });
    // A header object that throws when read stands in for a bug deep in the adapter.
    Object.defineProperty(event, 'queryStringParameters', { get: () => { throw new Error('boom at /secret/path.ts:12'); } });
    const { status, body } = await call(broken, event);
    expect(status).toBe(500);
    expect(body).toEqual({ error: 'internal_error', message: 'the request could not be processed', requestId: event.requestContext.requestId });
  });
});

describe('REST API routes behind a custom domain', () => {
  it('route by the resource, not by a path that carries a base path', async () => {
    const event = { ...restEvent({ path: '/onboarding/events', body: hireEvent({ department: 'Legal' }) }), resource: '/events' };
    const { status, body } = await call(handler, event);
    expect([status, body.results]).toEqual([200, []]);
  });
});

describe('requests turned away', () => {
  it('each leave one log line saying why', async () => {
    const before = world.logs.length;
    await call(handler, restEvent({ path: '/nowhere', body: {} }));
    await call(handler, restEvent({ method: 'GET', path: '/events' }));
    await call(handler, restEvent({ path: '/events', body: '{' }));
    const lines = world.logs.slice(before).map((l) => JSON.parse(l) as { message: string; status: number; outcome: string });
    expect(lines.map((l) => [l.message, l.status, l.outcome])).toEqual([
      ['request rejected', 404, 'not_found'],
      ['request rejected', 405, 'method_not_allowed'],
      ['request rejected', 400, 'invalid_json'],
    ]);
  });
});

describe('REST API routes behind the deployed resources', () => {
  it('route by the exact remainder a proxy resource matched, after the stage and a custom domain base path', async () => {
    // A custom domain maps base path "v1" to the stage: "/v1/v1/invites" reaches /{proxy+} with proxy "v1/invites".
    const doubled = { ...restEvent({ path: '/v1/v1/invites', body: { groupId: DIRECT_PROJECT, username: 'grace@example.com', roles: ['GROUP_READ_ONLY'] } }), pathParameters: { proxy: 'v1/invites' } };
    expect((await call(handler, doubled)).status).toBe(404);
    const events = { ...restEvent({ path: '/v1/events', body: hireEvent({ department: 'Legal' }) }), pathParameters: { proxy: 'events' } };
    expect((await call(handler, events)).status).toBe(200);
    expect(world.atlas.requests).toHaveLength(0);
  });
});

describe('HTTP API routes on a named stage', () => {
  it('take the path after exactly one leading stage', async () => {
    const invite = { groupId: DIRECT_PROJECT, username: 'grace@example.com', roles: ['GROUP_READ_ONLY'] };
    expect((await call(handler, httpApiEvent({ stage: 'v1', path: '/v1/events', body: hireEvent({ department: 'Legal' }) }))).status).toBe(200);
    expect((await call(handler, httpApiEvent({ stage: 'v1', path: '/events', body: hireEvent({ department: 'Legal' }) }))).status).toBe(200);
    for (const path of ['/v1/v1/invites', '/v1/invites/', '/v1invites', '/v10/invites']) {
      expect([path, (await call(handler, httpApiEvent({ stage: 'v1', path, body: invite }))).status]).toEqual([path, 404]);
    }
    expect(world.atlas.requests).toHaveLength(0);
  });
});

/** AWS's own event shapes (after the samples in aws/aws-lambda-go events/testdata, aws-powertools and AWS's guides). */
const sample = (name: string) => JSON.parse(readFileSync(`test/fixtures/events/${name}`, 'utf8')) as unknown;

describe('AWS sample API Gateway proxy events', () => {
  it('are answered as API calls: REST API (payload 1.0) and HTTP API (payload 2.0) on a named stage', async () => {
    for (const name of ['rest-api.json', 'http-api.json']) {
      const { status, body } = await call(handler, sample(name));
      expect([name, status, body]).toEqual([name, 200, { eventId: 'evt-sample', results: [] }]);
    }
  });

  it('route a proxy resource by what it matched: a trailing slash is 404', async () => {
    const { status, body } = await call(handler, sample('rest-api-proxy.json'));
    expect([status, body.error]).toEqual([404, 'not_found']);
    expect(world.atlas.requests).toHaveLength(0);
  });
});

describe('events that are neither API Gateway proxy events nor SQS events', () => {
  const refused = { error: 'unsupported_event', message: 'atlas-onboarder takes API Gateway proxy events and SQS events only' };

  /** Hands `event` to the handler and answers its answer, its log lines and the Atlas calls it made. */
  async function refusal(event: unknown) {
    const before = world.logs.length;
    const answer = (await handler(event, lambdaContext())) as { statusCode: number; headers: Record<string, string>; body: string };
    return { answer, lines: world.logs.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>) };
  }

  it.each([
    ['alb.json', 'alb'],
    ['alb-multi-value.json', 'alb'],
    ['vpc-lattice-v1.json', 'vpc-lattice'],
    ['vpc-lattice-v2.json', 'vpc-lattice'],
    ['function-url.json', 'function-url'],
    ['function-url-iam.json', 'function-url'],
  ])('%s is refused with 400 unsupported_event and one error line, never processed', async (name, looksLike) => {
    const { answer, lines } = await refusal(sample(name));
    expect(answer.statusCode).toBe(400);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(answer.body)).toEqual(refused);
    expect(lines).toEqual([expect.objectContaining({ level: 'error', message: 'unsupported event', looksLike })]);
    expect(world.atlas.requests).toHaveLength(0);
  });

  it.each([
    ['an empty object', {}],
    ['null', null],
    ['a string', 'POST /events'],
    ['an S3 notification', { Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: { key: 'k' } } }] }],
    ['an EventBridge event', { version: '0', id: 'x', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '123456789012', time: '2026-11-28T09:00:00Z', region: 'us-east-1', resources: [], detail: {} }],
    ['a bare onboarding event', hireEvent()],
    ['an API Gateway event without its request context', { ...restEvent({ path: '/events', body: hireEvent() }), requestContext: undefined }],
    ['an HTTP API event without its method', { ...httpApiEvent({ path: '/events', body: hireEvent() }), requestContext: { requestId: 'r', apiId: 'a', domainName: 'a.execute-api.us-east-1.amazonaws.com', stage: '$default' } }],
  ])('%s is refused as unknown', async (_, event) => {
    const { answer, lines } = await refusal(event);
    expect([answer.statusCode, JSON.parse(answer.body)]).toEqual([400, refused]);
    expect(lines).toEqual([expect.objectContaining({ level: 'error', message: 'unsupported event', looksLike: 'unknown' })]);
    expect(world.atlas.requests).toHaveLength(0);
  });
});
