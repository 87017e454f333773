import '../../zod-messages';
import * as z from 'zod/mini';
import type { ScimVariable } from '../../contract/environment';
import type { LogLevel } from '../../contract/vocabulary';
import { ConfigError, logLevel, parseVariables, requiredQueueUrl, secretTtlSeconds } from '../../configuration';

/**
 * The scim function's configuration (contract section 9), validated once at start-up. A bad value stops start-up
 * with a {@link ConfigError} naming the variable.
 */

const variables = {
  SCIM_TOKEN_SECRET_ID: z.string({ error: 'is required (the id or ARN of the SCIM bearer token secret)' }).check(
    z.trim(),
    z.minLength(1, { error: 'is required (the id or ARN of the SCIM bearer token secret)' }),
    z.maxLength(2048, { error: 'must be at most 2048 characters' }),
  ),
  SCIM_TABLE_NAME: z.string({ error: 'is required (the DynamoDB table of the SCIM directory)' }).check(
    z.trim(),
    z.regex(/^[A-Za-z0-9_.-]{3,255}$/, { error: 'must be a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -)' }),
  ),
  ONBOARDING_QUEUE_URL: requiredQueueUrl,
  SECRET_TTL_SECONDS: secretTtlSeconds,
  LOG_LEVEL: logLevel,
} satisfies Record<ScimVariable, z.ZodMiniType>;
const environment = z.object(variables);

export interface Config {
  tokenSecretId: string;
  tableName: string;
  onboardingQueueUrl: string;
  secretTtlMs: number;
  logLevel: LogLevel;
}

export { ConfigError };

/**
 * Reads and validates the configuration from an environment.
 *
 * @example
 * const config = loadConfig({ SCIM_TOKEN_SECRET_ID: 'atlas-onboarder/scim', SCIM_TABLE_NAME: 'scim', ONBOARDING_QUEUE_URL });
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const vars = parseVariables(environment, env);
  return {
    tokenSecretId: vars.SCIM_TOKEN_SECRET_ID,
    tableName: vars.SCIM_TABLE_NAME,
    onboardingQueueUrl: vars.ONBOARDING_QUEUE_URL,
    secretTtlMs: vars.SECRET_TTL_SECONDS * 1000,
    logLevel: vars.LOG_LEVEL,
  };
}
