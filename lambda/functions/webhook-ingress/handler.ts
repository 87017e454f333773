import { createHandler, type WebhookIngressHandler } from './app';
import { ConfigError } from './config';

/**
 * The webhook ingress's Lambda entry point (contract section 9): API Gateway proxy events for `/hooks/{name}`.
 * Configuration is read and checked here, at start-up: a bad value stops the container with a message naming the
 * variable (and the connection).
 */
export const handler: WebhookIngressHandler = (() => {
  try {
    return createHandler(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stdout.write(`${JSON.stringify({ level: 'error', message: err.message, variable: err.variable, service: 'atlas-onboarder-webhooks' })}\n`);
    }
    throw err;
  }
})();
