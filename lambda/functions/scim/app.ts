import '../../zod-messages';
import type { APIGatewayProxyEvent, Context, DynamoDBStreamEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { bodyBytes, isApiGatewayEvent, requestLine, shapeOf, utf8Text, type ApiGatewayEvent, type HttpAnswer } from '../../adapters/api-gateway';
import { relayStreamBatch } from '../../adapters/dynamodb-stream';
import { CachedSecret, createSecretsManagerClient } from '../../aws/secrets-manager';
import { sqsQueueActions } from '../../aws/sqs';
import type { Result } from '../../failure';
import type { ScimStatus } from '../../contract/metrics';
import { flushLogs, Logger, type LogSink } from '../../log';
import { Metrics } from '../../metrics';
import type { Directory } from '../../scim/directory';
import { MAX_BODY_BYTES, scimError, type ScimAnswer, type ScimRequest } from '../../scim/protocol';
import { relayedEventFor } from '../../scim/events';
import { relayChanges, type ChangeQueue } from '../../scim/relay';
import { answerScimRequest } from '../../scim/service';
import { loadConfig, type Config } from './config';

/**
 * The scim function's composition root (contract sections 9 and 14): API Gateway proxy events under `/scim/v2` to
 * the SCIM service, with the directory and the bearer token secret a warm container reuses. DynamoDB stream events
 * (the change relay) arrive at the same handler and are handed to the relay.
 */

export type ScimHandler = (event: unknown, context?: Partial<Context>) => Promise<HttpAnswer | StreamAnswer>;
/** What a stream batch answers (Lambda's partial batch response). */
export interface StreamAnswer {
  batchItemFailures: { itemIdentifier: string }[];
}
/** The accepted bearer token values. */
export type TokenSource = (timeoutMs: number) => Promise<Result<readonly string[]>>;
/** Makes the directory from the configuration, once per container. */
export type DirectoryFactory = (config: Config, env: Record<string, string | undefined>, log: Logger) => Directory;
/** The change relay, for DynamoDB stream events. */
export type StreamRelay = (event: { Records: unknown[] }, log: Logger) => Promise<StreamAnswer>;

export interface ScimApp {
  directory: Directory;
  tokens: TokenSource;
  log: Logger;
  relay?: StreamRelay;
  /** `ScimRequests` by status, and `DeploymentFaults` when the token secret cannot be read. */
  metrics?: Metrics;
}

const PREFIX = '/scim/v2';

/**
 * The handler, from its parts (tests give them directly; {@link createHandler} makes them from the environment).
 *
 * @example
 * const handle = createScimApp({ directory, tokens: async () => ({ ok: true, value: ['s3cr3t'] }), log });
 * await handle(apiGatewayEvent);
 */
export function createScimApp({ directory, tokens, log, relay, metrics }: ScimApp): ScimHandler {
  const countedTokens: TokenSource = async (timeoutMs) => {
    const read = await tokens(timeoutMs);
    if (!read.ok && read.error.details.deploymentFault) metrics?.count('DeploymentFaults');
    return read;
  };
  const handle: ScimHandler = async (event, context) => {
    const invocationLog = context?.awsRequestId ? log.child({ awsRequestId: context.awsRequestId }) : log;
    if (isApiGatewayEvent(event)) {
      const answer = await answerApiGateway(event, { directory, tokens: countedTokens, log: invocationLog });
      // Any status outside the catalogue's list is published as `other`.
      metrics?.count('ScimRequests', String(answer.status) as ScimStatus);
      return toHttp(answer);
    }
    if (isStreamEvent(event)) {
      if (relay) return relay(event, invocationLog);
      // Answered as a success the records would be lost: failing keeps them on the stream until a relay is wired.
      invocationLog.error('a DynamoDB stream event arrived and no relay is wired', { records: event.Records.length });
      throw new Error('no stream relay is wired into the scim function');
    }
    invocationLog.error('unsupported event', { looksLike: shapeOf(event) });
    return toHttp(scimError(400, 'the scim function takes API Gateway proxy events only'));
  };
  return async (event, context) => {
    try {
      return await handle(event, context);
    } finally {
      metrics?.flush();
      flushLogs();
    }
  };
}

export interface HandlerOptions {
  /** Where log lines go (default: stdout). */
  logSink?: LogSink;
  /** The bearer token values in place of Secrets Manager. */
  tokens?: TokenSource;
  /** The change relay in place of the one on the directory and SQS (tests). */
  relay?: StreamRelay;
}

/** A token secret's SecretString (contract section 14): one value, or two while rotating. */
/** A token shorter than 16 characters is a fault of the deployment (guessable): 503 and an error line, as a malformed secret. */
const tokenSecret = z.object({ values: z.array(z.string().check(z.minLength(16))).check(z.minLength(1), z.maxLength(2)) });

/**
 * Builds the Lambda handler from an environment and a directory factory; throws a `ConfigError` naming the variable
 * when the environment is wrong.
 */
export function createHandler(env: Record<string, string | undefined>, directoryFactory: DirectoryFactory, options: HandlerOptions = {}): ScimHandler {
  const config = loadConfig(env);
  const log = new Logger(config.logLevel, options.logSink, { service: 'atlas-onboarder-scim' });
  const directory = directoryFactory(config, env, log);
  return createScimApp({
    directory,
    tokens: options.tokens ?? tokenSecretReader(config, env, log),
    log,
    metrics: new Metrics('scim', options.logSink),
    relay: options.relay ?? changeRelay(directory, config, env),
  });
}

/**
 * The change relay (contract section 14): the table's stream in, one onboarding event per affected user on the
 * onboarding queue; a record it could not relay is answered as a batch item failure, for Lambda to retry from.
 */
function changeRelay(directory: Directory, config: Config, env: Record<string, string | undefined>): StreamRelay {
  let queue: ChangeQueue | undefined;
  return (event, log) => {
    queue ??= sqsQueueActions(env);
    const deps = { directory, queue, onboardingQueueUrl: config.onboardingQueueUrl, onboardingEventFor: relayedEventFor, log };
    return relayStreamBatch(event as DynamoDBStreamEvent, (changes) => relayChanges(changes, deps));
  };
}

function tokenSecretReader(config: Config, env: Record<string, string | undefined>, log: Logger): TokenSource {
  let secret: CachedSecret<{ values: string[] }> | undefined;
  return async (timeoutMs) => {
    secret ??= new CachedSecret({
      client: createSecretsManagerClient(env),
      secretId: config.tokenSecretId,
      schema: tokenSecret,
      shape: '{"values": ["...", "..."]}',
      label: 'the SCIM token secret',
      ttlMs: config.secretTtlMs,
      log,
      onRead: (value) => value.values.forEach((v) => log.addSecret(v)),
    });
    const read = await secret.get(timeoutMs);
    return read.ok ? { ok: true, value: read.value.values } : read;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// API Gateway to the service
// ---------------------------------------------------------------------------------------------------------------

async function answerApiGateway(event: ApiGatewayEvent, deps: Parameters<typeof answerScimRequest>[1]): Promise<ScimAnswer> {
  const { method, path, requestId } = requestLine(event);
  const log = deps.log.child({ requestId });
  try {
    if (path === undefined || !path.startsWith(`${PREFIX}/`)) {
      log.info('scim request', { method, route: 'unknown', status: 404 });
      return scimError(404, 'no such endpoint; the SCIM service is under /scim/v2');
    }
    let body: string | undefined;
    if (event.body !== null && event.body !== undefined && event.body !== '') {
      const bytes = bodyBytes(event);
      if (bytes === undefined) {
        log.info('scim request', { method, route: 'body', status: 413 });
        return scimError(413, `the body must be at most ${MAX_BODY_BYTES} bytes`);
      }
      const text = utf8Text(bytes);
      if (text === null) {
        log.info('scim request', { method, route: 'body', status: 400 });
        return scimError(400, 'the body is not valid UTF-8', 'invalidSyntax');
      }
      body = text;
    }
    const request: ScimRequest = {
      method,
      path: path.slice(PREFIX.length),
      query: { ...(event.queryStringParameters ?? {}) },
      headers: new Map(Object.entries(event.headers ?? {}).flatMap(([name, value]) => (typeof value === 'string' ? [[name.toLowerCase(), value]] : []))),
      body,
      baseUrl: baseUrlOf(event),
    };
    return await answerScimRequest(request, { ...deps, log });
  } catch (err) {
    log.error('request failed unexpectedly', { error: err as Error });
    return scimError(500, `the request could not be processed (request id ${requestId})`);
  }
}

/**
 * Where `/scim/v2` is reached from outside: API Gateway's domain and what precedes `/scim/v2` in the path it saw (a
 * stage, a custom domain's base path). Both come from API Gateway, not from the caller's headers.
 */
function baseUrlOf(event: ApiGatewayEvent): string {
  const context = event.requestContext as { domainName?: string; path?: string };
  const seen = 'version' in event && event.version === '2.0' ? event.rawPath : (context.path ?? (event as APIGatewayProxyEvent).path);
  const at = seen.indexOf(`${PREFIX}/`);
  const prefix = at > 0 ? seen.slice(0, at) : '';
  return `https://${context.domainName ?? 'localhost'}${prefix}${PREFIX}`;
}

function isStreamEvent(event: unknown): event is { Records: unknown[] } {
  if (typeof event !== 'object' || event === null) return false;
  const records = (event as { Records?: unknown }).Records;
  return Array.isArray(records) && records.length > 0 && records.every((r) => typeof r === 'object' && r !== null && (r as { eventSource?: unknown }).eventSource === 'aws:dynamodb');
}

function toHttp(answer: ScimAnswer): HttpAnswer {
  return { statusCode: answer.status, headers: answer.headers, body: answer.body };
}
