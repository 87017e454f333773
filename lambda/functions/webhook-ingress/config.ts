import '../../zod-messages';
import * as z from 'zod/mini';
import type { Connection } from '../../contract/connections';
import type { WebhookIngressVariable } from '../../contract/environment';
import type { LogLevel } from '../../contract/vocabulary';
import { ConfigError, connectionsFrom, logLevel, optionalText, parseVariables, requiredQueueUrl, secretTtlSeconds } from '../../configuration';

/**
 * The webhook ingress's configuration (contract section 9), validated once at start-up. A bad value stops start-up
 * with a {@link ConfigError} naming the variable, and the connection where the connections file is at fault.
 */

const variables = {
  CONNECTIONS_FILE: optionalText,
  CONNECTIONS: optionalText,
  ONBOARDING_QUEUE_URL: requiredQueueUrl,
  DEAD_LETTER_QUEUE_URL: requiredQueueUrl,
  SECRET_TTL_SECONDS: secretTtlSeconds,
  LOG_LEVEL: logLevel,
} satisfies Record<WebhookIngressVariable, z.ZodMiniType>;
const environment = z.object(variables);

export interface Config {
  /** The connections by name: the `{name}` of `/hooks/{name}`. */
  connections: ReadonlyMap<string, Connection>;
  onboardingQueueUrl: string;
  deadLetterQueueUrl: string;
  secretTtlMs: number;
  logLevel: LogLevel;
}

export { ConfigError };

/**
 * Reads and validates the configuration from an environment.
 *
 * @example
 * const config = loadConfig({ CONNECTIONS_FILE: 'examples/connections.json', ONBOARDING_QUEUE_URL, DEAD_LETTER_QUEUE_URL });
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const vars = parseVariables(environment, env);
  return {
    connections: new Map(requiredConnections(vars, env).map((c) => [c.name, c])),
    onboardingQueueUrl: vars.ONBOARDING_QUEUE_URL,
    deadLetterQueueUrl: vars.DEAD_LETTER_QUEUE_URL,
    secretTtlMs: vars.SECRET_TTL_SECONDS * 1000,
    logLevel: vars.LOG_LEVEL,
  };
}

function requiredConnections(vars: z.infer<typeof environment>, env: Record<string, string | undefined>): Connection[] {
  const connections = connectionsFrom(vars, env);
  if (!connections) throw new ConfigError('CONNECTIONS_FILE', 'or CONNECTIONS is required (the connections file)');
  return connections;
}
