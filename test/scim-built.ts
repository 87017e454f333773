import { BatchWriteItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { bundleFunctions } from '../infra/bundling';
import type { DynamoDbDirectory } from '../lambda/aws/directory';
import { startStreamPoller, type StreamPoller, type StreamPollerOptions } from '../local/dynamodb-stream-poller';
import { startAwsEndpoints, type AwsEndpoints } from '../sandbox';
import { dynamoDbEndpoint, newDirectoryTable, type DirectoryTable } from './scim-dynamodb';
import { NEXT_TOKEN, scimEvent, scimReply, TOKEN, type ScimCall, type ScimReply } from './scim-world';

/**
 * The scim function as it ships: `npm run build`'s bundle (infra/bundling.ts, the options `cdk synth` uses), loaded by
 * Node itself (not through vitest's transform), configured through the environment as Lambda would configure it, on a
 * table of the run's DynamoDB Local, with the Secrets Manager and SQS stand-ins (sandbox/aws.ts) for the token secret
 * and the onboarding queue. One bundle and one table per test file; {@link BuiltScim.clear} empties the table.
 */

export const TOKEN_SECRET_ID = 'atlas-onboarder/scim-token';
export const ONBOARDING_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/onboarding';

type Handler = (event: unknown, context?: object) => Promise<unknown>;

export interface BuiltScim {
  /** The built bundle's `handler` export. */
  handler: Handler;
  /** Secrets Manager (the token secret) and SQS (the onboarding queue). */
  aws: AwsEndpoints;
  table: DirectoryTable;
  /** The DynamoDB directory port on the same table: how a test reads what the function stored. */
  directory: DynamoDbDirectory;
  /** Every line the bundle wrote to stdout (its logs and metrics). */
  logs: string[];
  call(request: ScimCall): Promise<ScimReply>;
  /** The onboarding events on the queue so far, parsed. */
  events(): Record<string, unknown>[];
  /** Every item of the table, as DynamoDB answers a Scan (attribute values included). */
  scan(): Promise<Record<string, AttributeValue>[]>;
  /** Deletes every item (the stream records the deletions; start a poller with `LATEST` after). */
  clear(): Promise<void>;
  /** Lambda's event source mapping on the table's stream, invoking the built handler (stopped by {@link close}). */
  poller(options?: Partial<StreamPollerOptions>): StreamPoller;
  close(): Promise<void>;
}

export async function startBuiltScim(label: string): Promise<BuiltScim> {
  const outdir = mkdtempSync(join(tmpdir(), 'scim-built-'));
  bundleFunctions(outdir);
  const aws = await startAwsEndpoints({ secrets: { [TOKEN_SECRET_ID]: JSON.stringify({ values: [TOKEN, NEXT_TOKEN] }) } });
  const endpoint = await dynamoDbEndpoint();
  const table = await newDirectoryTable(label);
  Object.assign(process.env, {
    SCIM_TABLE_NAME: table.tableName,
    SCIM_TOKEN_SECRET_ID: TOKEN_SECRET_ID,
    ONBOARDING_QUEUE_URL,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_ENDPOINT_URL_SQS: aws.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
    AWS_REGION: 'us-east-1',
    // DynamoDB Local keeps one database per access key id and region: the test's client's (localDynamoDbClient).
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    LOG_LEVEL: 'debug',
  });

  // The bundle logs with process.stdout.write: collect its lines (and keep the test output quiet).
  const logs: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    logs.push(...(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString()).split('\n').filter((line) => line !== ''));
    return true;
  });

  // Node's own loader (require of an ES module), not vitest's transform: the module is loaded as Lambda loads it. A
  // fresh output directory per call makes each a fresh container.
  const { handler } = createRequire(import.meta.url)(join(outdir, 'scim', 'index.mjs')) as { handler: Handler };

  const pollers: StreamPoller[] = [];
  const scan = async () => {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await table.client.send(new ScanCommand({ TableName: table.tableName, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  };

  return {
    handler,
    aws,
    table,
    directory: table.directory(),
    logs,
    async call(request) {
      return scimReply((await handler(scimEvent(request))) as { statusCode: number; headers: Record<string, string>; body: string });
    },
    events: () => aws.sentMessages.filter((m) => m.queueUrl === ONBOARDING_QUEUE_URL).map((m) => JSON.parse(m.body) as Record<string, unknown>),
    scan,
    async clear() {
      const items = await scan();
      for (let i = 0; i < items.length; i += 25) {
        const keys = items.slice(i, i + 25).map((item) => ({ DeleteRequest: { Key: { pk: item.pk!, sk: item.sk! } } }));
        await table.client.send(new BatchWriteItemCommand({ RequestItems: { [table.tableName]: keys } }));
      }
    },
    poller(options = {}) {
      const poller = startStreamPoller({
        endpoint,
        streamArn: table.streamArn,
        handler: (event: DynamoDBStreamEvent) => handler(event) as Promise<DynamoDBBatchResponse>,
        idleMs: 20,
        retryBaseMs: 20,
        retryMaxMs: 200,
        ...options,
      });
      pollers.push(poller);
      return poller;
    },
    async close() {
      await Promise.all(pollers.map((p) => p.stop()));
      process.stdout.write = write;
      await aws.close();
      table.client.destroy();
      rmSync(outdir, { recursive: true, force: true });
    },
  };
}
