import { describe, expect, it } from 'vitest';
import { call, CLIENT_ID, CLIENT_SECRET, hireEvent, lambdaContext, restEvent, SECRET_ID, useWorld, type World } from './harness';

let world: World;
useWorld((started) => (world = started));

const financeHire = () => restEvent({ path: '/events', body: hireEvent({ department: 'Finance' }) });

describe('service-account credentials from Secrets Manager', () => {
  it('are read through the real SDK client, signed, from AWS_ENDPOINT_URL_SECRETS_MANAGER', async () => {
    expect((await call(world.handler(), financeHire())).status).toBe(200);
    expect(world.aws.secretRequests.map((r) => r.secretId)).toEqual([SECRET_ID]);
    expect(world.aws.calls.find((c) => c.operation === 'GetSecretValue')?.signed).toBe(true);
  });

  it('are found by ARN as well as by name', async () => {
    const arn = world.aws.setSecret(SECRET_ID, JSON.stringify({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }));
    expect((await call(world.handler({ ATLAS_SECRET_ID: arn }), financeHire())).status).toBe(200);
  });

  it('are read again after SECRET_TTL_SECONDS when a new token is needed, so a rotated secret is picked up', async () => {
    const handler = world.handler({ SECRET_TTL_SECONDS: '0' });
    await call(handler, financeHire());
    world.atlas.revokeTokens();
    await call(handler, financeHire());
    expect(world.aws.secretRequests).toHaveLength(2);
  });

  it('are read again at once when Atlas refuses them after a rotation', async () => {
    const handler = world.handler();
    expect((await call(handler, financeHire())).status).toBe(200);
    // Rotation: Atlas now knows only the new secret, the old tokens are gone, the secret holds the new value.
    world.atlas.configure({ clients: { [CLIENT_ID]: 'rotated-secret-value-0001' } });
    world.atlas.revokeTokens();
    world.addSecret('rotated-secret-value-0001');
    world.aws.setSecret(SECRET_ID, JSON.stringify({ clientId: CLIENT_ID, clientSecret: 'rotated-secret-value-0001' }));
    const { status } = await call(handler, financeHire());
    expect(status).toBe(200);
    expect(world.aws.secretRequests).toHaveLength(2);
    world.atlas.configure({ clients: { [CLIENT_ID]: CLIENT_SECRET } });
  });

  it('when Atlas refuses them and Secrets Manager fails to read them again, the call fails for now, not for good', async () => {
    const handler = world.handler();
    expect((await call(handler, financeHire())).status).toBe(200);
    world.atlas.configure({ clients: { [CLIENT_ID]: 'rotated-secret-value-0002' } });
    world.atlas.revokeTokens();
    world.aws.failNext('GetSecretValue', { times: 100 });
    const { status, body } = await call(handler, financeHire());
    expect(status).toBe(503);
    expect(body.results?.[0]).toMatchObject({ error: { code: 'SECRET_UNAVAILABLE', retryable: true } });
    world.atlas.configure({ clients: { [CLIENT_ID]: CLIENT_SECRET } });
  });

  it('when Secrets Manager fails at first, the call fails for now (503)', async () => {
    world.aws.failNext('GetSecretValue', { times: 100 });
    const { status, body } = await call(world.handler({ ATLAS_MAX_ATTEMPTS: '2' }), financeHire());
    expect(status).toBe(503);
    expect(body.results?.[0]).toMatchObject({ error: { code: 'SECRET_UNAVAILABLE', retryable: true } });
    expect(world.atlas.requests).toHaveLength(0);
  });

  it('when a refresh fails, the last value read is kept', async () => {
    const handler = world.handler({ SECRET_TTL_SECONDS: '0' });
    expect((await call(handler, financeHire())).status).toBe(200);
    world.aws.failNext('GetSecretValue', { times: 100 });
    world.atlas.revokeTokens();
    expect((await call(handler, financeHire())).status).toBe(200);
  });

  // Contract section 7, v2: a fault of the deployment, not of the event. The event waits; the error line tells the operator.
  it('a secret that is not {"clientId","clientSecret"} fails for now, as a fault of the deployment, naming the secret in the log only', async () => {
    world.aws.setSecret(SECRET_ID, 'PLACEHOLDER: put the service account here');
    const before = world.logs.length;
    const { status, body } = await call(world.handler(), financeHire());
    expect(status).toBe(503);
    expect(body.results?.[0]).toMatchObject({ error: { code: 'SECRET_MALFORMED', retryable: true } });
    expect(JSON.stringify(body)).not.toContain(SECRET_ID);
    const errors = world.logs.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.level === 'error');
    expect(errors).toContainEqual(expect.objectContaining({ secretId: SECRET_ID, errorCode: 'SECRET_MALFORMED', deploymentFault: true }));
    expect(errors).toContainEqual(expect.objectContaining({ errorCode: 'SECRET_MALFORMED', deploymentFault: true, message: expect.stringContaining('deployment fault') }));
    // The metric the stack's DeploymentFaults alarm watches.
    const emf = world.logs.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => '_aws' in entry);
    expect(emf).toContainEqual(expect.objectContaining({ Function: 'onboarder', DeploymentFaults: 1 }));
    expect(world.atlas.requests).toHaveLength(0);
  });

  it('after a good read, a malformed refresh keeps the last good value (a rotation typo stops nothing)', async () => {
    const handler = world.handler({ SECRET_TTL_SECONDS: '0' });
    expect((await call(handler, financeHire())).status).toBe(200);
    const before = world.logs.length;
    world.aws.setSecret(SECRET_ID, '{"clientId": "typo"');
    world.atlas.revokeTokens();
    expect((await call(handler, financeHire())).status).toBe(200);
    expect(world.aws.secretRequests).toHaveLength(2);
    const errors = world.logs.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.level === 'error');
    expect(errors).toEqual([expect.objectContaining({ secretId: SECRET_ID, errorCode: 'SECRET_MALFORMED', deploymentFault: true })]);
  });

  it('an unreadable secret names neither the secret nor the AWS error in the answer (the log has both)', async () => {
    world.aws.failNext('GetSecretValue', { times: 100, type: 'AccessDeniedException', status: 400 });
    const { status, body } = await call(world.handler({ ATLAS_MAX_ATTEMPTS: '1' }), financeHire());
    expect(status).toBe(503);
    expect(body.results?.[0]).toMatchObject({ error: { code: 'SECRET_UNAVAILABLE', retryable: true, message: 'could not read the Atlas credentials secret' } });
    expect(JSON.stringify(body)).not.toMatch(new RegExp(`${SECRET_ID}|AccessDenied`));
    expect(world.logs.some((line) => line.includes(SECRET_ID) && line.includes('AccessDeniedException') && line.includes('"deploymentFault":true'))).toBe(true);
  });

  it('a Secrets Manager that never answers fails for now, before the deadline', async () => {
    world.aws.failNext('GetSecretValue', { hang: true, times: 100 }); // reads every request, answers none
    const started = Date.now();
    const { status, body } = await call(world.handler({ ATLAS_TIMEOUT_MS: '800', DEADLINE_MARGIN_MS: '300' }), financeHire(), lambdaContext(3000));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(status).toBe(503);
    expect(body.results?.[0]).toMatchObject({ error: { code: 'SECRET_UNAVAILABLE', retryable: true } });
    expect(world.atlas.requests).toHaveLength(0);
    expect(world.aws.calls.map((c) => [c.operation, c.status])).toContainEqual(['GetSecretValue', 0]);
  });

  it('an unknown secret fails for now, so messages wait in the queue for the operator', async () => {
    const { status, body } = await call(world.handler({ ATLAS_SECRET_ID: 'no/such/secret', ATLAS_MAX_ATTEMPTS: '1' }), financeHire());
    expect(status).toBe(503);
    expect(body.results?.[0]).toMatchObject({ error: { code: 'SECRET_UNAVAILABLE' } });
  });
});
