import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createHandler, type HandlerOptions, type OnboarderHandler } from '../lambda/functions/onboarder/app';
import { localContext, messageBody, sqsRecords } from '../local/events';
import { startAtlasSandbox, startAwsEndpoints, type AtlasSandbox, type AtlasSandboxOptions, type AwsEndpoints } from '../sandbox';

/**
 * The world a test runs in: the Atlas sandbox and the AWS endpoints on loopback, the real handler pointed at them
 * through the environment, and every log line it writes.
 */

export const PROJECT_A = '5f1e2d3c4b5a69788796a5b4';
export const PROJECT_B = '64b7c8d9e0f1a2b3c4d5e6f7';
export const DIRECT_PROJECT = '6a0b1c2d3e4f5a6b7c8d9e0f';
export const CLIENT_ID = 'mdb_sa_id_0123456789abcdef';
export const CLIENT_SECRET = 'mdb_sa_sk_S3cr3t-Value-That-Must-Never-Be-Logged';
export const SECRET_ID = 'atlas/onboarder/service-account';
export const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/onboarding-dlq';
export const SOURCE_QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:onboarding';
export const SOURCE_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/onboarding';

export const RULES = {
  rules: [
    {
      name: 'data-platform-hires',
      when: { source: 'hr', type: ['employee.hired', 'employee.updated'], department: 'Data Platform' },
      invite: [
        { groupId: PROJECT_A, roles: ['GROUP_DATA_ACCESS_READ_WRITE'] },
        { groupId: PROJECT_B, roles: ['GROUP_READ_ONLY'] },
      ],
    },
    { name: 'okta-analytics-readers', when: { source: 'sso', group: 'atlas-analytics-readers' }, invite: [{ groupId: PROJECT_A, roles: ['GROUP_READ_ONLY'] }] },
    { name: 'finance', when: { source: 'hr', department: 'Finance' }, invite: [{ groupId: PROJECT_B, roles: ['GROUP_READ_ONLY'] }] },
  ],
  directInvites: [{ groupId: DIRECT_PROJECT, roles: ['GROUP_READ_ONLY', 'GROUP_DATA_ACCESS_READ_ONLY'] }],
};

// The real AWS SDK clients read credentials and region from the environment.
process.env.AWS_ACCESS_KEY_ID = 'AKIDLOCALTEST';
process.env.AWS_SECRET_ACCESS_KEY = 'local-test-secret-access-key';
process.env.AWS_REGION = 'us-east-1';

let counter = 0;
/** An onboarding event for one person, unique unless `email` is given. */
export function hireEvent(fields: { email?: string; department?: string; type?: string; source?: string; group?: string; id?: string } = {}) {
  counter++;
  return {
    id: fields.id ?? `evt-${counter}`,
    source: fields.source ?? 'hr',
    type: fields.type ?? 'employee.hired',
    ...(fields.group && { group: fields.group }),
    user: { email: fields.email ?? `person${counter}.${Date.now()}@example.com`, department: fields.department ?? 'Data Platform' },
  };
}

export interface World {
  atlas: AtlasSandbox;
  aws: AwsEndpoints;
  env: Record<string, string>;
  logs: string[];
  /** A handler built from `env` with `overrides`: a fresh container. */
  handler(overrides?: Record<string, string | undefined>, options?: HandlerOptions): OnboarderHandler;
  close(): Promise<void>;
}

export async function startWorld(atlasOptions: AtlasSandboxOptions = {}): Promise<World> {
  const atlas = await startAtlasSandbox({ clients: { [CLIENT_ID]: CLIENT_SECRET }, ...atlasOptions });
  const aws = await startAwsEndpoints({ secrets: { [SECRET_ID]: JSON.stringify({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }) } });
  const logs: string[] = [];
  const env = {
    ATLAS_BASE_URL: atlas.url,
    ATLAS_SECRET_ID: SECRET_ID,
    ROLE_MAPPING: JSON.stringify(RULES),
    DEAD_LETTER_QUEUE_URL: DLQ_URL,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
    AWS_ENDPOINT_URL_SQS: aws.url,
    AWS_REGION: 'us-east-1',
    ATLAS_RETRY_BASE_MS: '20',
    ATLAS_RETRY_MAX_MS: '200',
    ATLAS_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'debug',
  };
  return {
    atlas,
    aws,
    env,
    logs,
    handler: (overrides = {}, options = {}) => createHandler({ ...env, ...overrides }, { logSink: (line) => logs.push(line), ...options }),
    close: async () => {
      await atlas.close();
      await aws.close();
    },
  };
}

/**
 * One world for a test file: started before its tests and handed to `started`, reset before each test (the Atlas
 * sandbox, and the AWS endpoints unless `reset` is `'atlas'`), closed after the last.
 *
 * @example
 * let world: World;
 * useWorld((started) => (world = started));
 */
export function useWorld(started: (world: World) => void, options: { reset?: 'all' | 'atlas' } = {}): void {
  let world: World | undefined;
  beforeAll(async () => {
    world = await startWorld();
    started(world);
  });
  afterAll(() => world?.close());
  beforeEach(() => {
    world!.atlas.reset();
    if (options.reset !== 'atlas') world!.aws.reset();
  });
}

/**
 * The log lines that carry a secret: the client secret, any access token the sandbox issued, the Basic credential,
 * an Authorization value, or any of `extra` (a secret the test stored itself). A test that ends with this empty has
 * shown its scenarios keep logs clean.
 */
export function linesWithSecrets(world: World, extra: readonly string[] = []): string[] {
  const secrets = [CLIENT_SECRET, Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64'), 'Bearer ', 'Basic ', ...world.atlas.issuedTokens(), ...extra];
  return world.logs.filter((line) => secrets.some((secret) => line.includes(secret)));
}

/** A Lambda context whose remaining time runs down with the clock (the local runner's own). */
export const lambdaContext = localContext;

interface ApiRequest {
  method?: string;
  path: string;
  body?: unknown;
  query?: Record<string, string>;
  base64?: boolean;
}

function bodyOf(request: ApiRequest): { body: string | null; isBase64Encoded: boolean } {
  if (request.body === undefined) return { body: null, isBase64Encoded: false };
  const text = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
  return request.base64 ? { body: Buffer.from(text).toString('base64'), isBase64Encoded: true } : { body: text, isBase64Encoded: false };
}

/**
 * A REST API (payload 1.0) proxy event, as API Gateway sends it for a request that reached the `/{proxy+}` resource
 * of stage `prod` (`/` reaches the root resource).
 */
export function restEvent(request: ApiRequest): APIGatewayProxyEvent {
  const method = request.method ?? 'POST';
  const root = request.path === '/';
  const requestId = `rest-${++counter}`;
  return {
    resource: root ? '/' : '/{proxy+}',
    path: request.path,
    httpMethod: method,
    headers: { 'content-type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: request.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: root ? null : { proxy: request.path.slice(1) },
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'restapi01',
      domainName: 'restapi01.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'restapi01',
      requestId,
      stage: 'prod',
      httpMethod: method,
      path: `/prod${request.path}`,
      resourcePath: root ? '/' : '/{proxy+}',
      resourceId: 'abc123',
    } as never,
    ...bodyOf(request),
  };
}

/** An HTTP API (payload 2.0) proxy event, for the `$default` route of the `$default` stage unless `stage` is given. */
export function httpApiEvent(request: ApiRequest & { stage?: string }): APIGatewayProxyEventV2 {
  const { body, isBase64Encoded } = bodyOf(request);
  const method = request.method ?? 'POST';
  const stage = request.stage ?? '$default';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.path,
    rawQueryString: new URLSearchParams(request.query ?? {}).toString(),
    headers: { 'content-type': 'application/json' },
    ...(request.query && { queryStringParameters: request.query }),
    requestContext: {
      accountId: '123456789012',
      apiId: 'httpapi01',
      domainName: 'httpapi01.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'httpapi01',
      requestId: `http-${++counter}`,
      routeKey: '$default',
      stage,
      http: { method, path: request.path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' },
    } as never,
    isBase64Encoded,
    ...(body !== null && { body }),
  };
}

/** An SQS event with one record per body (objects are sent as their JSON), from {@link SOURCE_QUEUE_ARN}. */
export function sqsEvent(bodies: unknown[]): SQSEvent {
  return { Records: sqsRecords(bodies.map(messageBody), SOURCE_QUEUE_ARN) };
}

/** The parsed JSON answer of an API call. */
export async function call(handler: OnboarderHandler, event: unknown, context = lambdaContext()) {
  const answer = (await handler(event, context)) as { statusCode: number; headers: Record<string, string>; body: string };
  return { status: answer.statusCode, headers: answer.headers, body: JSON.parse(answer.body) as Record<string, unknown> & { results?: Record<string, unknown>[] } };
}

export async function batch(handler: OnboarderHandler, event: SQSEvent, context = lambdaContext()) {
  return (await handler(event, context)) as { batchItemFailures: { itemIdentifier: string }[] };
}
