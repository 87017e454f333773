/**
 * The CloudWatch metrics the functions publish in the Embedded Metric Format (contract section 8), in one place: the
 * function writes them (`lambda/metrics.ts`) and `infra/` draws and alarms on them, so a metric renamed on one side
 * fails the type-check on the other. Pure data: the function's cold path imports this file alone, not the contract's
 * schemas.
 *
 * Every metric carries the dimension {@link FUNCTION_DIMENSION} (the function's folder name: `onboarder`,
 * `webhook-ingress`), and at most one more, whose values are listed here: a dimension never holds an address, an id
 * or a secret, and its cardinality is known before deployment. A value outside its list is published as {@link OTHER_VALUE}.
 */

export const METRICS_NAMESPACE = 'AtlasOnboarder';

/** The dimension every metric carries: which function published it. */
export const FUNCTION_DIMENSION = 'Function';

/** Its values: the functions' folder names (`lambda/functions/<name>/`), the same in every deployment. */
export const METRIC_FUNCTIONS = ['onboarder', 'webhook-ingress', 'scim'] as const;
export type MetricFunction = (typeof METRIC_FUNCTIONS)[number];

/** Published in place of a dimension value that is not in its metric's list. */
export const OTHER_VALUE = 'other';

/** What became of one project of a request (the statuses of the result body). */
export const RESULT_STATUSES = ['invited', 'already_invited', 'updated', 'removed', 'ignored', 'dry_run', 'failed'] as const;
export type ResultStatusValue = (typeof RESULT_STATUSES)[number];

/** How Atlas answered one request: success, or the kind of its failure (a request with no answer is `transient`). */
export const ATLAS_CALL_OUTCOMES = ['ok', 'transient', 'permanent', 'conflict'] as const;
export type AtlasCallOutcome = (typeof ATLAS_CALL_OUTCOMES)[number];

/** The statuses the scim function answers with (contract sections 10 and 14); any other is published as `other`. */
export const SCIM_STATUSES = ['200', '201', '204', '400', '401', '404', '405', '409', '413', '415', '500', '503'] as const;
export type ScimStatus = (typeof SCIM_STATUSES)[number];

export type MetricUnit = 'Count' | 'Milliseconds';

/** A metric: its unit and, when it is broken down, the one dimension besides `Function` and every value it takes. */
export type MetricDefinition = { readonly unit: MetricUnit } & ({ readonly dimension?: never } | { readonly dimension: string; readonly values: readonly string[] });

/** Every metric, by name. A new one is one line here (and one call where it happens). */
export const METRICS = {
  /** Projects decided, by result status. */
  Results: { unit: 'Count', dimension: 'Status', values: RESULT_STATUSES },
  /** Requests to the Atlas Administration API (its token endpoint left out), by how Atlas answered. */
  AtlasCalls: { unit: 'Count', dimension: 'Outcome', values: ATLAS_CALL_OUTCOMES },
  /** From sending a request to the Administration API to having its whole answer; requests with no answer left out. */
  AtlasLatency: { unit: 'Milliseconds' },
  /**
   * Waits for a rate limit: Atlas answered "too many requests" (429 or a rate-limit errorCode), or a call waited for a
   * scope this container holds (pacing) instead of sending.
   */
  RateLimitedWaits: { unit: 'Count' },
  /** Messages sent to the dead-letter queue (their errorCode is in the message and the log line, not a dimension). */
  DeadLetters: { unit: 'Count' },
  /** Faults of the deployment, not of a message: an unreadable or malformed secret, credentials Atlas refuses. */
  DeploymentFaults: { unit: 'Count' },
  /**
   * Webhook requests refused as unauthenticated (401, contract section 11): a missing or wrong secret header, a missing
   * or bad Standard Webhooks signature, a timestamp outside the 5-minute window. No connection dimension: a connection's
   * name is the deployment's, not the catalogue's, so it goes on the `request rejected` log line.
   */
  RejectedSignatures: { unit: 'Count' },
  /** Requests to the scim function's API, by the HTTP status it answered (a 401 is a rejected bearer token). */
  ScimRequests: { unit: 'Count', dimension: 'Status', values: SCIM_STATUSES },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRICS;
