import { createHash, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbDirectory } from '../lambda/aws/directory';
import { createHandler, type DirectoryFactory, type ScimHandler } from '../lambda/functions/scim/app';
import { startAwsEndpoints, type AwsEndpoints } from '../sandbox';
import { createDirectoryTable, launchDynamoDbLocal, localDynamoDbClient, type DynamoDbLocal } from './dynamodb-local';
import { startStreamPoller, type StreamPoller } from './dynamodb-stream-poller';
import { localContext, restEvent, sqsRecords } from './events';
import type { LocalFunction } from './function';

/**
 * The scim function as `npm start` serves it at `/scim/v2/...` (contract section 14): the real handler (createHandler
 * with the DynamoDB directory) on a table in DynamoDB Local, its bearer token secret in a local Secrets Manager
 * stand-in, the table's stream read by the local event source mapping into the same handler, and what the change
 * relay puts on the onboarding queue (through the real SQS client, to the stand-in) handed to the onboarder in SQS
 * batches, as the webhook ingress's queued messages are (hooks.ts).
 */

export const SCIM_TABLE = 'atlas-onboarder-scim-local';
const SCIM_TOKEN_SECRET_ID = 'atlas-onboarder/scim-token';
const ONBOARDING_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/atlas-onboarder-onboarding';
/** What the onboarder takes in one SQS invocation. */
const SQS_BATCH = 10;
/** The deployed API's stage (README "SCIM provisioning"): a REST API, `ANY /scim/v2/{proxy+}`. */
const STAGE = 'v1';
const PREFIX = '/scim/v2/';

/**
 * The bearer token `npm start` accepts: derived from a fixed seed, so the README's curl lines work as they are; local
 * only, never a deployed token.
 */
export function localScimToken(): string {
  return `scim-local-${createHash('sha256').update('atlas-onboarder local scim token').digest('hex').slice(0, 32)}`;
}

export interface LocalScim {
  handler: ScimHandler;
  token: string;
  tableName: string;
  /** DynamoDB Local's endpoint: the one given, or the one started here. */
  dynamoDbEndpoint: string;
  /** Whether DynamoDB Local was started here (and is stopped by {@link LocalScim.close}). */
  ownsDynamoDb: boolean;
  /** Every message the change relay put on the onboarding queue, in order. */
  queued: string[];
  /** Resolves once every change written so far has been relayed and the onboarder has handled what it queued. */
  settled(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the SCIM service for `npm start`. Without `dynamoDbEndpoint` it starts DynamoDB Local (and throws its
 * `DynamoDbLocalError`, naming what to install, when there is no Java 17); with one (the test run's) it makes a table
 * of its own there.
 *
 * @example
 * const scim = await startLocalScim({ env: process.env, onboarder: local });
 * await scim.handler(scimEvent({ method: 'GET', url: new URL('http://localhost:3000/scim/v2/Users'), headers, body: '' }), localContext());
 */
export async function startLocalScim(options: {
  env: Record<string, string | undefined>;
  onboarder: Pick<LocalFunction, 'handler'>;
  logSink?: (line: string) => void;
  dynamoDbEndpoint?: string;
}): Promise<LocalScim> {
  const cleanups: (() => Promise<void>)[] = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups.length = 0;
  };
  try {
    let dynamo: DynamoDbLocal | undefined;
    if (options.dynamoDbEndpoint === undefined) {
      dynamo = await launchDynamoDbLocal();
      cleanups.push(() => dynamo!.stop());
      await dynamo.ready;
    }
    const endpoint = options.dynamoDbEndpoint ?? dynamo!.endpoint;
    // A table of its own on a shared DynamoDB Local (the test run's); the fixed name on its own.
    const tableName = dynamo ? SCIM_TABLE : `${SCIM_TABLE}-${randomUUID().slice(0, 8)}`;
    const client = localDynamoDbClient(endpoint);
    cleanups.push(() => Promise.resolve(client.destroy()));
    const streamArn = await createDirectoryTable(client, tableName);

    const aws: AwsEndpoints = await startAwsEndpoints();
    cleanups.push(() => aws.close());
    const token = localScimToken();
    aws.setSecret(SCIM_TOKEN_SECRET_ID, JSON.stringify({ values: [token] }));
    // The SDK signs every call and wants credentials to sign with; the stand-ins do not check them. Real ones, where
    // set, are kept (and only ever sent to 127.0.0.1).
    process.env.AWS_ACCESS_KEY_ID ??= 'AKIDLOCALSCIM';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local-scim-not-a-secret';
    const scimEnv = {
      SCIM_TOKEN_SECRET_ID,
      SCIM_TABLE_NAME: tableName,
      ONBOARDING_QUEUE_URL,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
      AWS_ENDPOINT_URL_SQS: aws.url,
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      ...(options.env.LOG_LEVEL && { LOG_LEVEL: options.env.LOG_LEVEL }),
    };
    // The directory as lambda/functions/scim/handler.ts makes it, with the client that made the table: DynamoDB Local
    // keeps one database per access key and region, and the SDK's credentials here are whatever the environment holds.
    const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    const directoryFactory: DirectoryFactory = (config) => new DynamoDbDirectory({ client: documents, tableName: config.tableName });
    const handler = createHandler(scimEnv, directoryFactory, { ...(options.logSink && { logSink: options.logSink }) });

    // What the relay sent to the onboarding queue goes on to the onboarder, once the stream batch is done, one SQS
    // batch after another, as the event source mapping would hand them over.
    const queued: string[] = [];
    let handedOver = 0;
    let pending: Promise<void> = Promise.resolve();
    const handOver = () => {
      const bodies = aws.sentMessages.slice(handedOver).filter((m) => m.queueUrl === ONBOARDING_QUEUE_URL).map((m) => m.body);
      handedOver = aws.sentMessages.length;
      if (bodies.length === 0) return;
      queued.push(...bodies);
      pending = pending
        .then(async () => {
          for (let i = 0; i < bodies.length; i += SQS_BATCH) await options.onboarder.handler({ Records: sqsRecords(bodies.slice(i, i + SQS_BATCH)) }, localContext());
        })
        .catch((err: unknown) => console.error('the onboarder failed on what the scim function queued:', err));
    };
    const poller: StreamPoller = startStreamPoller({
      endpoint,
      streamArn,
      // Lambda's default starting position for `npm start`'s fresh table: everything on the stream.
      handler: async (event) => {
        const answer = (await handler(event, localContext())) as { batchItemFailures: { itemIdentifier: string }[] };
        handOver();
        return answer;
      },
    });
    // Stopping: the poller first, then what it handed over, then the stand-ins and DynamoDB Local.
    cleanups.push(async () => {
      await poller.stop();
      await pending;
    });

    return {
      handler,
      token,
      tableName,
      dynamoDbEndpoint: endpoint,
      ownsDynamoDb: dynamo !== undefined,
      queued,
      settled: async (timeoutMs) => {
        await poller.idle(timeoutMs);
        let waited: Promise<void>;
        do {
          waited = pending;
          await waited;
        } while (waited !== pending);
      },
      close: cleanUp,
    };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}

/**
 * A REST API (payload 1.0) event as API Gateway makes it for `ANY /scim/v2/{proxy+}` on stage `v1`, reached through a
 * custom domain (the `Host` the request named, which the gateway has checked is the loopback) with no base path: the
 * SCIM base URL the function derives is then `https://<host>/scim/v2`.
 */
export function scimEvent(request: { method: string; url: URL; headers: Record<string, string>; body: string }): APIGatewayProxyEvent {
  const event = restEvent({ method: request.method, path: request.url.pathname, query: request.url.searchParams, headers: request.headers, body: request.body, stage: STAGE });
  return {
    ...event,
    resource: '/scim/v2/{proxy+}',
    pathParameters: { proxy: request.url.pathname.slice(PREFIX.length) },
    requestContext: { ...event.requestContext, domainName: request.headers.host ?? 'localhost', path: request.url.pathname, resourcePath: '/scim/v2/{proxy+}' },
  };
}

/** Whether a path is the SCIM service's. */
export function isScimPath(pathname: string): boolean {
  return pathname.startsWith(PREFIX);
}
