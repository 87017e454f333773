/**
 * Each function's environment (contract sections 2 and 9): the variable names, in one place. The function's own
 * configuration parser is typed against them (`functions/<name>/config.ts`), and `infra/` writes the environment
 * through {@link OnboarderEnvironment}, so a name renamed on one side and not the other fails the type-check.
 */

export const ONBOARDER_VARIABLES = [
  'ATLAS_SECRET_ID',
  'ATLAS_CLIENT_ID',
  'ATLAS_CLIENT_SECRET',
  'ATLAS_BASE_URL',
  'ATLAS_INVITE_API',
  'ROLE_MAPPING_FILE',
  'ROLE_MAPPING',
  'DEAD_LETTER_QUEUE_URL',
  'DRY_RUN',
  'ATLAS_MAX_ATTEMPTS',
  'ATLAS_TIMEOUT_MS',
  'ATLAS_RETRY_BASE_MS',
  'ATLAS_RETRY_MAX_MS',
  'SECRET_TTL_SECONDS',
  'BATCH_CONCURRENCY',
  'DEADLINE_MARGIN_MS',
  'LOG_LEVEL',
  /** The connections file (section 11), read for section 12: which events' people are read from Okta. Optional. */
  'CONNECTIONS_FILE',
  'CONNECTIONS',
] as const;
export type OnboarderVariable = (typeof ONBOARDER_VARIABLES)[number];

/** What infra may write into the onboarder's environment: its own variables, as strings, and nothing else. */
export type OnboarderEnvironment = { readonly [K in OnboarderVariable]?: string };

/** The webhook ingress's variables (contract section 9). */
export const WEBHOOK_INGRESS_VARIABLES = ['CONNECTIONS_FILE', 'CONNECTIONS', 'ONBOARDING_QUEUE_URL', 'DEAD_LETTER_QUEUE_URL', 'SECRET_TTL_SECONDS', 'LOG_LEVEL'] as const;
export type WebhookIngressVariable = (typeof WEBHOOK_INGRESS_VARIABLES)[number];

/** What infra may write into the webhook ingress's environment. */
export type WebhookIngressEnvironment = { readonly [K in WebhookIngressVariable]?: string };

/**
 * The scim function's variables (contract section 9): the bearer token secret (`{"values": [...]}`, section 14), the
 * directory's DynamoDB table and the onboarding queue its change relay feeds.
 */
export const SCIM_VARIABLES = ['SCIM_TOKEN_SECRET_ID', 'SCIM_TABLE_NAME', 'ONBOARDING_QUEUE_URL', 'SECRET_TTL_SECONDS', 'LOG_LEVEL'] as const;
export type ScimVariable = (typeof SCIM_VARIABLES)[number];

/** What infra may write into the scim function's environment. */
export type ScimEnvironment = { readonly [K in ScimVariable]?: string };
