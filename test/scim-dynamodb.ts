import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { DynamoDbDirectory, type DynamoDbDirectoryOptions } from '../lambda/aws/directory';
import type { Result } from '../lambda/failure';
import { createDirectoryTable, localDynamoDbClient } from '../local/dynamodb-local';

/** The run's DynamoDB Local (test/dynamodb-global-setup.ts) and a fresh directory table on it per call. */

export interface DirectoryTable {
  tableName: string;
  streamArn: string;
  client: DynamoDBClient;
  directory(options?: Partial<DynamoDbDirectoryOptions>): DynamoDbDirectory;
}

/** How long a file waits for the run's DynamoDB Local to answer (its JVM starts while other files run). */
export const DYNAMODB_WAIT_MS = 90_000;

/** The run's DynamoDB Local, once it answers. */
export async function dynamoDbEndpoint(): Promise<string> {
  const error = inject('dynamoDbError');
  if (error) throw new Error(error);
  const endpoint = inject('dynamoDbEndpoint');
  const deadline = Date.now() + DYNAMODB_WAIT_MS;
  for (;;) {
    try {
      // Any answer at all means it is listening.
      await fetch(endpoint, { signal: AbortSignal.timeout(1_000) });
      return endpoint;
    } catch {
      if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer at ${endpoint} within ${DYNAMODB_WAIT_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export async function newDirectoryTable(label: string): Promise<DirectoryTable> {
  const client = localDynamoDbClient(await dynamoDbEndpoint());
  const tableName = `scim-${label}-${randomUUID().slice(0, 8)}`;
  const streamArn = await createDirectoryTable(client, tableName);
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return { tableName, streamArn, client, directory: (options = {}) => new DynamoDbDirectory({ client: documents, tableName, ...options }) };
}

/** The value of an ok result; fails the test with the failure otherwise. */
export function valueOf<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.kind}/${result.error.code}: ${result.error.message}`);
  return result.value;
}

/** A SCIM user's attributes as Entra or Okta send them (no password: the service drops it). */
export function scimUser(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    active: true,
    displayName: userName.split('@')[0],
    emails: [{ type: 'work', value: userName, primary: true }],
    ...extra,
  };
}
