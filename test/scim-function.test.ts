import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpAnswer } from '../lambda/adapters/api-gateway';
import { createHandler, type DirectoryFactory } from '../lambda/functions/scim/app';
import { restEvent } from '../local/events';
import { startAwsEndpoints, type AwsEndpoints } from '../sandbox';
import { MemoryDirectory } from './scim-memory-directory';

/**
 * The scim function built from its environment, with the bearer token secret read by the real Secrets Manager client
 * from the local AWS endpoints (contract section 14): one or two values, rotation, and an unreadable secret.
 */

process.env.AWS_ACCESS_KEY_ID ??= 'AKIDLOCALTEST';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local-test-secret-access-key';

const SECRET_ID = 'atlas-onboarder/scim-token';
const OLD = 'scim-old-token-6f1e0c9a-never-logged';
const NEW = 'scim-new-token-0b7d33e2-never-logged';

let aws: AwsEndpoints;
beforeAll(async () => {
  aws = await startAwsEndpoints();
});
afterAll(() => aws.close());

const directory: DirectoryFactory = () => new MemoryDirectory();

function handlerWith(extra: Record<string, string> = {}) {
  const lines: string[] = [];
  const env = {
    SCIM_TOKEN_SECRET_ID: SECRET_ID,
    SCIM_TABLE_NAME: 'scim-directory',
    ONBOARDING_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/onboarding',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
    ...extra,
  };
  const handler = createHandler(env, directory, { logSink: (line) => lines.push(line) });
  const get = async (token: string | undefined) =>
    (await handler(restEvent({ method: 'GET', path: '/scim/v2/Users', headers: token === undefined ? {} : { authorization: `Bearer ${token}` } }))) as HttpAnswer;
  return { get, lines };
}

describe('the bearer token secret, read from Secrets Manager', () => {
  it('accepts both values of a secret being rotated, refuses others, and logs neither', async () => {
    aws.setSecret(SECRET_ID, JSON.stringify({ values: [OLD, NEW] }));
    const { get, lines } = handlerWith();
    expect((await get(OLD)).statusCode).toBe(200);
    expect((await get(NEW)).statusCode).toBe(200);
    expect((await get('scim-wrong-token')).statusCode).toBe(401);
    expect((await get(undefined)).statusCode).toBe(401);
    const logs = lines.join('\n');
    expect(logs).not.toContain(OLD);
    expect(logs).not.toContain(NEW);
    expect(logs).not.toContain('scim-wrong-token');
  });

  it('picks up a rotated secret after SECRET_TTL_SECONDS', async () => {
    aws.setSecret(SECRET_ID, JSON.stringify({ values: [OLD] }));
    const { get } = handlerWith({ SECRET_TTL_SECONDS: '0' });
    expect((await get(OLD)).statusCode).toBe(200);
    aws.setSecret(SECRET_ID, JSON.stringify({ values: [NEW] }));
    expect((await get(NEW)).statusCode).toBe(200);
    expect((await get(OLD)).statusCode).toBe(401);
  });

  it('answers 503, never 401, when the secret is missing or malformed, with an error line and a DeploymentFaults metric', async () => {
    for (const [id, value] of [
      ['atlas-onboarder/missing', undefined],
      ['atlas-onboarder/malformed', JSON.stringify({ value: OLD })],
      ['atlas-onboarder/three', JSON.stringify({ values: [OLD, NEW, 'third-value'] })],
      ['atlas-onboarder/short', JSON.stringify({ values: ['x'] })],
      ['atlas-onboarder/one-short', JSON.stringify({ values: [OLD, '15-characters!!'] })],
    ] as const) {
      if (value !== undefined) aws.setSecret(id, value);
      const { get, lines } = handlerWith({ SCIM_TOKEN_SECRET_ID: id });
      const answer = await get(OLD);
      expect(answer.statusCode).toBe(503);
      expect(answer.headers['retry-after']).toBe('5');
      expect(JSON.parse(answer.body)).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '503' });
      expect(answer.body).not.toContain(id);
      expect(lines.some((l) => l.includes('"level":"error"') && l.includes('SCIM token secret'))).toBe(true);
      expect(lines.some((l) => l.includes('"DeploymentFaults":1') && l.includes('"Function":"scim"'))).toBe(true);
      expect(lines.join('\n')).not.toContain(OLD);
    }
  });
});
