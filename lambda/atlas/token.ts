import type { CredentialsSource } from '../credentials';
import { Deadline } from '../deadline';
import type { Logger } from '../log';
import { classifyTokenAnswer } from './classify';
import { AtlasError } from './errors';
import { postToAtlas } from './http';
import type { Dispatcher } from './undici';

/** Refresh this long before Atlas says a token expires (its Go SDK uses 10 s; clocks and slow calls need more). */
const EXPIRY_MARGIN_MS = 60_000;

/**
 * OAuth access tokens for the service account (client credentials), cached until shortly before they expire: a
 * service account may hold at most 100 live tokens. Concurrent callers share one token request.
 *
 * @example
 * const tokens = new TokenCache('https://cloud.mongodb.com', credentials, agent, log);
 * const token = await tokens.get(10_000);
 */
export class TokenCache {
  private current: { token: string; expiresAt: number } | undefined;
  private inFlight: Promise<string> | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly credentials: CredentialsSource,
    private readonly dispatcher: Dispatcher,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** A live token; throws an {@link AtlasError} when none can be had. */
  get(timeoutMs: number): Promise<string> {
    if (this.current && this.now() < this.current.expiresAt) return Promise.resolve(this.current.token);
    this.inFlight ??= this.fetchToken(timeoutMs).finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** Atlas refused `token` (401): forget it, unless a newer one has replaced it already. */
  invalidate(token: string): void {
    if (this.current?.token === token) this.current = undefined;
  }

  private async fetchToken(timeoutMs: number): Promise<string> {
    const budget = new Deadline(timeoutMs);
    const credentials = await this.credentials.get(budget.remainingMs());
    let answer = await this.requestToken(credentials.clientId, credentials.clientSecret, budget.remainingMs());
    if (answer instanceof AtlasError && answer.details.status === 401) {
      // The secret may have been rotated since we read it: read it again once before giving up.
      this.credentials.invalidate();
      const fresh = await this.credentials.get(budget.remainingMs());
      if (fresh.clientId !== credentials.clientId || fresh.clientSecret !== credentials.clientSecret) {
        answer = await this.requestToken(fresh.clientId, fresh.clientSecret, budget.remainingMs());
      }
    }
    if (answer instanceof AtlasError) throw answer;
    return answer;
  }

  /** A new token (also cached), or why there is none. */
  private async requestToken(clientId: string, clientSecret: string, timeoutMs: number): Promise<string | AtlasError> {
    // OAuth client credentials are form-urlencoded before base64 (RFC 6749 section 2.3.1), as MongoDB's SDKs do.
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
    const answer = await postToAtlas(
      this.dispatcher,
      `${this.baseUrl}/api/oauth/token`,
      { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      'grant_type=client_credentials',
      timeoutMs,
    );
    if (answer instanceof AtlasError) return answer;
    const error = classifyTokenAnswer(answer.status, answer.headers, answer.body, this.now());
    if (error) {
      this.log.warn('Atlas token request failed', { status: answer.status, errorCode: error.code, kind: error.kind });
      return error;
    }
    const parsed = parseTokenBody(answer.body);
    if (!parsed) return new AtlasError('transient', 'TOKEN_MALFORMED', 'the token endpoint answered without an access token');
    this.log.addSecret(parsed.token);
    this.current = { token: parsed.token, expiresAt: this.now() + Math.max(0, parsed.expiresInMs - Math.min(EXPIRY_MARGIN_MS, parsed.expiresInMs / 2)) };
    this.log.info('obtained an Atlas access token', { expiresInSeconds: parsed.expiresInMs / 1000 });
    return parsed.token;
  }
}

function parseTokenBody(body: string): { token: string; expiresInMs: number } | undefined {
  try {
    const value = JSON.parse(body) as { access_token?: unknown; expires_in?: unknown };
    if (typeof value.access_token !== 'string' || value.access_token.length === 0) return undefined;
    const expiresIn = typeof value.expires_in === 'number' && value.expires_in > 0 ? value.expires_in : 3600;
    return { token: value.access_token, expiresInMs: expiresIn * 1000 };
  } catch {
    return undefined;
  }
}
