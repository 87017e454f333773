import '../../zod-messages';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import * as z from 'zod/mini';
import { answerApiRequest, internalError, isApiGatewayEvent, refuseUnsupportedEvent, requestIdOf, type HttpAnswer } from '../../adapters/api-gateway';
import { answerSqsBatch, DeadLetterMemory, isSqsEvent, type QueueActions } from '../../adapters/sqs';
import { fixedCredentials, type Credentials, type CredentialsSource } from '../../atlas/credentials';
import { Invitations, type InviteOutcome } from '../../atlas/invitations';
import { ProjectUsers } from '../../atlas/project-users';
import type { RetryHooks } from '../../atlas/retry';
import { AtlasSession } from '../../atlas/session';
import type { Dispatcher } from '../../atlas/transport';
import { CachedSecret, createSecretsManagerClient } from '../../aws/secrets-manager';
import { sqsQueueActions } from '../../aws/sqs';
import { ActionLedger } from '../../core/ledger';
import { onboard, PersonQueue, type OnboardingDeps } from '../../core/onboard';
import { Deadline } from '../../deadline';
import { flushLogs, Logger, type LogSink } from '../../log';
import { Metrics } from '../../metrics';
import { ConfigError, loadConfig, type Config } from './config';
import { oktaPersonSource } from './persons';

/**
 * The onboarder's composition root: configuration, clients and caches that a warm container reuses, and the handler
 * that routes an invocation to its adapter. `handler.ts` builds one from `process.env`; tests and the local runner
 * build their own.
 */

/** API Gateway's REST integration gives up after 29 s: an answer after that reaches nobody. */
const API_BUDGET_MS = 28_000;
/** When no Lambda context is given (a local call), the time an invocation may take. */
const LOCAL_BUDGET_MS = 30_000;
/** Kept back from the end of an invocation for answering once the last SQS call has given up. */
const ANSWER_RESERVE_MS = 200;

export type OnboarderHandler = (event: unknown, context?: Partial<Context>) => Promise<HttpAnswer | SQSBatchResponse>;

export interface HandlerOptions {
  /** Where log lines and the metrics' EMF lines go (default: stdout). */
  logSink?: LogSink;
  /** The HTTP dispatcher for Atlas (default: one keep-alive agent per container). */
  dispatcher?: Dispatcher;
  /** Queue actions in place of SQS (the local runner keeps dead letters in memory). */
  queue?: QueueActions;
  /** Retry hooks, for tests of the retry timing. */
  retryHooks?: RetryHooks;
  /** The HTTP dispatcher for Okta (default: one keep-alive agent per container). */
  oktaDispatcher?: Dispatcher;
}

/**
 * Builds the Lambda handler from an environment; throws a `ConfigError` naming the variable when it is wrong.
 *
 * @example
 * const handler = createHandler({ ROLE_MAPPING_FILE: 'examples/rules.json', DRY_RUN: 'true' });
 * await handler(apiGatewayEvent, context);
 */
export function createHandler(env: Record<string, string | undefined>, options: HandlerOptions = {}): OnboarderHandler {
  const config = loadConfig(env);
  const log = new Logger(config.logLevel, options.logSink, { service: 'atlas-onboarder' });
  const metrics = new Metrics('onboarder', options.logSink);
  const atlas = createAtlas(config, env, log, metrics, options);
  const deps: OnboardingDeps = {
    rules: config.rules,
    atlas: atlas?.invitations,
    access: atlas?.projectUsers,
    ledger: new ActionLedger<InviteOutcome>(),
    people: new PersonQueue(),
    metrics,
    // Without a connections file, events are used as they come (v1); with one, Okta's people are read (section 12).
    ...(config.connections && {
      persons: oktaPersonSource({
        connections: config.connections,
        env,
        retry: config.retry,
        secretTtlMs: config.secretTtlMs,
        log,
        metrics,
        ...(options.oktaDispatcher && { dispatcher: options.oktaDispatcher }),
        ...(options.retryHooks && { hooks: options.retryHooks }),
      }),
    }),
  };
  const queue = options.queue ?? sqsQueueActions(env);
  const deadLettered = new DeadLetterMemory();

  const handle: OnboarderHandler = async (event, context) => {
    const invokedAt = Date.now();
    const remainingMs = context?.getRemainingTimeInMillis?.() ?? LOCAL_BUDGET_MS;
    const awsRequestId = context?.awsRequestId;
    const invocationLog = awsRequestId ? log.child({ awsRequestId }) : log;

    if (isSqsEvent(event)) {
      // Without a dead-letter queue a permanent failure has nowhere to go: fail the whole batch so nothing is lost.
      if (!config.deadLetterQueueUrl) throw new ConfigError('DEAD_LETTER_QUEUE_URL', 'is required to process SQS messages');
      const deadline = new Deadline(remainingMs - config.deadlineMarginMs);
      return answerSqsBatch(event, {
        run: (request, o) => onboard(request, deps, { dryRun: config.dryRun, deadline, log: o.log, fallbackId: o.fallbackId }),
        queue,
        deadLetterQueueUrl: config.deadLetterQueueUrl,
        concurrency: config.batchConcurrency,
        deadline,
        queueDeadline: new Deadline(remainingMs - ANSWER_RESERVE_MS),
        deadLettered,
        invokedAt,
        log: invocationLog,
        metrics,
      });
    }
    if (isApiGatewayEvent(event)) {
      const deadline = new Deadline(Math.min(remainingMs - config.deadlineMarginMs, API_BUDGET_MS));
      try {
        return await answerApiRequest(
          event,
          (request, o) => onboard(request, deps, { dryRun: config.dryRun || o.dryRun, deadline, log: o.log, fallbackId: o.fallbackId }),
          invocationLog,
        );
      } catch (err) {
        invocationLog.error('request failed unexpectedly', { error: err as Error, requestId: requestIdOf(event) });
        return internalError(requestIdOf(event));
      }
    }
    return refuseUnsupportedEvent(event, invocationLog);
  };
  // Every line of an invocation, its metrics too, is out before its answer: Lambda freezes the process once it has it.
  return async (event, context) => {
    try {
      return await handle(event, context);
    } finally {
      metrics.flush();
      flushLogs();
    }
  };
}

/** The Atlas credentials secret's SecretString (contract section 2). */
const credentialsSecret = z.object({ clientId: z.string().check(z.minLength(1)), clientSecret: z.string().check(z.minLength(1)) });

/** The Atlas operations over one session (one token cache, one pacer); `undefined` without credentials (a dry run). */
function createAtlas(
  config: Config,
  env: Record<string, string | undefined>,
  log: Logger,
  metrics: Metrics,
  options: HandlerOptions,
): { invitations: Invitations; projectUsers: ProjectUsers } | undefined {
  if (!config.credentials) return undefined;
  let credentials: CredentialsSource;
  if ('secretId' in config.credentials) {
    credentials = new CachedSecret<Credentials>({
      client: createSecretsManagerClient(env),
      secretId: config.credentials.secretId,
      schema: credentialsSecret,
      shape: '{"clientId": "...", "clientSecret": "..."}',
      label: 'the Atlas credentials secret',
      ttlMs: config.secretTtlMs,
      log,
      onRead: (value) => log.addSecret(value.clientSecret),
    });
  } else {
    credentials = fixedCredentials(config.credentials.fixed);
    log.addSecret(config.credentials.fixed.clientSecret);
  }
  const session = new AtlasSession({
    baseUrl: config.atlasBaseUrl,
    retry: config.retry,
    credentials,
    log,
    metrics,
    ...(options.dispatcher && { dispatcher: options.dispatcher }),
    ...(options.retryHooks && { hooks: options.retryHooks }),
  });
  const invitations = new Invitations(session, config.inviteApi, log);
  return { invitations, projectUsers: new ProjectUsers(session, invitations) };
}
