import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { OnboardingQueue } from '../lambda/adapters/webhooks/ingress';
import { parseConnectionsFile, type Connection } from '../lambda/contract/connections';
import { createHandler, type WebhookIngressHandler } from '../lambda/functions/webhook-ingress/app';
import { startAwsEndpoints, type AwsEndpoints } from '../sandbox';
import { localContext, sqsRecords } from './events';
import type { DeadLetter, LocalFunction } from './function';

/**
 * The webhook ingress as `npm start` serves it at `/hooks/{name}`: the real handler, each connection's secret in the
 * local Secrets Manager stand-in (a value derived from the connection's name, {@link localHookSecret}), and a queue
 * kept in memory that hands what the ingress queued to the onboarder, as SQS would, once the sender has its answer.
 */

export const DEFAULT_CONNECTIONS = 'examples/connections.json';
const ONBOARDING_QUEUE_URL = 'http://127.0.0.1/local/onboarding';
const DEAD_LETTER_QUEUE_URL = 'http://127.0.0.1/local/dead-letters';
/** What the onboarder takes in one SQS invocation. */
const SQS_BATCH = 10;

export interface LocalIngress {
  handler: WebhookIngressHandler;
  connections: readonly Connection[];
  /** Every message the ingress put on the onboarding queue, in order. */
  queued: string[];
  /** Resolves once the onboarder has handled everything queued so far. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The secret `npm start` gives a connection: for `standard-webhooks` a `whsec_` secret, for `okta-event-hook` the
 * header value Okta would send (`Basic ...`). Derived from the name, so `npm run send-webhook` knows it too; local only.
 *
 * @example
 * localHookSecret({ name: 'hr-bridge', kind: 'standard-webhooks', ... }); // 'whsec_...'
 */
export function localHookSecret(connection: Pick<Connection, 'name' | 'kind'>): string {
  const seed = createHash('sha256').update(`atlas-onboarder local hook ${connection.name}`).digest();
  return connection.kind === 'standard-webhooks' ? `whsec_${seed.toString('base64')}` : `Basic ${Buffer.from(`okta-hook:${seed.toString('hex').slice(0, 24)}`).toString('base64')}`;
}

/**
 * The connections `npm start` serves: `CONNECTIONS` (inline), `CONNECTIONS_FILE`, or the example file.
 *
 * @example
 * localConnections(process.env); // [{ name: 'okta', kind: 'okta-event-hook', ... }, { name: 'hr-bridge', ... }]
 */
export function localConnections(env: Record<string, string | undefined>): Connection[] {
  if (env.CONNECTIONS) return parseConnectionsFile(env.CONNECTIONS, 'CONNECTIONS').connections;
  const file = env.CONNECTIONS_FILE ?? DEFAULT_CONNECTIONS;
  return parseConnectionsFile(readFileSync(file, 'utf8'), `CONNECTIONS_FILE ${file}`).connections;
}

/**
 * Starts the ingress for `npm start`: `onboarder` gets what it queues (in SQS batches of ten), and its dead letters
 * join the onboarder's.
 *
 * @example
 * const hooks = await startLocalIngress(process.env, local);
 * await hooks.handler(httpApiEvent({ method: 'POST', path: '/hooks/hr-bridge', headers, body }), localContext());
 */
export async function startLocalIngress(env: Record<string, string | undefined>, onboarder: Pick<LocalFunction, 'handler' | 'deadLetters'>, logSink?: (line: string) => void): Promise<LocalIngress> {
  const aws: AwsEndpoints = await startAwsEndpoints();
  // The SDK signs every call and wants credentials to sign with; the stand-in does not check them. Real ones, where
  // set, are kept (and only ever sent to 127.0.0.1).
  process.env.AWS_ACCESS_KEY_ID ??= 'AKIDLOCALHOOKS';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local-hooks-not-a-secret';
  const queued: string[] = [];
  let pending: Promise<void> = Promise.resolve();
  const deliver = (bodies: readonly string[]) => {
    // After the answer, one batch after another, as the event source mapping would hand them to the onboarder.
    pending = pending
      .then(async () => {
        for (let i = 0; i < bodies.length; i += SQS_BATCH) await onboarder.handler({ Records: sqsRecords(bodies.slice(i, i + SQS_BATCH)) }, localContext());
      })
      .catch((err: unknown) => console.error('the onboarder failed on what the webhook ingress queued:', err));
  };
  const queue: OnboardingQueue = {
    enqueue: (_url, bodies) => {
      queued.push(...bodies);
      if (bodies.length > 0) setImmediate(() => deliver(bodies));
      return Promise.resolve();
    },
    deadLetter: (_url, body, errorCode, errorMessage) => {
      onboarder.deadLetters.push({ at: new Date().toISOString(), body, errorCode, errorMessage } satisfies DeadLetter);
      return Promise.resolve();
    },
  };
  const ingressEnv = {
    ...(env.CONNECTIONS ? { CONNECTIONS: env.CONNECTIONS } : { CONNECTIONS_FILE: env.CONNECTIONS_FILE ?? DEFAULT_CONNECTIONS }),
    ONBOARDING_QUEUE_URL,
    DEAD_LETTER_QUEUE_URL,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
    AWS_REGION: 'us-east-1',
    ...(env.LOG_LEVEL && { LOG_LEVEL: env.LOG_LEVEL }),
  };
  try {
    // The handler first: it checks the connections file and names what is wrong in a ConfigError.
    const handler = createHandler(ingressEnv, { queue, ...(logSink && { logSink }) });
    const connections = localConnections(env);
    for (const connection of connections) aws.setSecret(connection.secretId, JSON.stringify({ values: [localHookSecret(connection)] }));
    return {
      handler,
      connections,
      queued,
      settled: async () => {
        // Deliveries start a turn after the answer; wait for those scheduled, then for what they chain.
        let waited: Promise<void>;
        do {
          await new Promise((resolve) => setImmediate(resolve));
          waited = pending;
          await waited;
        } while (waited !== pending);
      },
      close: async () => {
        await pending;
        await aws.close();
      },
    };
  } catch (err) {
    await aws.close();
    throw err;
  }
}
