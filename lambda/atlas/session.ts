import { Deadline } from '../deadline';
import type { Result } from '../failure';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import { classifyAnswer, classifyTokenAnswer, header, isRateLimited } from './classify';
import type { Credentials, CredentialsSource } from './credentials';
import { AtlasError } from './errors';
import { Pacer } from './pacing';
import { withRetries, type RetryHooks, type RetryPolicy } from './retry';
import { Agent, exchange, type Answer, type Dispatcher } from './transport';

/**
 * The Atlas session: one authorised, retried request to the Administration API, whatever its method or resource.
 * It holds the token cache, fetches a new token after a 401, retries what is transient and keeps within the deadline;
 * the operations on top (`invitations.ts`) only say what to send and how to read a success.
 */

/** Refresh this long before Atlas says a token expires (its Go SDK uses 10 s; clocks and slow calls need more). */
const EXPIRY_MARGIN_MS = 60_000;
/**
 * At most this many token requests per container per minute, whatever Atlas answers (contract section 6, v2): a
 * service account may hold 100 live tokens, and one container must never use them up.
 */
export const TOKEN_REQUESTS_PER_MINUTE = 5;
/**
 * At most one new token per this long because of a 401 (contract section 6, v2). Atlas answers 401 for a token it no
 * longer honours (revoked) and for a missing permission (`USER_UNAUTHORIZED`); a new token cures only the first, which
 * one new token cures for every project at once. So one 401-driven refresh per window is enough, and calls to any
 * number of projects the account may not touch cost no more tokens than that.
 */
const REFRESH_AFTER_401_EVERY_MS = 5 * 60_000;
const USER_AGENT = 'atlas-onboarder/0.1';

/** One call of the Administration API. */
export interface AtlasRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** From `/api/atlas/v2/...`, query included. */
  path: string;
  /** The resource version's media type (`application/vnd.atlas.2023-01-01+json`), sent as `Accept` and, with a body, `Content-Type`. */
  mediaType: string;
  /** Sent as JSON. */
  body?: unknown;
  /** The rate-limit bucket the call draws from (`group:<groupId>`): calls to a scope Atlas has limited wait together. */
  scope: string;
  /** Where a `RATE_LIMITED_IP` answer is held instead (invitations are also limited per IP address). */
  ipScope?: string;
}

/** A successful (2xx) answer, and when the request that got it was sent. */
export interface AtlasReply {
  status: number;
  body: string;
  sentAt: number;
}

export interface AtlasSessionOptions {
  baseUrl: string;
  retry: RetryPolicy;
  credentials: CredentialsSource;
  log: Logger;
  dispatcher?: Dispatcher;
  now?: () => number;
  hooks?: RetryHooks;
  /** Counts each request (not the token's), its latency and each rate-limited answer. */
  metrics?: Metrics;
}

/**
 * One keep-alive connection pool per container. Connections idle longer than Atlas's own keep-alive would be
 * closed under us; undici honours the server's `Keep-Alive` hint up to `keepAliveMaxTimeout`. HTTP/1.1 only: undici 8
 * offers HTTP/2 in its TLS hello by default, and everything here (the timeout of a request still waiting for a
 * connection, `connections`, the tests and the benchmarks) is HTTP/1.1.
 */
export function createAtlasAgent(): Agent {
  return new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: 32, allowH2: false, connect: { timeout: 5_000 } });
}

export class AtlasSession {
  private readonly tokens: TokenCache;
  private readonly pacer: Pacer;
  /** When a 401 last made this container fetch a new token. */
  private refreshedFor401At = -Infinity;
  private readonly dispatcher: Dispatcher;
  private readonly now: () => number;

  constructor(private readonly options: AtlasSessionOptions) {
    this.dispatcher = options.dispatcher ?? createAtlasAgent();
    this.now = options.now ?? Date.now;
    this.tokens = new TokenCache(options.baseUrl, options.credentials, this.dispatcher, options.log, this.now);
    this.pacer = new Pacer({ onWait: () => options.metrics?.rateLimitedWait() }, this.now);
  }

  /**
   * Sends `request` with a live token, retrying transient failures within `deadline`. A success is the answer; any
   * other answer is a classified {@link AtlasError} (`conflict` included: the caller decides what "already there" means).
   * `logFields` go on the line each retry writes.
   *
   * @example
   * const reply = await session.call({ method: 'GET', path: `/api/atlas/v2/groups/${groupId}/users?username=${u}`, mediaType, scope: `group:${groupId}` }, deadline, { groupId });
   */
  call(request: AtlasRequest, deadline: Deadline, logFields: Record<string, unknown> = {}): Promise<Result<AtlasReply>> {
    const scopes = request.ipScope ? [request.scope, request.ipScope] : [request.scope];
    const paced = async (timeoutMs: number): Promise<Result<AtlasReply>> => {
      const turn = await this.pacer.turn(scopes, deadline);
      // The scope stays limited past the deadline: no call spent on a certain 429; the wait goes back to the caller.
      if (!turn.ok) {
        return { ok: false, error: new AtlasError('transient', 'RATE_LIMITED', 'Atlas rate-limits this scope; waiting for it to refill', { retryAfterMs: turn.heldMs }) };
      }
      try {
        return await this.attempt(request, Math.min(timeoutMs, deadline.remainingMs()));
      } finally {
        turn.release();
      }
    };
    return withRetries(paced, this.options.retry, deadline, {
      ...this.options.hooks,
      onRetry: (error, attempt, delayMs) => {
        this.options.log.info('retrying Atlas call', { ...logFields, errorCode: error.code, kind: error.kind, attempt, delayMs });
        this.options.hooks?.onRetry?.(error, attempt, delayMs);
      },
    });
  }

  /** One attempt: a token and the request, plus at most one more with a fresh token after a 401, all within `timeoutMs`. */
  private async attempt(request: AtlasRequest, timeoutMs: number): Promise<Result<AtlasReply>> {
    const budget = new Deadline(timeoutMs);
    let refreshed = false;
    for (;;) {
      const token = await this.tokens.get(budget.remainingMs());
      if (!token.ok) {
        // A secret or credentials that cannot be used: the alarm on DeploymentFaults tells the operator.
        if (token.error.details.deploymentFault) this.options.metrics?.deploymentFault(token.error.code);
        return token;
      }
      const sentAt = this.now();
      const sent = await exchange(this.dispatcher, `${this.options.baseUrl}${request.path}`, {
        method: request.method,
        headers: {
          authorization: `Bearer ${token.value.token}`,
          accept: request.mediaType,
          ...(request.body !== undefined && { 'content-type': request.mediaType }),
          'user-agent': USER_AGENT,
        },
        ...(request.body !== undefined && { body: JSON.stringify(request.body) }),
        timeoutMs: budget.remainingMs(),
      });
      if (!sent.ok) this.options.metrics?.atlasCall('transient');
      if (!sent.ok) return sent;
      const answer = sent.value;
      const error = classifyAnswer(answer.statusCode, answer.headers, answer.body, this.now());
      this.pace(request, answer, error);
      this.options.metrics?.atlasCall(error?.kind ?? 'ok', this.now() - sentAt);
      if (error && isRateLimited(error)) this.options.metrics?.rateLimitedWait();
      if (!error) return { ok: true, value: { status: answer.statusCode, body: answer.body, sentAt } };
      if (error.details.status === 401 && !refreshed && this.mayRefreshFor401(token.value.fetched)) {
        // A token fetched before this call may be one Atlas no longer honours (expired early, revoked): a new one, once.
        // A token fetched for this very call that is refused is the call's own failure (a missing permission).
        this.refreshedFor401At = this.now();
        this.tokens.invalidate(token.value.token);
        refreshed = true;
        continue;
      }
      return { ok: false, error };
    }
  }

  /** Whether a 401 on `token` may fetch a new one: it was fetched before the call, and no 401 did so lately. */
  private mayRefreshFor401(fetchedForThisCall: boolean): boolean {
    return !fetchedForThisCall && this.now() - this.refreshedFor401At >= REFRESH_AFTER_401_EVERY_MS;
  }

  /** What an answer says of the scope's rate limit: a named wait holds it; a success may say none is left. */
  private pace(request: AtlasRequest, answer: Answer, error: AtlasError | undefined): void {
    if (error) {
      if (!isRateLimited(error)) return;
      const scope = error.code === 'RATE_LIMITED_IP' && request.ipScope ? request.ipScope : request.scope;
      // A named wait holds the scope until then; without one, its calls go one at a time from now on.
      if (error.details.retryAfterMs === undefined) this.pacer.limited(scope);
      else this.pacer.hold(scope, error.details.retryAfterMs);
      return;
    }
    const remaining = header(answer.headers, 'ratelimit-remaining');
    if (remaining === undefined || !/^\d+$/.test(remaining)) return;
    const limit = header(answer.headers, 'ratelimit-limit');
    this.pacer.remaining(request.scope, Number(remaining), limit !== undefined && /^\d+$/.test(limit) ? Number(limit) : undefined);
  }
}


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
  private inFlight: Promise<Result<string>> | undefined;
  /** When this container asked for tokens in the last minute. */
  private requestedAt: number[] = [];

  constructor(
    private readonly baseUrl: string,
    private readonly credentials: CredentialsSource,
    private readonly dispatcher: Dispatcher,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A live token, or why there is none; `fetched` when this ask waited for the token endpoint (alone, or with the
   * asks that came while it was in flight) rather than taking the cached token.
   */
  async get(timeoutMs: number): Promise<Result<{ token: string; fetched: boolean }>> {
    if (this.current && this.now() < this.current.expiresAt) return { ok: true, value: { token: this.current.token, fetched: false } };
    this.inFlight ??= this.fetchToken(timeoutMs).finally(() => (this.inFlight = undefined));
    const fetched = await this.inFlight;
    return fetched.ok ? { ok: true, value: { token: fetched.value, fetched: true } } : fetched;
  }

  /** Atlas refused `token` (401): forget it, unless a newer one has replaced it already. */
  invalidate(token: string): void {
    if (this.current?.token === token) this.current = undefined;
  }

  private async fetchToken(timeoutMs: number): Promise<Result<string>> {
    const budget = new Deadline(timeoutMs);
    const credentials = await this.credentials.get(budget.remainingMs());
    if (!credentials.ok) return credentials;
    const answer = await this.requestToken(credentials.value, budget.remainingMs());
    if (answer.ok || answer.error.details.status !== 401) return answer;
    // The secret may have been rotated since we read it: read it again once before giving up.
    this.credentials.invalidate();
    const fresh = await this.credentials.get(budget.remainingMs());
    if (!fresh.ok) return fresh;
    if (fresh.value.clientId === credentials.value.clientId && fresh.value.clientSecret === credentials.value.clientSecret) return answer;
    return this.requestToken(fresh.value, budget.remainingMs());
  }

  /** A new token (also cached), or why there is none. */
  private async requestToken({ clientId, clientSecret }: Credentials, timeoutMs: number): Promise<Result<string>> {
    const now = this.now();
    this.requestedAt = this.requestedAt.filter((at) => now - at < 60_000);
    if (this.requestedAt.length >= TOKEN_REQUESTS_PER_MINUTE) {
      const retryAfterMs = this.requestedAt[0]! + 60_000 - now;
      this.log.error('token requests held back: this container asked for too many tokens in the last minute', { errorCode: 'TOKEN_REQUESTS_LIMITED', retryAfterMs });
      return { ok: false, error: new AtlasError('transient', 'TOKEN_REQUESTS_LIMITED', 'too many token requests from this container in the last minute', { retryAfterMs }) };
    }
    this.requestedAt.push(now);
    // OAuth client credentials are form-urlencoded before base64 (RFC 6749 section 2.3.1), as MongoDB's SDKs do.
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
    const sent = await exchange(this.dispatcher, `${this.baseUrl}/api/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'grant_type=client_credentials',
      timeoutMs,
    });
    if (!sent.ok) return sent;
    const answer: Answer = sent.value;
    const error = classifyTokenAnswer(answer.statusCode, answer.headers, answer.body, this.now());
    if (error) {
      this.log.warn('Atlas token request failed', { status: answer.statusCode, errorCode: error.code, kind: error.kind });
      return { ok: false, error };
    }
    const parsed = parseTokenBody(answer.body);
    if (!parsed) return { ok: false, error: new AtlasError('transient', 'TOKEN_MALFORMED', 'the token endpoint answered without an access token') };
    this.log.addSecret(parsed.token);
    this.current = { token: parsed.token, expiresAt: this.now() + Math.max(0, parsed.expiresInMs - Math.min(EXPIRY_MARGIN_MS, parsed.expiresInMs / 2)) };
    this.log.info('obtained an Atlas access token', { expiresInSeconds: parsed.expiresInMs / 1000 });
    return { ok: true, value: parsed.token };
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
