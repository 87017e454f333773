import './zod-messages';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod/mini';
import { AtlasError } from './atlas/errors';
import type { Credentials } from './config';
import type { Logger } from './log';

/**
 * Where the Atlas service-account credentials come from. `invalidate()` is called when Atlas rejects them, so a
 * rotated secret is read again at once rather than after the cache lifetime.
 */
export interface CredentialsSource {
  /** The credentials; a read that takes longer than `timeoutMs` fails (transient). */
  get(timeoutMs: number): Promise<Credentials>;
  invalidate(): void;
}

/** Credentials given outright (local runs: `ATLAS_CLIENT_ID` / `ATLAS_CLIENT_SECRET`). */
export function fixedCredentials(credentials: Credentials): CredentialsSource {
  return { get: () => Promise.resolve(credentials), invalidate: () => undefined };
}

const secretString = z.object({ clientId: z.string().check(z.minLength(1)), clientSecret: z.string().check(z.minLength(1)) });

/**
 * Credentials from a Secrets Manager secret whose SecretString is `{"clientId","clientSecret"}`: read once per warm
 * container, read again after `ttlMs` so a rotated secret is picked up, and shared by concurrent first callers (one
 * request). When a refresh fails, the last value read is kept. Failures are {@link AtlasError}s: an unreachable secret is transient, a malformed one permanent.
 *
 * @example
 * const source = new SecretsManagerCredentials(new SecretsManagerClient({}), 'atlas/onboarder', 300_000, logger);
 * const { clientId } = await source.get(5_000);
 */
export class SecretsManagerCredentials implements CredentialsSource {
  private cached: { value: Credentials; fetchedAt: number } | undefined;
  private inFlight: Promise<Credentials> | undefined;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly ttlMs: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get(timeoutMs: number): Promise<Credentials> {
    if (this.cached && this.now() - this.cached.fetchedAt < this.ttlMs) return Promise.resolve(this.cached.value);
    this.inFlight ??= this.fetch(timeoutMs).finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** Atlas refused these credentials: the next read must really read, with no last value to fall back on. */
  invalidate(): void {
    this.cached = undefined;
  }

  private async fetch(timeoutMs: number): Promise<Credentials> {
    let text: string | undefined;
    try {
      // The SDK sets no time limit of its own: a Secrets Manager that never answers must not outlive the deadline.
      const answer = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }), { abortSignal: AbortSignal.timeout(Math.ceil(timeoutMs)) });
      text = answer.SecretString;
    } catch (err) {
      const name = (err as Error).name;
      // A rotation window or a Secrets Manager hiccup should not stop onboarding: last value known good wins.
      if (this.cached) {
        this.log.warn('could not refresh the Atlas credentials secret; using the last value read', { secretId: this.secretId, awsError: name });
        return this.cached.value;
      }
      this.log.error('could not read the Atlas credentials secret', { secretId: this.secretId, awsError: name });
      throw new AtlasError('transient', 'SECRET_UNAVAILABLE', `could not read secret ${this.secretId} (${name})`);
    }
    let parsed: z.util.SafeParseResult<Credentials> | undefined;
    try {
      parsed = secretString.safeParse(JSON.parse(text ?? ''));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      throw new AtlasError('permanent', 'SECRET_MALFORMED', `secret ${this.secretId} must hold JSON {"clientId": "...", "clientSecret": "..."}`);
    }
    this.log.addSecret(parsed.data.clientSecret);
    this.cached = { value: parsed.data, fetchedAt: this.now() };
    this.log.info('read the Atlas credentials secret', { secretId: this.secretId });
    return parsed.data;
  }
}
