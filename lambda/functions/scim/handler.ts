import { createHandler, type ScimHandler } from './app';
import { ConfigError } from './config';
// MERGE: the one line to switch when lambda/aws/directory.ts (the DynamoDB directory, another branch) arrives: import
// its factory as `directoryFactory` (a `DirectoryFactory`: (config, env, log) => Directory) and delete
// unwired-directory.ts. Until then every authenticated request is a 503 and nothing is written.
import { unwiredDirectory as directoryFactory } from './unwired-directory';

/**
 * The scim function's Lambda entry point (contract section 9): API Gateway proxy events under `/scim/v2`, and the
 * DynamoDB stream of its table (the change relay). Configuration is read and checked here, at start-up: a bad value
 * stops the container with a message naming the variable.
 */

export const handler: ScimHandler = (() => {
  try {
    return createHandler(process.env, directoryFactory);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stdout.write(`${JSON.stringify({ level: 'error', message: err.message, variable: err.variable, service: 'atlas-onboarder-scim' })}\n`);
    }
    throw err;
  }
})();
