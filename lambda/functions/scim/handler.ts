import { createHandler, type DirectoryFactory, type ScimHandler } from './app';
import { ConfigError } from './config';
import { createDynamoDbDocumentClient, DynamoDbDirectory } from '../../aws/directory';

/** The directory on the table named by SCIM_TABLE_NAME, one client per container. */
const directoryFactory: DirectoryFactory = (config, env) => new DynamoDbDirectory({ client: createDynamoDbDocumentClient(env), tableName: config.tableName });

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
