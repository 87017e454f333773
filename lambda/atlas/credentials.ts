import type { Result } from '../failure';

/** An Atlas service account's OAuth client credentials. */
export interface Credentials {
  clientId: string;
  clientSecret: string;
}

/**
 * Where the service-account credentials come from (the Atlas client's port; `aws/secrets-manager.ts` reads them from
 * a secret). `invalidate()` is called when Atlas rejects them, so a rotated secret is read again at once rather than
 * after the cache lifetime.
 */
export interface CredentialsSource {
  /** The credentials, or why there are none; a read that takes longer than `timeoutMs` fails (transient). */
  get(timeoutMs: number): Promise<Result<Credentials>>;
  invalidate(): void;
}

/** Credentials given outright (local runs: `ATLAS_CLIENT_ID` / `ATLAS_CLIENT_SECRET`). */
export function fixedCredentials(credentials: Credentials): CredentialsSource {
  const result: Result<Credentials> = { ok: true, value: credentials };
  return { get: () => Promise.resolve(result), invalidate: () => undefined };
}
