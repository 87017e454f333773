import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { OnboardingQueue } from '../lambda/adapters/webhooks/ingress';
import { parseConnectionsFile, type Connection } from '../lambda/contract/connections';
import { createHandler, type WebhookIngressHandler } from '../lambda/functions/webhook-ingress/app';
import { OKTA_SANDBOX_TOKEN, startAwsEndpoints, type AwsEndpoints, type OktaSandbox } from '../sandbox';
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
  /**
   * What the onboarder's environment needs to read people as the ingress's connections say (contract section 12): the
   * same connections and, unless real AWS secrets are in use (`ATLAS_SECRET_ID`, `AWS_ENDPOINT_URL_SECRETS_MANAGER`),
   * the local Secrets Manager, which holds the stand-in's API token under each loopback Okta connection's
   * `oktaApiSecretId`.
   */
  onboarderEnv: Record<string, string>;
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
  // A local run may point oktaOrgUrl at the Okta stand-in (http: on loopback), as the functions outside Lambda do.
  if (env.CONNECTIONS) return parseConnectionsFile(env.CONNECTIONS, 'CONNECTIONS', { loopbackHttp: true }).connections;
  const file = env.CONNECTIONS_FILE ?? DEFAULT_CONNECTIONS;
  return parseConnectionsFile(readFileSync(file, 'utf8'), `CONNECTIONS_FILE ${file}`, { loopbackHttp: true }).connections;
}

/**
 * The connections both functions get: yours (`CONNECTIONS`, `CONNECTIONS_FILE`) as they are, or the example file with
 * each Okta connection that reads people (contract section 12) reading them from the Okta stand-in instead.
 */
function servedConnections(env: Record<string, string | undefined>, okta: Pick<OktaSandbox, 'url'>): Connection[] {
  const connections = localConnections(env);
  if (env.CONNECTIONS || env.CONNECTIONS_FILE) return connections;
  return connections.map((c) => (c.kind === 'okta-event-hook' && c.oktaOrgUrl && c.oktaApiSecretId ? { ...c, oktaOrgUrl: okta.url } : c));
}

/**
 * Starts the ingress for `npm start`: `onboarder` gets what it queues (in SQS batches of ten), and its dead letters
 * join the onboarder's.
 *
 * @example
 * const hooks = await startLocalIngress(process.env, local);
 * await hooks.handler(httpApiEvent({ method: 'POST', path: '/hooks/hr-bridge', headers, body }), localContext());
 */
export async function startLocalIngress(
  env: Record<string, string | undefined>,
  onboarder: Pick<LocalFunction, 'handler' | 'deadLetters'>,
  okta: Pick<OktaSandbox, 'url'>,
  logSink?: (line: string) => void,
): Promise<LocalIngress> {
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
  let served: Connection[];
  try {
    served = servedConnections(env, okta);
  } catch (err) {
    await aws.close();
    throw err;
  }
  const connectionsEnv: Record<string, string> =
    env.CONNECTIONS || env.CONNECTIONS_FILE
      ? env.CONNECTIONS
        ? { CONNECTIONS: env.CONNECTIONS }
        : { CONNECTIONS_FILE: env.CONNECTIONS_FILE! }
      : { CONNECTIONS: JSON.stringify({ connections: served }) };
  const ingressEnv = {
    ...connectionsEnv,
    ONBOARDING_QUEUE_URL,
    DEAD_LETTER_QUEUE_URL,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
    AWS_REGION: 'us-east-1',
    ...(env.LOG_LEVEL && { LOG_LEVEL: env.LOG_LEVEL }),
  };
  try {
    // The handler first: it checks the connections file and names what is wrong in a ConfigError.
    const handler = createHandler(ingressEnv, { queue, ...(logSink && { logSink }) });
    const connections = served;
    for (const connection of connections) aws.setSecret(connection.secretId, JSON.stringify({ values: [localHookSecret(connection)] }));
    // An Okta connection that reads people from a stand-in on this machine gets the stand-in's token.
    for (const c of connections) {
      if (c.kind === 'okta-event-hook' && c.oktaApiSecretId && c.oktaOrgUrl?.startsWith('http:')) aws.setSecret(c.oktaApiSecretId, JSON.stringify({ token: OKTA_SANDBOX_TOKEN }));
    }
    const realSecrets = Boolean(env.ATLAS_SECRET_ID || env.AWS_ENDPOINT_URL_SECRETS_MANAGER);
    return {
      handler,
      connections,
      onboarderEnv: { ...connectionsEnv, ...(!realSecrets && { AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url, AWS_REGION: env.AWS_REGION ?? 'us-east-1' }) },
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
