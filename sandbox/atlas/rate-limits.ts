/**
 * The Atlas sandbox's two rate limits: a token bucket shared by the two invite endpoints (Atlas's 429 with
 * `Retry-After`), and the sliding window over `/invites` (Atlas's 400 `RATE_LIMITED_IP`, without `Retry-After`).
 */

export interface RateLimitSettings {
  rateLimit: { requestsPerSecond: number; burst?: number } | undefined;
  inviteRateLimit: { invitations: number; perMinutes: number } | undefined;
}

export interface RateToken {
  allowed: boolean;
  retryAfterSeconds: number;
  /** `ratelimit-limit` and `ratelimit-remaining`, sent with every answer the bucket let through or refused. */
  headers: Record<string, string>;
}

export class RateLimits {
  private bucket: { tokens: number; refilledAt: number } | undefined;
  private inviteTimes: number[] = [];

  /** `settings` is read on every request, so configure() takes effect at once. */
  constructor(private readonly settings: () => RateLimitSettings) {}

  /** One request's worth of the shared token bucket; undefined when no rate limit is configured. */
  takeRateToken(): RateToken | undefined {
    const limit = this.settings().rateLimit;
    if (!limit) return undefined;
    const capacity = limit.burst ?? limit.requestsPerSecond;
    const now = Date.now();
    const bucket = (this.bucket ??= { tokens: capacity, refilledAt: now });
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.refilledAt) / 1000) * limit.requestsPerSecond);
    bucket.refilledAt = now;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    const retryAfterSeconds = allowed ? 0 : Math.max(1, Math.ceil((1 - bucket.tokens) / limit.requestsPerSecond));
    return {
      allowed,
      retryAfterSeconds,
      headers: { 'ratelimit-limit': String(capacity), 'ratelimit-remaining': String(Math.floor(bucket.tokens)) },
    };
  }

  /**
   * Counts one `/invites` invitation made at `now` against the sliding window. Answers the limit instead, counting
   * nothing, when the window is already full; undefined when the invitation was counted or no limit is configured.
   */
  countInvitation(now: number): { invitations: number; perMinutes: number } | undefined {
    const limit = this.settings().inviteRateLimit;
    if (!limit) return undefined;
    this.inviteTimes = this.inviteTimes.filter((t) => t > now - limit.perMinutes * 60_000);
    if (this.inviteTimes.length >= limit.invitations) return limit;
    this.inviteTimes.push(now);
    return undefined;
  }

  /** Forgets the bucket's level, so the next request finds it full. */
  refillBucket(): void {
    this.bucket = undefined;
  }

  /** Forgets the invitations counted in the window. */
  clearInviteWindow(): void {
    this.inviteTimes = [];
  }

  reset(): void {
    this.refillBucket();
    this.clearInviteWindow();
  }
}
