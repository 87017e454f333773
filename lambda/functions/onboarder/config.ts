import '../../zod-messages';
import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import type { Credentials } from '../../atlas/credentials';
import type { Connection } from '../../contract/connections';
import type { OnboarderVariable } from '../../contract/environment';
import { parseRuleFile, RuleFileError, type RuleFile } from '../../contract/rule-file';
import { INVITE_APIS, type InviteApi, type LogLevel } from '../../contract/vocabulary';
import { ConfigError, connectionsFrom, logLevel, optionalText, parseVariables, secretTtlSeconds, wholeNumber } from '../../configuration';

/**
 * The onboarder's configuration (contract section 2), validated once at start-up. A bad value stops start-up with a
 * {@link ConfigError} that names the variable. The variables are the contract's (`contract/environment.ts`): this
 * parser must read every one of them and no other, which the type-check holds it to.
 */

const FLAG_VALUES = ['true', 'false', '1', '0'] as const;
const flag = z.pipe(
  z.enum(FLAG_VALUES, { error: 'must be true or false' }),
  z.transform((v: (typeof FLAG_VALUES)[number]) => v === 'true' || v === '1'),
);
const positiveInt = (max: number) => wholeNumber(1, max);
/**
 * The least `DEADLINE_MARGIN_MS`: the handler keeps 200 ms of the invocation back for answering once the last SQS call
 * has given up (app.ts), so a smaller margin would leave dead-lettering no time after the last Atlas call.
 */
const MIN_DEADLINE_MARGIN_MS = 250;

const variables = {
  ATLAS_SECRET_ID: optionalText,
  ATLAS_CLIENT_ID: optionalText,
  ATLAS_CLIENT_SECRET: optionalText,
  ATLAS_BASE_URL: z._default(
    z.pipe(
      z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://cloud.mongodb.com' }),
      z.transform((url: string) => url.replace(/\/+$/, '')),
    ),
    'https://cloud.mongodb.com',
  ),
  ATLAS_INVITE_API: z._default(z.enum(INVITE_APIS, { error: 'must be "invites" or "users"' }), 'invites'),
  ROLE_MAPPING_FILE: optionalText,
  ROLE_MAPPING: optionalText,
  CONNECTIONS_FILE: optionalText,
  CONNECTIONS: optionalText,
  DEAD_LETTER_QUEUE_URL: z.optional(z.url({ error: 'must be an SQS queue URL' })),
  DRY_RUN: z._default(flag, false),
  ATLAS_MAX_ATTEMPTS: z._default(positiveInt(20), 5),
  ATLAS_TIMEOUT_MS: z._default(positiveInt(120_000), 10_000),
  ATLAS_RETRY_BASE_MS: z._default(positiveInt(60_000), 200),
  ATLAS_RETRY_MAX_MS: z._default(positiveInt(300_000), 10_000),
  SECRET_TTL_SECONDS: secretTtlSeconds,
  BATCH_CONCURRENCY: z._default(positiveInt(100), 10),
  DEADLINE_MARGIN_MS: z._default(wholeNumber(MIN_DEADLINE_MARGIN_MS, 60_000), 1_000),
  LOG_LEVEL: logLevel,
} satisfies Record<OnboarderVariable, z.ZodMiniType>;
const environment = z.object(variables);

export interface Config {
  atlasBaseUrl: string;
  inviteApi: InviteApi;
  /** Where the service-account credentials come from: a Secrets Manager secret, or (local runs) the environment. */
  credentials: { secretId: string } | { fixed: Credentials } | undefined;
  rules: RuleFile;
  /**
   * **v2:** the connections file (contract sections 11 and 12): which events' people are read from Okta. `undefined`
   * when `CONNECTIONS_FILE` / `CONNECTIONS` is unset: events are used as they come (v1).
   */
  connections: Connection[] | undefined;
  deadLetterQueueUrl: string | undefined;
  dryRun: boolean;
  retry: { maxAttempts: number; attemptTimeoutMs: number; baseDelayMs: number; maxDelayMs: number };
  secretTtlMs: number;
  batchConcurrency: number;
  deadlineMarginMs: number;
  logLevel: LogLevel;
}

export { ConfigError };

/**
 * Reads and validates the configuration from an environment.
 *
 * @example
 * const config = loadConfig({ ROLE_MAPPING_FILE: 'examples/rules.json', DRY_RUN: 'true' });
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const vars = parseVariables(environment, env);
  // The token request carries the service account's credentials, every call the token: never in clear from AWS.
  // The sandbox, locally and in the tests, speaks http:.
  if (env.AWS_LAMBDA_FUNCTION_NAME && new URL(vars.ATLAS_BASE_URL).protocol !== 'https:') {
    throw new ConfigError('ATLAS_BASE_URL', 'must be an https: URL inside AWS Lambda (the token and the credentials travel to it)');
  }
  return {
    atlasBaseUrl: vars.ATLAS_BASE_URL,
    inviteApi: vars.ATLAS_INVITE_API,
    credentials: credentialsFrom(vars, env),
    rules: rulesFrom(vars),
    connections: readingConnections(vars, env),
    deadLetterQueueUrl: vars.DEAD_LETTER_QUEUE_URL,
    dryRun: vars.DRY_RUN,
    retry: {
      maxAttempts: vars.ATLAS_MAX_ATTEMPTS,
      attemptTimeoutMs: vars.ATLAS_TIMEOUT_MS,
      baseDelayMs: vars.ATLAS_RETRY_BASE_MS,
      maxDelayMs: vars.ATLAS_RETRY_MAX_MS,
    },
    secretTtlMs: vars.SECRET_TTL_SECONDS * 1000,
    batchConcurrency: vars.BATCH_CONCURRENCY,
    deadlineMarginMs: vars.DEADLINE_MARGIN_MS,
    logLevel: vars.LOG_LEVEL,
  };
}

function credentialsFrom(vars: z.infer<typeof environment>, env: Record<string, string | undefined>): Config['credentials'] {
  if (vars.ATLAS_SECRET_ID) return { secretId: vars.ATLAS_SECRET_ID };
  // In Lambda the credentials must come from Secrets Manager: a secret in a function's environment is readable by
  // anyone who may read its configuration.
  const inLambda = Boolean(env.AWS_LAMBDA_FUNCTION_NAME);
  if (vars.ATLAS_CLIENT_ID && vars.ATLAS_CLIENT_SECRET && !inLambda) {
    return { fixed: { clientId: vars.ATLAS_CLIENT_ID, clientSecret: vars.ATLAS_CLIENT_SECRET } };
  }
  if (vars.DRY_RUN) return undefined;
  if (inLambda) throw new ConfigError('ATLAS_SECRET_ID', 'is required in AWS Lambda (the Secrets Manager secret holding {"clientId","clientSecret"})');
  if (vars.ATLAS_CLIENT_ID && !vars.ATLAS_CLIENT_SECRET) throw new ConfigError('ATLAS_CLIENT_SECRET', 'is required with ATLAS_CLIENT_ID');
  if (vars.ATLAS_CLIENT_SECRET && !vars.ATLAS_CLIENT_ID) throw new ConfigError('ATLAS_CLIENT_ID', 'is required with ATLAS_CLIENT_SECRET');
  throw new ConfigError('ATLAS_SECRET_ID', 'is required (or, for local runs, ATLAS_CLIENT_ID and ATLAS_CLIENT_SECRET)');
}

/**
 * The connections file. An Okta connection with one of `oktaOrgUrl` and `oktaApiSecretId` but not the other would
 * quietly read no one: a configuration error here, naming it (the webhook ingress, which reads neither, takes it).
 */
function readingConnections(vars: z.infer<typeof environment>, env: Record<string, string | undefined>): Connection[] | undefined {
  const connections = connectionsFrom(vars, env);
  const variable = vars.CONNECTIONS ? 'CONNECTIONS' : 'CONNECTIONS_FILE';
  for (const c of connections ?? []) {
    if (c.kind !== 'okta-event-hook' || (c.oktaOrgUrl === undefined) === (c.oktaApiSecretId === undefined)) continue;
    const [has, lacks] = c.oktaOrgUrl === undefined ? ['oktaApiSecretId', 'oktaOrgUrl'] : ['oktaOrgUrl', 'oktaApiSecretId'];
    throw new ConfigError(variable, `holds connection "${c.name}" with ${has} but no ${lacks}: set both to read people from Okta (contract section 12), or neither`);
  }
  return connections;
}

function rulesFrom(vars: z.infer<typeof environment>): RuleFile {
  if (vars.ROLE_MAPPING_FILE && vars.ROLE_MAPPING) {
    throw new ConfigError('ROLE_MAPPING', 'and ROLE_MAPPING_FILE are both set; set one');
  }
  try {
    if (vars.ROLE_MAPPING) return parseRuleFile(vars.ROLE_MAPPING, 'ROLE_MAPPING');
    if (vars.ROLE_MAPPING_FILE) {
      let text: string;
      try {
        text = readFileSync(vars.ROLE_MAPPING_FILE, 'utf8');
      } catch (err) {
        throw new ConfigError('ROLE_MAPPING_FILE', `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}: ${vars.ROLE_MAPPING_FILE})`);
      }
      return parseRuleFile(text, `ROLE_MAPPING_FILE ${vars.ROLE_MAPPING_FILE}`);
    }
  } catch (err) {
    if (err instanceof RuleFileError) throw new ConfigError(err.origin.split(' ')[0]!, `holds ${err.message}`);
    throw err;
  }
  throw new ConfigError('ROLE_MAPPING_FILE', 'or ROLE_MAPPING is required (the rule file)');
}
