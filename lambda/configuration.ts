import './zod-messages';
import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import { ConnectionsFileError, parseConnectionsFile, type Connection } from './contract/connections';
import { LOG_LEVELS } from './contract/vocabulary';

/**
 * What every function's configuration (`functions/<name>/config.ts`) shares: the error that names the variable at
 * fault, the first-issue reading of an environment schema, and the schema pieces their variables have in common.
 */

/** A configuration problem; `variable` names the environment variable (or the file it names) at fault. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`configuration error: ${variable} ${detail}`);
  }
}

/**
 * Validates an environment against a function's schema; the first problem stops start-up, naming its variable.
 *
 * @example
 * const vars = parseVariables(z.object(variables), process.env);
 */
export function parseVariables<T>(schema: z.ZodMiniType<T>, env: Record<string, string | undefined>): T {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new ConfigError(String(issue.path[0]), issue.message);
}

/** A variable that may be unset; set but blank counts as unset. */
export const optionalText = z.catch(z.optional(z.string().check(z.trim(), z.minLength(1))), undefined);

/** A whole number between `min` and `max`, given as text. */
export const wholeNumber = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .check(z.int({ error: 'must be a whole number' }), z.gte(min, { error: `must be at least ${min}` }), z.lte(max, { error: `must be at most ${max}` }));

/** `LOG_LEVEL`, default `info`. */
export const logLevel = z._default(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }), 'info');

/** A required SQS queue URL (the onboarding queue, the dead-letter queue). */
export const requiredQueueUrl = z.url({ error: (issue) => (issue.input === undefined ? 'is required (an SQS queue URL)' : 'must be an SQS queue URL') });

/** `SECRET_TTL_SECONDS`: how long a secret is kept before it is read again (default 5 minutes, at most a day). */
export const secretTtlSeconds = z._default(wholeNumber(0, 86_400), 300);

/**
 * The connections file (contract section 11) from `CONNECTIONS` (inline) or `CONNECTIONS_FILE` (a path), at most one;
 * `undefined` when neither is set. A bad file is a {@link ConfigError} naming the variable and the connection.
 * Outside Lambda (`AWS_LAMBDA_FUNCTION_NAME` unset) an `oktaOrgUrl` may be an `http:` loopback stand-in.
 *
 * @example
 * const connections = connectionsFrom({ CONNECTIONS_FILE: 'examples/connections.json' }, process.env);
 */
export function connectionsFrom(vars: { CONNECTIONS_FILE?: string | undefined; CONNECTIONS?: string | undefined }, env: Record<string, string | undefined>): Connection[] | undefined {
  if (vars.CONNECTIONS_FILE && vars.CONNECTIONS) throw new ConfigError('CONNECTIONS', 'and CONNECTIONS_FILE are both set; set one');
  const options = { loopbackHttp: !env.AWS_LAMBDA_FUNCTION_NAME };
  try {
    if (vars.CONNECTIONS) return parseConnectionsFile(vars.CONNECTIONS, 'CONNECTIONS', options).connections;
    if (vars.CONNECTIONS_FILE) {
      let text: string;
      try {
        text = readFileSync(vars.CONNECTIONS_FILE, 'utf8');
      } catch (err) {
        throw new ConfigError('CONNECTIONS_FILE', `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}: ${vars.CONNECTIONS_FILE})`);
      }
      return parseConnectionsFile(text, `CONNECTIONS_FILE ${vars.CONNECTIONS_FILE}`, options).connections;
    }
  } catch (err) {
    if (err instanceof ConnectionsFileError) throw new ConfigError(err.origin.split(' ')[0]!, `holds ${err.message}`);
    throw err;
  }
  return undefined;
}
