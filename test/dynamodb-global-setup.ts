import type { TestProject } from 'vitest/node';
import { launchDynamoDbLocal } from '../local/dynamodb-local';

/**
 * vitest globalSetup: one DynamoDB Local for the whole run (a JVM takes seconds to start), its endpoint handed to the
 * test files with `inject('dynamoDbEndpoint')` as soon as the JVM is launched: the files that need it wait until it
 * answers (test/scim-dynamodb.ts), the others run meanwhile. Each file creates tables of its own. Without Java, only
 * those files fail, with what to install (`dynamoDbError`).
 */

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoDbEndpoint: string;
    dynamoDbError: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    const dynamo = await launchDynamoDbLocal();
    project.provide('dynamoDbEndpoint', dynamo.endpoint);
    project.provide('dynamoDbError', '');
    return () => dynamo.stop();
  } catch (err) {
    project.provide('dynamoDbEndpoint', '');
    project.provide('dynamoDbError', err instanceof Error ? err.message : String(err));
    return () => Promise.resolve();
  }
}
