import '../zod-messages';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type * as z from 'zod/mini';
import { Failure, type Result } from '../failure';
import type { Logger } from '../log';

/**
 * Secrets Manager behind the ports: one cached reader for a secret of any shape (a zod schema), used for the Atlas
 * service account's credentials and, as they arrive, for signing secrets and API tokens.
 */

type Env = Record<string, string | undefined>;

/**
 * The Secrets Manager client, built once per container. It honours the SDK's standard variables, including
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER` for local runs and tests.
 */
export function createSecretsManagerClient(env: Env): SecretsManagerClient {
  const endpoint = env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? env.AWS_ENDPOINT_URL;
  return new SecretsManagerClient({ ...(env.AWS_REGION && { region: env.AWS_REGION }), ...(endpoint && { endpoint }) });
}

/**
 * Secrets Manager errors that say the deployment is wrong (a missing secret, no permission, a key it may not use),
 * not that Secrets Manager is having a moment: a fault of the deployment (contract section 7, v2).
 */
const DEPLOYMENT_ERRORS = new Set(['AccessDeniedException', 'ResourceNotFoundException', 'DecryptionFailure', 'InvalidRequestException', 'InvalidParameterException']);

/**
 * A secret that could not be read (`SECRET_UNAVAILABLE`) or does not hold what it must (`SECRET_MALFORMED`); both
 * transient, the second and the unreadable kinds of the first a fault of the deployment.
 */
export class SecretError extends Failure {
  override readonly name = 'SecretError';
}

export interface CachedSecretOptions<T> {
  client: SecretsManagerClient;
  secretId: string;
  /** What the SecretString must be, as JSON. */
  schema: z.ZodMiniType<T>;
  /** That shape as an operator would write it, for the error message: `{"clientId": "...", "clientSecret": "..."}`. */
  shape: string;
  /** What the secret is, for log lines: `the Atlas credentials secret`. */
  label: string;
  /** How long a value read is trusted before the next `get` reads it again. */
  ttlMs: number;
  log: Logger;
  /** Called with every value read (to register its secret parts with the logger). */
  onRead?: (value: T) => void;
  now?: () => number;
}

/**
 * A Secrets Manager secret whose SecretString is JSON of one shape: read once per warm container, read again after
 * `ttlMs` so a rotated secret is picked up, and shared by concurrent first callers (one request). When a refresh
 * fails or reads a malformed value, the last good value is kept. Failures are transient {@link SecretError}s.
 *
 * @example
 * const source = new CachedSecret({ client, secretId: 'atlas/onboarder', schema, shape, label, ttlMs: 300_000, log });
 * const read = await source.get(5_000);
 * if (read.ok) use(read.value);
 */
export class CachedSecret<T> {
  private cached: { value: T; fetchedAt: number } | undefined;
  private inFlight: Promise<Result<T>> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: CachedSecretOptions<T>) {
    this.now = options.now ?? Date.now;
  }

  get(timeoutMs: number): Promise<Result<T>> {
    if (this.cached && this.now() - this.cached.fetchedAt < this.options.ttlMs) return Promise.resolve({ ok: true, value: this.cached.value });
    this.inFlight ??= this.fetch(timeoutMs).finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** The value was refused (Atlas rejected the credentials): the next read must really read, with no last value to fall back on. */
  invalidate(): void {
    this.cached = undefined;
  }

  private async fetch(timeoutMs: number): Promise<Result<T>> {
    const { client, secretId, label, log } = this.options;
    let text: string | undefined;
    try {
      // The SDK sets no time limit of its own: a Secrets Manager that never answers must not outlive the deadline.
      const answer = await client.send(new GetSecretValueCommand({ SecretId: secretId }), { abortSignal: AbortSignal.timeout(Math.ceil(timeoutMs)) });
      text = answer.SecretString;
    } catch (err) {
      const name = (err as Error).name;
      // A rotation window or a Secrets Manager hiccup should not stop onboarding: last value known good wins.
      if (this.cached) {
        log.warn(`could not refresh ${label}; using the last value read`, { secretId, awsError: name });
        return { ok: true, value: this.cached.value };
      }
      const deploymentFault = DEPLOYMENT_ERRORS.has(name);
      log.error(`could not read ${label}`, { secretId, awsError: name, ...(deploymentFault && { deploymentFault }) });
      // The answer a caller may see names neither the secret nor the AWS error: the log line has both.
      return { ok: false, error: new SecretError('transient', 'SECRET_UNAVAILABLE', `could not read ${label}`, { ...(deploymentFault && { deploymentFault }) }) };
    }
    let parsed: { success: true; data: T } | { success: false } | undefined;
    try {
      parsed = this.options.schema.safeParse(JSON.parse(text ?? ''));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      // A binary secret, or a rotation that wrote the wrong JSON: the deployment's fault. A value read before is kept.
      const fields = { secretId, errorCode: 'SECRET_MALFORMED', deploymentFault: true, binary: text === undefined };
      if (this.cached) {
        log.error(`${label} now holds a malformed value; using the last good value read`, fields);
        this.cached = { value: this.cached.value, fetchedAt: this.now() };
        return { ok: true, value: this.cached.value };
      }
      log.error(`${label} holds a malformed value`, fields);
      return { ok: false, error: new SecretError('transient', 'SECRET_MALFORMED', `${label} must hold JSON ${this.options.shape}`, { deploymentFault: true }) };
    }
    this.options.onRead?.(parsed.data);
    this.cached = { value: parsed.data, fetchedAt: this.now() };
    log.info(`read ${label}`, { secretId });
    return { ok: true, value: parsed.data };
  }
}
