import { describe, expect, it } from 'vitest';
import { classifyAnswer, classifyTokenAnswer } from '../lambda/atlas/classify';
import { AtlasError } from '../lambda/atlas/errors';
import { backoffDelay, parseRetryAfter, withRetries, } from '../lambda/atlas/retry';
import type { Result } from '../lambda/failure';
import { Deadline } from '../lambda/deadline';

const policy = { maxAttempts: 5, attemptTimeoutMs: 1000, baseDelayMs: 100, maxDelayMs: 1000 };
const now = Date.parse('2026-11-28T12:00:00Z');
const apiError = (status: number, errorCode: string, detail = '') => JSON.stringify({ error: status, errorCode, detail, reason: 'x' });

describe('classification of Atlas answers', () => {
  it.each([
    [500, 'UNEXPECTED_ERROR', 'transient'],
    [502, 'BAD_GATEWAY', 'transient'],
    [503, 'SERVICE_UNAVAILABLE', 'transient'],
    [504, 'GATEWAY_TIMEOUT', 'transient'],
    [429, 'RATE_LIMITED', 'transient'],
    [400, 'RATE_LIMITED_IP', 'transient'],
    [429, 'RATE_LIMITED_TOKEN_BUCKET', 'transient'],
    [409, 'ANYTHING', 'conflict'],
    [400, 'USER_ALREADY_IN_GROUP', 'conflict'],
    [400, 'USER_ALREADY_EXISTS', 'conflict'],
    [400, 'INVALID_EMAIL_ADDRESS', 'permanent'],
    [400, 'INVALID_ROLE_FOR_GROUP', 'permanent'],
    [403, 'DOMAIN_NOT_IN_ALLOW_LIST', 'permanent'],
    [404, 'GROUP_NOT_FOUND', 'permanent'],
    [410, 'VERSION_GONE', 'permanent'],
  ])('%i %s is %s', (status, errorCode, kind) => {
    const error = classifyAnswer(status, {}, apiError(status, errorCode), now);
    expect(error?.kind).toBe(kind);
    expect(error?.code).toBe(errorCode);
  });

  it('treats 2xx as success and a body it cannot read by its status', () => {
    expect(classifyAnswer(200, {}, '{}', now)).toBeUndefined();
    expect(classifyAnswer(201, {}, '', now)).toBeUndefined();
    expect(classifyAnswer(502, {}, '<html>bad gateway</html>', now)).toMatchObject({ kind: 'transient', code: 'HTTP_502' });
  });

  it('reads the wait from Retry-After, or from a detail that names one', () => {
    expect(classifyAnswer(429, { 'retry-after': '7' }, apiError(429, 'RATE_LIMITED'), now)?.details.retryAfterMs).toBe(7000);
    expect(classifyAnswer(429, {}, apiError(429, 'RATE_LIMITED', 'Please retry after 55 seconds'), now)?.details.retryAfterMs).toBe(55_000);
    expect(classifyAnswer(400, {}, apiError(400, 'RATE_LIMITED_IP', 'rate limit of 10 invitations per 5 minutes exceeded'), now)?.details.retryAfterMs).toBe(300_000);
  });

  it('treats the token limit as transient and wrong credentials as a fault of the deployment (transient, no retry now)', () => {
    expect(classifyTokenAnswer(403, {}, '{"error":"access_denied","error_description":"Access Token limit reached"}', now)?.kind).toBe('transient');
    expect(classifyTokenAnswer(401, {}, '{"error":"invalid_client"}', now)).toMatchObject({ kind: 'transient', code: 'INVALID_CREDENTIALS', details: { deploymentFault: true } });
    expect(classifyTokenAnswer(503, {}, '', now)?.kind).toBe('transient');
    expect(classifyTokenAnswer(400, {}, '{"error":"unsupported_grant_type"}', now)?.kind).toBe('permanent');
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(new Date(now + 30_000).toUTCString(), now)).toBe(30_000);
    expect(parseRetryAfter(new Date(now - 30_000).toUTCString(), now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('caps a wait at SQS visibility limit of 12 hours', () => {
    expect(parseRetryAfter('999999', now)).toBe(43_200_000);
  });
});

describe('backoff', () => {
  it('grows exponentially under a cap, with full jitter', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, () => 0.999999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
  });
});

describe('the retry loop', () => {
  const transient = (retryAfterMs?: number): Result<string> => ({
    ok: false,
    error: new AtlasError('transient', 'HTTP_503', 'down', { status: 503, ...(retryAfterMs !== undefined && { retryAfterMs }) }),
  });
  const run = async (outcomes: Result<string>[], budgetMs = 60_000) => {
    const slept: number[] = [];
    let calls = 0;
    const outcome = await withRetries(() => Promise.resolve(outcomes[calls++] ?? transient()), policy, new Deadline(budgetMs), {
      sleep: (ms) => (slept.push(ms), Promise.resolve()),
      random: () => 0.5,
    });
    return { outcome, slept, calls };
  };

  it('retries transient failures until one succeeds', async () => {
    const { outcome, calls, slept } = await run([transient(), transient(), { ok: true, value: 'done' }]);
    expect(outcome).toEqual({ ok: true, value: 'done' });
    expect(calls).toBe(3);
    expect(slept).toEqual([50, 100]);
  });

  it('stops at once on a permanent failure', async () => {
    const permanent = { ok: false as const, error: new AtlasError('permanent', 'INVALID_EMAIL_ADDRESS', 'bad') };
    const { outcome, calls } = await run([permanent]);
    expect(outcome).toBe(permanent);
    expect(calls).toBe(1);
  });

  it('gives up after the last attempt with the last error', async () => {
    const { outcome, calls } = await run([]);
    expect(calls).toBe(policy.maxAttempts);
    expect(outcome.ok ? undefined : outcome.error.code).toBe('HTTP_503');
  });

  it('waits at least Retry-After', async () => {
    const { slept } = await run([transient(2000), { ok: true, value: 'done' }]);
    expect(slept[0]).toBeGreaterThanOrEqual(2000);
  });

  it('does not wait past the deadline: the wait comes back for the caller to use', async () => {
    const { outcome, calls, slept } = await run([transient(120_000)], 5_000);
    expect(calls).toBe(1);
    expect(slept).toEqual([]);
    expect(outcome.ok ? undefined : outcome.error.details.retryAfterMs).toBe(120_000);
  });

  it('makes no attempt when no time is left', async () => {
    const { outcome, calls } = await run([], 0);
    expect(calls).toBe(0);
    expect(outcome.ok ? undefined : outcome.error).toMatchObject({ kind: 'transient', code: 'DEADLINE_EXCEEDED' });
  });
});
