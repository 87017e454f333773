import { createHandler, type OnboarderHandler } from './app';
import { ConfigError } from './config';

/**
 * The onboarder's Lambda entry point (contract section 9), for API Gateway (REST and HTTP API proxy events) and SQS.
 * Configuration is read and checked here, at start-up: a bad value stops the container with a message naming the
 * variable.
 */
export const handler: OnboarderHandler = (() => {
  try {
    return createHandler(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stdout.write(`${JSON.stringify({ level: 'error', message: err.message, variable: err.variable, service: 'atlas-onboarder' })}\n`);
    }
    throw err;
  }
})();
