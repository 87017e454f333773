import type { Context, SQSBatchResponse } from 'aws-lambda';
import type { Dispatcher } from './atlas/undici';
import { answerApiRequest, internalError, isApiGatewayEvent, requestIdOf, type HttpAnswer } from './adapters/api-gateway';
import { answerSqsBatch, isSqsEvent, type QueueActions } from './adapters/sqs';
import { AtlasClient } from './atlas/client';
import type { RetryHooks } from './atlas/retry';
import { createSecretsManagerClient, sqsQueueActions } from './aws';
import { loadConfig, type Config } from './config';
import { fixedCredentials, SecretsManagerCredentials } from './credentials';
import { Deadline } from './deadline';
import { InviteLedger } from './ledger';
import { flushLogs, Logger, type LogSink } from './log';
import { onboard, type OnboardingDeps } from './onboard';

/**
 * The composition root: configuration, clients and caches that a warm container reuses, and the handler that routes
 * an invocation to its adapter. `handler.ts` builds one from `process.env`; tests and the local runner build their own.
 */

/** API Gateway's REST integration gives up after 29 s: an answer after that reaches nobody. */
const API_BUDGET_MS = 28_000;
/** When no Lambda context is given (a local call), the time an invocation may take. */
const LOCAL_BUDGET_MS = 30_000;
/** Kept back from the end of an invocation for answering once the last SQS call has given up. */
const ANSWER_RESERVE_MS = 200;

export type OnboarderHandler = (event: unknown, context?: Partial<Context>) => Promise<HttpAnswer | SQSBatchResponse>;

export interface HandlerOptions {
  /** Where log lines go (default: stdout). */
  logSink?: LogSink;
  /** The HTTP dispatcher for Atlas (default: one keep-alive agent per container). */
  dispatcher?: Dispatcher;
  /** Queue actions in place of SQS (the local runner keeps dead letters in memory). */
  queue?: QueueActions;
  /** Retry hooks, for tests of the retry timing. */
  retryHooks?: RetryHooks;
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
  const deps: OnboardingDeps = { rules: config.rules, atlas: createAtlas(config, env, log, options), ledger: new InviteLedger() };
  const queue = options.queue ?? sqsQueueActions(env);

  const handle: OnboarderHandler = async (event, context) => {
    const remainingMs = context?.getRemainingTimeInMillis?.() ?? LOCAL_BUDGET_MS;
    const awsRequestId = context?.awsRequestId;
    const invocationLog = awsRequestId ? log.child({ awsRequestId }) : log;

    if (isSqsEvent(event)) {
      const deadline = new Deadline(remainingMs - config.deadlineMarginMs);
      return answerSqsBatch(event, {
        run: (request, o) => onboard(request, deps, { dryRun: config.dryRun, deadline, log: o.log, fallbackId: o.fallbackId }),
        queue,
        deadLetterQueueUrl: config.deadLetterQueueUrl,
        concurrency: config.batchConcurrency,
        deadline,
        queueDeadline: new Deadline(remainingMs - ANSWER_RESERVE_MS),
        log: invocationLog,
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
    invocationLog.error('unsupported event: neither API Gateway nor SQS');
    throw new Error('atlas-onboarder handles API Gateway proxy events and SQS events only');
  };
  // Every line of an invocation is out before its answer: Lambda freezes the process once it has the answer.
  return async (event, context) => {
    try {
      return await handle(event, context);
    } finally {
      flushLogs();
    }
  };
}

function createAtlas(config: Config, env: Record<string, string | undefined>, log: Logger, options: HandlerOptions): AtlasClient | undefined {
  if (!config.credentials) return undefined;
  const credentials =
    'secretId' in config.credentials
      ? new SecretsManagerCredentials(createSecretsManagerClient(env), config.credentials.secretId, config.secretTtlMs, log)
      : fixedCredentials(config.credentials.fixed);
  if ('fixed' in config.credentials) log.addSecret(config.credentials.fixed.clientSecret);
  return new AtlasClient({
    baseUrl: config.atlasBaseUrl,
    inviteApi: config.inviteApi,
    retry: config.retry,
    credentials,
    log,
    ...(options.dispatcher && { dispatcher: options.dispatcher }),
    ...(options.retryHooks && { hooks: options.retryHooks }),
  });
}
