import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createHandler, type HandlerOptions, type OnboarderHandler } from '../lambda/functions/onboarder/app';
import { localContext, sqsEvent as sqsEventOf, type SqsRecordOptions } from '../local/events';
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
/** The Okta API token a world's Okta stand-in accepts (contract section 12), and the secret that holds it. */
export const OKTA_API_TOKEN = '00okta_api_T0ken-That-Must-Never-Be-Logged';
export const OKTA_API_SECRET_ID = 'atlas-onboarder/okta-api';

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
  /** The log lines the world's handlers wrote. A test may clear it; the teardown check reads `linesWritten`. */
  logs: string[];
  /** Every log line the world's handlers wrote, cleared ones included: what the teardown check reads. */
  readonly linesWritten: readonly string[];
  /** Where every handler of this world writes its log lines. */
  logSink(line: string): void;
  /** A handler built from `env` with `overrides`: a fresh container. */
  handler(overrides?: Record<string, string | undefined>, options?: HandlerOptions): OnboarderHandler;
  /** Adds a secret the test stored itself (a wrong or rotated client secret): no log line may carry it either. */
  addSecret(value: string): void;
  /** The values no log line may carry: the client secret, its Basic credential, every access token the sandbox issued, the Okta API token, and those added. */
  secrets(): string[];
  /** Stops the sandbox and the endpoints, then fails if a log line the world collected carried a secret (see {@link expectNoSecretInLogs}). */
  close(): Promise<void>;
}

const BASIC_CREDENTIAL = Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64');
/** An Authorization value's scheme (Okta's `SSWS` too): whatever follows it is a credential, known to the world or not. */
const AUTH_SCHEMES = ['Bearer ', 'Basic ', 'SSWS '];
const AUTH_VALUE = /(Bearer|Basic|SSWS) +[^\s"'\\,;]*/g;

export async function startWorld(atlasOptions: AtlasSandboxOptions = {}): Promise<World> {
  const atlas = await startAtlasSandbox({ clients: { [CLIENT_ID]: CLIENT_SECRET }, ...atlasOptions });
  const aws = await startAwsEndpoints({
    secrets: { [SECRET_ID]: JSON.stringify({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }), [OKTA_API_SECRET_ID]: JSON.stringify({ token: OKTA_API_TOKEN }) },
  });
  const logs: string[] = [];
  const linesWritten: string[] = [];
  const added: string[] = [];
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
  const logSink = (line: string) => {
    logs.push(line);
    linesWritten.push(line);
  };
  const world: World = {
    atlas,
    aws,
    env,
    logs,
    linesWritten,
    logSink,
    handler: (overrides = {}, options = {}) => createHandler({ ...env, ...overrides }, { logSink, ...options }),
    addSecret: (value) => {
      if (value.length === 0) throw new Error('addSecret: an empty secret would match every line');
      added.push(value);
    },
    secrets: () => [CLIENT_SECRET, BASIC_CREDENTIAL, ...atlas.issuedTokens(), OKTA_API_TOKEN, ...added],
    close: async () => {
      await atlas.close();
      await aws.close();
      expectNoSecretInLogs(world);
    },
  };
  return world;
}

/**
 * One world for a test file: started before its tests and handed to `started`, reset before each test (the Atlas
 * sandbox, and the AWS endpoints unless `reset` is `'atlas'`), closed after the last, which fails the file if a log
 * line carried a secret.
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
 * The log lines, of all the world collected, that carry a secret: one of {@link World.secrets}, or an Authorization
 * value (`Bearer ...`, `Basic ...`).
 */
export function linesWithSecrets(world: World): string[] {
  return offendingLines(world).map(({ line }) => line);
}

/**
 * Throws if a log line the world collected carries a secret, naming each such line by its number, cut around the
 * first secret, with every secret masked: the report must not leak what it found. Every world's teardown runs it.
 */
export function expectNoSecretInLogs(world: World): void {
  const offending = offendingLines(world);
  if (offending.length === 0) return;
  const values = world.secrets().sort((a, b) => b.length - a.length);
  const shown = offending.slice(0, 10).map(({ index, line }) => {
    const masked = values.reduce((text, value) => text.split(value).join('[secret]'), line).replace(AUTH_VALUE, '$1 [secret]');
    return `  line ${index + 1}: ${cut(masked, masked.indexOf('[secret]'))}`;
  });
  if (offending.length > shown.length) shown.push(`  and ${offending.length - shown.length} more`);
  throw new Error(
    `${offending.length} of ${world.linesWritten.length} log lines carry a secret (the client secret, its Basic credential, an access token, an Authorization value or a secret the test added); masked:\n${shown.join('\n')}`,
  );
}

function offendingLines(world: World): { index: number; line: string }[] {
  const secrets = [...world.secrets(), ...AUTH_SCHEMES];
  return world.linesWritten.flatMap((line, index) => (secrets.some((secret) => line.includes(secret)) ? [{ index, line }] : []));
}

/** About 160 characters of `text` around `at`, with an ellipsis where it was cut. */
function cut(text: string, at: number, width = 160): string {
  const start = Math.max(0, Math.min(at - width / 2, text.length - width));
  const end = Math.min(text.length, start + width);
  return `${start > 0 ? '…' : ''}${text.slice(start, end)}${end < text.length ? '…' : ''}`;
}

/** A Lambda context whose remaining time runs down with the clock (the local runner's own). */
export const lambdaContext = localContext;

/** API Gateway events (REST API and HTTP API), from the one builder the local tools and the benchmark use too. */
export { eventBridgeEvent, httpApiEvent, restEvent, snsNotification } from '../local/events';

/** An SQS event with one record per body (objects are sent as their JSON), from {@link SOURCE_QUEUE_ARN} unless `options` say otherwise. */
export function sqsEvent(bodies: readonly unknown[], options: SqsRecordOptions = {}): SQSEvent {
  return sqsEventOf(bodies, { queueArn: SOURCE_QUEUE_ARN, ...options });
}

/** The parsed JSON answer of an API call. */
export async function call(handler: OnboarderHandler, event: unknown, context = lambdaContext()) {
  const answer = (await handler(event, context)) as { statusCode: number; headers: Record<string, string>; body: string };
  return { status: answer.statusCode, headers: answer.headers, body: JSON.parse(answer.body) as Record<string, unknown> & { results?: Record<string, unknown>[] } };
}

export async function batch(handler: OnboarderHandler, event: SQSEvent, context = lambdaContext()) {
  return (await handler(event, context)) as { batchItemFailures: { itemIdentifier: string }[] };
}
