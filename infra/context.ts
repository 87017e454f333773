import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { z } from 'zod';
import { INVITE_APIS, LOG_LEVELS } from '../lambda/contract';
import type { AtlasOnboarderProps } from './atlas-onboarder';

/**
 * The app's settings, read from CDK context: `cdk.json` (typed JSON) or `-c key=value` (always a string), so every
 * value is accepted in both forms. A bad value stops synth with a message that names the key. Defaults live in the
 * construct (`ATLAS_ONBOARDER_DEFAULTS`); an absent key here means "use the construct's default".
 */

/** The rule file used when the `ruleFile` context key is absent. */
export const DEFAULT_RULE_FILE = 'examples/rules.json';
/** The stack's name (and construct id) when the `stackName` context key is absent. */
export const DEFAULT_STACK_NAME = 'AtlasOnboarder';

/** `-c key=` means "not set", like leaving the key out. */
const unsetWhenEmpty = (value: unknown) => (value === '' || value === null ? undefined : value);
const text = z.string().trim().min(1);
const flag = z.preprocess(
  (value) => (value === 'true' ? true : value === 'false' ? false : value),
  z.boolean({ error: 'must be true or false' }),
);
const whole = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });
const rate = z.coerce.number({ error: 'must be a number' }).positive({ error: 'must be above 0' }).max(10_000, { error: 'must be at most 10000' });
const jsonText = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }, schema);

const kmsKeyArn = text.regex(/^arn:[^:]+:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, {
  error: 'must be a KMS key ARN (arn:…:kms:region:account:key/id), not an alias',
});

const retentionDays = new Set(Object.values(RetentionDays).filter((v): v is number => typeof v === 'number'));

const apiClient = z.union([
  z.string(),
  z.strictObject({
    name: z.string(),
    rateLimit: rate.optional(),
    burstLimit: whole(0, 5000).optional(),
    quotaPerDay: whole(1, 1_000_000_000).optional(),
  }),
]);

const contextSchema = z.object({
  stackName: text
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, { error: 'must start with a letter and hold only letters, digits and hyphens' })
    .default(DEFAULT_STACK_NAME),
  ruleFile: text.default(DEFAULT_RULE_FILE),
  atlasSecret: text
    .regex(/^(arn:[^:]+:secretsmanager:[a-z0-9-]+:\d{12}:secret:)?[A-Za-z0-9/_+=.@-]{1,512}$/, {
      error: 'must be a Secrets Manager secret name or ARN',
    })
    .optional(),
  atlasSecretKmsKeyArn: kmsKeyArn.optional(),
  atlasBaseUrl: z.url({ protocol: /^https$/, error: 'must be an https URL such as https://cloud.mongodb.com' }).optional(),
  atlasInviteApi: z.enum(INVITE_APIS, { error: 'must be "invites" or "users"' }).optional(),
  dryRun: flag.optional(),
  logLevel: z.enum(LOG_LEVELS, { error: `must be ${LOG_LEVELS.slice(0, -1).join(', ')} or ${LOG_LEVELS.at(-1)}` }).optional(),
  logRetentionDays: z.coerce
    .number({ error: 'must be a number' })
    .refine((days) => retentionDays.has(days), { error: `must be one of CloudWatch Logs' retention periods: ${[...retentionDays].join(', ')}` })
    .optional(),
  batchSize: whole(1, 10_000).optional(),
  maxBatchingWindowSeconds: whole(0, 300).optional(),
  maxConcurrency: whole(2, 1000).optional(),
  batchConcurrency: whole(1, 100).optional(),
  apiRateLimit: rate.optional(),
  apiBurstLimit: whole(0, 5000).optional(),
  apiClients: jsonText(z.array(apiClient, { error: 'must be a JSON list of names or {"name", "rateLimit", "burstLimit", "quotaPerDay"}' })).optional(),
  alarmEmail: z.email({ error: 'must be an e-mail address' }).optional(),
  apiGatewayCloudWatchRole: flag.optional(),
  connectionsFile: text.optional(),
  existingConnectionSecrets: z
    .preprocess(
      (value) => {
        if (value === 'true' || value === 'false') return value === 'true';
        if (typeof value === 'string' && value.trim().startsWith('[')) {
          try {
            return JSON.parse(value) as unknown;
          } catch {
            return value;
          }
        }
        return value;
      },
      z.union([z.boolean(), z.array(text)], { error: 'must be true, false or a JSON list of secret ids from the connections file' }),
    )
    .optional(),
  connectionSecretsKmsKeyArn: kmsKeyArn.optional(),
  hookRateLimit: rate.optional(),
  hookBurstLimit: whole(0, 5000).optional(),
  scim: flag.optional(),
  scimTokenSecret: text
    .regex(/^(arn:[^:]+:secretsmanager:[a-z0-9-]+:\d{12}:secret:)?[A-Za-z0-9/_+=.@-]{1,512}$/, {
      error: 'must be a Secrets Manager secret name or ARN',
    })
    .optional(),
  scimTableKmsKeyArn: kmsKeyArn.optional(),
  scimRateLimit: rate.optional(),
  scimBurstLimit: whole(0, 5000).optional(),
});

/** The context keys this app reads, for documentation and tests. */
export const CONTEXT_KEYS = Object.keys(contextSchema.shape) as readonly (keyof typeof contextSchema.shape)[];

/** A context value that cannot be used; the message names the key. */
export class ContextError extends Error {
  override readonly name = 'ContextError';
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super(`context "${key}" ${detail}`);
  }
}

export interface AppSettings {
  readonly stackName: string;
  readonly onboarder: AtlasOnboarderProps;
}

/**
 * Reads the app's settings from context.
 *
 * @example
 * const settings = readAppSettings(app.node); // { stackName: 'AtlasOnboarder', onboarder: { ruleFile: 'examples/rules.json' } }
 */
export function readAppSettings(node: Node): AppSettings {
  const raw = Object.fromEntries(CONTEXT_KEYS.map((key) => [key, unsetWhenEmpty(node.tryGetContext(key))]));
  const parsed = contextSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ContextError(issue.path.map(String).join('.'), issue.message);
  }
  const c = parsed.data;

  const apiClients = c.apiClients?.map((client) => (typeof client === 'string' ? { name: client } : client));
  const names = new Set<string>();
  for (const client of apiClients ?? []) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(client.name)) throw new ContextError('apiClients', `has a bad name "${client.name}": use letters, digits, - and _`);
    if (names.has(client.name)) throw new ContextError('apiClients', `names "${client.name}" twice`);
    names.add(client.name);
  }
  // Settings of a part that is not deployed would be dropped without a word: say so instead.
  if (c.scim !== true) {
    const stray = (['scimTokenSecret', 'scimTableKmsKeyArn', 'scimRateLimit', 'scimBurstLimit'] as const).find((key) => c[key] !== undefined);
    if (stray) throw new ContextError(stray, 'is set, but SCIM is not deployed: add -c scim=true');
  }
  const batchSize = c.batchSize;
  if (batchSize !== undefined && batchSize > 10 && (c.maxBatchingWindowSeconds ?? 1) < 1) {
    throw new ContextError('maxBatchingWindowSeconds', 'must be at least 1 when batchSize is above 10 (an SQS rule)');
  }

  return {
    stackName: c.stackName,
    onboarder: {
      ruleFile: c.ruleFile,
      atlasSecret: c.atlasSecret,
      atlasSecretKmsKeyArn: c.atlasSecretKmsKeyArn,
      atlasBaseUrl: c.atlasBaseUrl,
      atlasInviteApi: c.atlasInviteApi,
      dryRun: c.dryRun,
      logLevel: c.logLevel,
      logRetention: c.logRetentionDays,
      batchSize,
      maxBatchingWindow: c.maxBatchingWindowSeconds === undefined ? undefined : Duration.seconds(c.maxBatchingWindowSeconds),
      maxConcurrency: c.maxConcurrency,
      batchConcurrency: c.batchConcurrency,
      apiRateLimit: c.apiRateLimit,
      apiBurstLimit: c.apiBurstLimit,
      apiClients,
      alarmEmail: c.alarmEmail,
      configureApiGatewayAccountLogging: c.apiGatewayCloudWatchRole,
      connectionsFile: c.connectionsFile,
      existingConnectionSecrets: c.existingConnectionSecrets,
      connectionSecretsKmsKeyArn: c.connectionSecretsKmsKeyArn,
      hookRateLimit: c.hookRateLimit,
      hookBurstLimit: c.hookBurstLimit,
      scim: c.scim,
      scimTokenSecret: c.scimTokenSecret,
      scimTableKmsKeyArn: c.scimTableKmsKeyArn,
      scimRateLimit: c.scimRateLimit,
      scimBurstLimit: c.scimBurstLimit,
    },
  };
}
