import '../../zod-messages';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { internalError, isApiGatewayEvent, jsonAnswer, requestIdOf, shapeOf, type HttpAnswer } from '../../adapters/api-gateway';
import { answerHookRequest, type ConnectionSecrets, type OnboardingQueue } from '../../adapters/webhooks/ingress';
import { CachedSecret, createSecretsManagerClient } from '../../aws/secrets-manager';
import { sqsQueueActions } from '../../aws/sqs';
import type { Connection } from '../../contract/connections';
import { flushLogs, Logger, type LogSink } from '../../log';
import { Metrics } from '../../metrics';
import { loadConfig, type Config } from './config';

/**
 * The webhook ingress's composition root (contract sections 9 and 11): the connections, one cached reader per
 * connection secret and the SQS client a warm container reuses, and the handler. It holds no Atlas client: it only
 * verifies, translates and queues.
 */

export type WebhookIngressHandler = (event: unknown, context?: Partial<Context>) => Promise<HttpAnswer>;

export interface HandlerOptions {
  /** Where log lines and the metrics' EMF lines go (default: stdout). */
  logSink?: LogSink;
  /** The queue in place of SQS. */
  queue?: OnboardingQueue;
  /** Seconds since the epoch, for the Standard Webhooks timestamp window. */
  nowSeconds?: () => number;
}

/** A connection secret's SecretString (contract section 11): one value, or two while rotating. */
const connectionSecret = z.object({
  values: z.array(z.string().check(z.minLength(1))).check(z.minLength(1), z.maxLength(2)),
});

/**
 * Builds the Lambda handler from an environment; throws a `ConfigError` naming the variable when it is wrong.
 *
 * @example
 * const handler = createHandler({ CONNECTIONS_FILE: 'examples/connections.json', ONBOARDING_QUEUE_URL, DEAD_LETTER_QUEUE_URL });
 * await handler(apiGatewayEvent, context);
 */
export function createHandler(env: Record<string, string | undefined>, options: HandlerOptions = {}): WebhookIngressHandler {
  const config = loadConfig(env);
  const log = new Logger(config.logLevel, options.logSink, { service: 'atlas-onboarder-webhooks' });
  const metrics = new Metrics('webhook-ingress', options.logSink);
  const queue = options.queue ?? sqsQueueActions(env);
  const secrets = connectionSecrets(config, env, log);

  const handle: WebhookIngressHandler = async (event, context) => {
    const invocationLog = context?.awsRequestId ? log.child({ awsRequestId: context.awsRequestId }) : log;
    if (!isApiGatewayEvent(event)) {
      invocationLog.error('unsupported event', { looksLike: shapeOf(event) });
      return jsonAnswer(400, { error: 'unsupported_event', message: 'the webhook ingress takes API Gateway proxy events only' });
    }
    try {
      return await answerHookRequest(event, {
        connections: config.connections,
        secrets,
        queue,
        onboardingQueueUrl: config.onboardingQueueUrl,
        deadLetterQueueUrl: config.deadLetterQueueUrl,
        log: invocationLog,
        metrics,
        ...(options.nowSeconds && { nowSeconds: options.nowSeconds }),
      });
    } catch (err) {
      invocationLog.error('request failed unexpectedly', { error: err as Error, requestId: requestIdOf(event) });
      return internalError(requestIdOf(event));
    }
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

/** One cached reader per connection secret, made at its first request; every value read is kept out of the logs. */
function connectionSecrets(config: Config, env: Record<string, string | undefined>, log: Logger): ConnectionSecrets {
  let client: ReturnType<typeof createSecretsManagerClient> | undefined;
  const readers = new Map<string, CachedSecret<{ values: string[] }>>();
  return async (connection: Connection, timeoutMs: number) => {
    let reader = readers.get(connection.name);
    if (!reader) {
      client ??= createSecretsManagerClient(env);
      reader = new CachedSecret({
        client,
        secretId: connection.secretId,
        schema: connectionSecret,
        shape: '{"values": ["...", "..."]}',
        label: `the secret of connection ${connection.name}`,
        ttlMs: config.secretTtlMs,
        log,
        onRead: (value) => value.values.forEach((v) => log.addSecret(v)),
      });
      readers.set(connection.name, reader);
    }
    const read = await reader.get(timeoutMs);
    return read.ok ? { ok: true, value: read.value.values } : read;
  };
}
