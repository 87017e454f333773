import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../local/dynamodb-local';

/**
 * vitest globalSetup: one DynamoDB Local for the whole run (a JVM takes seconds to start), its endpoint handed to the
 * test files with `inject('dynamoDbEndpoint')`. Each file creates tables of its own, with unique names.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoDbEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dynamo = await startDynamoDbLocal();
  project.provide('dynamoDbEndpoint', dynamo.endpoint);
  return () => dynamo.stop();
}
