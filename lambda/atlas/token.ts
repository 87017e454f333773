import { request, type Dispatcher } from 'undici';
import type { CredentialsSource } from '../credentials';
import type { Logger } from '../log';
import { classifyFailure, classifyTokenAnswer } from './classify';
import { AtlasError } from './errors';

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
    const endsAt = performance.now() + timeoutMs;
    const left = () => Math.max(1, endsAt - performance.now());
    const credentials = await this.credentials.get(left());
    let error = await this.requestToken(credentials.clientId, credentials.clientSecret, left());
    if (error?.details.status === 401) {
      // The secret may have been rotated since we read it: read it again once before giving up.
      this.credentials.invalidate();
      const fresh = await this.credentials.get(left());
      if (fresh.clientId !== credentials.clientId || fresh.clientSecret !== credentials.clientSecret) {
        error = await this.requestToken(fresh.clientId, fresh.clientSecret, left());
      }
    }
    if (error) throw error;
    return this.current!.token;
  }

  private async requestToken(clientId: string, clientSecret: string, timeoutMs: number): Promise<AtlasError | undefined> {
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
    const signal = AbortSignal.timeout(Math.ceil(timeoutMs));
    let status: number;
    let headers: Record<string, string | string[] | undefined>;
    let body: string;
    try {
      const answer = await request(`${this.baseUrl}/api/oauth/token`, {
        method: 'POST',
        dispatcher: this.dispatcher,
        signal,
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: 'grant_type=client_credentials',
      });
      ({ statusCode: status, headers } = answer);
      body = await answer.body.text();
    } catch (err) {
      return classifyFailure(err, signal.aborted);
    }
    const error = classifyTokenAnswer(status, headers, body, this.now());
    if (error) {
      this.log.warn('Atlas token request failed', { status, errorCode: error.code, kind: error.kind });
      return error;
    }
    const parsed = parseTokenBody(body);
    if (!parsed) return new AtlasError('transient', 'TOKEN_MALFORMED', 'the token endpoint answered without an access token');
    this.log.addSecret(parsed.token);
    this.current = { token: parsed.token, expiresAt: this.now() + Math.max(0, parsed.expiresInMs - Math.min(EXPIRY_MARGIN_MS, parsed.expiresInMs / 2)) };
    this.log.info('obtained an Atlas access token', { expiresInSeconds: parsed.expiresInMs / 1000 });
    return undefined;
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
