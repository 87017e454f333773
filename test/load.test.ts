import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQueue, type LoadReport } from '../bench/load';
import { hireEvent, startWorld, type World } from './harness';

/**
 * 1,000 onboarding events through the SQS path in batches of 10, against a sandbox that allows 50 invitations a
 * second and answers 429 with Retry-After past that. Loopback only, bounded at 120 s.
 */

const EVENTS = 1000;
const RATE = 50;
const INVALID_EVERY = 100;

let world: World;
let report: LoadReport;
let emails: string[];
beforeAll(async () => {
  world = await startWorld({ rateLimit: { requestsPerSecond: RATE } });
  const bodies: unknown[] = [];
  emails = [];
  for (let i = 0; i < EVENTS; i++) {
    if (i % INVALID_EVERY === 0) {
      bodies.push({ source: 'hr', type: 'employee.hired', user: { email: `not-an-address-${i}` } });
      continue;
    }
    const event = hireEvent({ department: 'Finance', email: `load-${i}@example.com` });
    emails.push(event.user.email);
    bodies.push(event);
  }
  const env = { LOG_LEVEL: 'info', ATLAS_RETRY_BASE_MS: '100', ATLAS_RETRY_MAX_MS: '2000', ATLAS_MAX_ATTEMPTS: '8' };
  report = await runQueue({
    bodies,
    containers: Array.from({ length: 5 }, () => world.handler(env)),
    batchSize: 10,
    invocationBudgetMs: 30_000,
    maxRunMs: 120_000,
    visibilityOf: (handle) => world.aws.visibilityChanges.findLast((c) => c.receiptHandle === handle)?.visibilityTimeout,
  });
  console.log(`load: ${JSON.stringify(report)}; invite calls ${world.atlas.count('invites')}, 429s ${world.atlas.requests.filter((r) => r.status === 429).length}, tokens ${world.atlas.count('token')}`);
}, 150_000);
afterAll(() => world.close());

describe('1,000 events through SQS against a rate limit', () => {
  it('lose nothing: every message is acknowledged, none is left in the queue', () => {
    expect(report.leftInQueue).toBe(0);
    expect(report.acknowledged).toBe(EVENTS);
  });

  it('invite every valid event exactly once', () => {
    const invited = world.atlas.invitations().map((i) => i.username);
    expect(invited).toHaveLength(emails.length);
    expect(new Set(invited)).toEqual(new Set(emails));
  });

  it('dead-letter every invalid event with its reason, and nothing else', () => {
    expect(world.aws.sentMessages).toHaveLength(EVENTS / INVALID_EVERY);
    for (const message of world.aws.sentMessages) {
      expect(message.attributes.errorCode?.StringValue).toBe('invalid_event');
      expect(message.attributes.errorMessage?.StringValue).toBe('user.email: must be a valid e-mail address');
    }
  });

  // Contract section 6, v2 (pacing): the calls of a container wait together on a rate-limited project, so the limit
  // costs few calls of its own (the bench measures the throughput: bench/results.json, rateLimited).
  it('spend at most 1.05 Atlas calls per invitation against the limit', () => {
    expect(world.atlas.count('invites') / world.atlas.invitations().length).toBeLessThanOrEqual(1.05);
  });

  it('request one token per container', () => {
    expect(world.atlas.count('token')).toBeLessThanOrEqual(5);
  });
});
